import { execFileSync } from 'node:child_process';
import { mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import {
  daysBetween,
  findInstance,
  MAX_CATALOG_BYTES,
  resolveInstance,
  STALE_PRICE_DAYS,
  stalePrice,
  withUserCatalogs,
} from './index.js';

function file(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'fleetsim-user-catalog-')), 'prices.yaml');
  writeFileSync(path, text);
  return path;
}

const NEGOTIATED = `instances:
  aws/p5.48xlarge:
    prices:
      us-east-1: { reserved_1y: 30.5 }
      ap-south-2: { on_demand: 70 }
    sources:
      reserved_1y: { source: our 2026 agreement, as_of: 2026-11-02 }
      on_demand: { source: quote for ap-south-2, as_of: 2026-10-01 }
  lab/h100-box:
    vcpus: 32
    accelerators: { model: h100-80gb, count: 1 }
    billing: { increment: 1s, minimum: 0s }
    prices: { onprem: { on_demand: 2.1 } }
    sources: { on_demand: { source: amortized purchase, as_of: 2026-09-30 } }
`;

describe('user catalog files', () => {
  it('replace one price of one region, add regions and instances, and keep every other price', () => {
    const loaded = withUserCatalogs([file(NEGOTIATED)]);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    const { catalog } = loaded;
    expect(resolveInstance('aws/p5.48xlarge', { market: 'reserved', catalog })).toMatchObject({
      ok: true,
      priceUsdPerHour: 30.5,
      priceSource: { source: 'our 2026 agreement', asOf: '2026-11-02' },
    });
    // The shipped on-demand and spot prices of us-east-1 stay, with their own citations.
    expect(resolveInstance('aws/p5.48xlarge', { catalog })).toMatchObject({
      priceUsdPerHour: 55.04,
      priceSource: { asOf: '2026-01-21' },
    });
    expect(resolveInstance('aws/p5.48xlarge', { market: 'spot', catalog })).toMatchObject({ ok: true });
    expect(resolveInstance('aws/p5.48xlarge', { region: 'ap-south-2', catalog })).toMatchObject({
      priceUsdPerHour: 70,
      accelerators: { model: 'h100-80gb', count: 8 },
    });
    expect(resolveInstance('lab/h100-box', { region: 'onprem', catalog })).toMatchObject({
      ok: true,
      priceUsdPerHour: 2.1,
      vcpus: 32,
      billing: { increment: 1, minimum: 0 },
    });
    // The shipped catalog itself is untouched.
    expect(resolveInstance('aws/p5.48xlarge', { market: 'reserved' })).toMatchObject({ ok: false });
    expect(findInstance('lab/h100-box').ok).toBe(false);
    expect(catalog.files).toHaveLength(1);
  });

  it('a new provider needs the region named, and unknown keys keep suggesting the closest', () => {
    const loaded = withUserCatalogs([file(NEGOTIATED)]);
    if (!loaded.ok) throw new Error('load failed');
    expect(resolveInstance('lab/h100-box', { catalog: loaded.catalog })).toEqual({
      ok: false,
      message: 'instance "lab/h100-box" needs a region; regions: onprem',
    });
    expect(resolveInstance('lab/h100-bx', { catalog: loaded.catalog })).toMatchObject({
      message: expect.stringMatching(/^unknown instance "lab\/h100-bx"; closest: lab\/h100-box, /),
    });
  });

  it('reports each mistake at its line and column', () => {
    const path = file(
      [
        'instances:', // 1
        '  aws/p5.48xlarge:', // 2
        '    vcpus: 8', // 3
        '    prices: { us-east-1: { on_demand: 1 } }', // 4
        '  aws/g5.xlarge:', // 5
        '    prices:', // 6
        '      us-east-1: { spot: 5 }', // 7
        '    sources: { spot: { source: mine, as_of: 2026-13-01 } }', // 8
        '  lab/box:', // 9
        '    billing: { increment: 1s, minimum: 0s }', // 10
        '    prices: { here: { on_demand: -1 } }', // 11
        '    sources: { on_demand: { source: x, as_of: 2026-01-01 } }', // 12
        '  NoProvider:', // 13
        '    prices: {}', // 14
        '  lab/other:', // 15
        '    prices: { here: { on_demand: 1 } }', // 16
        '    sources: { on_demand: { source: x } }', // 17
      ].join('\n'),
    );
    const loaded = withUserCatalogs([path]);
    expect(loaded.ok).toBe(false);
    if (loaded.ok) return;
    const where = loaded.errors.map((e) => `${e.line}:${e.col} ${e.message}`);
    expect(where).toEqual([
      '3:5 instances["aws/p5.48xlarge"].vcpus: aws/p5.48xlarge is in the catalog already: give only its prices and sources (its hardware and billing stay)',
      '8:45 instances["aws/g5.xlarge"].sources.spot.as_of: expected a date that exists',
      '11:34 instances["lab/box"].prices.here.on_demand: expected a price above 0 USD per hour',
      '13:3 instances.NoProvider: expected provider/type with a lower-case provider, e.g. aws/p5.48xlarge or lab/h100-box',
      // Said as a scenario says it, not as zod's "Invalid input: expected object, received undefined".
      '16:5 instances["lab/other"].billing: missing required key',
      '17:27 instances["lab/other"].sources.on_demand.as_of: missing required key',
    ]);
    expect(loaded.errors.every((e) => e.file === path)).toBe(true);
  });

  it('refuses a mapping as a key at its line and column, without a process warning', () => {
    const warn = vi.spyOn(process, 'emitWarning');
    try {
      const loaded = withUserCatalogs([file('instances:\n  { aws: 1 }: { prices: {} }\n')]);
      expect(loaded.ok ? [] : loaded.errors.map((e) => `${e.line}:${e.col} ${e.message}`)).toEqual([
        '2:3 a key must be a name or a number, not a mapping or a list',
      ]);
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });

  it('refuses spot above on-demand, a new region without on-demand, and a missing file', () => {
    const loaded = withUserCatalogs([
      file(
        'instances:\n  aws/g5.xlarge:\n    prices:\n      us-east-1: { spot: 5 }\n      mars-1: { spot: 0.1 }\n' +
          '    sources: { spot: { source: mine, as_of: 2026-11-01 } }\n',
      ),
      '/nonexistent/prices.yaml',
    ]);
    expect(loaded.ok).toBe(false);
    if (loaded.ok) return;
    expect(loaded.errors.map((e) => `${e.code} ${e.line}:${e.col} ${e.message}`)).toEqual([
      'INVALID_VALUE 4:26 instances["aws/g5.xlarge"].prices.us-east-1.spot: spot 5 is above on_demand 1.006',
      'INVALID_VALUE 5:15 instances["aws/g5.xlarge"].prices.mars-1: aws/g5.xlarge has no price in region "mars-1": a new region needs on_demand',
      'MISSING_FILE 1:1 catalog file not found: /nonexistent/prices.yaml',
    ]);
  });

  it('refuses hostile files with one located line: a device, a folder or a pipe, an oversized file, nested aliases, a repeated key, a price past any machine', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetsim-user-catalog-hostile-'));
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const huge = join(dir, 'huge.yaml');
    writeFileSync(huge, '');
    // Sparse: the size is all that is read before the file is refused.
    truncateSync(huge, MAX_CATALOG_BYTES + 1);
    const laughs = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (const [name, previous] of [
      ['b', 'a'],
      ['c', 'b'],
      ['d', 'c'],
      ['e', 'd'],
    ]) {
      laughs.push(`${name}: &${name} [${Array(10).fill(`*${previous}`).join(', ')}]`);
    }
    const cases: [string, string][] = [
      ['/dev/zero', 'MISSING_FILE 1:1 the catalog file /dev/zero is not a file'],
      [dir, `MISSING_FILE 1:1 the catalog file ${dir} is not a file`],
      [fifo, `MISSING_FILE 1:1 the catalog file ${fifo} is not a file`],
      [huge, 'INVALID_VALUE 1:1 the catalog file is 1.0 MB; at most 1 MB (some 4,000 instance types)'],
      [
        file(`${laughs.join('\n')}\ninstances: {}\n`),
        'YAML_SYNTAX 2:8 aliases expand to more than 100 copies; write the values out instead of nesting aliases',
      ],
      [
        // The repeat inside the earlier entry comes first, as the yaml package's own check had it.
        file('instances:\n  lab/a: { vcpus: 1 }\n  lab/b:\n    prices: { x: 1, y: 2, x: 3 }\n  lab/a: 2\n'),
        'YAML_SYNTAX 4:27 Map keys must be unique',
      ],
      [
        file(
          'instances:\n  lab/box:\n    vcpus: 4\n    billing: { increment: 1s, minimum: 0s }\n' +
            '    prices: { onprem: { on_demand: 1e308 } }\n    sources: { on_demand: { source: x, as_of: 2026-09-30 } }\n',
        ),
        'INVALID_VALUE 5:36 instances["lab/box"].prices.onprem.on_demand: expected a price of at most 1,000,000 USD per hour',
      ],
    ];
    for (const [path, expected] of cases) {
      const loaded = withUserCatalogs([path]);
      expect(loaded.ok ? [] : loaded.errors.map((e) => `${e.code} ${e.line}:${e.col} ${e.message}`)).toEqual([
        expected,
      ]);
    }
  });
});

describe('price ages', () => {
  it('counts calendar days and flags prices past the threshold', () => {
    expect(daysBetween('2026-01-21', '2026-12-06')).toBe(319);
    expect(daysBetween('2024-02-28', '2024-03-01')).toBe(2); // leap year
    expect(daysBetween('2026-12-06', '2026-01-21')).toBe(-319);
    const price = { source: 's', asOf: '2026-01-21' };
    expect(stalePrice(price, '2026-07-20')).toBeNull(); // 180 days: at the threshold, not past it
    expect(stalePrice(price, '2026-07-21')).toEqual({
      asOf: '2026-01-21',
      reference: '2026-07-21',
      ageDays: 181,
      maxAgeDays: STALE_PRICE_DAYS,
      source: 's',
    });
  });
});
