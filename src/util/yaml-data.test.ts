import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { yamlDataReader } from './yaml-data.js';

const ROOT = resolve(import.meta.dirname, '../..');
const PRICING = join(ROOT, 'pricing');
const dir = mkdtempSync(join(tmpdir(), 'fleetsim-yaml-data-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const shipped = readdirSync(PRICING).filter((name) => name.endsWith('.yaml'));

describe('the shipped data files as the build leaves them', () => {
  const build = spawnSync(process.execPath, [join(ROOT, 'scripts/yaml-data.mjs'), '--dist', dir], {
    encoding: 'utf8',
  });
  const cacheFile = join(dir, 'yaml-data.json');

  it('read as the YAML parses, every one of them from its JSON', () => {
    expect(build.stderr).toBe('');
    expect(build.status).toBe(0);
    const cache = JSON.parse(readFileSync(cacheFile, 'utf8')) as Record<string, string>;
    expect(Object.keys(cache)).toHaveLength(shipped.length);
    const read = yamlDataReader(cacheFile);
    for (const name of shipped) {
      const text = readFileSync(join(PRICING, name), 'utf8');
      expect(cache[createHash('sha256').update(text).digest('hex')]).toBeDefined();
      expect(read(join(PRICING, name)), name).toEqual(parse(text));
    }
  });

  it('takes a file from the JSON only when its text has the digest, and parses any other', () => {
    const file = join(dir, 'prices.yaml');
    writeFileSync(file, 'price: 1.5\n');
    const digest = createHash('sha256').update('price: 1.5\n').digest('hex');
    const marked = join(dir, 'marked.json');
    writeFileSync(marked, JSON.stringify({ [digest]: JSON.stringify({ price: 'from the JSON' }) }));
    const read = yamlDataReader(marked);
    expect(read(file)).toEqual({ price: 'from the JSON' });
    writeFileSync(file, 'price: 2.5\n');
    expect(read(file)).toEqual({ price: 2.5 });
    expect(yamlDataReader(join(dir, 'absent.json'))(file)).toEqual({ price: 2.5 });
  });

  it('refuses a file whose value JSON would not carry', () => {
    const root = mkdtempSync(join(dir, 'root-'));
    const copy = join(root, 'scripts');
    const pricing = join(root, 'pricing');
    for (const folder of [copy, pricing]) mkdirSync(folder);
    writeFileSync(join(copy, 'yaml-data.mjs'), readFileSync(join(ROOT, 'scripts/yaml-data.mjs')));
    symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'));
    writeFileSync(join(pricing, 'odd.yaml'), 'limit: .inf\n');
    const run = spawnSync(process.execPath, [join(copy, 'yaml-data.mjs'), '--dist', root], {
      encoding: 'utf8',
    });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/pricing\/odd\.yaml: its value does not survive JSON/);
  });
});
