import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readBoundedText } from './bounded-file.js';

describe('readBoundedText', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleetsim-bounded-'));

  it('reads a regular file within the bound whole, multi-byte characters included', () => {
    const path = join(dir, 'ok.txt');
    writeFileSync(path, 'prix: 3 €\n'.repeat(1000));
    expect(readBoundedText(path, 20_000)).toEqual({ ok: true, text: 'prix: 3 €\n'.repeat(1000) });
    writeFileSync(join(dir, 'empty.txt'), '');
    expect(readBoundedText(join(dir, 'empty.txt'), 10)).toEqual({ ok: true, text: '' });
  });

  it('refuses a file over the bound with its size, one byte over included', () => {
    const path = join(dir, 'big.txt');
    writeFileSync(path, 'x'.repeat(101));
    expect(readBoundedText(path, 100)).toEqual({ ok: false, problem: 'too large', bytes: 101 });
    expect(readBoundedText(path, 101)).toEqual({ ok: true, text: 'x'.repeat(101) });
  });

  it('tells a missing file, a folder and a path through a file apart', () => {
    mkdirSync(join(dir, 'folder'));
    writeFileSync(join(dir, 'plain'), 'a');
    expect(readBoundedText(join(dir, 'nothing'), 10)).toEqual({ ok: false, problem: 'missing' });
    expect(readBoundedText(join(dir, 'plain', 'inside'), 10)).toEqual({ ok: false, problem: 'missing' });
    expect(readBoundedText(join(dir, 'folder'), 10)).toEqual({ ok: false, problem: 'not a file' });
  });

  it.skipIf(!existsSync('/dev/zero'))('refuses a device without reading from it', () => {
    expect(readBoundedText('/dev/zero', 10)).toEqual({ ok: false, problem: 'not a file' });
  });

  it.skipIf(process.platform === 'win32')(
    'refuses a named pipe with no writer at once, without waiting for one',
    () => {
      const fifo = join(dir, 'pipe');
      execFileSync('mkfifo', [fifo]);
      expect(readBoundedText(fifo, 10)).toEqual({ ok: false, problem: 'not a file' });
    },
  );

  it.skipIf(!existsSync('/proc/self/status'))(
    'reads a file whose listed size is 0 to its end (/proc)',
    () => {
      const read = readBoundedText('/proc/self/status', 1_000_000);
      expect(read.ok && read.text.startsWith('Name:')).toBe(true);
      expect(readBoundedText('/proc/self/status', 10)).toMatchObject({ ok: false, problem: 'too large' });
    },
  );
});
