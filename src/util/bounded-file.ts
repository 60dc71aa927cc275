import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

/** Why a file was not read; each reader words it for its own file. */
export type UnreadFile =
  | { ok: false; problem: 'missing' | 'not a file' | 'unreadable' }
  /** `bytes`: its size, or as much as was read of a file that grew past the bound while it was read. */
  | { ok: false; problem: 'too large'; bytes: number };

/**
 * The text of a regular file of at most `maxBytes`, or why not. A pipe named where a file is
 * expected would block a read for ever and a device (`/dev/zero`) never end it, so the file is
 * opened without blocking and checked by what was opened, not by a name that may change in
 * between; a file that grows while it is read is cut off past the bound, not read without end.
 */
export function readBoundedText(path: string, maxBytes: number): { ok: true; text: string } | UnreadFile {
  let fd: number;
  try {
    // Windows has no O_NONBLOCK (and no pipes in the file system to wait on).
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // A file on the way (`a.csv/b.csv`) means there is no such file.
    return { ok: false, problem: code === 'ENOENT' || code === 'ENOTDIR' ? 'missing' : 'unreadable' };
  }
  try {
    const entry = fstatSync(fd);
    if (!entry.isFile()) return { ok: false, problem: 'not a file' };
    if (entry.size > maxBytes) return { ok: false, problem: 'too large', bytes: entry.size };
    // One byte more than the file's size: reading it tells a file that has grown since.
    let buffer = Buffer.allocUnsafe(entry.size + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (length > maxBytes) return { ok: false, problem: 'too large', bytes: length };
        const bigger = Buffer.allocUnsafe(Math.min(2 * length, maxBytes + 1));
        buffer.copy(bigger, 0, 0, length);
        buffer = bigger;
      }
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
    }
    return { ok: true, text: buffer.toString('utf8', 0, length) };
  } catch {
    return { ok: false, problem: 'unreadable' };
  } finally {
    closeSync(fd);
  }
}
