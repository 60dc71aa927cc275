/**
 * Mutations of a scenario as a YAML document: values replaced (numbers, units, expressions, wrong
 * types), keys deleted or misspelt, subtrees swapped in from other seeds, variants and `--set`
 * paths, anchors and aliases, deep nesting and raw YAML that a JavaScript value cannot express.
 */
import {
  type Document,
  isMap,
  isScalar,
  isSeq,
  type Node,
  parseDocument,
  type Scalar,
  stringify,
  type YAMLMap,
} from 'yaml';
import type { Rng } from './random.js';
import { DURATIONS, EXPRESSIONS, nudgeNumber, nudgeQuantity, RAW, STRINGS, scalar } from './values.js';

type Path = (string | number)[];

interface Located {
  path: Path;
  node: unknown;
}

/** A document being mutated, and the raw YAML to paste over placeholders when it is written out. */
export class ScenarioDoc {
  readonly raws = new Map<string, string>();

  constructor(readonly doc: Document) {}

  static parse(text: string): ScenarioDoc | null {
    const doc = parseDocument(text, { uniqueKeys: false });
    return doc.errors.length > 0 || !isMap(doc.contents) ? null : new ScenarioDoc(doc);
  }

  /** A placeholder scalar that `toText` replaces with `source` as written. */
  raw(source: string): string {
    const key = `fuzzraw${this.raws.size}x`;
    this.raws.set(key, source);
    return key;
  }

  toText(): string {
    let text = this.doc.toString({ lineWidth: 0 });
    for (const [key, source] of this.raws) text = text.split(key).join(source);
    return text;
  }

  /** Every node below the root, with its path. */
  nodes(): Located[] {
    const found: Located[] = [];
    const walk = (node: unknown, path: Path) => {
      if (path.length > 0) found.push({ path, node });
      if (isMap(node)) {
        for (const pair of node.items) {
          const key = isScalar(pair.key) ? pair.key.value : null;
          if (typeof key === 'string' || typeof key === 'number') walk(pair.value, [...path, key]);
        }
      } else if (isSeq(node)) {
        node.items.forEach((item, i) => {
          walk(item, [...path, i]);
        });
      }
    };
    walk(this.doc.contents, []);
    return found;
  }

  scalars(): Located[] {
    return this.nodes().filter((n) => isScalar(n.node));
  }

  maps(): Located[] {
    return [{ path: [], node: this.doc.contents }, ...this.nodes().filter((n) => isMap(n.node))];
  }

  seqs(): Located[] {
    return this.nodes().filter((n) => isSeq(n.node));
  }

  set(path: Path, value: unknown): void {
    this.doc.setIn(path, this.doc.createNode(value));
  }
}

/** Values found under each key name in all seeds, for swapping whole subtrees between them. */
export type KeyPool = Map<string, unknown[]>;

export function keyPool(texts: readonly string[]): KeyPool {
  const pool: KeyPool = new Map();
  const walk = (value: unknown) => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value !== null && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) {
        if (!pool.has(key)) pool.set(key, []);
        pool.get(key)!.push(child);
        walk(child);
      }
    }
  };
  for (const text of texts) {
    const doc = parseDocument(text);
    if (doc.errors.length === 0) walk(doc.toJS());
  }
  return pool;
}

function describe(path: Path): string {
  return path.length === 0 ? '(root)' : path.join('.');
}

function show(value: unknown): string {
  const text = typeof value === 'number' ? String(value) : JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

const EXPRESSION_LIKE = /[a-z_]\w*\s*[-+*/^(]|[-+*/^]\s*[a-z_(]/i;
const QUANTITY_LIKE = /^\s*[+-]?(\d|\.\d)/;

/** A new value for a scalar, shaped by what it holds now. */
function replacement(rng: Rng, current: unknown): unknown {
  if (typeof current === 'number' && rng.chance(0.7)) return nudgeNumber(rng, current);
  if (typeof current === 'string') {
    if (QUANTITY_LIKE.test(current) && !EXPRESSION_LIKE.test(current) && rng.chance(0.7)) {
      return nudgeQuantity(rng, current);
    }
    if (EXPRESSION_LIKE.test(current) && rng.chance(0.7)) {
      return rng.weighted<() => string>([
        [() => rng.pick(EXPRESSIONS), 3],
        [() => `${current} ${rng.pick(['* 1e308', '/ 0', '- 1e9', '* -1', '^ 400', '+ unknown'])}`, 3],
        [() => `${'('.repeat(rng.int(40, 60))}${current}${')'.repeat(rng.int(40, 60))}`, 1],
        [() => current.slice(0, rng.int(0, current.length)), 1],
      ])();
    }
    if (rng.chance(0.5)) return rng.pick(STRINGS);
  }
  return scalar(rng);
}

const KEY_NAMES = [
  'replica',
  'Replicas',
  'durations',
  'sead',
  'x',
  '',
  '__proto__',
  'constructor',
  'prototype',
  '<<',
  'variants',
  'fleets',
  'name',
  'seed',
  'rate',
  'policy',
  'time_colum',
  'path',
  'unknown_key',
  'ünïcødé',
];

/** A near miss of `key`: what a typo makes of it. */
function typo(rng: Rng, key: string): string {
  if (key.length === 0) return 'x';
  const i = rng.int(0, key.length - 1);
  return rng.weighted<() => string>([
    [() => key.slice(0, i) + key.slice(i + 1), 2],
    [() => key.slice(0, i) + key[i] + key.slice(i), 1],
    [() => key.toUpperCase(), 1],
    [() => `${key} `, 1],
    [() => key.replace(/_/g, '-'), 1],
    [() => `${key}s`, 1],
  ])();
}

/** Paths written as in `set:` and `--set`: mostly real ones, some near misses, some hostile. */
export function overridePath(rng: Rng, doc: ScenarioDoc | null): string {
  const real = doc === null ? [] : doc.scalars().filter((n) => n.path[0] !== 'variants');
  if (real.length > 0 && rng.chance(0.75)) {
    const path = [...rng.pick(real).path];
    if (rng.chance(0.7)) return path.join('.');
    const i = rng.int(0, path.length - 1);
    return rng.weighted<() => string>([
      [
        () => {
          path[i] = typeof path[i] === 'number' ? rng.pick([9, -1, '00', '1e1', '0x0', ' 0']) : path[i];
          return path.join('.');
        },
        2,
      ],
      [() => `${path.join('.')}.${rng.pick(['x', '0', 'min', '__proto__'])}`, 2],
      [() => path.slice(0, -1).join('.'), 2],
      [() => `${path.join('.')}.`, 1],
      [() => `.${path.join('.')}`, 1],
      [() => path.join('..'), 1],
      [() => ` ${path.join('.')} `, 1],
      [() => path.join('.').toUpperCase(), 1],
      [() => `${path.slice(0, i).join('.')}.${typo(rng, String(path[i]))}`, 2],
    ])();
  }
  return rng.pick([
    'fleets.0.replicas',
    'fleets.0.concurrency',
    'fleets.1.replicas',
    'fleets.9.replicas',
    'fleets.-1.replicas',
    'fleets.0',
    'fleets',
    'duration',
    'warmup',
    'seed',
    'name',
    'workload.arrivals.poisson.rate',
    'workload.arrivals.trace.speed',
    'workload.scale',
    'model.llm.preset',
    'model.optimizations',
    'fleets.0.batching.max_num_seqs',
    'fleets.0.queue.capacity',
    'fleets.0.queue.timeout',
    'fleets.0.service_time',
    'fleets.0.instance',
    'routing.policy',
    'routing',
    'slo.latency_p99',
    'sweep.grid.x',
    'variants.0.name',
    'metrics.interval',
    'network.rtt.a.b',
    '__proto__.polluted',
    'constructor.prototype.x',
    '',
    '.',
    'fleets[0].replicas',
    'fleets.00.replicas',
    'ünïcødé',
  ]);
}

/** The text of a `--set` value (YAML, as the flag takes it). */
export function overrideValueText(rng: Rng): string {
  return rng.weighted<() => string>([
    [() => stringify(scalar(rng), { flowCollectionPadding: false }).trimEnd(), 5],
    [() => rng.pick(RAW), 2],
    [() => rng.pick(DURATIONS), 2],
    [() => rng.pick(['[', '{a: 1', '"unterminated', '', ' ', '- a\n- b', 'a: b: c', '@x', '`x`', '%x'])!, 1],
    [
      () =>
        rng.pick([
          '{ policy: static, max_batch: 8 }',
          '[1, 2, 3]',
          '{ min: 1, max: 3 }',
          '{ poisson: { rate: 2 } }',
        ]),
      1,
    ],
  ])();
}

type Mutation = (rng: Rng, d: ScenarioDoc, pool: KeyPool) => string | null;

const replaceScalar: Mutation = (rng, d) => {
  const targets = d.scalars();
  if (targets.length === 0) return null;
  const { path, node } = rng.pick(targets);
  const value = replacement(rng, (node as Scalar).value);
  d.set(path, value);
  return `replace ${describe(path)} = ${show(value)}`;
};

const wrongType: Mutation = (rng, d) => {
  const targets = d.nodes();
  if (targets.length === 0) return null;
  const { path } = rng.pick(targets);
  const value = rng.pick<unknown>([null, true, 'text', 42, -1, [], {}, [1], { x: 1 }, [[]], '']);
  d.set(path, value);
  return `wrong type ${describe(path)} = ${show(value)}`;
};

const deleteKey: Mutation = (rng, d) => {
  const targets = d.nodes();
  if (targets.length === 0) return null;
  const { path } = rng.pick(targets);
  d.doc.deleteIn(path);
  return `delete ${describe(path)}`;
};

const unknownKey: Mutation = (rng, d) => {
  const { path, node } = rng.pick(d.maps());
  const map = node as YAMLMap;
  const siblings = map.items.map((p) => (isScalar(p.key) ? String(p.key.value) : '')).filter(Boolean);
  const key = siblings.length > 0 && rng.chance(0.6) ? typo(rng, rng.pick(siblings)) : rng.pick(KEY_NAMES);
  const value = scalar(rng);
  map.set(d.doc.createNode(key), d.doc.createNode(value));
  return `add key ${describe([...path, key])} = ${show(value)}`;
};

const crossover: Mutation = (rng, d, pool) => {
  const targets = d.nodes().filter((n) => typeof n.path[n.path.length - 1] === 'string');
  if (targets.length === 0) return null;
  const { path } = rng.pick(targets);
  const candidates = pool.get(String(path[path.length - 1])) ?? [];
  if (candidates.length === 0) return null;
  const value = structuredClone(rng.pick(candidates));
  d.set(path, value);
  return `swap in ${describe(path)} = ${show(value)}`;
};

const listEdit: Mutation = (rng, d) => {
  const targets = d.seqs();
  if (targets.length === 0) return null;
  const { path, node } = rng.pick(targets);
  const items = (node as { items: unknown[] }).items;
  const what = rng.pick(['duplicate', 'remove', 'empty', 'reverse', 'repeat'] as const);
  if (what === 'duplicate' && items.length > 0) {
    const item = rng.int(0, items.length - 1);
    items.splice(item, 0, d.doc.createNode((d.doc.getIn([...path, item], false) as unknown) ?? null));
  } else if (what === 'remove' && items.length > 0) items.splice(rng.int(0, items.length - 1), 1);
  else if (what === 'empty') items.length = 0;
  else if (what === 'reverse') items.reverse();
  else if (what === 'repeat' && items.length > 0) {
    const value = d.doc.getIn([...path, 0], false);
    const count = rng.pick([50, 500, 5000]);
    for (let i = 0; i < count; i++) items.push(d.doc.createNode(value));
  }
  return `${what} list ${describe(path)}`;
};

const variant: Mutation = (rng, d) => {
  const existing = d.doc.getIn(['variants']);
  const set: Record<string, unknown> = {};
  for (let i = rng.int(1, 3); i > 0; i--) {
    const path = overridePath(rng, d);
    const current = d.doc.getIn(path.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s)));
    set[path] = rng.chance(0.5) ? replacement(rng, current) : scalar(rng);
  }
  const name = rng.chance(0.8) ? `v${rng.int(0, 99)}` : rng.pick(STRINGS);
  const entry = rng.weighted<() => unknown>([
    [() => ({ name, set }), 8],
    [() => ({ name }), 1],
    [() => ({ set }), 1],
    [() => ({ name, set: rng.pick([null, [], 'x', { '': 1 }]) }), 1],
  ])();
  if (isSeq(existing) && rng.chance(0.8)) existing.items.push(d.doc.createNode(entry));
  else d.set(['variants'], rng.chance(0.9) ? [entry] : entry);
  return `variant ${show(entry)}`;
};

const anchorAlias: Mutation = (rng, d) => {
  const targets = d.nodes();
  if (targets.length < 2) return null;
  const source = rng.pick(targets);
  const target = rng.pick(targets);
  const node = source.node as Node;
  if (!isMap(node) && !isSeq(node) && !isScalar(node)) return null;
  if (rng.chance(0.3) && isMap(node)) {
    // A merge key: YAML 1.1 reads it, the scenario loader does not.
    const into = rng.pick(d.maps()).node as YAMLMap;
    node.anchor = 'base';
    into.set(d.doc.createNode('<<'), d.doc.createAlias(node, 'base'));
    return `merge key <<: *base from ${describe(source.path)}`;
  }
  node.anchor = `a${rng.int(0, 9)}`;
  d.doc.setIn(target.path, d.doc.createAlias(node, node.anchor));
  return `alias ${describe(target.path)} = *${describe(source.path)}`;
};

const deepNesting: Mutation = (rng, d) => {
  const targets = d.nodes();
  if (targets.length === 0) return null;
  const { path } = rng.pick(targets);
  const depth = rng.pick([30, 200, 2000, 20000]);
  const source = rng.weighted<() => string>([
    [() => `${'['.repeat(depth)}${']'.repeat(depth)}`, 2],
    [() => `${'{a: '.repeat(depth)}1${'}'.repeat(depth)}`, 2],
    [() => `${'['.repeat(depth)}`, 1],
  ])();
  d.set(path, d.raw(source));
  return `nest ${describe(path)} ${depth} deep`;
};

const rawYaml: Mutation = (rng, d) => {
  const targets = d.scalars();
  if (targets.length === 0) return null;
  const { path } = rng.pick(targets);
  const source = rng.pick(RAW);
  d.set(path, d.raw(source));
  return `raw ${describe(path)} = ${show(source)}`;
};

const hugeValue: Mutation = (rng, d) => {
  const targets = d.scalars();
  if (targets.length === 0) return null;
  const { path } = rng.pick(targets);
  const value = rng.weighted<() => unknown>([
    [() => 'x'.repeat(rng.pick([1e4, 1e6])), 1],
    [() => `${'9'.repeat(rng.pick([400, 5000]))}`, 1],
    [() => `1${'0'.repeat(400)}ms`, 1],
    [() => Array.from({ length: 10_000 }, (_, i) => i), 1],
  ])();
  d.set(path, value);
  return `huge ${describe(path)}`;
};

/** Mutations specific to a trace's description: formats, units, columns, speed, cuts. */
const traceConfig: Mutation = (rng, d) => {
  const base = ['workload', 'arrivals', 'trace'];
  if (!isMap(d.doc.getIn(base))) return null;
  const key = rng.pick([
    'format',
    'time_unit',
    'time_column',
    'columns',
    'speed',
    'limit',
    'duration',
    'bootstrap',
  ]);
  const value = (
    {
      format: rng.pick(['csv', 'jsonl', 'azure-llm', 'vidur', 'mooncake', 'parquet', '']),
      time_unit: rng.pick(['s', 'ms', 'us', 'datetime', 'ns', 'S', '']),
      time_column: rng.pick(['TIMESTAMP', 'arrived_at', 'timestamp', 'time', 'ContextTokens', '', 'nope']),
      columns: rng.pick([
        { input_tokens: 'nope' },
        { input_tokens: 'TIMESTAMP' },
        { output_tokens: '' },
        { bogus: 'x' },
        {},
      ]),
      speed: rng.pick([0, -1, 1e308, 1e-308, 1e-9, 1e9, Number.NaN, '2x']),
      limit: rng.pick([0, -1, 1.5, 1, 1e12, 2 ** 31]),
      duration: rng.pick([0, '1e12ms', '-1s', '1us', '1e308s', null]),
      bootstrap: rng.pick([{ block: 0 }, { block: '1us' }, { block: '1e308s' }, { block: '1e9s' }, {}, null]),
    } as Record<string, unknown>
  )[key];
  d.set([...base, key], value);
  return `trace ${key} = ${show(value)}`;
};

/** A change that usually keeps the scenario valid: a number scaled, a value another seed uses there. */
const gentle: Mutation = (rng, d, pool) => {
  const targets = d.scalars();
  if (targets.length === 0) return null;
  const { path, node } = rng.pick(targets);
  const current = (node as Scalar).value;
  let value: unknown;
  if (typeof current === 'number') {
    const scaled = current * rng.pick([0.1, 0.5, 1.5, 2, 3, 10]);
    value = Number.isInteger(current) ? Math.max(1, Math.round(scaled)) : scaled;
  } else {
    const key = path[path.length - 1];
    const seen = (typeof key === 'string' ? pool.get(key) : undefined)?.filter(
      (v) => v === null || typeof v !== 'object',
    );
    if (seen === undefined || seen.length === 0) return null;
    value = rng.pick(seen);
  }
  d.set(path, value);
  return `gently ${describe(path)} = ${show(value)}`;
};

const MUTATIONS: readonly (readonly [Mutation, number])[] = [
  [replaceScalar, 10],
  [wrongType, 3],
  [deleteKey, 3],
  [unknownKey, 3],
  [crossover, 4],
  [listEdit, 2],
  [variant, 3],
  [anchorAlias, 2],
  [deepNesting, 1],
  [rawYaml, 2],
  [hugeValue, 1],
  [traceConfig, 2],
];

export function mutateScenario(rng: Rng, d: ScenarioDoc, pool: KeyPool): string | null {
  return rng.weighted(MUTATIONS)(rng, d, pool);
}

/** A change meant to keep the scenario runnable, so that the figures of many configurations are judged. */
export function mutateGently(rng: Rng, d: ScenarioDoc, pool: KeyPool): string | null {
  return rng.weighted<Mutation>([
    [gentle, 6],
    [crossover, 2],
  ])(rng, d, pool);
}

export { traceConfig as mutateTraceConfig, variant as mutateVariants };
