import { stringify } from 'yaml';
import { orList } from '../core/schema-values.js';
import { autoscalerDefinitions } from '../policies/autoscaling/index.js';
import { BATCHING_POLICIES } from '../policies/batching/index.js';
import { FLEET_ROUTING_POLICIES } from '../policies/routing/index.js';
import { alternatives, type JsonSchema, scenarioJsonSchema } from './json-schema.js';

/**
 * `docs/scenario-reference.md`, generated from the JSON Schema so the reference cannot drift from
 * what the loader accepts (docs.test.ts fails when the committed file differs).
 */

/** A kind of policy: the section of its block, its definitions, and the one whose example stands for the block. */
interface PolicySection {
  section: string;
  definitions: readonly { name: string; example: unknown; sections?: Readonly<Record<string, unknown>> }[];
  shown: string;
}

/** The policies registered now, by the section of their block. */
function policySections(): PolicySection[] {
  return [
    { section: 'fleets[].autoscaling', definitions: autoscalerDefinitions(), shown: 'target-tracking' },
    { section: 'fleets[].batching', definitions: BATCHING_POLICIES, shown: 'dynamic' },
    { section: 'routing', definitions: FLEET_ROUTING_POLICIES, shown: 'weighted' },
  ];
}

/** `EXAMPLES` with the policies': each block's shown example and those of every policy's nested mappings. */
function sectionExamples(): Record<string, unknown> {
  const examples: Record<string, unknown> = { ...EXAMPLES };
  // A class is a workload of its own: its arrivals, system prompts and objective read as the workload's and the scenario's.
  for (const [path, value] of Object.entries(EXAMPLES)) {
    if (path.startsWith('workload.arrivals') || path === 'workload.shared_prefix')
      examples[path.replace('workload.', 'workload.classes[].')] = value;
    if (path === 'slo') examples['workload.classes[].slo'] = value;
  }
  for (const { section, definitions, shown } of policySections()) {
    for (const definition of definitions) {
      if (definition.name === shown) examples[section] = definition.example;
      for (const [path, value] of Object.entries(definition.sections ?? {}))
        examples[`${section}.${path}`] = value;
    }
  }
  return examples;
}

/**
 * One YAML example per section; a section without one makes rendering throw, so new keys get
 * documented. The policy blocks' come from the policies' definitions (`sectionExamples`).
 */
const EXAMPLES: Record<string, unknown> = {
  '': {
    name: 'chat-demo',
    seed: 7,
    duration: '2h',
    warmup: '10m',
    max_drain: '1h',
  },
  workload: {
    arrivals: { poisson: { rate: 40 } },
    input_tokens: { lognormal: { median: 1000, sigma: 0.9 } },
    output_tokens: 200,
    request_bytes: '4KB',
    response_bytes: { lognormal: { median: '2KB', sigma: 0.5 } },
  },
  'workload.arrivals': { gamma: { rate: 40, cv: 3 } },
  'workload.arrivals.poisson': { rate: '40 * (1 + 0.5 * sin(2 * pi * t / 1d))' },
  'workload.arrivals.gamma': { rate: 40, cv: 3 },
  'workload.arrivals.constant': { rate: 40 },
  'workload.arrivals.trace': {
    path: 'traces/azure-conv.csv',
    format: 'azure-llm',
    speed: 2,
    duration: '10m',
  },
  'workload.arrivals.trace.columns': { input_tokens: 'prompt_len', output_tokens: 'gen_len' },
  'workload.arrivals.trace.bootstrap': { block: '5m' },
  'workload.arrivals.sessions': {
    rate: 0.5,
    turns: { gamma: { mean: 6, cv: 0.8 } },
    system_prompt_tokens: 800,
    first_message_tokens: { lognormal: { median: 300, sigma: 0.8 } },
    message_tokens: { lognormal: { median: 60, sigma: 1 } },
    output_tokens: { lognormal: { median: 250, sigma: 0.6 } },
    think_time: { lognormal: { median: '30s', sigma: 0.6 } },
    answer_time_per_token: '25ms',
  },
  'workload.shared_prefix': { tokens: 1200, prompts: 3 },
  'workload.classes[]': {
    name: 'chat',
    tenant: 'consumer-app',
    priority: 1,
    arrivals: { poisson: { rate: 4 } },
    input_tokens: { lognormal: { median: 600, sigma: 0.7 } },
    output_tokens: { lognormal: { median: 200, sigma: 0.6 } },
    slo: { ttft_p99: '2s' },
  },
  'workload.classes[].adapter': { count: 20, zipf: 1 },
  models: {
    chat: { llm: { preset: 'Llama-3.1-8B' } },
    code: { llm: { preset: 'CodeLlama-34B' }, optimizations: [{ quantize: 'fp8' }] },
  },
  model: {
    llm: { preset: 'Llama-3.1-8B', precision: 'bf16' },
    optimizations: [{ quantize: 'int8', quality_delta: -0.3 }],
    serving_stack: 'vllm',
  },
  'model.llm': {
    params: 7.24e9,
    layers: 32,
    hidden: 4096,
    heads: 32,
    kv_heads: 8,
    vocab: 32000,
    precision: 'bf16',
  },
  'model.optimizations[]': { prune: { sparsity: 0.5, structured: '2:4' }, quality_delta: -1.2 },
  'model.optimizations[].prune': { sparsity: 0.5, structured: '2:4' },
  'model.optimizations[].distill.into': {
    name: 'student-3B',
    params: 3.2e9,
    layers: 28,
    hidden: 3072,
    heads: 24,
    kv_heads: 8,
  },
  'model.optimizations[].distill': { into: 'Llama-3.1-8B' },
  network: {
    origin: 'users-nyc',
    rtt: { 'users-nyc': { 'us-east-1': '12ms', 'edge-nyc': '3ms' }, 'edge-nyc': { 'us-east-1': '10ms' } },
    bandwidth: { up: '20Mbps', down: '100Mbps' },
    bytes_per_token: 4,
    envelope_bytes: '300B',
  },
  'network.bandwidth': { up: '20Mbps', down: '100Mbps' },
  data_transfer: { tiering: 'prorated' },
  energy: { price_per_kwh: 0.12, pue: 1.4, carbon_intensity: 380 },
  disaggregation: { kv_link: { bandwidth: '400Gbps', latency: '10us' } },
  'disaggregation.kv_link': { bandwidth: '400Gbps', latency: '10us' },
  'fleets[]': {
    name: 'gpu',
    replicas: 4,
    concurrency: 8,
    instance: 'aws/g5.xlarge',
    region: 'us-east-1',
    market: 'on-demand',
    service_time: '20ms + 0.05ms * input_tokens',
  },
  'fleets[].replicas': { min: 0, max: 40, initial: 2 },
  'fleets[].startup': { lognormal: { median: '3m', sigma: 0.3 } },
  'fleets[].interruption': { per_hour: 0.05, notice: '2m' },
  'fleets[].interruption.waves': { per_hour: 0.02, share: 0.5 },
  'fleets[].model_load': { bandwidth: '2GB/s' },
  'fleets[].unavailable': { per_hour: 0.1, mean_duration: '20m' },
  'fleets[].spot_price': { trace: 'prices/g6-spot.csv' },
  'fleets[].adapters': { max_resident: 8, load_time: '150ms' },
  'fleets[].queue': { capacity: 100, timeout: '30s' },
  'fleets[].batching.kv_offload': { capacity: '128GiB', bandwidth: '25GB/s', latency: '10us' },
  'fleets[].step_time': {
    profile: { path: 'profiles/perf_model.csv', model: 'llama2-70b', hardware: 'a100-80gb' },
  },
  'fleets[].step_time.profile': {
    path: 'profiles/perf_model.csv',
    model: 'llama2-70b',
    hardware: 'a100-80gb',
  },
  'fleets[].batch_latency.table[]': { batch: 8, latency: '18ms' },
  'fleets[].batch_latency': {
    table: [
      { batch: 1, latency: '9ms' },
      { batch: 8, latency: '18ms' },
      { batch: 32, latency: '46ms' },
    ],
  },
  'fleets[].billing': { increment: '1s', minimum: '60s' },
  'fleets[].energy': { power: { idle: '90W', busy: '450W' }, price_per_kwh: 0.12, pue: 1.5 },
  'fleets[].energy.power': { idle: '90W', busy: '450W' },
  'fleets[].hardware': {
    accelerator: {
      name: 'L4',
      count: 1,
      memory_gib: 24,
      bandwidth_gbps: 300,
      tflops: { bf16: 121, fp8: 242 },
    },
  },
  'fleets[].hardware.accelerator': { name: 'L4', count: 1 },
  'fleets[].hardware.accelerator.tflops': { bf16: 121, fp8: 242 },
  'fleets[].hardware.accelerator.efficiency': { attention: 0.4, iteration_overhead: '3ms' },
  'fleets[].hardware.accelerator.efficiency_uncertainty': { compute: 0.02, memory: 0.005 },
  'fleets[].hardware.accelerator.calibration': {
    measured: '../benchmarks.json',
    accelerator: 'l40s',
    hold_out_error: 0.125,
  },
  routing: { policy: 'weighted', weights: { gpu: 3, cpu: 1 }, within: 'round-robin' },
  metrics: { interval: '1m' },
  limits: { max_events: 2e9, max_in_flight: 5_000_000, max_wall: '1h' },
  slo: {
    latency_p99: '2s',
    ttft_p95: '500ms',
    tpot_p95: '80ms',
    queue_wait_p99: '500ms',
    max_drop_rate: 0.001,
  },
  sweep: {
    grid: { 'fleets.0.replicas': '2..24', 'fleets.0.instance': ['aws/g6.xlarge', 'gcp/g2-standard-8'] },
    sampling: 'latin-hypercube',
    points: 20,
  },
  report: { charts: ['latency-cdf', 'latency-percentiles', 'cost-vs-p99', 'timeline'], requests: true },
  'variants[]': { name: 'six-replicas', set: { 'fleets.0.replicas': 6 } },
};

/** Examples of each value type (JSON Schema definition). */
const VALUE_EXAMPLES: Record<string, unknown[]> = {
  Duration: [0.25, '250ms', '1.5h'],
  Size: [4096, '4KB', '2MiB'],
  Bandwidth: [25e9, '25GB/s', '400Gbps'],
  Power: [350, '350W', '1.2kW'],
  Rate: [40, '40 * (1 + 0.5 * sin(2 * pi * t / 1d))'],
  TokenDistribution: [200, { lognormal: { median: 1000, sigma: 0.9 } }, { uniform: { min: 10, max: 500 } }],
  SizeDistribution: ['4KB', { lognormal: { median: '2KB', sigma: 0.5 } }],
  TurnDistribution: [6, { gamma: { mean: 6, cv: 0.8 } }, { uniform: { min: 1, max: 12 } }],
  ServiceTime: [
    '100ms',
    { exponential: { mean: '100ms' } },
    { gamma: { mean: '80ms', cv: 0.5 } },
    '20ms + 0.05ms * input_tokens',
  ],
  ReplicaPolicy: ['power-of-two'],
  DurationDistribution: ['90s', { lognormal: { median: '3m', sigma: 0.3 } }],
};

/** Unit of a value type, by definition name. */
const UNITS: Record<string, string> = {
  Duration: 'seconds',
  Size: 'bytes',
  Bandwidth: 'bytes/s',
  Power: 'watts',
  Rate: 'requests/s',
  TokenDistribution: 'tokens',
  SizeDistribution: 'bytes',
  ServiceTime: 'seconds',
  DurationDistribution: 'seconds',
};

const REF = '#/definitions/';

function refName(schema: JsonSchema): string | undefined {
  const ref = schema.$ref ?? schema.allOf?.find((member) => member.$ref)?.$ref;
  return ref?.startsWith(REF) ? ref.slice(REF.length) : undefined;
}

function anchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^a-z0-9 _-]/g, '')
    .replace(/ /g, '-');
}

function inline(value: unknown): string {
  return `\`${stringify(value, { flow: true }).trim()}\``;
}

function typeOf(root: JsonSchema, schema: JsonSchema, childHeading: string | null): string {
  const name = refName(schema);
  if (name) return `[${root.definitions?.[name]?.title ?? name}](#${anchor(name)})`;
  const options = schema.anyOf ?? schema.oneOf;
  if (options) {
    return [...new Set(options.map((option) => typeOf(root, option, childHeading)))].join(' or ');
  }
  if (schema.const !== undefined) return inline(schema.const);
  if (schema.enum) return schema.enum.map((value) => `\`${String(value)}\``).join(', ');
  if (schema.type === 'array' && schema.items) return `list of ${typeOf(root, schema.items, childHeading)}`;
  if (schema.type === 'object') {
    if (schema.properties && childHeading) return `[mapping](#${anchor(childHeading)})`;
    if (typeof schema.additionalProperties === 'object') {
      return `mapping of name to ${typeOf(root, schema.additionalProperties, null)}`;
    }
    return 'mapping';
  }
  if (schema.type === 'integer') {
    return typeof schema.maximum === 'number' ? `integer ≤ ${schema.maximum}` : 'integer';
  }
  return Array.isArray(schema.type) ? schema.type.join(' or ') : (schema.type ?? 'any');
}

function unitOf(schema: JsonSchema): string {
  const name = refName(schema) ?? (schema.anyOf ?? []).map(refName).find((ref) => ref !== undefined);
  // A key's own unit wins over its type's: a Rate of sessions is in sessions/s.
  if (typeof schema.unit === 'string') return schema.unit;
  return (name && UNITS[name]) || '';
}

function defaultOf(schema: JsonSchema, required: boolean): string {
  if (schema.default !== undefined) return inline(schema.default);
  return required ? 'required' : '';
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

interface Section {
  path: string;
  schema: JsonSchema;
}

/** Objects among a schema's alternatives, each with the value that tells it apart (`policy: weighted`). */
function objectForms(root: JsonSchema, schema: JsonSchema): JsonSchema[] {
  return alternatives(root, schema).filter((form) => form.properties);
}

function formLabel(form: JsonSchema): string {
  for (const [key, property] of Object.entries(form.properties ?? {})) {
    if (property.const !== undefined) return `\`${key}: ${String(property.const)}\``;
    // The replica policies without keys of their own: one block for them all.
    if (key === 'policy' && property.enum !== undefined)
      return `\`${key}:\` ${orList(property.enum.map((name) => `\`${String(name)}\``))}`;
  }
  return '';
}

/** The section's example, nested under its own key (as a one-item list for `fleets[]`). */
function example(examples: Record<string, unknown>, path: string): string {
  if (!Object.hasOwn(examples, path)) throw new Error(`scenario reference: no example for section "${path}"`);
  const value = examples[path];
  const last = path.split('.').pop()!;
  const wrapped =
    path === '' ? value : last.endsWith('[]') ? { [last.slice(0, -2)]: [value] } : { [last]: value };
  return ['```yaml', stringify(wrapped).trimEnd(), '```'].join('\n');
}

function propertyRows(
  root: JsonSchema,
  form: JsonSchema,
  prefix: string,
  childPath: (key: string, schema: JsonSchema) => string | null,
): string[] {
  const rows: string[] = [];
  for (const [key, property] of Object.entries(form.properties ?? {})) {
    const child = childPath(key, property);
    const required = form.required?.includes(key) ?? false;
    rows.push(
      `| \`${prefix}${key}\` | ${cell(typeOf(root, property, child))} | ${unitOf(property)} | ${cell(
        defaultOf(property, required),
      )} | ${cell(property.description ?? '')} |`,
    );
  }
  return rows;
}

const TABLE_HEAD = ['| Key | Type | Unit | Default | Meaning |', '| --- | --- | --- | --- | --- |'];

/** A section, then the sections of its nested mappings, in key order. */
function renderSection(root: JsonSchema, section: Section, examples: Record<string, unknown>): string[] {
  const children: Section[] = [];
  const lines = [`## \`${section.path === '' ? '(top level)' : section.path}\``, ''];
  if (section.schema.description) lines.push(section.schema.description, '');
  const forms = objectForms(root, section.schema);
  for (const form of forms) {
    const label = forms.length > 1 ? formLabel(form) : '';
    if (label) lines.push(`With ${label}:`, '');
    const childPath = (key: string, property: JsonSchema): string | null => {
      const path = section.path === '' ? key : `${section.path}.${key}`;
      const items = alternatives(root, property).find((option) => option.type === 'array')?.items;
      const target = items ? `${path}[]` : path;
      const nested = items ?? property;
      if (refName(nested) || objectForms(root, nested).length === 0) return null;
      if (!children.some((queued) => queued.path === target)) children.push({ path: target, schema: nested });
      return `\`${target}\``;
    };
    lines.push(...TABLE_HEAD, ...propertyRows(root, form, '', childPath), '');
  }
  lines.push(example(examples, section.path), '');
  for (const child of children) lines.push(...renderSection(root, child, examples));
  return lines;
}

/** The object forms of a value type, nested keys flattened (`lognormal.median`) into one table. */
function flatRows(root: JsonSchema, form: JsonSchema, prefix: string): string[] {
  const rows = propertyRows(root, form, prefix, () => null);
  for (const [key, property] of Object.entries(form.properties ?? {})) {
    if (refName(property)) continue;
    for (const nested of objectForms(root, property))
      rows.push(...flatRows(root, nested, `${prefix}${key}.`));
  }
  return rows;
}

function renderDefinition(root: JsonSchema, name: string, schema: JsonSchema): string[] {
  const lines = [`### ${name}`, ''];
  if (schema.description) lines.push(schema.description, '');
  for (const form of objectForms(root, { anyOf: schema.anyOf ?? [] })) {
    lines.push('Object forms (exactly one key):', '', ...TABLE_HEAD, ...flatRows(root, form, ''), '');
  }
  const examples = VALUE_EXAMPLES[name];
  if (!examples) throw new Error(`scenario reference: no example for value type "${name}"`);
  lines.push('Examples:', '', ...examples.map((value) => `- ${inline(value)}`), '');
  return lines;
}

export function renderScenarioReference(): string {
  const root = scenarioJsonSchema();
  const lines = [
    '# Scenario file reference',
    '',
    '<!-- Generated from src/scenario/schema.ts by src/scenario/docs.test.ts (UPDATE_DOCS=1); do not edit. -->',
    '',
    'Editors can validate and complete scenario files with `schema/scenario.schema.json`: put',
    '`# yaml-language-server: $schema=../schema/scenario.schema.json` on the first line (path relative to the file).',
    'Every mapping is strict: a key not listed here is an error. Durations and sizes take units (see',
    '[Value types](#value-types)); relative paths are relative to the scenario file.',
    '',
  ];
  lines.push(...renderSection(root, { path: '', schema: root }, sectionExamples()));
  lines.push('## Value types', '');
  for (const [name, schema] of Object.entries(root.definitions ?? {}))
    lines.push(...renderDefinition(root, name, schema));
  return `${lines.join('\n').trimEnd()}\n`;
}
