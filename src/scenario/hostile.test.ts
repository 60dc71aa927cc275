import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  formatDiagnostic,
  loadScenarioFile,
  loadScenarioObject,
  loadScenarioText,
  oneLine,
} from './index.js';
import { applyOverride } from './overrides.js';
import { type Fleet, fleetModel, type Scenario } from './types.js';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/scenarios/', import.meta.url));
const FILE = join(FIXTURES, 's.yaml');

/** A valid scenario whose fleet sits at a place of `network.rtt`, an open mapping of names. */
const NETWORKED = `duration: 1h
workload:
  arrivals:
    poisson: { rate: 40 }
network:
  origin: users
  rtt: { users: { dc: 5ms } }
fleets:
  - name: gpu
    site: dc
    replicas: 4
    price_per_hour: 1.2
    service_time: 100ms
`;

async function errors(text: string, set?: string[]): Promise<string[]> {
  const result = await loadScenarioText(text, FILE, { set });
  if (result.ok) throw new Error('expected diagnostics, the scenario loaded');
  return result.errors.map((d) => formatDiagnostic(d).replaceAll(FIXTURES, ''));
}

function prototypeKeys(): string[] {
  return Object.getOwnPropertyNames(Object.prototype).sort();
}

describe('prototype keys', () => {
  const pristine = prototypeKeys();
  afterEach(() => {
    // A failing case must not leak into the next one.
    delete (Object.prototype as Record<string, unknown>).polluted;
  });

  it('the networked scenario loads as it stands', async () => {
    const result = await loadScenarioText(NETWORKED, FILE);
    expect(result.ok ? [] : result.errors.map(formatDiagnostic)).toEqual([]);
  });

  it('refuses __proto__, constructor and prototype in a --set path, at the argument', async () => {
    for (const segment of ['__proto__', 'constructor', 'prototype']) {
      expect(await errors(NETWORKED, ['seed=4', `network.rtt.${segment}.polluted=1ms`])).toEqual([
        `--set:2:1: network.rtt.${segment}.polluted: "${segment}" is reserved by JavaScript and cannot be part of a path`,
      ]);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(prototypeKeys()).toEqual(pristine);
  });

  it("refuses them in a variant's set, at the key", async () => {
    const text = `${NETWORKED}variants:\n  - { name: p, set: { network.rtt.__proto__.polluted: 1ms } }\n`;
    expect(await errors(text)).toEqual([
      's.yaml:15:23: variants[0].set["network.rtt.__proto__.polluted"]: "__proto__" is reserved by JavaScript and cannot be part of a path',
    ]);
    expect(prototypeKeys()).toEqual(pristine);
  });

  it('refuses them in a sweep grid key', async () => {
    const text = `${NETWORKED}sweep:\n  grid: { network.rtt.constructor.x: [1ms] }\n`;
    expect(await errors(text)).toEqual([
      's.yaml:15:11: sweep.grid["network.rtt.constructor.x"]: "constructor" is reserved by JavaScript and cannot be part of a path',
    ]);
  });

  it('refuses a YAML key __proto__ anywhere, in the file and in override values', async () => {
    const inRtt = NETWORKED.replace(
      '{ users: { dc: 5ms } }',
      '{ users: { dc: 5ms, __proto__: { polluted: 1 } } }',
    );
    expect(await errors(inRtt)).toEqual([
      's.yaml:7:28: network.rtt.users.__proto__: reserved by JavaScript; use another name',
    ]);
    const atTop = `${NETWORKED}__proto__: { polluted: 1 }\n`;
    expect(await errors(atTop)).toEqual(['s.yaml:14:1: __proto__: reserved by JavaScript; use another name']);
    expect(await errors(NETWORKED, ['network.rtt={__proto__: {polluted: 1ms}}'])).toEqual([
      '--set:1:14: network.rtt.__proto__: reserved by JavaScript; use another name',
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(prototypeKeys()).toEqual(pristine);
  });

  it('refuses __proto__ as the name of a fleet, variant, class or model, which key records', async () => {
    const named = NETWORKED.replace('name: gpu', 'name: __proto__').replace('    site: dc\n', '');
    expect(await errors(named)).toEqual([
      's.yaml:9:11: fleets[0].name: "__proto__" is reserved by JavaScript; use another name',
    ]);
    const variant = `${NETWORKED}variants:\n  - { name: __proto__, set: { seed: 2 } }\n`;
    expect(await errors(variant)).toEqual([
      's.yaml:15:13: variants[0].name: "__proto__" is reserved by JavaScript; use another name',
    ]);
    const classes = NETWORKED.replace(
      '  arrivals:\n    poisson: { rate: 40 }',
      '  classes:\n    - { name: __proto__, arrivals: { poisson: { rate: 40 } } }',
    );
    expect(await errors(classes)).toEqual([
      's.yaml:4:15: workload.classes[0].name: "__proto__" is reserved by JavaScript; use another name',
    ]);
    expect(prototypeKeys()).toEqual(pristine);
  });

  it("fleetModel finds only the scenario's own models, not Object.prototype's", () => {
    const scenario = { model: null, models: {} } as unknown as Scenario;
    expect(fleetModel(scenario, { model: 'toString' } as Fleet)).toBeNull();
  });

  it('applyOverride itself refuses a reserved segment and writes only own keys', () => {
    const target: Record<string, unknown> = { network: { rtt: {} } };
    expect(applyOverride(target, ['network', 'rtt', '__proto__', 'polluted'], 1)).toBe(
      '"__proto__" is reserved by JavaScript and cannot be part of a path',
    );
    // An inherited name (a method of every object) is a new place, not the method.
    expect(applyOverride(target, ['network', 'rtt', 'toString', 'dc'], 0.005)).toBeNull();
    expect(target).toEqual({ network: { rtt: { toString: { dc: 0.005 } } } });
    expect(prototypeKeys()).toEqual(pristine);
  });

  it('leaves Object.prototype untouched through loadScenarioFile and loadScenarioObject', async () => {
    const file = await loadScenarioFile(join(FIXTURES, 'full.yaml'), {
      set: ['network.rtt.__proto__.polluted=1ms'],
    });
    expect(file.ok).toBe(false);
    const object = JSON.parse(
      '{"duration": 60, "workload": {"arrivals": {"constant": {"rate": 1}}}, "__proto__": {"polluted": 1},' +
        ' "fleets": [{"name": "gpu", "replicas": 1, "price_per_hour": 1, "service_time": 0.1}]}',
    );
    const result = await loadScenarioObject(object, { set: ['fleets.0.__proto__.polluted=1'] });
    expect(result.ok ? [] : result.errors.map(formatDiagnostic)).toEqual([
      '--set:1:1: fleets.0.__proto__.polluted: "__proto__" is reserved by JavaScript and cannot be part of a path',
      '<scenario>:1:1: __proto__: reserved by JavaScript; use another name',
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(prototypeKeys()).toEqual(pristine);
  });
});

/** Each level holds nine aliases of the one before: 9^depth copies once expanded. */
function aliasBomb(depth: number): string {
  const levels = ['l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  for (let i = 1; i <= depth; i++)
    levels.push(
      `l${i}: &l${i} [${Array(9)
        .fill(`*l${i - 1}`)
        .join(', ')}]`,
    );
  return `${levels.join('\n')}\n`;
}

describe('oversized scenarios', () => {
  it('are refused at line 1 before they are parsed, as text and as a file', async () => {
    const big = `${NETWORKED}# ${'x'.repeat(1_000_000)}\n`;
    expect(await errors(big)).toEqual([
      's.yaml:1:1: the scenario is 1.0 MB of text; at most 1 MB: keep long tables in the data files it names (traces, profiles, empirical distributions)',
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'fleetsim-big-'));
    try {
      const path = join(dir, 'big.yaml');
      writeFileSync(path, big);
      const loaded = await loadScenarioFile(path);
      expect(loaded.ok ? [] : loaded.errors.map((d) => `${d.line}:${d.col}: ${d.message}`)).toEqual([
        '1:1: the scenario is 1.0 MB of text; at most 1 MB: keep long tables in the data files it names (traces, profiles, empirical distributions)',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // Just under the limit it loads.
    const under = `${NETWORKED}# ${'x'.repeat(1_000_000 - NETWORKED.length - 3)}\n`;
    expect((await loadScenarioText(under, FILE)).ok).toBe(true);
  });
});

describe('long lists', () => {
  const withZones = (lists: number, items: number) =>
    `duration: 1h\nworkload: { arrivals: { poisson: { rate: 1 } } }\nfleets:\n${Array.from(
      { length: lists },
      (_, f) =>
        `  - { name: f${f}, replicas: 1, price_per_hour: 1, service_time: 1s, zones: [${Array(items).fill('[]').join(',')}] }\n`,
    ).join('')}`;

  it('a list of more items than any setting takes is one located error, not a stack overflow', async () => {
    expect(await errors(withZones(1, 100_000))).toEqual([
      expect.stringMatching(/^s\.yaml:4:\d+: fleets\[0\]\.zones: a list of 100,000 items; at most 20,000$/),
    ]);
  });

  it('lists too long together are one error at the longest', async () => {
    // Each list alone is allowed; ten such lists of wrong items overflowed the validator's stack.
    expect(await errors(withZones(10, 15_000))).toEqual([
      expect.stringMatching(
        /^s\.yaml:4:\d+: fleets\[0\]\.zones: the scenario's lists hold 150,010 items together, this one 15,000; at most 50,000 together$/,
      ),
    ]);
  });

  it('at the bound the items are checked one by one, each wrong one reported', async () => {
    const found = await errors(withZones(1, 20_000));
    expect(found.length).toBeGreaterThan(1);
    expect(found.every((line) => line.includes('fleets[0].zones['))).toBe(true);
  });
});

describe('YAML alias bombs', () => {
  it('stop at the first alias with a located error', async () => {
    // Appended after the scenario's 13 lines: the first alias is on line 15, after "l1: &l1 [".
    expect(await errors(NETWORKED + aliasBomb(8))).toEqual([
      's.yaml:15:10: aliases expand to more than 100 copies; write the values out instead of nesting aliases',
    ]);
  });

  it('stop in a --set value, at the value', async () => {
    const value =
      '[&a [x, x, x, x, x, x, x, x, x], &b [*a, *a, *a, *a, *a, *a, *a, *a, *a], [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b]]';
    // "seed=" is 5 characters; the first alias "*a" starts at offset 37 of the value.
    expect(await errors(NETWORKED, [`seed=${value}`])).toEqual([
      `--set:1:${5 + 37 + 1}: cannot parse the value: aliases expand to more than 100 copies; write the values out instead of nesting aliases`,
    ]);
  });

  it('a few aliases are still fine', async () => {
    const text = `${NETWORKED.replace('service_time: 100ms', 'service_time: &t 100ms')}    startup: *t\n`;
    const result = await loadScenarioText(text, FILE);
    expect(result.ok ? [] : result.errors.map(formatDiagnostic)).toEqual([]);
  });
});

describe('YAML syntax errors', () => {
  it('one mistake that derails the parser is one line with the count of the rest', async () => {
    const broken = `duration: 1h\nfleets: [\n${'  - a: [b\n  x: }\n'.repeat(40)}`;
    const lines = await errors(broken);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^s\.yaml:3:9: .+ \(and \d+ more syntax errors\)$/);
    expect(Number(lines[0].match(/and (\d+) more/)?.[1])).toBeGreaterThan(40);
  });
});

describe('a scenario that is not a mapping', () => {
  it('is one error at its start, whatever --set adds: an override has nowhere to go', async () => {
    for (const text of ['42\n', '', '- a\n', '"duration: 1h"\n']) {
      expect(await errors(text, ['limits.max_wall=20s', 'fleets.0.replicas=2'])).toEqual([
        's.yaml:1:1: the scenario must be a YAML mapping of keys',
      ]);
    }
    // A path no scenario has is still the argument's own mistake.
    expect(await errors('42\n', ['limits.nope=1'])).toEqual([
      expect.stringMatching(/^--set:1:1: limits\.nope: unknown key "nope"/),
      's.yaml:1:1: the scenario must be a YAML mapping of keys',
    ]);
  });
});

describe('oversized expressions', () => {
  it('are located errors at the expression', async () => {
    const long = NETWORKED.replace(
      'service_time: 100ms',
      `service_time: "${Array(2000).fill('1ms').join(' + ')}"`,
    );
    expect(await errors(long)).toEqual([
      's.yaml:13:19: fleets[0].service_time: the expression is 11997 characters long; the limit is 1000',
    ]);
    const deep = NETWORKED.replace(
      'service_time: 100ms',
      `service_time: "${'('.repeat(400)}1ms${')'.repeat(400)}"`,
    );
    expect(await errors(deep)).toEqual([
      's.yaml:13:19: fleets[0].service_time: the expression nests parentheses 400 deep; the limit is 50',
    ]);
  });
});

describe('upper bounds of counts', () => {
  it('a count past its bound is a located error, not a wrapped or negative number', async () => {
    // 2^32 + 1 would wrap to 1 in a 32-bit slot, 2^31 to a negative count.
    for (const value of ['4294967297', '2147483648']) {
      expect(await errors(NETWORKED, [`fleets.0.concurrency=${value}`])).toEqual([
        '--set:1:22: fleets[0].concurrency: expected an integer no larger than 100000',
      ]);
    }
    expect(await errors(NETWORKED.replace('replicas: 4', 'replicas: 1e12'))).toEqual([
      's.yaml:11:15: fleets[0].replicas: expected an integer no larger than 100000',
    ]);
    expect(await errors(NETWORKED, ['fleets.0.queue={capacity: 1e10}'])).toEqual([
      '--set:1:27: fleets[0].queue.capacity: expected an integer no larger than 2147483647',
    ]);
    const batching = 'batching: { policy: static, max_batch: 100001 }\n    batch_latency: 10ms';
    expect(await errors(NETWORKED.replace('service_time: 100ms', batching))).toEqual([
      's.yaml:13:44: fleets[0].batching.max_batch: expected an integer no larger than 100000',
    ]);
  });

  it('the adapters classes draw from are bounded alone and together', async () => {
    const classes = (a: number, b: number) => `duration: 1h
workload:
  classes:
    - { name: a, arrivals: { poisson: { rate: 1 } }, adapter: { count: ${a} } }
    - { name: b, arrivals: { poisson: { rate: 1 } }, adapter: { count: ${b} } }
fleets:
  - { name: gpu, replicas: 1, price_per_hour: 1, service_time: 100ms }
`;
    // A hundred million adapters failed with an internal error after 52 s and 3.3 GB.
    expect(await errors(classes(100_000_000, 1))).toEqual([
      's.yaml:4:72: workload.classes[0].adapter.count: expected an integer no larger than 100000',
    ]);
    expect(await errors(classes(60_000, 50_000))).toEqual([
      's.yaml:5:72: workload.classes[1].adapter.count: the classes up to this one draw from 110,000 adapters together; at most 100,000',
    ]);
    expect((await loadScenarioText(classes(60_000, 40_000), FILE)).ok).toBe(true);
  });

  it('class-fleet pairs are bounded: each pair keeps its own costs and work', async () => {
    const many = (classes: number, fleets: number) =>
      `duration: 1h\nworkload:\n  classes:\n${Array.from(
        { length: classes },
        (_, i) => `    - { name: c${i}, arrivals: { poisson: { rate: 1 } } }\n`,
      ).join('')}fleets:\n${Array.from(
        { length: fleets },
        (_, i) => `  - { name: f${i}, replicas: 1, price_per_hour: 1, service_time: 100ms }\n`,
      ).join('')}routing: { policy: round-robin }\n`;
    expect(await errors(many(1001, 1000))).toEqual([
      's.yaml:4:5: workload.classes: 1,001 classes on 1,000 fleets are 1,001,000 class-fleet pairs, each with its own costs and work; at most 1,000,000',
    ]);
    expect((await loadScenarioText(many(1000, 1000), FILE)).ok).toBe(true);
  });

  it('the bounds themselves are accepted', async () => {
    const result = await loadScenarioText(NETWORKED, FILE, {
      set: ['fleets.0.replicas=100000', 'fleets.0.concurrency=100000', 'fleets.0.queue.capacity=2147483647'],
    });
    expect(result.ok ? [] : result.errors.map(formatDiagnostic)).toEqual([]);
    const fleet = result.ok ? result.value.variants[0].scenario.fleets[0] : null;
    expect([fleet?.replicas, fleet?.concurrency, fleet?.queue.capacity]).toEqual([
      100_000,
      100_000,
      2 ** 31 - 1,
    ]);
  });
});

describe('what the user wrote, repeated in a message', () => {
  it('a key or a variant name holding line breaks or terminal escapes stays one escaped line', async () => {
    const text = `${NETWORKED}    "queue\\u001b[2J": {}\nvariants:\n  - { name: "two\\nlines", set: { fleets.0.replicas: -1 } }\n`;
    const found = await errors(text);
    expect(found).toEqual([
      expect.stringMatching(
        /^s\.yaml:14:5: fleets\[0\]\.queue\\u001b\[2J: unknown key; expected one of: name, /,
      ),
      's.yaml:16:13: variants[0].name: expected a variant name of letters, digits, _ . -',
      's.yaml:16:53: fleets[0].replicas: expected a positive integer (variant "two\\nlines")',
    ]);
  });

  it('oneLine escapes controls, line separators and invisible format characters, nothing else', () => {
    expect(oneLine('a\tb\r\nc\u0000d\u007fe\u0085f\u009bg\u2028h\u2029 ünï 🚀')).toBe(
      'a\\tb\\r\\nc\\u0000d\\u007fe\\u0085f\\u009bg\\u2028h\\u2029 ünï 🚀',
    );
    expect(oneLine('\ufefffleets \u200bx \u202egpu \u{e0001}')).toBe(
      '\\ufefffleets \\u200bx \\u202egpu \\u{e0001}',
    );
  });

  it('a key that starts with a byte order mark is shown with it, not as the key it looks like', async () => {
    expect(await errors(NETWORKED.replace('fleets:', '\ufefffleets:'))).toEqual([
      's.yaml:1:1: fleets: missing required key',
      's.yaml:8:1: \\ufefffleets: unknown key; did you mean "fleets"?',
    ]);
  });
});

describe('a time series finer than the clock', () => {
  it('is refused where written: rows narrower than 1us would be 0us wide, and a run would never end', async () => {
    expect(await errors(`${NETWORKED}metrics: { interval: 1e-320m }\n`)).toEqual([
      's.yaml:14:22: metrics.interval: expected at least 1us: the simulation clock counts whole microseconds',
    ]);
    const loaded = await loadScenarioText(`${NETWORKED}metrics: { interval: 1us }\n`, FILE);
    expect(loaded.ok).toBe(true);
  });
});

describe('a workload that is not a mapping', () => {
  it('is one located error, not a crash in the checks that read its classes', async () => {
    expect(
      await errors(
        'workload: [1]\nfleets: [{ name: a, replicas: 1, price_per_hour: 1, service_time: 1s }]\n',
      ),
    ).toEqual(['s.yaml:1:11: workload: expected a mapping, got a list']);
  });
});
