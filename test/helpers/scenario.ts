import { DEFAULT_RUN_LIMITS, type Fleet, type Scenario } from '../../src/scenario/types.js';

/** A resolved single-fleet scenario with every default spelled out; tests override what they vary. */
export function makeScenario(overrides: Partial<Scenario> = {}, fleet: Partial<Fleet> = {}): Scenario {
  return {
    name: 'test',
    seed: 1,
    duration: 1000,
    warmup: 0,
    maxDrain: Number.POSITIVE_INFINITY,
    limits: DEFAULT_RUN_LIMITS,
    workload: { arrivals: { kind: 'poisson', rate: { kind: 'constant', value: 1 } }, attributes: {} },
    model: null,
    network: null,
    dataTransfer: null,
    fleets: [makeFleet(fleet)],
    routing: { policy: 'least-outstanding' },
    metrics: { interval: null, flapWindow: 300 },
    modelUncertainty: false,
    ...overrides,
  };
}

/** A fixed fleet unless `fleet` says otherwise: its bounds follow `replicas`. */
export function makeFleet(fleet: Partial<Fleet> = {}): Fleet {
  const replicas = fleet.replicas ?? 1;
  return {
    name: 'servers',
    replicas,
    minReplicas: replicas,
    maxReplicas: replicas,
    startup: { kind: 'constant', value: 0 },
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
    priceUsdPerHour: 1,
    instance: null,
    serviceTime: { kind: 'exponential', mean: 0.5 },
    batching: { policy: 'none' },
    batchLatency: null,
    stepTime: null,
    queue: { capacity: Number.POSITIVE_INFINITY, timeout: null },
    billing: { increment: 1, minimum: 60 },
    energy: {},
    ...fleet,
  };
}
