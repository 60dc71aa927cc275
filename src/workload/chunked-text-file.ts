import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { UserError } from '../scenario/types.js';

/** Big enough that a read costs little per row, small enough that memory does not depend on the file. */
export const DEFAULT_CHUNK_BYTES = 64 * 1024;

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * A text file read synchronously, one chunk at a time: the simulator loop is synchronous, and
 * streaming keeps memory bounded by the chunk size whatever the file's length.
 */
export class ChunkedTextFile {
  readonly #path: string;
  #fd: number | null;
  /** Byte offset of the next read. */
  #position: number;
  /** Byte offset of the first character: 3 after a byte-order mark, else 0. */
  readonly textStart: number;
  readonly #buffer: Buffer;
  // Keeps the bytes of a UTF-8 character split across two chunks until the rest arrives.
  readonly #decoder = new StringDecoder('utf8');

  /** Throws a MISSING_FILE UserError when `path` cannot be opened as a file. */
  constructor(path: string, chunkBytes: number = DEFAULT_CHUNK_BYTES) {
    this.#path = path;
    this.#fd = openTextFile(path);
    this.#buffer = Buffer.allocUnsafe(chunkBytes);
    // Spreadsheet exports often start with a byte-order mark, which would otherwise stick to the first column name.
    const head = Buffer.alloc(BOM.length);
    this.textStart =
      readSync(this.#fd, head, 0, BOM.length, 0) === BOM.length && head.equals(BOM) ? BOM.length : 0;
    this.#position = this.textStart;
  }

  /** The next piece of text ('' when a chunk ends inside a character), or null at the end of the file. */
  read(): string | null {
    if (this.#fd === null) return null;
    const bytes = readSync(this.#fd, this.#buffer, 0, this.#buffer.length, this.#position);
    this.#position += bytes;
    if (bytes === 0) {
      this.close();
      const rest = this.#decoder.end();
      return rest === '' ? null : rest;
    }
    return this.#decoder.write(this.#buffer.subarray(0, bytes));
  }

  /**
   * Continues reading at byte `offset` (at or after `textStart`), which must start a UTF-8
   * character; reopens the file if reaching its end closed it.
   */
  seek(offset: number): void {
    if (this.#fd === null) this.#fd = openTextFile(this.#path);
    this.#position = offset;
    this.#decoder.end();
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
