import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import {
  catalogImportCommand,
  catalogListCommand,
  catalogShowCommand,
} from '../../src/cli/commands/catalog.js';
import { type CliIo, UsageError } from '../../src/cli/io.js';
import { todayUtc } from '../../src/hardware/index.js';
import { cli } from '../helpers/cli.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function fakeIo() {
  const out = { stdout: '', stderr: '' };
  const io: CliIo = { stdout: (t) => (out.stdout += t), stderr: (t) => (out.stderr += t), cwd: '/' };
  return { io, out };
}

describe('fleetsim catalog list', () => {
  it('lists one accelerator cheapest first in the default region, with every market', () => {
    const { io, out } = fakeIo();
    expect(catalogListCommand({ accelerator: 'l4', asOf: '2026-12-06', json: false }, io)).toBe(0);
    const lines = out.stdout.trim().split('\n');
    expect(lines[0]).toMatch(
      /^instance\s+vCPUs\s+memory\s+accelerators\s+region\s+on-demand\/h\s+spot\/h\s+reserved 1y\/h\s+reserved 3y\/h\s+price date\s+age \(days\)$/,
    );
    // gcp csv: g2-standard-4 0.706832255 < aws g6.xlarge 0.8048 < g2-standard-8 0.853624271 ... by price
    const keys = lines.slice(2, -1).map((line) => line.split(/\s+/)[0]);
    expect(keys).toEqual([
      'gcp/g2-standard-4',
      'aws/g6.xlarge',
      'gcp/g2-standard-8',
      'gcp/g2-standard-24',
      'gcp/g2-standard-48',
      'aws/g6.12xlarge',
      'aws/g6.48xlarge',
    ]);
    expect(lines[2]).toContain('$0.7068');
    // The on-demand prices' dates: GCP's snapshot of 2026-07-30 is 129 days old on 2026-12-06,
    // the AWS one of 2026-01-21 319 days.
    expect(lines[2]).toMatch(/2026-07-30\s+129$/);
    expect(lines[3]).toMatch(/2026-01-21\s+319$/);
    expect(lines.at(-1)).toBe('ages are counted to 2026-12-06');
  });

  it('matches flag values without regard to case', () => {
    const upper = fakeIo();
    const lower = fakeIo();
    catalogListCommand(
      {
        provider: 'AWS',
        accelerator: 'H100-80GB',
        market: 'On-Demand',
        region: 'US-WEST-2',
        asOf: '2026-12-06',
        json: true,
      },
      upper.io,
    );
    catalogListCommand(
      {
        provider: 'aws',
        accelerator: 'h100-80gb',
        market: 'on-demand',
        region: 'us-west-2',
        asOf: '2026-12-06',
        json: true,
      },
      lower.io,
    );
    expect(upper.out.stdout).toBe(lower.out.stdout);
    const rows = JSON.parse(lower.out.stdout) as { key: string; region: string }[];
    expect(rows.map((row) => row.key)).toEqual(['aws/p5.4xlarge', 'aws/p5.48xlarge']);
    expect(rows.every((row) => row.region === 'us-west-2')).toBe(true);
  });

  it('filters by provider, market and price and prints JSON', () => {
    const { io, out } = fakeIo();
    catalogListCommand(
      { provider: 'gcp', market: 'spot', maxPrice: 1, region: 'us-central1', json: true },
      io,
    );
    const rows = JSON.parse(out.stdout) as { key: string; usd_per_hour: { spot: number } }[];
    expect(rows.every((row) => row.key.startsWith('gcp/') && row.usd_per_hour.spot <= 1)).toBe(true);
    expect(rows.find((row) => row.key === 'gcp/tpu-v5e-1')?.usd_per_hour.spot).toBe(0.408);
    const spots = rows.map((row) => row.usd_per_hour.spot);
    expect(spots).toEqual([...spots].sort((a, b) => a - b));
  });

  it('rejects unknown flag values with the closest ones', () => {
    const { io } = fakeIo();
    expect(() => catalogListCommand({ accelerator: 'h100', json: false }, io)).toThrow(
      new UsageError(
        '--accelerator "h100" is not one of t4, a10g, l4, l40s, a100-40gb, a100-80gb, h100-80gb, h100-pcie, h100-nvl, h200-141gb, b200, rtx-pro-6000, mi300x, gaudi3, inferentia2, trainium, tpu-v5e, tpu-v5p, tpu-v6e, jetson-agx-orin-64gb, jetson-orin-nano-8gb, rtx-6000-ada, rtx-3090-ti, rtx-4090, rtx-4080, rtx-4070-ti-super, rtx-5090, rtx-5080, rtx-5070-ti; closest: h100-80gb, h100-pcie, h100-nvl',
      ),
    );
    expect(() => catalogListCommand({ market: 'spott', json: false }, io)).toThrow(
      /--market "spott" is not one of on-demand, spot, reserved, reserved-3y; closest: spot/,
    );
    expect(() => catalogListCommand({ maxPrice: -1, json: false }, io)).toThrow(UsageError);
  });
});

describe('fleetsim catalog show', () => {
  it('prints every region, price and source of an instance', () => {
    const { io, out } = fakeIo();
    expect(catalogShowCommand({ instance: 'aws/p5.48xlarge', json: false }, io)).toBe(0);
    expect(out.stdout).toMatch(/accelerators {2}8 x h100-80gb \(80 GiB each\)/);
    expect(out.stdout).toMatch(/us-east-1\s+\$55\.04\s+\$26\.42\s+-\s+-/);
    expect(out.stdout).toContain(
      'on_demand (as of 2026-01-21): aws_gpu_ml_instance_prices_vantage_2026-01-21.csv (vantage-csv) column usd_per_hour_ondemand_linux, rows p5.48xlarge in us-east-1, us-east-2, us-west-2\n',
    );
    expect(out.stdout).toContain('spot (as of 2025-06-28): aws_spot_advisor_data_2025-06-28.json');
  });

  it('prints JSON with the owned-hardware inputs of an edge device', () => {
    const { io, out } = fakeIo();
    catalogShowCommand({ instance: 'edge/jetson-orin-nano-super-devkit', json: true }, io);
    const shown = JSON.parse(out.stdout);
    expect(shown.owned).toEqual({ purchaseUsd: 249, lifetimeYears: 3, powerWatts: 25, usdPerKwh: 0 });
    expect(shown.usd_per_hour.us.on_demand).toBeCloseTo(249 / 26280 + 0.025 * 0.1545, 12);
  });

  it('suggests the closest instances for an unknown one', () => {
    const { io } = fakeIo();
    expect(() => catalogShowCommand({ instance: 'aws/p5.48xlarg', json: false }, io)).toThrow(
      new UsageError(
        'unknown instance "aws/p5.48xlarg"; closest: aws/p5.48xlarge, aws/g5.48xlarge, aws/p5.4xlarge',
      ),
    );
  });
});

describe('fleetsim catalog with user catalog files and import', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleetsim-catalog-cli-'));
  const prices = join(dir, 'prices.yaml');
  writeFileSync(
    prices,
    'instances:\n  aws/p5.4xlarge:\n    prices: { us-east-1: { reserved_1y: 4.1 } }\n' +
      '    sources: { reserved_1y: { source: our quote, as_of: 2026-11-30 } }\n',
  );

  it('shows the user price beside the shipped ones, each with its source, and lists it', () => {
    const { io, out } = fakeIo();
    catalogShowCommand({ instance: 'aws/p5.4xlarge', json: false, catalog: [prices] }, io);
    expect(out.stdout).toMatch(/us-east-1\s+\$6\.88\s+-\s+\$4\.10\s+-/);
    expect(out.stdout).toContain('reserved_1y [us-east-1] (as of 2026-11-30): our quote\n');
    const listed = fakeIo();
    catalogListCommand(
      {
        provider: 'aws',
        accelerator: 'h100-80gb',
        market: 'reserved',
        catalog: [prices],
        asOf: '2026-12-06',
        json: true,
      },
      listed.io,
    );
    expect(JSON.parse(listed.out.stdout)).toMatchObject([
      { key: 'aws/p5.4xlarge', usd_per_hour: { reserved_1y: 4.1 }, price_as_of: '2026-11-30', age_days: 6 },
    ]);
  });

  it('imports a price list into a new file, and refuses to replace a file without --force', () => {
    const out = join(dir, 'mine.yaml');
    const list = join(dir, 'azure_2026-11-30.json');
    writeFileSync(
      list,
      JSON.stringify({
        Items: [
          {
            currencyCode: 'USD',
            serviceName: 'Virtual Machines',
            type: 'Consumption',
            armRegionName: 'westus3',
            armSkuName: 'Standard_NC40ads_H100_v5',
            skuName: 'NC40ads H100 v5',
            productName: 'NCadsH100v5 Series',
            unitOfMeasure: '1 Hour',
            retailPrice: 6.98,
          },
        ],
      }),
    );
    const args = {
      from: [`azure-retail-json=${list}`],
      base: join(ROOT, 'pricing/azure.yaml'),
      out,
      force: false,
      quiet: true,
    };
    const first = fakeIo();
    expect(catalogImportCommand(args, first.io)).toBe(0);
    const written = readFileSync(out, 'utf8');
    // Only the one type the list prices is re-priced; the rest of the file is kept as it was.
    expect(written).toContain(
      'azure_2026-11-30.json (azure-retail-json) Consumption (pay-as-you-go), rows Standard_NC40ads_H100_v5 in westus3',
    );
    expect(written).toContain('Standard_NC24ads_A100_v4');
    expect(() => catalogImportCommand(args, fakeIo().io)).toThrow(/exists; pass --force to replace it/);
    expect(readFileSync(out, 'utf8')).toBe(written);
    expect(() => catalogImportCommand({ ...args, from: ['nope=x.json'], force: true }, fakeIo().io)).toThrow(
      UsageError,
    );
  });
});

describe('catalog list ages prices only from days that exist and have come', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleetsim-catalog-dates-'));
  const FLAGS = ['--provider', 'aws', '--accelerator', 'h100-80gb', '--region', 'us-east-1'];
  writeFileSync(
    join(dir, 'lab.yaml'),
    [
      'instances:',
      '  lab/h100-box:',
      '    billing: { increment: 1s, minimum: 0s }',
      '    prices: { onprem: { on_demand: 2.1 } }',
      '    sources: { on_demand: { source: amortized purchase, as_of: 9999-12-31 } }',
      '',
    ].join('\n'),
  );
  const list = (...args: string[]) => cli(['catalog', 'list', ...args], dir);

  it('refuses an --as-of that the calendar does not have, which Date would roll over into March', async () => {
    expect(await list('--as-of', '2026-02-30')).toEqual({
      code: 2,
      stdout: '',
      stderr: 'fleetsim: --as-of: expected a date that exists, got "2026-02-30"\n',
    });
    expect((await list('--as-of', '2026-13-01')).stderr).toBe(
      'fleetsim: --as-of: expected a date that exists, got "2026-13-01"\n',
    );
    expect((await list('--as-of', '2028-02-29', ...FLAGS)).code).toBe(0);
  });

  it("refuses a user catalog's price dated after the day ages are counted to, at its as_of", async () => {
    expect(await list('--catalog', 'lab.yaml', '--region', 'onprem')).toEqual({
      code: 2,
      stdout: '',
      stderr: `lab.yaml:5:64: instances["lab/h100-box"].sources.on_demand.as_of: 9999-12-31 is after today, ${todayUtc()} (UTC), the day ages are counted to\n`,
    });
    writeFileSync(
      join(dir, 'quote.yaml'),
      readFileSync(join(dir, 'lab.yaml'), 'utf8').replace('9999-12-31', '2026-11-30'),
    );
    expect(
      await list('--catalog', 'quote.yaml', '--region', 'onprem', '--as-of', '2026-11-29', '--json'),
    ).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'quote.yaml:5:64: instances["lab/h100-box"].sources.on_demand.as_of: 2026-11-30 is after --as-of 2026-11-29, the day ages are counted to\n',
    });
    const listed = await list(
      '--catalog',
      'quote.yaml',
      '--region',
      'onprem',
      '--as-of',
      '2026-11-30',
      '--json',
    );
    expect(JSON.parse(listed.stdout)).toMatchObject([{ key: 'lab/h100-box', age_days: 0 }]);
  });

  it('refuses an --as-of before the date of a shipped price it would list', async () => {
    expect(await list(...FLAGS, '--as-of', '2026-01-20')).toEqual({
      code: 2,
      stdout: '',
      stderr:
        "fleetsim: --as-of: 2026-01-20 is before 2026-01-21, the date of the on-demand price of aws/p5.48xlarge in us-east-1: ages are counted from a price's date, so give 2026-01-21 or a later day\n",
    });
    expect((await list(...FLAGS, '--as-of', '2026-01-21')).stdout).toMatch(/2026-01-21\s+0\n/);
  });

  it('says when the clock is behind the date of a shipped price, and how to go on', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(new Date('2026-01-20T12:00:00Z'));
      const { io } = fakeIo();
      expect(() =>
        catalogListCommand(
          { provider: 'aws', accelerator: 'h100-80gb', region: 'us-east-1', json: false },
          io,
        ),
      ).toThrow(
        new UsageError(
          "today, 2026-01-20 (UTC), is before 2026-01-21, the date of the on-demand price of aws/p5.48xlarge in us-east-1: ages are counted from a price's date, so give --as-of 2026-01-21 or a later day",
        ),
      );
    } finally {
      vi.useRealTimers();
    }
  });
});
