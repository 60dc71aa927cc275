import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { InvariantError, UserError } from '../scenario/types.js';

/** Big enough that a read costs little per row, small enough that memory does not depend on the file. */
export const DEFAULT_CHUNK_BYTES = 64 * 1024;

/**
 * The most bytes one trace row may hold before its line break. A request record of a public LLM
 * trace takes under a hundred bytes, and one that carries its prompt and response text a few
 * kilobytes; a megabyte is hundreds of times that, so a longer row is a file that is not a trace
 * (a binary, a JSON document on one line, a quote that never closes). The limit keeps a reader's
 * memory at about a megabyte whatever the file holds.
 */
export const MAX_ROW_BYTES = 1024 * 1024;

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * A file read synchronously, one chunk at a time, into a window of bytes that its reader
 * consumes from the front: the simulator loop is synchronous, and streaming keeps memory bounded
 * whatever the file's length. The unconsumed bytes are `buffer[start, end)`; `buffer[0]` is at
 * byte `base` of the file. Rows are split on bytes, not decoded text: a line feed or a quote
 * never occurs inside a multi-byte UTF-8 character, and byte offsets then need no counting.
 */
export class ChunkedFile {
  readonly #path: string;
  #fd: number | null;
  readonly #chunkBytes: number;
  /** The window never grows past this: a row of `maxRowBytes` plus one more chunk. */
  readonly #capacity: number;
  /** Byte offset in the file of the next read. */
  #position: number;
  /** Byte offset of the first character: 3 after a byte-order mark, else 0. */
  readonly textStart: number;
  buffer: Buffer;
  start = 0;
  end = 0;
  base: number;

  /** Throws a MISSING_FILE UserError when `path` cannot be opened as a file. */
  constructor(path: string, chunkBytes: number, maxRowBytes: number) {
    this.#path = path;
    this.#fd = openTextFile(path);
    this.#chunkBytes = chunkBytes;
    this.#capacity = maxRowBytes + chunkBytes + 1;
    this.buffer = Buffer.allocUnsafe(Math.min(this.#capacity, 2 * chunkBytes));
    // Spreadsheet exports often start with a byte-order mark, which would otherwise stick to the first column name.
    const head = Buffer.alloc(BOM.length);
    this.textStart =
      readSync(this.#fd, head, 0, BOM.length, 0) === BOM.length && head.equals(BOM) ? BOM.length : 0;
    this.#position = this.textStart;
    this.base = this.textStart;
  }

  /**
   * Reads the next chunk to `end`, first dropping the consumed bytes before `start` (which then
   * becomes 0; positions the reader keeps must be taken relative to `start`); false at the end of
   * the file. The caller keeps `end - start` within the row limit, so the window stays within it.
   */
  fill(): boolean {
    if (this.#fd === null) return false;
    const kept = this.end - this.start;
    if (this.end + this.#chunkBytes > this.buffer.length) {
      // Kept bytes filling more than half the window move to one twice as large: a long row is
      // then copied a few times in all, not once per chunk.
      const target =
        2 * (kept + this.#chunkBytes) > this.buffer.length
          ? Math.min(this.#capacity, Math.max(2 * this.buffer.length, kept + this.#chunkBytes))
          : this.buffer.length;
      const next = target === this.buffer.length ? this.buffer : Buffer.allocUnsafe(target);
      if (next !== this.buffer || this.start > 0) this.buffer.copy(next, 0, this.start, this.end);
      this.buffer = next;
      this.base += this.start;
      this.start = 0;
      this.end = kept;
    }
    const room = Math.min(this.#chunkBytes, this.buffer.length - this.end);
    if (room <= 0) throw new InvariantError(`${this.#path}: a row outgrew the window that holds it`);
    const bytes = readSync(this.#fd, this.buffer, this.end, room, this.#position);
    if (bytes === 0) {
      this.close();
      return false;
    }
    this.#position += bytes;
    this.end += bytes;
    return true;
  }

  /** Drops every byte read so far: the rest of a row too long to keep. */
  discard(): void {
    this.base += this.end;
    this.start = 0;
    this.end = 0;
  }

  /**
   * Continues reading at byte `offset` (at or after `textStart`); reopens the file if reaching
   * its end closed it.
   */
  seek(offset: number): void {
    if (this.#fd === null) this.#fd = openTextFile(this.#path);
    this.#position = offset;
    this.base = offset;
    this.start = 0;
    this.end = 0;
  }

  close(): void {
    if (this.#fd === null) return;
    closeSync(this.#fd);
    this.#fd = null;
  }
}

function openTextFile(path: string): number {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const message =
      code === 'ENOENT' ? 'trace file not found' : `cannot open trace file: ${(error as Error).message}`;
    throw new UserError({ code: 'MISSING_FILE', file: path, line: 1, col: 1, message });
  }
  // Linux opens a directory for reading without complaint; the first read would fail with a less helpful EISDIR.
  if (!fstatSync(fd).isFile()) {
    closeSync(fd);
    throw new UserError({
      code: 'MISSING_FILE',
      file: path,
      line: 1,
      col: 1,
      message: 'trace path is not a file',
    });
  }
  return fd;
}
