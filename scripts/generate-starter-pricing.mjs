// Writes pricing/aws.yaml and pricing/gcp.yaml from the shared pricing snapshots
// (/work/shared/data/pricing, see its README). The YAML files are the source of truth once
// written; this script only saves copying numbers by hand. Usage:
//   node scripts/generate-starter-pricing.mjs [/path/to/shared/data/pricing]
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'yaml';

const dataDir = process.argv[2] ?? '/work/shared/data/pricing';
const AWS_FILE = 'aws_gpu_ml_instance_prices_vantage_2026-01-21.csv';
const GCP_FILE = 'gcp_compute_instance_prices_2026-07-30.csv';
// Per-second billing with a one-minute minimum: EC2 Linux and Compute Engine both bill this way.
const BILLING = { increment: '1s', minimum: '60s' };
const HOURS_PER_MONTH = 730; // the GCP source's month (data/README.md)

/** Rows keyed "type/region", each with its 1-based line number in the file (header = line 1). */
function readRows(file) {
  const rows = parse(readFileSync(join(dataDir, file), 'utf8'), { columns: true, info: true });
  return new Map(
    rows.map(({ record, info }) => [
      `${record.instance_type}/${record.region}`,
      { ...record, line: info.lines },
    ]),
  );
}

function sourceOf(file, origin, lines) {
  return `${file} ${lines.map(([region, line]) => `line ${line} (${region})`).join(', ')}; ${origin}`;
}

function build(file, origin, asOf, types, regions, entryOf, pricesOf) {
  const rows = readRows(file);
  const instances = {};
  for (const [type, accelerators] of types) {
    const found = regions.map((region) => [region, rows.get(`${type}/${region}`)]).filter(([, row]) => row);
    if (found.length === 0) throw new Error(`${type}: no rows in ${file}`);
    instances[type] = {
      ...entryOf(found[0][1]),
      ...(accelerators ? { accelerators } : {}),
      billing: BILLING,
      prices: Object.fromEntries(found.map(([region, row]) => [region, pricesOf(row)])),
      source: sourceOf(
        file,
        origin,
        found.map(([region, row]) => [region, row.line]),
      ),
      as_of: asOf,
    };
  }
  return instances;
}

const number = (text) => (text === '' ? undefined : Number(text));
// Nine decimals (a billionth of a dollar per hour) keeps the YAML readable: 0.56523717, not 0.5652371700000001.
const perHour = (usdPerMonth) => Number((Number(usdPerMonth) / HOURS_PER_MONTH).toFixed(9));
const defined = (object) =>
  Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined));

const aws = build(
  AWS_FILE,
  'tsaol/aws-gpu data/all_gpu_instances.js @ 77fcd9f (from instances.vantage.sh); reserved_1y = 1-year standard, no upfront',
  '2026-01-21',
  [
    ['g4dn.xlarge', { model: 't4', count: 1, memory_gib: 16 }],
    ['g5.xlarge', { model: 'a10g', count: 1, memory_gib: 24 }],
    ['g5.2xlarge', { model: 'a10g', count: 1, memory_gib: 24 }],
    ['g6.xlarge', { model: 'l4', count: 1, memory_gib: 24 }],
    ['g6e.xlarge', { model: 'l40s', count: 1, memory_gib: 48 }],
    ['p4d.24xlarge', { model: 'a100-40gb', count: 8, memory_gib: 40 }],
    ['p5.48xlarge', { model: 'h100-80gb', count: 8, memory_gib: 80 }],
    ['inf2.xlarge', { model: 'inferentia2', count: 1, memory_gib: 32 }],
  ],
  ['us-east-1', 'us-west-2', 'eu-west-1'],
  (row) => ({ vcpus: Number(row.vcpus), memory_gib: Number.parseFloat(row.memory) }),
  (row) =>
    defined({
      on_demand: number(row.usd_per_hour_ondemand_linux),
      reserved_1y: number(row.usd_per_hour_reserved_1y_std_noupfront_linux),
    }),
);

const gcp = build(
  GCP_FILE,
  'Cyclenerd/google-cloud-pricing-cost-calculator pricing.yml @ fd66b26; reserved_1y/3y = committed-use discount per month / 730',
  '2026-07-30',
  [
    ['g2-standard-8', { model: 'l4', count: 1, memory_gib: 24 }],
    ['a2-highgpu-1g', { model: 'a100-40gb', count: 1, memory_gib: 40 }],
    ['a3-highgpu-8g', { model: 'h100-80gb', count: 8, memory_gib: 80 }],
    ['n2-standard-8', undefined],
    ['c3-standard-8', undefined],
  ],
  ['us-central1', 'us-east1', 'europe-west4'],
  (row) => ({ vcpus: Number(row.vcpus), memory_gib: Number(row.memory_gib) }),
  (row) =>
    defined({
      on_demand: number(row.usd_per_hour_ondemand),
      spot: number(row.usd_per_hour_spot),
      reserved_1y: perHour(row.usd_per_month_cud_1y),
      reserved_3y: perHour(row.usd_per_month_cud_3y),
    }),
);

const header = (provider) =>
  `# ${provider} instance prices in USD per hour, Linux. Generated once by scripts/generate-starter-pricing.mjs;\n` +
  '# this file is the source of truth from then on (edit it, cite the source). See pricing/README.md.\n';
for (const [provider, instances] of [
  ['aws', aws],
  ['gcp', gcp],
]) {
  writeFileSync(
    `pricing/${provider}.yaml`,
    header(provider) + stringify({ instances }, { lineWidth: 0, aliasDuplicateObjects: false }),
  );
}
