import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { UserError } from '../scenario/types.js';

/** Big enough that a read costs little per row, small enough that memory does not depend on the file. */
export const DEFAULT_CHUNK_BYTES = 64 * 1024;

/**
 * A text file read synchronously, one chunk at a time: the simulator loop is synchronous, and
 * streaming keeps memory bounded by the chunk size whatever the file's length.
 */
export class ChunkedTextFile {
  #fd: number | null;
  readonly #buffer: Buffer;
  // Keeps the bytes of a UTF-8 character split across two chunks until the rest arrives.
  readonly #decoder = new StringDecoder('utf8');
  #atStart = true;

  /** Throws a MISSING_FILE UserError when `path` cannot be opened as a file. */
  constructor(path: string, chunkBytes: number = DEFAULT_CHUNK_BYTES) {
    this.#fd = openTextFile(path);
    this.#buffer = Buffer.allocUnsafe(chunkBytes);
  }

  /** The next piece of text ('' when a chunk ends inside a character), or null at the end of the file. */
  read(): string | null {
    if (this.#fd === null) return null;
    const bytes = readSync(this.#fd, this.#buffer, 0, this.#buffer.length, null);
    if (bytes === 0) {
      this.close();
      const rest = this.#decoder.end();
      return rest === '' ? null : rest;
    }
    let text = this.#decoder.write(this.#buffer.subarray(0, bytes));
    if (this.#atStart && text !== '') {
      this.#atStart = false;
      // Spreadsheet exports often start with a byte-order mark, which would otherwise stick to the first column name.
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    return text;
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
