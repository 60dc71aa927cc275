import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { REPLAY_SWEEP, tempDir, writeScenario } from './helpers.js';

type Json = ReturnType<typeof JSON.parse>;

/** `point`'s first run with `change` made to it. */
const firstRun = (point: Json, change: Json) => ({
  ...point,
  runs: [{ ...point.runs[0], ...change }, point.runs[1]],
});

/** Edits of a point file by hand: not one may be reused, nor fail inside. */
const EDITS: [string, (point: Json) => unknown][] = [
  ['null', () => null],
  ['the key of another point', (p) => ({ ...p, key: '0'.repeat(32) })],
  ['one run of two', (p) => ({ ...p, runs: p.runs.slice(0, 1) })],
  ['a null run', (p) => ({ ...p, runs: [p.runs[0], null] })],
  ['a figure as text', (p) => firstRun(p, { metrics: { ...p.runs[0].metrics, 'latency_s.p99': '0.5' } })],
  ['no figures', (p) => firstRun(p, { metrics: {} })],
  ['warnings null', (p) => firstRun(p, { warnings: null })],
  ['a null warning', (p) => firstRun(p, { warnings: [null] })],
  ['a fleet of no source', (p) => firstRun(p, { performance: { gpu: null } })],
  ['a null draw', (p) => firstRun(p, { model: { gpu: null } })],
  [
    'a source no output names (its caveat and source swapped)',
    (p) => {
      const [fleet, performance] = Object.entries(p.runs[0].performance)[0] as [string, Json];
      const swapped = { ...performance, source: 'the caveat', caveat: performance.source };
      return firstRun(p, { performance: { [fleet]: swapped } });
    },
  ],
];

describe.each([
  ['sweep', ['--replications', '2'], 'sweep.json', /2 row\(s\): 2 run now, 0 reused/],
  [
    'plan',
    ['--replications', '2', '--no-capacity'],
    'plan.json',
    /(\d+) configuration\(s\): \1 run now, 0 reused/,
  ],
])('%s resumed with point files edited by hand', (command, flags, output, recomputed) => {
  let dir: string;
  let clean: string;
  let points: Map<string, string>;
  let count = 0;
  const args = (out: string) => [command, 'scenario.yaml', '--out', out, '--workers', '1', ...flags];
  beforeAll(async () => {
    dir = tempDir(`tampered-${command}`);
    writeScenario(dir, REPLAY_SWEEP);
    const trace = readFileSync(
      resolve(import.meta.dirname, '../fixtures/traces/vidur-splitwise-conv-200.csv'),
      'utf8',
    );
    writeFileSync(join(dir, 'trace.csv'), `${trace.split('\n').slice(0, 61).join('\n')}\n`);
    const first = await cli(args('out'), dir);
    expect(first.code, first.stderr).toBe(0);
    clean = readFileSync(join(dir, 'out', output), 'utf8');
    const folder = join(dir, 'out', 'points');
    points = new Map(readdirSync(folder).map((f) => [f, readFileSync(join(folder, f), 'utf8')]));
  });

  it.each(EDITS)(
    'computes every point again for %s, writes its file whole, and ends as a clean run',
    async (_, edit) => {
      const out = `out-${count++}`;
      cpSync(join(dir, 'out'), join(dir, out), { recursive: true });
      for (const [file, text] of points)
        writeFileSync(join(dir, out, 'points', file), JSON.stringify(edit(JSON.parse(text))));
      const { code, stderr } = await cli(args(out), dir);
      expect(code, stderr).toBe(0);
      expect(stderr).toMatch(recomputed);
      expect(readFileSync(join(dir, out, output), 'utf8')).toBe(clean);
      for (const [file, text] of points)
        expect(readFileSync(join(dir, out, 'points', file), 'utf8')).toBe(text);
    },
  );
});
