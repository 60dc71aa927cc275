import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ChunkedFile } from './chunked-text-file.js';

const tempDir = mkdtempSync(join(tmpdir(), 'fleetsim-chunks-'));
afterAll(() => rmSync(tempDir, { recursive: true, force: true }));

describe('ChunkedFile', () => {
  it('keeps a growing row by doubling its window: a few copies in all, never more than a row and a chunk', () => {
    const chunk = 1024;
    const row = 1024 * 1024;
    const path = join(tempDir, 'row.txt');
    writeFileSync(path, 'x'.repeat(row));
    const file = new ChunkedFile(path, chunk, row);
    let windows = 0;
    let copied = 0;
    let buffer = file.buffer;
    // Nothing is consumed: every byte read stays, as a row without its line break does.
    while (file.end - file.start < row && file.fill()) {
      if (file.buffer !== buffer) {
        windows++;
        copied += file.end - file.start;
        buffer = file.buffer;
      }
      expect(file.buffer.length).toBeLessThanOrEqual(row + chunk + 1);
    }
    file.close();
    expect(file.end - file.start).toBe(row);
    // From two chunks to 1 MiB by doubling: 9 larger windows. Copying the row at every chunk
    // instead would move 1024 chunks of half a megabyte on average.
    expect(windows).toBe(9);
    expect(copied).toBeLessThan(2 * row);
  });

  it('moves what is left to the front of its window rather than growing it, when the front was consumed', () => {
    const chunk = 16;
    const path = join(tempDir, 'lines.txt');
    writeFileSync(path, 'abcdefg\n'.repeat(100));
    const file = new ChunkedFile(path, chunk, 64);
    let text = '';
    while (file.fill()) {
      // Consume whole lines, as a reader does, and keep the partial one.
      const lastBreak = file.buffer.lastIndexOf(0x0a, file.end - 1);
      if (lastBreak >= file.start) {
        text += file.buffer.toString('latin1', file.start, lastBreak + 1);
        file.start = lastBreak + 1;
      }
      expect(file.buffer.length).toBe(2 * chunk);
      expect(file.base + file.start).toBe(text.length);
    }
    expect(text).toBe('abcdefg\n'.repeat(100));
  });
});
