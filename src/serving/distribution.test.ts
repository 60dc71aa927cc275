import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../scenario/types.js';
import { createSampler } from './distribution.js';

/** A CSV written to a fresh folder; an empirical distribution over its column `column`. */
function empirical(text: string, column: string) {
  const path = join(mkdtempSync(join(tmpdir(), 'fleetsim-empirical-')), 'data.csv');
  writeFileSync(path, text);
  return () => createSampler({ kind: 'empirical', path, column }, () => 0.5);
}

function messageOf(sample: () => unknown): string {
  try {
    sample();
  } catch (error) {
    if (error instanceof UserError) return error.diagnostic.message;
    throw error;
  }
  throw new Error('expected a UserError');
}

describe('errors about an empirical data file', () => {
  it('name at most 12 of its columns, each cut to 40 characters', () => {
    const names = Array.from({ length: 20 }, (_, i) => `${'s'.repeat(50)}${i}`);
    const message = messageOf(empirical(`${names.join(',')}\n${names.map(() => 1).join(',')}\n`, 'tokens'));
    const shown = `"${'s'.repeat(40)}…"`;
    expect(message).toBe(`no column "tokens"; columns: ${Array(12).fill(shown).join(', ')} and 8 more`);
  });

  it('quote at most 40 characters of a bad value, control characters escaped', () => {
    const secret = `\u001b[2J${'x'.repeat(60)}`;
    const message = messageOf(empirical(`tokens\n5\n${secret}\n`, 'tokens'));
    expect(message).toBe(
      `column "tokens": expected a non-negative number, got "\\u001b[2J${'x'.repeat(36)}…"`,
    );
  });
});
