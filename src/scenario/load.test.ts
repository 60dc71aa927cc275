import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import {
  formatDiagnostic,
  loadScenarioFile,
  loadScenarioObject,
  loadScenarioText,
  type Scenario,
} from './index.js';

// The catalog belongs to src/hardware; these tests pin the loader's side of the contract only.
vi.mock('../hardware/index.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../hardware/index.js')>()),
  resolveInstance: (key: string) =>
    key === 'aws/g5.xlarge'
      ? {
          ok: true,
          key,
          priceUsdPerHour: 1.006,
          billing: { increment: 1, minimum: 60 },
          region: 'us-east-1',
          market: 'on-demand',
          vcpus: 4,
          memoryGib: 16,
          accelerators: { model: 'a10g', count: 1 },
          priceSource: { source: 'the shipped catalog', asOf: '2026-01-21' },
        }
      : { ok: false, message: `unknown instance "${key}"; closest: aws/g5.xlarge` },
}));

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/scenarios/', import.meta.url));
const FILE = join(FIXTURES, 's.yaml');

const VALID = `duration: 1h
workload:
  arrivals:
    poisson: { rate: 40 }
fleets:
  - name: gpu
    replicas: 4
    price_per_hour: 1.2
    service_time: 100ms
`;

/** Diagnostics as the CLI prints them, with the fixture folder cut off so expectations stay short. */
async function errors(text: string, set?: string[]): Promise<string[]> {
  const result = await loadScenarioText(text, FILE, { set });
  if (result.ok) throw new Error('expected diagnostics, the scenario loaded');
  return result.errors.map((d) => formatDiagnostic(d).replaceAll(FIXTURES, ''));
}

async function baseline(text: string, set?: string[]): Promise<Scenario> {
  const result = await loadScenarioText(text, FILE, { set });
  if (!result.ok) throw new Error(result.errors.map(formatDiagnostic).join('\n'));
  return result.value.variants[0].scenario;
}

describe('loading the full example', () => {
  const gpu = {
    name: 'gpu',
    replicas: 4,
    minReplicas: 4,
    maxReplicas: 4,
    startup: { kind: 'lognormal', mu: Math.log(180), sigma: 0.3 },
    autoscaling: null,
    interruption: null,
    zones: [],
    onInterrupt: 'requeue',
    fallback: null,
    site: null,
    unavailable: null,
    spotPriceTrace: null,
    spotMaxPrice: null,
    modelLoadBytesPerS: null,
    spotNoticeS: 120,
    concurrency: 8,
    priceUsdPerHour: 1.006,
    instance: 'aws/g5.xlarge',
    region: 'us-east-1',
    market: 'on-demand',
    hardware: { vcpus: 4, memoryGiB: 16, accelerators: { model: 'a10g', count: 1 } },
    serviceTime: { kind: 'expression', source: '20ms + 0.05ms * input_tokens' },
    batching: { policy: 'none' },
    batchLatency: null,
    stepTime: null,
    queue: { capacity: 100, timeout: 30 },
    billing: { increment: 1, minimum: 60 },
    energy: {},
  } as const;
  const cpu = {
    name: 'cpu',
    replicas: 2,
    minReplicas: 2,
    maxReplicas: 2,
    startup: { kind: 'constant', value: 60 },
    autoscaling: null,
    interruption: null,
    zones: [],
    onInterrupt: 'requeue',
    fallback: null,
    site: null,
    unavailable: null,
    spotPriceTrace: null,
    spotMaxPrice: null,
    modelLoadBytesPerS: null,
    spotNoticeS: 0,
    concurrency: 1,
    priceUsdPerHour: 0.4,
    instance: null,
    serviceTime: { kind: 'gamma', shape: 4, scale: 0.0625 },
    batching: { policy: 'none' },
    batchLatency: null,
    stepTime: null,
    queue: { capacity: Number.POSITIVE_INFINITY, timeout: null },
    billing: { increment: 60, minimum: 3600 },
    energy: {},
  } as const;
  const responseSigma2 = Math.log(1 + 0.5 ** 2);
  const expected: Scenario = {
    name: 'chat-demo',
    seed: 7,
    duration: 7200,
    warmup: 600,
    maxDrain: 3600,
    limits: { maxEvents: 1e9, maxInFlight: 1e6, maxWallS: 600 },
    workload: {
      arrivals: { kind: 'poisson', rate: { kind: 'constant', value: 40 } },
      attributes: {
        input_tokens: { kind: 'lognormal', mu: Math.log(1000), sigma: 0.9 },
        output_tokens: { kind: 'constant', value: 200 },
        request_bytes: { kind: 'constant', value: 4000 },
        response_bytes: {
          kind: 'lognormal',
          mu: Math.log(2048) - responseSigma2 / 2,
          sigma: Math.sqrt(responseSigma2),
        },
      },
    },
    model: null,
    network: null,
    dataTransfer: null,
    fleets: [gpu, cpu],
    routing: { policy: 'spillover', order: ['gpu', 'cpu'], within: 'power-of-two', maxQueuePerReplica: 0 },
    metrics: { interval: 60, flapWindow: 300 },
    modelUncertainty: false,
  };

  it('resolves units, defaults, the instance price and every variant', async () => {
    const result = await loadScenarioFile(join(FIXTURES, 'full.yaml'));
    if (!result.ok) throw new Error(result.errors.map(formatDiagnostic).join('\n'));
    const loaded = result.value;
    expect(loaded.file).toBe(join(FIXTURES, 'full.yaml'));
    expect([loaded.name, loaded.seed]).toEqual(['chat-demo', 7]);
    expect(loaded.variants.map((variant) => variant.name)).toEqual([
      'baseline',
      'six-replicas',
      'measured-cpu',
    ]);
    expect(loaded.variants[0].scenario).toEqual(expected);
    expect(loaded.variants[1].scenario).toEqual({
      ...expected,
      fleets: [{ ...gpu, replicas: 6, minReplicas: 6, maxReplicas: 6 }, cpu],
    });
    expect(loaded.variants[2].scenario).toEqual({
      ...expected,
      fleets: [
        gpu,
        {
          ...cpu,
          serviceTime: { kind: 'empirical', path: join(FIXTURES, 'service-times.csv'), column: 'seconds' },
        },
      ],
      routing: { policy: 'weighted', weights: { gpu: 3, cpu: 1 }, within: 'least-outstanding' },
    });
  });
});

describe('defaults', () => {
  it('fill every optional key of a minimal scenario', async () => {
    expect(await baseline(VALID)).toEqual({
      name: 's',
      seed: 1,
      duration: 3600,
      warmup: 0,
      maxDrain: 3600,
      limits: { maxEvents: 1e9, maxInFlight: 1e6, maxWallS: 600 },
      workload: { arrivals: { kind: 'poisson', rate: { kind: 'constant', value: 40 } }, attributes: {} },
      model: null,
      network: null,
      dataTransfer: null,
      fleets: [
        {
          name: 'gpu',
          replicas: 4,
          minReplicas: 4,
          maxReplicas: 4,
          startup: { kind: 'constant', value: 60 },
          autoscaling: null,
          interruption: null,
          zones: [],
          onInterrupt: 'requeue',
          fallback: null,
          site: null,
          unavailable: null,
          spotPriceTrace: null,
          spotMaxPrice: null,
          modelLoadBytesPerS: null,
          spotNoticeS: 0,
          concurrency: 1,
          priceUsdPerHour: 1.2,
          instance: null,
          serviceTime: { kind: 'constant', value: 0.1 },
          batching: { policy: 'none' },
          batchLatency: null,
          stepTime: null,
          queue: { capacity: Number.POSITIVE_INFINITY, timeout: null },
          billing: { increment: 1, minimum: 60 },
          energy: {},
        },
      ],
      routing: { policy: 'least-outstanding' },
      metrics: { interval: null, flapWindow: 300 },
      modelUncertainty: false,
    } satisfies Scenario);
  });

  it('trace presets fill the columns and user keys override them', async () => {
    const scenario = await baseline(`workload:
  arrivals:
    trace: { path: traces/vidur-small.csv, format: vidur, speed: 2, time_unit: ms, columns: { output_tokens: gen } }
fleets:
  - { name: gpu, replicas: 1, price_per_hour: 1, service_time: 100ms }
`);
    expect(scenario.duration).toBeNull();
    expect(scenario.workload.arrivals).toEqual({
      kind: 'trace',
      trace: {
        path: join(FIXTURES, 'traces/vidur-small.csv'),
        format: 'vidur',
        timeColumn: 'arrived_at',
        timeUnit: 'ms',
        columns: { input_tokens: 'num_prefill_tokens', output_tokens: 'gen' },
        speed: 2,
        limit: null,
        duration: null,
        bootstrap: null,
        onBadRow: 'error',
      },
    });
  });

  it('a trace bootstrap: block length in seconds; an empty or non-positive block is an error', async () => {
    const scenario = await baseline(`workload:
  arrivals:
    trace: { path: traces/vidur-small.csv, bootstrap: { block: 5m } }
fleets:
  - { name: gpu, replicas: 1, price_per_hour: 1, service_time: 1 }
`);
    expect(scenario.workload.arrivals.kind === 'trace' && scenario.workload.arrivals.trace.bootstrap).toEqual(
      {
        blockS: 300,
      },
    );
    for (const bad of ['{ block: 0 }', '{}']) {
      const result = await loadScenarioText(
        `workload:
  arrivals:
    trace: { path: traces/vidur-small.csv, bootstrap: ${bad} }
fleets:
  - { name: gpu, replicas: 1, price_per_hour: 1, service_time: 1 }
`,
        FILE,
      );
      expect(result.ok, bad).toBe(false);
      if (!result.ok)
        expect(result.errors[0].message, bad).toMatch(
          /block: (missing required key|expected a positive duration)/,
        );
    }
  });

  it('on_bad_row: error by default, skip on request, nothing else', async () => {
    const trace = (extra: string) => `workload:
  arrivals:
    trace: { path: traces/vidur-small.csv${extra} }
fleets:
  - { name: gpu, replicas: 1, price_per_hour: 1, service_time: 1 }
`;
    const skip = await baseline(trace(', on_bad_row: skip'));
    expect(skip.workload.arrivals.kind === 'trace' && skip.workload.arrivals.trace.onBadRow).toBe('skip');
    const result = await loadScenarioText(trace(', on_bad_row: ignore'), FILE);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.errors[0]).toMatchObject({
        line: 3,
        message: expect.stringMatching(/one of error, skip/),
      });
    }
  });

  it('reads a trace given by its path alone with the preset its header names', async () => {
    const scenario = await baseline(`workload:
  arrivals:
    trace: { path: traces/vidur-small.csv }
fleets:
  - { name: gpu, replicas: 1, price_per_hour: 1, service_time: 100ms }
`);
    expect(scenario.workload.arrivals).toMatchObject({
      kind: 'trace',
      trace: {
        format: 'vidur',
        timeColumn: 'arrived_at',
        timeUnit: 's',
        columns: { input_tokens: 'num_prefill_tokens', output_tokens: 'num_decode_tokens' },
      },
    });
  });

  it('takes a trace with a time_column but no format as plain csv, whatever its header', async () => {
    const scenario = await baseline(`workload:
  arrivals:
    trace: { path: traces/vidur-small.csv, time_column: arrived_at }
fleets:
  - { name: gpu, replicas: 1, price_per_hour: 1, service_time: 100ms }
`);
    expect(scenario.workload.arrivals).toMatchObject({
      kind: 'trace',
      trace: { format: 'csv', timeColumn: 'arrived_at', timeUnit: 's', columns: {} },
    });
  });

  it('converts distribution forms with the formulas of types.ts', async () => {
    const scenario = await baseline(
      VALID.replace(
        '100ms',
        '{ lognormal: { mean: 200ms, cv: 1 } }\n  - name: cpu\n    replicas: 1\n    price_per_hour: 1\n    service_time: { uniform: { min: 1s, max: 2m } }',
      ),
    );
    expect(scenario.fleets.map((fleet) => fleet.serviceTime)).toEqual([
      { kind: 'lognormal', mu: Math.log(0.2) - Math.log(2) / 2, sigma: Math.sqrt(Math.log(2)) },
      { kind: 'uniform', min: 1, max: 120 },
    ]);
  });
});

describe('diagnostics', () => {
  it('reports the first YAML syntax error with its position and counts the rest', async () => {
    expect(await errors('duration: 1h\nfleets: [\n  - a\n')).toEqual([
      's.yaml:3:3: block collections are not allowed within flow collections (and 1 more syntax error)',
    ]);
  });

  it('refuses a mapping or a list as a key where it is written, without a process warning', async () => {
    // The yaml package would turn such a key into its text and have Node print a warning beside the error.
    const warn = vi.spyOn(process, 'emitWarning');
    try {
      expect(await errors(VALID.replace('poisson: { rate: 40 }', '{ poisson: 1 }: { rate: 40 }'))).toEqual([
        's.yaml:4:5: a key must be a name or a number, not a mapping or a list',
      ]);
      expect(await errors(`${VALID}? [a, b]\n: 3\n`)).toEqual([
        's.yaml:10:3: a key must be a name or a number, not a mapping or a list',
      ]);
      expect(await errors(VALID, ['workload.arrivals={ [a]: 1 }'])).toEqual([
        '--set:1:21: cannot parse the value: a key must be a name or a number, not a mapping or a list',
      ]);
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });

  it('points at an unknown key and suggests the closest allowed one', async () => {
    expect(await errors(VALID.replace('replicas: 4', 'replicaz: 4'))).toEqual([
      's.yaml:6:5: fleets[0].replicas: missing required key',
      's.yaml:7:5: fleets[0].replicaz: unknown key; did you mean "replicas"?',
    ]);
  });

  it('lists the allowed keys when no key is close', async () => {
    expect(await errors(`${VALID}colour: blue\n`)).toEqual([
      's.yaml:10:1: colour: unknown key; expected one of: name, seed, duration, warmup, max_drain, workload, model, models, network, data_transfer, energy, disaggregation, catalog, as_of, fleets, routing, metrics, limits, slo, model_uncertainty, sweep, report, variants',
    ]);
  });

  it('explains a bad unit', async () => {
    expect(await errors(VALID.replace('1h', '5 parsecs'))).toEqual([
      's.yaml:1:11: duration: expected a duration like 250ms, 30s, 5m, 2h, 1d; got "5 parsecs"',
    ]);
  });

  it('rejects negative replicas', async () => {
    expect(await errors(VALID.replace('replicas: 4', 'replicas: -1'))).toEqual([
      's.yaml:7:15: fleets[0].replicas: expected a positive integer',
    ]);
  });

  it('names the resolved path of a missing trace file at the path value', async () => {
    const text = `workload:\n  arrivals:\n    trace: { path: traces/nope.csv, format: azure-llm }\nfleets:\n  - { name: gpu, replicas: 1, price_per_hour: 1, service_time: 1s }\n`;
    expect(await errors(text)).toEqual([
      `s.yaml:3:20: workload.arrivals.trace.path: file not found: ${FIXTURES}traces/nope.csv`.replaceAll(
        FIXTURES,
        '',
      ),
    ]);
  });

  it('names a trace path that is a folder, not a file', async () => {
    const text = `workload:\n  arrivals:\n    trace: { path: traces, format: azure-llm }\nfleets:\n  - { name: gpu, replicas: 1, price_per_hour: 1, service_time: 1s }\n`;
    expect(await errors(text)).toEqual([
      `s.yaml:3:20: workload.arrivals.trace.path: not a file: ${FIXTURES}traces`.replaceAll(FIXTURES, ''),
    ]);
  });

  it('requires time_column for a csv trace whose header names no preset', async () => {
    const text = `workload:\n  arrivals:\n    trace: { path: service-times.csv }\nfleets:\n  - { name: gpu, replicas: 1, price_per_hour: 1, service_time: 1s }\n`;
    expect(await errors(text)).toEqual([
      's.yaml:3:12: workload.arrivals.trace.time_column: required for format csv (only azure-llm, vidur and mooncake have presets)',
    ]);
  });

  it('reports fleets in routing that do not exist', async () => {
    expect(await errors(`${VALID}routing: { policy: weighted, weights: { gpu: 1, gpux: 2 } }\n`)).toEqual([
      's.yaml:10:49: routing.weights.gpux: unknown fleet "gpux"; did you mean "gpu"?',
    ]);
    expect(await errors(`${VALID}routing: { policy: spillover, order: [gpu, cpu] }\n`)).toEqual([
      's.yaml:10:44: routing.order[1]: unknown fleet "cpu"; did you mean "gpu"?',
    ]);
  });

  it('reports a variant path missing from the schema at its key', async () => {
    const text = `${VALID}variants:\n  - name: more\n    set:\n      fleets.0.replicaz: 6\n`;
    expect(await errors(text)).toEqual([
      's.yaml:13:7: variants[0].set["fleets.0.replicaz"]: unknown key "replicaz" in fleets[0]; did you mean "replicas"?',
    ]);
  });

  it('reports a bad value set by a variant at that value, naming the variant', async () => {
    const text = `${VALID}variants:\n  - name: none\n    set: { fleets.0.replicas: 0, fleets.3.replicas: 1 }\n`;
    expect(await errors(text)).toEqual([
      's.yaml:12:31: fleets[0].replicas: expected a positive integer (variant "none")',
      's.yaml:12:34: variants[0].set["fleets.3.replicas"]: fleets has 1 item(s); index 3 is out of range',
    ]);
  });

  it('reports bad --set arguments by ordinal and column', async () => {
    expect(
      await errors(VALID, ['fleets.0.replicas=-2', 'fleets.0.replicaz=2', 'seed', 'routing=[x']),
    ).toEqual([
      '--set:1:19: fleets[0].replicas: expected a positive integer',
      '--set:2:1: fleets.0.replicaz: unknown key "replicaz" in fleets[0]; did you mean "replicas"?',
      '--set:3:1: expected path=value (e.g. fleets.0.replicas=6); got "seed"',
      '--set:4:11: cannot parse the value: flow sequence must end with a ]',
    ]);
  });

  it('applies --set before variants', async () => {
    const text = `${VALID}variants:\n  - { name: slow, set: { fleets.0.service_time: 1s } }\n`;
    const result = await loadScenarioText(text, FILE, {
      set: ['fleets.0.replicas=9', 'fleets.0.service_time=2s'],
    });
    if (!result.ok) throw new Error(result.errors.map(formatDiagnostic).join('\n'));
    const fleets = result.value.variants.map(({ scenario }) => scenario.fleets[0]);
    expect(fleets.map((fleet) => [fleet.replicas, fleet.serviceTime])).toEqual([
      [9, { kind: 'constant', value: 2 }],
      [9, { kind: 'constant', value: 1 }],
    ]);
  });

  it('applies point values over every variant, where --set stays under them', async () => {
    const text = `${VALID}variants:\n  - { name: slow, set: { fleets.0.service_time: 1s, fleets.0.replicas: 1 } }\n`;
    const result = await loadScenarioText(text, FILE, {
      set: ['fleets.0.service_time=2s'],
      pointSet: ['fleets.0.replicas=9'],
    });
    if (!result.ok) throw new Error(result.errors.map(formatDiagnostic).join('\n'));
    const fleets = result.value.variants.map(({ scenario }) => scenario.fleets[0]);
    expect(fleets.map((fleet) => [fleet.replicas, fleet.serviceTime])).toEqual([
      [9, { kind: 'constant', value: 2 }],
      [9, { kind: 'constant', value: 1 }],
    ]);
  });

  it('reports an expression error at the expression', async () => {
    expect(await errors(VALID.replace('100ms', '20ms + 0.05ms * input_tokenz'))).toEqual([
      's.yaml:9:19: fleets[0].service_time: in "20ms + 0.05ms * input_tokenz": unknown name "input_tokenz" (did you mean input_tokens, output_tokens?); known: input_tokens, output_tokens, request_bytes, response_bytes, pi, e, us, µs, ms, s, sec, min, m, h, hr, d, day',
    ]);
  });

  it('checks cross-key rules and collects every error sorted by position', async () => {
    const text = `duration: 5m
warmup: 10m
workload:
  arrivals: { poisson: { rate: 40 }, constant: { rate: 1 } }
fleets:
  - { name: gpu, replicas: 1, instance: aws/p9.huge, service_time: 1s }
  - { name: gpu, replicas: 1, price_per_hour: 1, instance: aws/g5.xlarge, service_time: 1s }
`;
    expect(await errors(text)).toEqual([
      's.yaml:2:9: warmup: expected less than duration (5m); got 10m',
      's.yaml:4:13: workload.arrivals: expected only one of poisson, constant',
      's.yaml:6:41: fleets[0].instance: unknown instance "aws/p9.huge"; closest: aws/g5.xlarge',
      's.yaml:7:5: fleets[1]: expected exactly one of price_per_hour or instance',
      's.yaml:7:13: fleets[1].name: duplicate fleet name "gpu" (also fleets[0])',
    ]);
  });

  it('sessions arrivals: keys resolved, errors located at the key', async () => {
    const sessions = (body: string, extra = '') =>
      VALID.replace('    poisson: { rate: 40 }\n', `    sessions:\n${body}${extra}`);
    const body = `      rate: "0.5 * (1 + sin(t))"
      turns: { uniform: { min: 1, max: 9 } }
      first_message_tokens: 300
      output_tokens: { lognormal: { median: 250, sigma: 0.6 } }
      think_time: 20s
      answer_time_per_token: 20ms
      system_prompt_tokens: 1200
`;
    const scenario = await baseline(sessions(body), ['workload.scale=2']);
    expect(scenario.workload.arrivals).toEqual({
      kind: 'sessions',
      sessions: {
        rate: { kind: 'expression', source: '(0.5 * (1 + sin(t))) * 2' },
        turns: { kind: 'uniform', min: 1, max: 9 },
        firstMessageTokens: { kind: 'constant', value: 300 },
        messageTokens: { kind: 'constant', value: 300 },
        outputTokens: { kind: 'lognormal', mu: Math.log(250), sigma: 0.6 },
        thinkTime: { kind: 'constant', value: 20 },
        answerTimePerToken: 0.02,
        systemPromptTokens: 1200,
      },
    });
    expect(
      await errors(
        sessions(
          `      rate: 1
      turns: 0
      first_message_tokens: 300
      output_tokens: 200
      think_time: 1x
      system_prompt_tokens: 1.5
`,
        ),
      ),
    ).toEqual([
      's.yaml:6:14: workload.arrivals.sessions.turns: expected at least 1 turn',
      's.yaml:9:19: workload.arrivals.sessions.think_time: expected a duration like 250ms, 30s, 5m, 2h, 1d; got "1x"',
      's.yaml:10:29: workload.arrivals.sessions.system_prompt_tokens: expected a non-negative integer',
    ]);
    expect(
      await errors(
        sessions(
          `      rate: 1
      turns: 3
      first_message_tokens: 300
      output_tokens: 200
      think_time: 10s
`,
          '  input_tokens: 500\n',
        ),
      ),
    ).toEqual([
      's.yaml:10:17: workload.input_tokens: sessions arrivals give each turn its input tokens (system_prompt_tokens, first_message_tokens, message_tokens and the answers so far); remove this key',
    ]);
    const empirical = await baseline(
      sessions(`      rate: 1
      turns: 2
      first_message_tokens: 300
      output_tokens: 200
      think_time: { empirical: { path: service-times.csv, column: seconds } }
`),
    );
    expect(
      empirical.workload.arrivals.kind === 'sessions' && empirical.workload.arrivals.sessions.thinkTime,
    ).toEqual({
      kind: 'empirical',
      path: join(FIXTURES, 'service-times.csv'),
      column: 'seconds',
    });
    expect(
      await errors(
        sessions(
          `      rate: 1
      turns: { empirical: { path: nope.csv, column: turns } }
      first_message_tokens: 300
      output_tokens: 200
      think_time: 10s
`,
        ),
      ),
    ).toEqual([
      `s.yaml:6:35: workload.arrivals.sessions.turns.empirical.path: file not found: ${join(FIXTURES, 'nope.csv')}`.replaceAll(
        FIXTURES,
        '',
      ),
    ]);
    expect(await errors(sessions('      rate: "2 * q"\n      turns: 3\n'))).toEqual([
      's.yaml:5:7: workload.arrivals.sessions.first_message_tokens: missing required key',
      's.yaml:5:7: workload.arrivals.sessions.output_tokens: missing required key',
      's.yaml:5:7: workload.arrivals.sessions.think_time: missing required key',
      's.yaml:5:13: workload.arrivals.sessions.rate: in "2 * q": unknown name "q" (did you mean d, e, h?); known: t, pi, e, us, µs, ms, s, sec, min, m, h, hr, d, day',
    ]);
  });

  it('requires a duration unless arrivals are a trace', async () => {
    expect(await errors(VALID.replace('duration: 1h\n', ''))).toEqual([
      's.yaml:1:1: duration: required unless arrivals is a trace',
    ]);
  });

  it('rejects a static batcher that nothing stops from waiting forever for a full batch', async () => {
    // Found by test/invariants/scenario-laws.test.ts: 2 requests for a batch of 4, then a run that
    // never ended (an autoscaler kept ticking for them) or ended at an infinite time and cost.
    const text = `duration: 3s
workload: { arrivals: { constant: { rate: 1 } } }
fleets:
  - name: gpu
    replicas: 1
    price_per_hour: 1
    batching: { policy: static, max_batch: 4 }
    batch_latency: 10ms + 1ms * b
`;
    expect(await errors(`max_drain: null\n${text}`)).toEqual([
      's.yaml:8:15: fleets[0].batching: a static batch that is not full when arrivals stop would wait forever: give max_wait, queue.timeout or a max_drain',
    ]);
    const stopped = [
      text.replace('max_batch: 4', 'max_batch: 4, max_wait: 1s'),
      text.replace('price_per_hour: 1', 'price_per_hour: 1\n    queue: { timeout: 5s }'),
      `max_drain: 1m\n${text}`,
      text, // the default max_drain ends it
    ];
    for (const ending of stopped) expect((await loadScenarioText(ending, FILE)).ok).toBe(true);
  });

  it('reports a missing scenario file as a diagnostic', async () => {
    const result = await loadScenarioFile(join(FIXTURES, 'absent.yaml'));
    expect(result.ok ? [] : result.errors.map(formatDiagnostic)).toEqual([
      `${join(FIXTURES, 'absent.yaml')}:1:1: file not found: ${join(FIXTURES, 'absent.yaml')}`,
    ]);
  });

  it('reports a cv whose distribution parameters would overflow, at the cv', async () => {
    expect(
      await errors(
        VALID.replace('service_time: 100ms', 'service_time: { lognormal: { mean: 1s, cv: 8e299 } }'),
      ),
    ).toEqual(['s.yaml:9:48: fleets[0].service_time.lognormal.cv: cv is too large']);
    expect(
      await errors(VALID.replace('service_time: 100ms', 'service_time: { gamma: { mean: 1s, cv: 1e-200 } }')),
    ).toEqual(['s.yaml:9:44: fleets[0].service_time.gamma.cv: cv is out of range']);
  });

  it('reports autoscaling tables the simulator could not read at load, at the entry', async () => {
    const fleet = (autoscaling: string) =>
      `duration: 1h\nworkload:\n  arrivals: { poisson: { rate: 4 } }\nfleets:\n  - name: gpu\n    replicas: { min: 1, max: 4 }\n    price_per_hour: 1\n    service_time: 100ms\n    autoscaling: ${autoscaling}\n`;
    expect(
      await errors(
        fleet(
          '{ policy: scheduled, schedule: [{ at: "Mon-Fri 08:00", replicas: 2 }, { at: "Mon 08:00", replicas: 3 }] }',
        ),
      ),
    ).toEqual([
      's.yaml:9:94: fleets[0].autoscaling.schedule[1].at: "Mon 08:00": another entry already sets a count at the same time',
    ]);
    expect(
      await errors(
        fleet('{ policy: scheduled, start: "Mon-Fri 00:00", schedule: [{ at: "08:00", replicas: 2 }] }'),
      ),
    ).toEqual(['s.yaml:9:46: fleets[0].autoscaling.start: "Mon-Fri 00:00": start must name one day']);
    expect(
      await errors(
        fleet(
          '{ policy: queue-depth, steps: [{ lower: 0, upper: 5, change: 0 }, { lower: 5, upper: 5, change: 1 }] }',
        ),
      ),
    ).toEqual(['s.yaml:9:84: fleets[0].autoscaling.steps[1]: queue-depth step [5, 5) is empty']);
    expect(
      await errors(
        fleet('{ policy: queue-depth, steps: [{ lower: 2, change: 1 }, { upper: 3, change: -1 }] }'),
      ),
    ).toEqual(['s.yaml:9:74: fleets[0].autoscaling.steps[1]: queue-depth steps overlap']);
    expect(
      await errors(
        fleet('{ policy: queue-depth, steps: [{ lower: 2, change: 1 }], period: 90s, scrape_interval: 1m }'),
      ),
    ).toEqual(['s.yaml:9:83: fleets[0].autoscaling.period: expected a whole number of scrape_interval']);
    expect(
      await errors(fleet('{ policy: predictive, target: 5, season: 1h, bucket: 7m, scrape_interval: 2m }')),
    ).toEqual([
      's.yaml:9:71: fleets[0].autoscaling.bucket: expected a whole number of scrape_interval (120 s)',
    ]);
    expect(
      await errors(
        fleet(
          '{ policy: predictive, target: 5, season: 1h, bucket: 10m, reactive: { policy: target-tracking, metric: concurrency, target: 4, scrape_interval: 7m } }',
        ),
      ),
    ).toEqual([
      "s.yaml:9:71: fleets[0].autoscaling.bucket: expected a whole number of the reactive policy's scrape_interval (420 s)",
    ]);
    expect(
      await errors(fleet('{ policy: predictive, target: 5, season: 1h, bucket: 7m, scrape_interval: 1m }')),
    ).toEqual(['s.yaml:9:59: fleets[0].autoscaling.season: expected a whole number of buckets']);
    // Seven days of one-minute buckets is the most; a second more per bucket-season is refused.
    const week = await loadScenarioText(
      fleet('{ policy: predictive, target: 5, season: 7d, bucket: 1m, scrape_interval: 1m }'),
      FILE,
    );
    expect(week.ok).toBe(true);
    expect(
      await errors(
        fleet('{ policy: predictive, target: 5, season: 10081m, bucket: 1m, scrape_interval: 1m }'),
      ),
    ).toEqual([
      's.yaml:9:59: fleets[0].autoscaling.season: expected at most 10,080 buckets of 60 s: the forecast keeps a value per bucket of a season and reads up to a season of them at each decision',
    ]);
  });
});

describe('loadScenarioObject', () => {
  const object = {
    duration: 60,
    workload: {
      arrivals: { constant: { rate: 2 } },
      input_tokens: { empirical: { path: 'x.csv', column: 'n' } },
    },
    fleets: [{ name: 'gpu', replicas: 1, price_per_hour: 1, service_time: 0.1 }],
  };

  it('resolves relative paths against baseDir', async () => {
    const result = await loadScenarioObject(
      { ...object, workload: { ...object.workload, input_tokens: 5 } },
      { baseDir: FIXTURES },
    );
    expect(result.ok && result.value.variants[0].scenario.name).toBe('scenario');
  });

  it('locates errors at <scenario>:1:1 with the path in the message', async () => {
    const result = await loadScenarioObject(
      { ...object, seed: -1 },
      { baseDir: FIXTURES, set: ['fleets.0.replicas=0'] },
    );
    expect(result.ok ? [] : result.errors.map(formatDiagnostic)).toEqual([
      '--set:1:19: fleets[0].replicas: expected a positive integer',
      '<scenario>:1:1: seed: expected a non-negative integer',
      `<scenario>:1:1: workload.input_tokens.empirical.path: file not found: ${join(FIXTURES, 'x.csv')}`,
    ]);
  });
});
