import { closeSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { formatRequestLine, type RequestRecord } from '../workload/index.js';

/** Its name in a run's output folder, beside summary.json. */
export const REQUESTS_FILE = 'requests.jsonl';

/** `RequestsFileWriter`'s name for requests.jsonl until it is complete. */
const PARTIAL_FILE = /^requests\.jsonl\.\d+\.tmp$/;

/**
 * Removes what a run that was killed while writing requests.jsonl left in `dir`: the file is
 * written while the simulation runs, so unlike the other outputs it can be cut off.
 */
export function removePartialRequestsFiles(dir: string): void {
  for (const name of readdirSync(dir)) if (PARTIAL_FILE.test(name)) rmSync(join(dir, name), { force: true });
}

/** Lines gathered before each write: few system calls per request, and memory that does not grow with the run. */
const BUFFER_BYTES = 256 * 1024;

/**
 * requests.jsonl written as the simulation produces its records. The simulation loop is
 * synchronous, so an asynchronous stream would hold every line in memory until the run ends;
 * instead lines go through a fixed buffer and synchronous writes. They go to a file beside the
 * target, renamed over it by `commit`, so a reader never sees a half-written file, and `abort`
 * (a failed run) leaves any earlier file in place.
 */
export class RequestsFileWriter {
  readonly path: string;
  readonly #temporary: string;
  #fd: number | null;
  readonly #buffer = Buffer.allocUnsafe(BUFFER_BYTES);
  #used = 0;
  /** Records written so far. */
  count = 0;

  constructor(path: string) {
    this.path = path;
    this.#temporary = `${path}.${process.pid}.tmp`;
    mkdirSync(dirname(path), { recursive: true });
    this.#fd = openSync(this.#temporary, 'w');
  }

  /** As an `onRequest` callback. */
  readonly write = (record: RequestRecord): void => {
    const line = formatRequestLine(record);
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    if (this.#used + 3 * line.length > BUFFER_BYTES) this.#flush();
    if (3 * line.length > BUFFER_BYTES) writeSync(this.#fd as number, line);
    else this.#used += this.#buffer.write(line, this.#used, 'utf8');
    this.count++;
  };

  /** Writes what is buffered and puts the file in place. */
  commit(): void {
    this.#flush();
    closeSync(this.#fd as number);
    this.#fd = null;
    renameSync(this.#temporary, this.path);
  }

  /** Removes the partial file; safe to call after `commit`. */
  abort(): void {
    if (this.#fd === null) return;
    closeSync(this.#fd);
    this.#fd = null;
    rmSync(this.#temporary, { force: true });
  }

  #flush(): void {
    let at = 0;
    while (at < this.#used) at += writeSync(this.#fd as number, this.#buffer, at, this.#used - at);
    this.#used = 0;
  }
}
