// Writes pricing/aws.yaml and pricing/gcp.yaml from the shared pricing snapshots
// (/work/shared/data/pricing, see its README). azure.yaml and edge.yaml cite web pages and are
// written by hand. Rerun after adding a type here; review the diff before keeping it. Usage:
//   node scripts/generate-pricing.mjs [/path/to/shared/data/pricing]
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'yaml';

const dataDir = process.argv[2] ?? '/work/shared/data/pricing';
const AWS_FILE = 'aws_gpu_ml_instance_prices_vantage_2026-01-21.csv';
const AWS_SPOT_FILE = 'aws_spot_advisor_data_2025-06-28.json';
const GCP_FILE = 'gcp_compute_instance_prices_2026-07-30.csv';
const TPU_FILE = 'gcp_tpu_prices_skypilot_catalog_v6_subset.csv';
// Per-second billing with a one-minute minimum: EC2 Linux, Compute Engine VMs and Cloud TPU VMs bill this way.
const BILLING = { increment: '1s', minimum: '60s' };
const HOURS_PER_MONTH = 730; // the GCP source's month (data/README.md)
const AWS_REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1'];
const GCP_REGIONS = ['us-central1', 'us-east1', 'europe-west4'];

/** Rows of a CSV, each with its 1-based line number in the file (header = line 1). */
function readRows(file) {
  const rows = parse(readFileSync(join(dataDir, file), 'utf8'), { columns: true, info: true });
  return rows.map(({ record, info }) => ({ ...record, line: info.lines }));
}

function byTypeAndRegion(rows, typeColumn, regionColumn) {
  const map = new Map();
  // First row wins: the TPU file lists one row per zone, with one price per region.
  for (const row of rows) {
    const key = `${row[typeColumn]}/${row[regionColumn]}`;
    if (!map.has(key)) map.set(key, row);
  }
  return map;
}

const lines = (file, found) =>
  `${file} ${found.map(([region, row]) => `line ${row.line} (${region})`).join(', ')}`;
const number = (text) => (text === '' || text === undefined ? undefined : Number(text));
// Nine decimals (a billionth of a dollar per hour) keeps the YAML readable: 0.56523717, not 0.5652371700000001.
const round9 = (value) => Number(value.toFixed(9));
const defined = (object) =>
  Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined));

function instance(base, accelerators, prices, sources) {
  return defined({
    ...base,
    accelerators,
    billing: BILLING,
    prices,
    sources: defined(sources),
  });
}

// ---------------------------------------------------------------------------------------------- AWS
const awsRows = byTypeAndRegion(readRows(AWS_FILE), 'instance_type', 'region');
const spotAdvisor = JSON.parse(readFileSync(join(dataDir, AWS_SPOT_FILE), 'utf8')).spot_advisor;
const AWS_ORIGIN = 'tsaol/aws-gpu data/all_gpu_instances.js @ 77fcd9f (from instances.vantage.sh)';

const awsTypes = [
  ['g4dn.xlarge', { model: 't4', count: 1, memory_gib: 16 }],
  ['g4dn.12xlarge', { model: 't4', count: 4, memory_gib: 16 }],
  ['g5.xlarge', { model: 'a10g', count: 1, memory_gib: 24 }],
  ['g5.2xlarge', { model: 'a10g', count: 1, memory_gib: 24 }],
  ['g5.12xlarge', { model: 'a10g', count: 4, memory_gib: 24 }],
  ['g6.xlarge', { model: 'l4', count: 1, memory_gib: 24 }],
  ['g6.12xlarge', { model: 'l4', count: 4, memory_gib: 24 }],
  ['g6e.xlarge', { model: 'l40s', count: 1, memory_gib: 48 }],
  ['g6e.12xlarge', { model: 'l40s', count: 4, memory_gib: 48 }],
  ['p4d.24xlarge', { model: 'a100-40gb', count: 8, memory_gib: 40 }],
  ['p4de.24xlarge', { model: 'a100-80gb', count: 8, memory_gib: 80 }],
  ['p5.48xlarge', { model: 'h100-80gb', count: 8, memory_gib: 80 }],
  // p5e.48xlarge is not in the source; p5en.48xlarge carries the same 8 x H200 141 GB.
  ['p5en.48xlarge', { model: 'h200-141gb', count: 8, memory_gib: 141 }],
  ['inf2.xlarge', { model: 'inferentia2', count: 1, memory_gib: 32 }],
  ['inf2.8xlarge', { model: 'inferentia2', count: 1, memory_gib: 32 }],
  ['inf2.48xlarge', { model: 'inferentia2', count: 12, memory_gib: 32 }],
];

/** Spot = on-demand x (1 - s/100), s = the advisor's savings percentage for the type in the region. */
function awsSpot(type, region, onDemand) {
  const advice = spotAdvisor[region]?.Linux?.[type];
  return advice === undefined ? undefined : { price: round9(onDemand * (1 - advice.s / 100)), s: advice.s };
}

const aws = {};
for (const [type, accelerators] of awsTypes) {
  const found = AWS_REGIONS.map((region) => [region, awsRows.get(`${type}/${region}`)]).filter(
    ([, row]) => row,
  );
  if (found.length === 0) throw new Error(`${type}: no rows in ${AWS_FILE}`);
  const savings = [];
  const prices = Object.fromEntries(
    found.map(([region, row]) => {
      const onDemand = number(row.usd_per_hour_ondemand_linux);
      const spot = awsSpot(type, region, onDemand);
      if (spot) savings.push(`${region} s=${spot.s}`);
      return [
        region,
        defined({
          on_demand: onDemand,
          spot: spot?.price,
          reserved_1y: number(row.usd_per_hour_reserved_1y_std_noupfront_linux),
        }),
      ];
    }),
  );
  const withReserved = found.filter(([, row]) => row.usd_per_hour_reserved_1y_std_noupfront_linux !== '');
  const first = found[0][1];
  aws[type] = instance(
    { vcpus: Number(first.vcpus), memory_gib: Number.parseFloat(first.memory) },
    accelerators,
    prices,
    {
      on_demand: { source: `${lines(AWS_FILE, found)}; ${AWS_ORIGIN}`, as_of: '2026-01-21' },
      reserved_1y:
        withReserved.length > 0
          ? {
              source: `${lines(AWS_FILE, withReserved)}; ${AWS_ORIGIN}; 1-year standard reservation, no upfront`,
              as_of: '2026-01-21',
            }
          : undefined,
      spot:
        savings.length > 0
          ? {
              source: `${AWS_SPOT_FILE} spot_advisor.<region>.Linux.${type} (${savings.join(', ')}); spot = on_demand x (1 - s/100), rounded to 9 decimals`,
              as_of: '2025-06-28',
            }
          : undefined,
    },
  );
}

// CPU-only types are not in the GPU/ML snapshot: the on-demand price comes from the SkyPilot AWS
// catalog (column Price; every zone row of a region carries the same on-demand price), the size from
// the spot advisor's instance_types table, spot from its savings percentage as above.
const SKYPILOT_AWS =
  'skypilot-org/skypilot-catalog catalogs/v6/aws/vms.csv @ 9602371 (column Price, Linux on-demand; every zone row of a region has the same price; the catalog version records no snapshot date)';
const AWS_CPU = [
  {
    type: 'm7i.large',
    onDemand: { 'us-east-1': 0.1008, 'us-west-2': 0.1008, 'eu-west-1': 0.11235 },
    note: 'us-east-1 agrees with https://www.doit.com/blog/aws-ec2-pricing ("A general-purpose m7i.large in US East (N. Virginia) runs $0.1008/hour on demand"; the page is undated)',
  },
  { type: 'c7i.large', onDemand: { 'us-east-1': 0.08925, 'us-west-2': 0.08925, 'eu-west-1': 0.09576 } },
  { type: 'c7i.xlarge', onDemand: { 'us-east-1': 0.1785, 'us-west-2': 0.1785, 'eu-west-1': 0.19152 } },
  { type: 'c7i.2xlarge', onDemand: { 'us-east-1': 0.357, 'us-west-2': 0.357, 'eu-west-1': 0.38304 } },
  { type: 'c7i.4xlarge', onDemand: { 'us-east-1': 0.714, 'us-west-2': 0.714, 'eu-west-1': 0.76608 } },
  { type: 'c7i.8xlarge', onDemand: { 'us-east-1': 1.428, 'us-west-2': 1.428, 'eu-west-1': 1.53216 } },
];
const advisorTypes = JSON.parse(readFileSync(join(dataDir, AWS_SPOT_FILE), 'utf8')).instance_types;
for (const cpu of AWS_CPU) {
  const size = advisorTypes[cpu.type];
  if (size === undefined) throw new Error(`${cpu.type}: not in ${AWS_SPOT_FILE} instance_types`);
  const regions = AWS_REGIONS.filter((region) => cpu.onDemand[region] !== undefined);
  const savings = [];
  const prices = Object.fromEntries(
    regions.map((region) => {
      const spot = awsSpot(cpu.type, region, cpu.onDemand[region]);
      if (spot) savings.push(`${region} s=${spot.s}`);
      return [region, defined({ on_demand: cpu.onDemand[region], spot: spot?.price })];
    }),
  );
  aws[cpu.type] = instance(
    { vcpus: size.cores, memory_gib: size.ram_gb },
    undefined,
    prices,
    {
      on_demand: {
        source: `${SKYPILOT_AWS}, rows ${cpu.type} in ${regions.join(', ')}${cpu.note ? `; ${cpu.note}` : ''}; vcpus and memory: ${AWS_SPOT_FILE} instance_types.${cpu.type}`,
        as_of: 'unknown',
      },
      spot:
        savings.length > 0
          ? {
              source: `${AWS_SPOT_FILE} spot_advisor.<region>.Linux.${cpu.type} (${savings.join(', ')}); spot = on_demand x (1 - s/100), rounded to 9 decimals`,
              as_of: '2025-06-28',
            }
          : undefined,
    },
  );
}

// ---------------------------------------------------------------------------------------------- GCP
const gcpRows = byTypeAndRegion(readRows(GCP_FILE), 'instance_type', 'region');
const GCP_ORIGIN = 'Cyclenerd/google-cloud-pricing-cost-calculator pricing.yml @ fd66b26';
const gcpTypes = [
  ['g2-standard-4', { model: 'l4', count: 1, memory_gib: 24 }],
  ['g2-standard-8', { model: 'l4', count: 1, memory_gib: 24 }],
  ['a2-highgpu-1g', { model: 'a100-40gb', count: 1, memory_gib: 40 }],
  ['a2-ultragpu-1g', { model: 'a100-80gb', count: 1, memory_gib: 80 }],
  ['a3-highgpu-8g', { model: 'h100-80gb', count: 8, memory_gib: 80 }],
  ['n2-standard-4', undefined],
  ['n2-standard-8', undefined],
  ['c3-standard-4', undefined],
  ['c3-standard-8', undefined],
];

const gcp = {};
for (const [type, accelerators] of gcpTypes) {
  const found = GCP_REGIONS.map((region) => [region, gcpRows.get(`${type}/${region}`)]).filter(
    ([, row]) => row,
  );
  if (found.length === 0) throw new Error(`${type}: no rows in ${GCP_FILE}`);
  const cited = lines(GCP_FILE, found);
  const cud = (column) => (found.some(([, row]) => row[column] !== '') ? cited : undefined);
  const first = found[0][1];
  gcp[type] = instance(
    { vcpus: Number(first.vcpus), memory_gib: Number(first.memory_gib) },
    accelerators,
    Object.fromEntries(
      found.map(([region, row]) => [
        region,
        defined({
          on_demand: number(row.usd_per_hour_ondemand),
          spot: number(row.usd_per_hour_spot),
          reserved_1y:
            row.usd_per_month_cud_1y === '' ? undefined : round9(row.usd_per_month_cud_1y / HOURS_PER_MONTH),
          reserved_3y:
            row.usd_per_month_cud_3y === '' ? undefined : round9(row.usd_per_month_cud_3y / HOURS_PER_MONTH),
        }),
      ]),
    ),
    {
      on_demand: { source: `${cited}; ${GCP_ORIGIN}`, as_of: '2026-07-30' },
      spot: { source: `${cited}; ${GCP_ORIGIN}`, as_of: '2026-07-30' },
      reserved_1y: cud('usd_per_month_cud_1y') && {
        source: `${cited}; ${GCP_ORIGIN}; 1-year committed-use discount, usd_per_month_cud_1y / 730, 9 decimals`,
        as_of: '2026-07-30',
      },
      reserved_3y: cud('usd_per_month_cud_3y') && {
        source: `${cited}; ${GCP_ORIGIN}; 3-year committed-use discount, usd_per_month_cud_3y / 730, 9 decimals`,
        as_of: '2026-07-30',
      },
    },
  );
}

// a3-ultragpu-8g (8 x H200 141 GB) is not in the Compute Engine snapshot. Its prices are the Cloud
// Billing catalog's per-GPU rates for the type (which include its share of vCPUs and memory) as copied
// by a public dataset, times 8; us-central1 only. Size from the SkyPilot GCP catalog.
const A3_ULTRA_SOURCE =
  'https://huggingface.co/datasets/tanod/cloud-gpu-list-prices (row gcp / a3-ultragpu-8g / H200 / us-central1, source "Google Cloud Billing Catalog API", price_basis instance_share: 28 vCPUs and 369 GiB per GPU, on-demand $10.4365 and spot $6.2607 per GPU-hour) x 8 GPUs; vcpus and memory: skypilot-org/skypilot-catalog catalogs/v9/gcp/vms.csv @ 2c3d7ea (a3-ultragpu-8g: 224 vCPUs, 2952 GiB)';
gcp['a3-ultragpu-8g'] = instance(
  { vcpus: 224, memory_gib: 2952 },
  { model: 'h200-141gb', count: 8, memory_gib: 141 },
  { 'us-central1': { on_demand: round9(10.4365 * 8), spot: round9(6.2607 * 8) } },
  {
    on_demand: { source: A3_ULTRA_SOURCE, as_of: '2026-10-13' },
    spot: { source: A3_ULTRA_SOURCE, as_of: '2026-10-13' },
  },
);

// A TPU slice is one priced unit; the catalog key is the slice name, the accelerator count its chips.
const tpuRows = byTypeAndRegion(
  readRows(TPU_FILE).filter((row) => Number(row.Price) > 0),
  'AcceleratorName',
  'Region',
);
const TPU_ORIGIN =
  'skypilot-org/skypilot-catalog catalogs/v6/gcp/vms.csv @ 0489582 (first zone row of each region; the catalog version records no snapshot date)';
const tpuTypes = [
  ['tpu-v5e-1', 'tpu-v5litepod-1', 'tpu-v5e', 1],
  ['tpu-v5e-4', 'tpu-v5litepod-4', 'tpu-v5e', 4],
  ['tpu-v5e-8', 'tpu-v5litepod-8', 'tpu-v5e', 8],
  ['tpu-v5p-8', 'tpu-v5p-8', 'tpu-v5p', 4],
  ['tpu-v6e-1', 'tpu-v6e-1', 'tpu-v6e', 1],
  ['tpu-v6e-4', 'tpu-v6e-4', 'tpu-v6e', 4],
  ['tpu-v6e-8', 'tpu-v6e-8', 'tpu-v6e', 8],
];
for (const [key, sourceName, model, chips] of tpuTypes) {
  const found = GCP_REGIONS.map((region) => [region, tpuRows.get(`${sourceName}/${region}`)]).filter(
    ([, row]) => row,
  );
  if (found.length === 0) throw new Error(`${sourceName}: no rows in ${TPU_FILE}`);
  const cited = `${lines(TPU_FILE, found)} (${sourceName}); ${TPU_ORIGIN}`;
  gcp[key] = instance(
    {},
    { model, count: chips },
    Object.fromEntries(
      found.map(([region, row]) => [
        region,
        defined({ on_demand: number(row.Price), spot: number(row.SpotPrice) }),
      ]),
    ),
    {
      on_demand: { source: cited, as_of: 'unknown' },
      spot: found.some(([, row]) => row.SpotPrice !== '') ? { source: cited, as_of: 'unknown' } : undefined,
    },
  );
}

const header = (provider) =>
  `# ${provider} instance prices in USD per hour, Linux. Written by scripts/generate-pricing.mjs from the\n` +
  '# snapshots each entry cites; rerun it rather than editing by hand. See pricing/README.md.\n';
for (const [provider, instances] of [
  ['aws', aws],
  ['gcp', gcp],
]) {
  writeFileSync(
    `pricing/${provider}.yaml`,
    header(provider) + stringify({ instances }, { lineWidth: 0, aliasDuplicateObjects: false }),
  );
}
