import { fileURLToPath } from 'node:url';
import fc from 'fast-check';

/**
 * Random scenario files, as a user writes them (the object a YAML file parses to), for property
 * tests: they go through the loader, so every one of them is a scenario `fleetsim run` accepts,
 * and a counterexample reads as a scenario to paste into a file. Values are round numbers with
 * units ("250ms"), so shrunk cases stay readable. Runs last seconds, and every timescale
 * (autoscaler periods, startups, reclaim notices, outages, batch waits) is scaled down to match,
 * so each mechanism acts many times within a run.
 */
export type ScenarioObject = Record<string, unknown>;

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

export const FIXTURES = {
  reclaims: [fixture('elastic/reclaims-2-5-9.csv'), fixture('elastic/reclaim-at-10s.csv')],
  unavailable: [fixture('elastic/unavailable-1-4-8-12.csv'), fixture('elastic/unavailable-5-100.csv')],
  spotPrice: fixture('elastic/spot-price-steps.csv'),
  vidur: fixture('traces/vidur-splitwise-conv-200.csv'),
  profile: fileURLToPath(
    new URL('../../data/validation/splitwise_perf_model_llama2-70b.csv', import.meta.url),
  ),
  mooncake: fixture('traces/mooncake-synthetic-200.jsonl'),
};

export type FleetKind = 'plain' | 'static' | 'dynamic' | 'continuous';

const int = (min: number, max: number) => fc.integer({ min, max });
const ms = (min: number, max: number) => int(min, max).map((v) => `${v}ms`);
const seconds = (min: number, max: number) => int(min, max).map((v) => `${v}s`);
/** A number with two decimals in [min, max]. */
const decimal = (min: number, max: number) =>
  int(Math.round(min * 100), Math.round(max * 100)).map((v) => v / 100);

const serviceTime = fc.oneof(
  ms(1, 400),
  fc.record({ exponential: fc.record({ mean: ms(5, 500) }) }),
  fc.record({ lognormal: fc.record({ median: ms(5, 300), sigma: decimal(0.1, 1.5) }) }),
  fc.record({ gamma: fc.record({ mean: ms(5, 300), cv: decimal(0.2, 3) }) }),
  fc.record({
    uniform: fc.tuple(int(0, 100), int(1, 300)).map(([a, b]) => ({ min: `${a}ms`, max: `${a + b}ms` })),
  }),
  fc.tuple(int(1, 50), int(0, 500)).map(([fixed, perToken]) => `${fixed}ms + ${perToken}us * input_tokens`),
);

const batchLatency = fc.oneof(
  fc.tuple(int(1, 100), int(0, 30)).map(([fixed, perRequest]) => `${fixed}ms + ${perRequest}ms * b`),
  fc.tuple(int(1, 80), int(2, 16), int(0, 200)).map(([first, batch, more]) => ({
    table: [
      { batch: 1, latency: `${first}ms` },
      { batch, latency: `${first + more}ms` },
    ],
  })),
);

const staticBatching = fc.record({
  policy: fc.constant('static'),
  max_batch: int(1, 8),
  max_wait: fc.option(ms(1, 500), { nil: null, freq: 2 }),
});

const dynamicBatching = int(1, 16).chain((maxBatch) =>
  fc.record({
    policy: fc.constant('dynamic'),
    max_batch: fc.constant(maxBatch),
    max_queue_delay: ms(0, 200),
    preferred_batch_sizes: fc
      .uniqueArray(int(1, maxBatch), { maxLength: 3 })
      .map((s) => s.sort((a, b) => a - b)),
  }),
);

/**
 * Small KV caches and token budgets, so that sequences are preempted and recomputed, prompts are
 * chunked, and some requests can never fit and are rejected.
 */
const continuousBatching = fc.record({
  policy: fc.constant('continuous'),
  max_num_seqs: int(1, 24),
  max_num_batched_tokens: int(8, 1024),
  chunked_prefill: fc.boolean(),
  block_size: fc.constantFrom(1, 4, 16),
  kv_cache_tokens: fc.oneof(
    { weight: 4, arbitrary: int(16, 4000) },
    { weight: 1, arbitrary: fc.constant(null) },
  ),
});

const scaleRules = fc.record({
  stabilization_window: ms(0, 3000),
  select_policy: fc.constantFrom('max', 'min', 'disabled'),
  policies: fc.array(
    fc.oneof(
      fc.record({ type: fc.constant('pods'), value: int(1, 4), period: ms(500, 3000) }),
      fc.record({ type: fc.constant('percent'), value: int(10, 300), period: ms(500, 3000) }),
    ),
    { minLength: 1, maxLength: 2 },
  ),
});

/** `scrape` fixes the scrape interval where a predictive policy needs it to divide its bucket. */
const targetTracking = (scrape?: string) =>
  fc
    .record({
      policy: fc.constant('target-tracking'),
      metric: fc.constantFrom('utilization', 'concurrency', 'rps_per_replica', 'queue_per_replica'),
      target: decimal(0.2, 6),
      tolerance: fc.constantFrom(0, 0.1, 0.3),
      sync_period: ms(500, 3000),
      scrape_interval: scrape === undefined ? ms(250, 2000) : fc.constant(scrape),
      metric_delay: ms(0, 1500),
      behavior: fc.record({ scale_up: scaleRules, scale_down: scaleRules }),
    })
    .map((c) => (c.metric === 'utilization' ? { ...c, target: Math.min(c.target, 0.95) } : c));

const concurrency = (scrape?: string) =>
  fc.record({
    policy: fc.constant('concurrency'),
    metric: fc.constantFrom('concurrency', 'rps'),
    target: decimal(0.3, 6),
    target_utilization: decimal(0.3, 1),
    stable_window: seconds(1, 10),
    panic_window_percentage: int(5, 100),
    panic_threshold: decimal(1.1, 3),
    max_scale_up_rate: decimal(1.1, 10),
    max_scale_down_rate: decimal(1.1, 4),
    scale_down_delay: seconds(0, 3),
    scale_to_zero_grace_period: seconds(0, 5),
    tick_interval: ms(500, 2000),
    scrape_interval: scrape === undefined ? ms(250, 1000) : fc.constant(scrape),
    metric_delay: ms(0, 1000),
  });

/** Steps around a band where the backlog per replica holds the count; below it scales in, above it out. */
const queueDepth = (scrape?: string) =>
  fc
    .record({
      low: int(0, 3),
      band: int(0, 3),
      percent: fc.boolean(),
      down: int(1, 3),
      up: int(1, 4),
      min_adjustment_magnitude: int(0, 2),
      cooldown: ms(0, 5000),
      periods: int(1, 4),
      evaluation_periods: int(1, 3),
      metric_delay: ms(0, 1000),
    })
    .map((q) => {
      const high = q.low + q.band;
      const [down, up] = q.percent ? [-25 * q.down, 50 * q.up] : [-q.down, q.up];
      const steps = [
        ...(q.low > 0 ? [{ lower: null, upper: q.low, change: down }] : []),
        ...(q.band > 0 ? [{ lower: q.low, upper: high, change: 0 }] : []),
        { lower: high, upper: null, change: up },
      ];
      // The period is a whole number of scrape intervals.
      const scrapeMs = scrape === undefined ? 500 : Number.parseInt(scrape, 10);
      return {
        policy: 'queue-depth',
        steps,
        adjustment_type: q.percent ? 'percent' : 'change',
        min_adjustment_magnitude: q.min_adjustment_magnitude,
        cooldown: q.cooldown,
        period: `${scrapeMs * q.periods}ms`,
        evaluation_periods: q.evaluation_periods,
        scrape_interval: `${scrapeMs}ms`,
        metric_delay: q.metric_delay,
      };
    });

/**
 * Entries a minute apart from the start of the week (and one just before it, which applies at
 * time 0 when the table wraps); the table has minute resolution, so a run needs minutes to see
 * them (see `SCHEDULED_MIN_DURATION_S`).
 */
const scheduled = (max: number) =>
  fc.record({
    policy: fc.constant('scheduled'),
    start: fc.constantFrom('Mon 00:00', 'Sun 23:59'),
    schedule: fc
      .uniqueArray(fc.constantFrom('Mon 00:00', '00:01', 'Mon-Fri 00:02', 'Sat,Sun 00:02', 'Sun 23:59'), {
        minLength: 1,
        maxLength: 4,
      })
      .chain((times) =>
        fc.tuple(...times.map((at) => fc.record({ at: fc.constant(at), replicas: int(0, max + 1) }))),
      ),
  });

const SCHEDULED_MIN_DURATION_S = 61;

const predictive = fc.constantFrom('500ms', '1s').chain((scrape) =>
  fc
    .record({
      method: fc.constantFrom('holt-winters', 'seasonal-naive'),
      target: decimal(0.3, 8),
      buckets: int(1, 4),
      seasonBuckets: int(1, 5),
      lead: ms(0, 5000),
      alpha: decimal(0.01, 1),
      beta: decimal(0, 1),
      gamma: decimal(0, 1),
      reactive: fc.option(fc.oneof(targetTracking(scrape), concurrency(scrape), queueDepth(scrape)), {
        nil: null,
        freq: 2,
      }),
    })
    .map(({ buckets, seasonBuckets, ...p }) => {
      const bucketMs = Number.parseInt(scrape, 10) * (scrape.endsWith('ms') ? 1 : 1000) * buckets;
      return {
        policy: 'predictive',
        ...p,
        bucket: `${bucketMs}ms`,
        season: `${bucketMs * seasonBuckets}ms`,
        scrape_interval: scrape,
      };
    }),
);

const autoscaling = (max: number) =>
  fc.oneof(targetTracking(), concurrency(), queueDepth(), scheduled(max), predictive);

/** A fixed count, or bounds with one of the autoscalers. */
const capacity = fc.oneof(
  { weight: 2, arbitrary: int(1, 3).map((replicas) => ({ replicas })) },
  {
    weight: 3,
    arbitrary: fc
      .record({ min: int(0, 2), extra: int(0, 4), initial: int(0, 4) })
      .chain(({ min, extra, initial }) => {
        const max = Math.max(1, min + extra);
        return autoscaling(max).map((policy) => ({
          replicas: { min, max, initial: Math.min(max, min + initial) },
          autoscaling: policy,
        }));
      }),
  },
);

/** Target-tracking on the share of KV cache in use (a fraction, like utilization); other capacities as they are. */
function onKvCache<Capacity extends object>(capacity: Capacity): Capacity {
  const autoscaling = (capacity as { autoscaling?: { policy: string; target: number } }).autoscaling;
  if (autoscaling?.policy !== 'target-tracking') return capacity;
  return {
    ...capacity,
    autoscaling: {
      ...autoscaling,
      metric: 'kv_cache_utilization',
      target: Math.min(autoscaling.target, 0.95),
    },
  };
}

/** Spot reclaims at a rate or from a trace, capacity outages, and what becomes of interrupted requests. */
const elastic = fc.record(
  {
    interruption: fc.oneof(
      fc.record({ per_hour: int(50, 3000), notice: ms(0, 2000) }),
      fc.record({ trace: fc.constantFrom(...FIXTURES.reclaims), notice: ms(0, 2000) }),
    ),
    on_interrupt: fc.constantFrom('requeue', 'retry-elsewhere', 'drop'),
    unavailable: fc.oneof(
      fc.record({ per_hour: int(100, 3000), mean_duration: ms(200, 4000) }),
      fc.record({ trace: fc.constantFrom(...FIXTURES.unavailable) }),
    ),
    startup: fc.oneof(ms(0, 3000), fc.record({ exponential: fc.record({ mean: ms(50, 2000) }) })),
  },
  { requiredKeys: [] },
);

/** What a replica costs: a plain price, or a catalog instance in one of its markets (spot with a changing price). */
const price = (accelerated: boolean) =>
  fc.oneof(
    {
      weight: 3,
      arbitrary: decimal(0.05, 5).map((p) => ({
        price_per_hour: p,
        ...(accelerated && { hardware: { accelerator: { name: 'l40s' } } }),
      })),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        { instance: 'aws/g5.xlarge', market: 'on-demand' },
        { instance: 'aws/g6.xlarge', market: 'spot' },
        { instance: 'aws/g6.xlarge', market: 'spot', spot_price: { trace: FIXTURES.spotPrice } },
        { instance: 'aws/g6e.xlarge', market: 'reserved' },
        { instance: 'aws/g6.12xlarge', market: 'on-demand' },
        // Four T4s: an accelerator on class defaults, which no other choice here is.
        { instance: 'aws/g4dn.12xlarge', market: 'on-demand' },
      ),
    },
  );

const billing = fc.option(
  fc.record({ increment: fc.constantFrom('1s', '10s', '1m'), minimum: fc.constantFrom('0s', '1s', '60s') }),
  { nil: undefined, freq: 2 },
);

const queue = fc.record(
  {
    capacity: fc.option(int(0, 4), { nil: null, freq: 2 }),
    timeout: fc.option(ms(20, 3000), { nil: null, freq: 2 }),
  },
  { requiredKeys: [] },
);

const fleet = (name: string, kind: FleetKind) =>
  fc
    .record({
      capacity,
      /** An LLM fleet's target-tracking scales on its KV cache instead. */
      kvSignal: fc.boolean(),
      elastic,
      price: price(kind === 'continuous'),
      billing,
      queue,
      concurrency: int(1, 4),
      serviceTime,
      batchLatency,
      /** A measured step-time profile instead of the roofline, at one of its tensor-parallel widths. */
      profile: fc.option(
        fc.record({ tensor_parallel: fc.constantFrom(2, 4, 8), kv_cache_tokens: int(64, 20_000) }),
        { nil: null, freq: 2 },
      ),
      batching:
        kind === 'static'
          ? staticBatching
          : kind === 'dynamic'
            ? dynamicBatching
            : kind === 'continuous'
              ? continuousBatching
              : fc.constant({ policy: 'none' }),
    })
    .map((f): ScenarioObject => {
      const isLlm = kind === 'continuous';
      const batched = kind === 'static' || kind === 'dynamic';
      if (isLlm && f.kvSignal) f.capacity = onKvCache(f.capacity);
      if (isLlm && f.profile !== null) {
        return {
          name,
          ...f.capacity,
          ...f.elastic,
          price_per_hour: 'price_per_hour' in f.price ? f.price.price_per_hour : 12,
          ...(f.billing && { billing: f.billing }),
          queue: f.queue,
          batching: { ...f.batching, ...f.profile },
          step_time: { profile: { path: FIXTURES.profile, model: 'llama2-70b', hardware: 'a100-80gb' } },
        };
      }
      return {
        name,
        ...f.capacity,
        ...f.elastic,
        ...f.price,
        ...(f.billing && { billing: f.billing }),
        queue: f.queue,
        ...(!isLlm && { concurrency: f.concurrency }),
        ...(kind === 'plain' && { service_time: f.serviceTime }),
        ...(batched && { batch_latency: f.batchLatency }),
        ...(kind !== 'plain' && { batching: f.batching }),
      };
    });

const tokens = (max: number) =>
  fc.oneof(
    int(1, max),
    fc
      .tuple(int(0, max), int(0, max))
      .map(([a, b]) => ({ uniform: { min: Math.min(a, b), max: Math.max(a, b) + 1 } })),
    fc.record({ lognormal: fc.record({ median: int(1, max), sigma: decimal(0.1, 1.2) }) }),
  );

const syntheticArrivals = (maxRate: number) =>
  fc.oneof(
    fc.record({ poisson: fc.record({ rate: decimal(0.2, maxRate) }) }),
    fc.tuple(decimal(0.2, maxRate), decimal(0.1, 0.9), int(2, 20)).map(([rate, swing, period]) => ({
      poisson: { rate: `${rate} * (1 + ${swing} * sin(2 * pi * t / ${period}))` },
    })),
    fc.record({ gamma: fc.record({ rate: decimal(0.2, maxRate), cv: decimal(0.2, 4) }) }),
    fc.record({ constant: fc.record({ rate: decimal(0.2, maxRate) }) }),
  );

/** Replays of real LLM traces, cut short and sped up: their prompts reach the tens of thousands of tokens. */
const traceArrivals = fc.oneof(
  fc.record({
    trace: fc.record({ path: fc.constant(FIXTURES.vidur), limit: int(5, 60), speed: int(5, 40) }),
  }),
  fc.record({
    trace: fc.record({ path: fc.constant(FIXTURES.mooncake), limit: int(5, 40), speed: int(1, 4) }),
  }),
);

const routing = (names: string[]) => {
  const within = fc.constantFrom('round-robin', 'random', 'least-outstanding', 'power-of-two');
  const replicaPolicy = within.map((policy) => ({ policy }));
  if (names.length === 1) return replicaPolicy;
  return fc.oneof(
    replicaPolicy,
    fc.tuple(fc.tuple(...names.map(() => int(0, 3))), within).map(([weights, w]) => ({
      policy: 'weighted',
      weights: Object.fromEntries(names.map((n, i) => [n, i === 0 ? Math.max(1, weights[i]) : weights[i]])),
      within: w,
    })),
    fc.record({
      policy: fc.constant('spillover'),
      order: fc.shuffledSubarray(names, { minLength: 1 }),
      within,
      max_queue_per_replica: int(0, 3),
    }),
    fc
      .record({
        pair: fc.shuffledSubarray(names, { minLength: 2, maxLength: 2 }),
        within,
        max_queue_per_replica: int(0, 3),
        max_input_tokens: fc.option(int(1, 400), { nil: null, freq: 2 }),
        max_request_bytes: fc.option(int(100, 4000), { nil: null, freq: 2 }),
      })
      .map(({ pair: [edge, cloud], ...rest }) => ({ policy: 'offload', edge, cloud, ...rest })),
  );
};

const slo = (llm: boolean) =>
  fc.option(
    fc.record(
      {
        latency_p99: ms(10, 5000),
        queue_wait_p90: ms(1, 2000),
        ...(llm && { ttft_p95: ms(10, 3000), tpot_p99: ms(1, 300) }),
        max_drop_rate: fc.constantFrom(0, 0.01, 0.5, 1),
      },
      { requiredKeys: [] },
    ),
    { nil: undefined, freq: 2 },
  );

const CROSS_FLEET = ['weighted', 'spillover', 'offload'];

export interface ScenarioShape {
  /** Fleet kinds to draw from (each fleet draws its own). */
  kinds: FleetKind[];
  maxFleets: number;
  /**
   * Disaggregated serving: the first LLM fleet prefills and the last decodes (the others, if any,
   * stay colocated), over a drawn KV link; routing is then a replica policy over the prefill-capable
   * fleets, and no fallback involves the decode fleet. Needs two LLM fleets: draw at least two.
   */
  disaggregate?: boolean;
}

/**
 * A scenario of up to `maxFleets` fleets of the given kinds, every elastic mechanism optional on
 * each, cross-fleet routing, fallbacks, optional network, data transfer and SLO. Rates and
 * lengths keep a run to a few thousand requests (far fewer with LLM fleets, whose iterations cost more).
 */
export function scenarioArbitrary(shape: ScenarioShape): fc.Arbitrary<ScenarioObject> {
  return fc
    .array(fc.constantFrom(...shape.kinds), {
      minLength: shape.disaggregate ? 2 : 1,
      maxLength: shape.maxFleets,
    })
    .chain((kinds) => {
      const names = kinds.map((_, i) => `f${i}`);
      const llm = kinds.includes('continuous');
      return fc.record({
        seed: int(0, 10_000),
        fleets: fc.tuple(...kinds.map((kind, i) => fleet(names[i], kind))),
        fallbacks: fc.tuple(
          ...names.map(() =>
            names.length === 1
              ? fc.constant(null)
              : fc.option(int(1, names.length - 1), { nil: null, freq: 2 }),
          ),
        ),
        routing: routing(names),
        arrivals: llm
          ? fc.oneof({ weight: 3, arbitrary: syntheticArrivals(8) }, { weight: 1, arbitrary: traceArrivals })
          : syntheticArrivals(40),
        inputTokens: tokens(llm ? 600 : 800),
        outputTokens: tokens(48),
        requestBytes: fc.option(fc.constantFrom('1KB', '3KB', { uniform: { min: '100B', max: '4KB' } }), {
          nil: undefined,
          freq: 2,
        }),
        responseBytes: fc.option(fc.constantFrom('20KB', { exponential: { mean: '200KB' } }), {
          nil: undefined,
          freq: 2,
        }),
        duration: int(2, llm ? 15 : 40),
        warmupTenths: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: int(1, 8) }),
        maxDrain: fc.option(ms(0, 4000), { nil: null, freq: 2 }),
        model: fc.constantFrom('Llama-3.1-8B', 'Mistral-7B', 'Qwen2.5-7B', 'Llama-2-7B'),
        network: fc.option(
          fc.record({
            rttMs: int(1, 80),
            up: fc.constantFrom(undefined, '20Mbps'),
            down: fc.constantFrom(undefined, '100Mbps'),
          }),
          { nil: null, freq: 2 },
        ),
        dataTransfer: fc.option(
          fc.constantFrom({ tiering: 'prorated' }, { tiering: 'run', month_to_date: '200GB' }),
          { nil: null, freq: 2 },
        ),
        slo: slo(llm),
        interval: fc.option(fc.constantFrom('250ms', '1s', '3s'), { nil: null, freq: 2 }),
        ...(shape.disaggregate && {
          kvLink: fc.record({
            bandwidth: fc.constantFrom('1Gbps', '25Gbps', '400Gbps'),
            latency: fc.constantFrom('10us', '1ms', '20ms'),
          }),
        }),
      });
    })
    .map((p) => {
      const llmFleets = p.fleets.flatMap((f, i) =>
        (f.batching as { policy?: string } | undefined)?.policy === 'continuous' ? [i] : [],
      );
      const roles = new Map<number, string>();
      if (p.kvLink !== undefined && llmFleets.length >= 2) {
        roles.set(llmFleets[0], 'prefill');
        roles.set(llmFleets[llmFleets.length - 1], 'decode');
      }
      const decodeAt = [...roles].find(([, role]) => role === 'decode')?.[0];
      const fleets = p.fleets.map((f, i) => {
        if (roles.has(i)) {
          f = { ...f, role: roles.get(i) };
          // A decode fleet keeps a replica: prefill replicas hand requests only to ready ones.
          const replicas = f.replicas as { min?: number; initial?: number } | number;
          if (i === decodeAt && typeof replicas === 'object' && replicas.min === 0) {
            f = { ...f, replicas: { ...replicas, min: 1, initial: Math.max(1, replicas.initial ?? 1) } };
          }
          // Requests reach a decode fleet only through a prefill fleet.
          const fallbackTo = (i + (p.fallbacks[i] ?? 0)) % p.fleets.length;
          if (i === decodeAt || fallbackTo === decodeAt) p.fallbacks[i] = null;
        } else if (
          p.fallbacks[i] !== null &&
          (i + (p.fallbacks[i] as number)) % p.fleets.length === decodeAt
        ) {
          p.fallbacks[i] = null;
        }
        const fallback = p.fallbacks[i];
        const withFallback =
          fallback !== null && p.fleets.length > 1
            ? { ...f, fallback: p.fleets[(i + fallback) % p.fleets.length].name }
            : f;
        return p.network !== null && withFallback.instance === undefined
          ? { ...withFallback, site: `edge-${f.name}` }
          : withFallback;
      });
      const isTrace = 'trace' in p.arrivals;
      const scheduledFleet = fleets.some(
        (f) => (f.autoscaling as { policy?: string } | undefined)?.policy === 'scheduled',
      );
      // Scheduled counts change a minute apart: such a run lasts past the first change, at a low rate.
      const duration = isTrace ? null : scheduledFleet ? SCHEDULED_MIN_DURATION_S + p.duration : p.duration;
      const arrivals = scheduledFleet && !isTrace ? { constant: { rate: 1 } } : p.arrivals;
      const maxDrain = p.maxDrain;
      const scenario: ScenarioObject = {
        seed: p.seed,
        duration,
        ...(duration !== null && p.warmupTenths > 0 && { warmup: (duration * p.warmupTenths) / 10 }),
        max_drain: maxDrain,
        workload: {
          arrivals,
          input_tokens: p.inputTokens,
          output_tokens: p.outputTokens,
          ...(p.requestBytes !== undefined && { request_bytes: p.requestBytes }),
          ...(p.responseBytes !== undefined && { response_bytes: p.responseBytes }),
        },
        ...(fleets.some((f) => (f.batching as { policy?: string } | undefined)?.policy === 'continuous') && {
          model: { llm: { preset: p.model } },
        }),
        ...(p.network !== null && {
          network: {
            origin: 'users',
            rtt: {
              users: Object.fromEntries([
                ['us-east-1', `${p.network.rttMs}ms`],
                ...fleets
                  .filter((f) => f.site !== undefined)
                  .map((f) => [f.site, `${Math.ceil(p.network!.rttMs / 4)}ms`]),
              ]),
            },
            bandwidth: {
              ...(p.network.up !== undefined && { up: p.network.up }),
              ...(p.network.down !== undefined && { down: p.network.down }),
            },
          },
        }),
        ...(p.dataTransfer !== null && { data_transfer: p.dataTransfer }),
        fleets: fleets.map((f) => withEndingStaticBatches(f, maxDrain)),
        // Cross-fleet routing may name the decode fleet: route over one pool instead.
        routing:
          decodeAt !== undefined && CROSS_FLEET.includes((p.routing as { policy: string }).policy)
            ? { policy: 'least-outstanding' }
            : p.routing,
        ...(decodeAt !== undefined && p.kvLink !== undefined && { disaggregation: { kv_link: p.kvLink } }),
        ...(p.interval !== null && { metrics: { interval: p.interval } }),
        ...(p.slo !== undefined && Object.keys(p.slo).length > 0 && { slo: p.slo }),
      };
      return scenario;
    });
}

/**
 * A static batcher without `max_wait` needs a queue timeout or a drain limit, or the loader rejects
 * the scenario (its last batch could wait forever); give it a timeout.
 */
function withEndingStaticBatches(fleet: ScenarioObject, maxDrain: string | null): ScenarioObject {
  const batching = fleet.batching as { policy: string; max_wait?: string | null } | undefined;
  const queue = fleet.queue as { timeout?: string | null };
  if (
    batching?.policy !== 'static' ||
    batching.max_wait != null ||
    queue.timeout != null ||
    maxDrain !== null
  ) {
    return fleet;
  }
  return { ...fleet, queue: { ...queue, timeout: '2s' } };
}
