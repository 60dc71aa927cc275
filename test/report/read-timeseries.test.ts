import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { afterAll, describe, expect, it } from 'vitest';
import { readRunOutputs } from '../../src/report/index.js';
import { TIMESERIES_COLUMNS } from '../../src/report/timeseries-csv.js';

const GOLDEN = fileURLToPath(new URL('../golden/outputs/', import.meta.url));

/**
 * The plain reading of timeseries.csv, slow for thousands of fleets but plainly right: a record per
 * row keyed by column, its keys sifted for each per-fleet prefix.
 */
function keyedReading(text: string): Map<string, unknown[]> {
  const records: Record<string, string>[] = parse(text, { columns: true });
  const byVariant = new Map<string, unknown[]>();
  for (const record of records) {
    const byFleet = (prefix: string) =>
      Object.fromEntries(
        Object.keys(record)
          .filter((c) => c.startsWith(prefix))
          .map((c) => [c.slice(prefix.length), Number(record[c])]),
      );
    const replicas = byFleet('replicas.');
    const row = {
      ...Object.fromEntries(TIMESERIES_COLUMNS.map((c) => [c, Number(record[c])])),
      busy_slots_by_fleet: byFleet('busy_slots.'),
      ...(Object.keys(replicas).length > 0 && {
        replicas_by_fleet: replicas,
        cost_usd_per_hour_by_fleet: byFleet('cost_usd_per_hour.'),
      }),
    };
    byVariant.set(record.variant, [...(byVariant.get(record.variant) ?? []), row]);
  }
  return byVariant;
}

const dir = mkdtempSync(join(tmpdir(), 'fleetsim-read-timeseries-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A run folder of the golden outputs of `name`, its timeseries.csv edited by `edit`. */
function runFolder(name: string, edit: (text: string) => string = (text) => text): string {
  const folder = mkdtempSync(join(dir, `${name}-`));
  for (const file of ['summary.json', 'capacity-events.json'])
    copyFileSync(join(GOLDEN, name, file), join(folder, file));
  const text = readFileSync(join(GOLDEN, name, 'timeseries.csv'), 'utf8');
  writeFileSync(join(folder, 'timeseries.csv'), edit(text));
  const summary = JSON.parse(readFileSync(join(folder, 'summary.json'), 'utf8')) as {
    variants: { name: string }[];
  };
  const variants = summary.variants.map((v) => ({ name: v.name }));
  writeFileSync(join(folder, 'distributions.json'), JSON.stringify({ variants }));
  return folder;
}

function readBack(folder: string): Map<string, unknown[]> {
  return new Map(readRunOutputs(folder).results.map((r) => [r.name, r.timeseries]));
}

describe('timeseries.csv read back', () => {
  it.each(readdirSync(GOLDEN))('%s: the rows of a keyed reading of every column', (name) => {
    const folder = runFolder(name);
    expect(readBack(folder)).toEqual(keyedReading(readFileSync(join(folder, 'timeseries.csv'), 'utf8')));
  });

  it('a folder from before the per-fleet replicas and costs, and a column repeated, read as keyed', () => {
    // The demo's one fleet: its busy slots kept, its replicas renamed busy slots, its cost dropped.
    const older = (text: string) =>
      text
        .split('\n')
        .map((line, index) =>
          index === 0
            ? line.replace(/,replicas\.gpu,cost_usd_per_hour\.gpu$/, ',busy_slots.gpu')
            : line.replace(/,[^,]*$/, ''),
        )
        .join('\n');
    const folder = runFolder('scenarios_demo', older);
    const text = readFileSync(join(folder, 'timeseries.csv'), 'utf8');
    expect(text.split('\n', 1)[0]).toBe(
      'variant,time_s,arrivals,completed,dropped,timed_out,queue_length,busy_slots,utilization,replicas,cost_usd_per_hour,busy_slots.gpu,busy_slots.gpu',
    );
    const rows = readBack(folder);
    expect(rows).toEqual(keyedReading(text));
    // The repeated column reads as its last field: the two replicas of the first row.
    expect(rows.get('baseline')?.[0]).toMatchObject({ busy_slots_by_fleet: { gpu: 2 } });
    expect(rows.get('baseline')?.[0]).not.toHaveProperty('replicas_by_fleet');
  });

  it('names the line of a row with more or fewer fields than the header, as csv-parse does', () => {
    const folder = runFolder('scenarios_demo', (text) =>
      text.replace(/\n(baseline,60,[^\n]*),[^,\n]*\n/, '\n$1\n'),
    );
    expect(() => readRunOutputs(folder)).toThrow(
      `${join(folder, 'timeseries.csv')}: Invalid Record Length: columns length is 14, got 13 on line 3`,
    );
    const keyed = () => keyedReading(readFileSync(join(folder, 'timeseries.csv'), 'utf8'));
    expect(keyed).toThrow('Invalid Record Length: columns length is 14, got 13 on line 3');
  });
});
