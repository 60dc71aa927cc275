/** Entry point of a fuzzer worker thread: writes one library-route case to its folder and judges it. */
import { mkdirSync, rmSync } from 'node:fs';
import type { FuzzCase } from './cases.js';
import { runInLibrary, type Verdict, writeCase } from './oracle.js';

export interface WorkerTask {
  fuzzCase: FuzzCase;
  dir: string;
  /** Shared with the main thread: one Int32, 1 once the simulation started. */
  simulating: SharedArrayBuffer;
}

export default async function runTask({ fuzzCase, dir, simulating }: WorkerTask): Promise<Verdict> {
  // Buffers arrive as plain Uint8Arrays from the main thread.
  const c = { ...fuzzCase, files: fuzzCase.files.map((f) => ({ ...f, bytes: Buffer.from(f.bytes) })) };
  mkdirSync(dir, { recursive: true });
  try {
    writeCase(c, dir);
    return await runInLibrary(c, dir, new Int32Array(simulating));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
