/**
 * Entry point of a fuzzer child process: judges the library-route cases its parent sends, one at a
 * time. A process of its own, not a worker thread, so that its memory can be capped (see pool.ts).
 */
import { mkdirSync, rmSync } from 'node:fs';
import type { FuzzCase } from './cases.js';
import { runInLibrary, type Verdict, writeCase } from './oracle.js';

export interface CaseRequest {
  fuzzCase: FuzzCase;
  dir: string;
}

/** `simulating` when the case starts simulating, then `verdict` at the end. */
export type CaseReply = { simulating: true } | { verdict: Verdict };

const send = (reply: CaseReply) => process.send?.(reply);

process.on('message', async ({ fuzzCase, dir }: CaseRequest) => {
  // Buffers arrive as plain Uint8Arrays.
  const c = { ...fuzzCase, files: fuzzCase.files.map((f) => ({ ...f, bytes: Buffer.from(f.bytes) })) };
  mkdirSync(dir, { recursive: true });
  try {
    writeCase(c, dir);
    send({ verdict: await runInLibrary(c, dir, () => send({ simulating: true })) });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
