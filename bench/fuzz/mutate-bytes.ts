/**
 * Mutations of a file's bytes, whatever it holds: truncation, encodings (BOM, UTF-16, invalid
 * UTF-8), NUL and control characters, line endings, lines dropped, repeated or swapped.
 */
import type { Rng } from './random.js';

export interface ByteMutation {
  bytes: Buffer;
  description: string;
}

function utf16(text: string, bigEndian: boolean, bom: boolean): Buffer {
  const le = Buffer.from((bom ? '\uFEFF' : '') + text, 'utf16le');
  if (!bigEndian) return le;
  const be = Buffer.from(le);
  be.swap16();
  return be;
}

function insertAt(bytes: Buffer, at: number, inserted: Buffer): Buffer {
  return Buffer.concat([bytes.subarray(0, at), inserted, bytes.subarray(at)]);
}

function lines(bytes: Buffer): string[] {
  return bytes.toString('utf8').split('\n');
}

export function mutateBytes(rng: Rng, bytes: Buffer): ByteMutation {
  const at = rng.int(0, bytes.length);
  const text = bytes.toString('utf8');
  const kind = rng.weighted<string>([
    ['truncate', 4],
    ['utf8-bom', 2],
    ['utf16', 2],
    ['invalid-utf8', 2],
    ['nul', 2],
    ['control', 1],
    ['crlf', 2],
    ['cr', 1],
    ['tabs', 1],
    ['drop-line', 2],
    ['repeat-line', 2],
    ['swap-lines', 1],
    ['flip-byte', 2],
    ['long-line', 1],
    ['unicode-separators', 1],
  ]);
  switch (kind) {
    case 'truncate':
      return { bytes: bytes.subarray(0, at), description: `truncate at byte ${at}` };
    case 'utf8-bom':
      return { bytes: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]), description: 'UTF-8 BOM' };
    case 'utf16': {
      const bigEndian = rng.chance(0.5);
      const bom = rng.chance(0.7);
      return {
        bytes: utf16(text, bigEndian, bom),
        description: `UTF-16${bigEndian ? 'BE' : 'LE'}${bom ? ' with BOM' : ''}`,
      };
    }
    case 'invalid-utf8': {
      const bad = rng.pick([
        [0xff],
        [0xc3],
        [0xc0, 0xaf],
        [0xed, 0xa0, 0x80],
        [0xf8, 0x88, 0x80, 0x80, 0x80],
      ]);
      return { bytes: insertAt(bytes, at, Buffer.from(bad)), description: `invalid UTF-8 at byte ${at}` };
    }
    case 'nul':
      return { bytes: insertAt(bytes, at, Buffer.from([0])), description: `NUL at byte ${at}` };
    case 'control': {
      const c = rng.pick(['\u001b[2J', '\u0007', '\u0008', '\u007f', '\u0085', '\u000b', '\u000c']);
      return { bytes: insertAt(bytes, at, Buffer.from(c)), description: `control character at byte ${at}` };
    }
    case 'crlf':
      return { bytes: Buffer.from(text.replace(/\n/g, '\r\n')), description: 'CRLF line endings' };
    case 'cr':
      return { bytes: Buffer.from(text.replace(/\n/g, '\r')), description: 'CR line endings' };
    case 'tabs':
      return { bytes: Buffer.from(text.replace(/^( {2})+/gm, '\t')), description: 'tab indentation' };
    case 'drop-line': {
      const all = lines(bytes);
      const i = rng.int(0, all.length - 1);
      all.splice(i, 1);
      return { bytes: Buffer.from(all.join('\n')), description: `drop line ${i + 1}` };
    }
    case 'repeat-line': {
      const all = lines(bytes);
      const i = rng.int(0, all.length - 1);
      const times = rng.pick([1, 2, 100]);
      all.splice(i, 0, ...Array<string>(times).fill(all[i]));
      return { bytes: Buffer.from(all.join('\n')), description: `repeat line ${i + 1} ${times}x` };
    }
    case 'swap-lines': {
      const all = lines(bytes);
      const i = rng.int(0, all.length - 1);
      const j = rng.int(0, all.length - 1);
      [all[i], all[j]] = [all[j], all[i]];
      return { bytes: Buffer.from(all.join('\n')), description: `swap lines ${i + 1} and ${j + 1}` };
    }
    case 'flip-byte': {
      const copy = Buffer.from(bytes);
      if (copy.length > 0) copy[Math.min(at, copy.length - 1)] ^= 1 << rng.int(0, 7);
      return { bytes: copy, description: `flip a bit of byte ${at}` };
    }
    case 'long-line':
      return {
        bytes: insertAt(bytes, at, Buffer.from('y'.repeat(rng.pick([1e4, 1e6])))),
        description: `long line at byte ${at}`,
      };
    default: {
      const c = rng.pick(['\u2028', '\u2029', '\u200b', '\u202e', '\ufeff', '\ud800']);
      return {
        bytes: insertAt(bytes, at, Buffer.from(c)),
        description: `U+${c.charCodeAt(0).toString(16)} at byte ${at}`,
      };
    }
  }
}
