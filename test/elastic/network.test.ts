import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/run.js';
import { loadScenarioObject, RunInputError } from '../../src/scenario/index.js';

async function run(input: object) {
  return (await runScenario(input)).results[0];
}

describe('edge offload', () => {
  it('keeps what the edge can hold and sends the excess to the cloud', async () => {
    // 3 requests/s of exactly 1 s; the edge holds 2 at once and queues none: 2/s stay, 1/s goes to the cloud.
    const result = await run({
      duration: '10m',
      workload: { arrivals: { constant: { rate: 3 } } },
      fleets: [
        { name: 'edge', replicas: 1, concurrency: 2, price_per_hour: 0.05, service_time: '1s' },
        { name: 'cloud', replicas: 2, concurrency: 4, instance: 'aws/g5.xlarge', service_time: '1s' },
      ],
      routing: { policy: 'offload', edge: 'edge', cloud: 'cloud' },
    });
    expect(result.offload?.edge_share).toBeCloseTo(2 / 3, 2);
    expect(result.requests.dropped).toBe(0);
    expect(result.utilization.edge).toBeGreaterThan(0.99);
  });

  it('sends requests above the size limit to the cloud', async () => {
    const result = await run({
      duration: '1m',
      workload: { arrivals: { poisson: { rate: 2 } }, input_tokens: { uniform: { min: 0, max: 2000 } } },
      fleets: [
        { name: 'edge', replicas: 4, concurrency: 8, price_per_hour: 0.05, service_time: '10ms' },
        { name: 'cloud', replicas: 1, price_per_hour: 1, service_time: '10ms' },
      ],
      routing: { policy: 'offload', edge: 'edge', cloud: 'cloud', max_input_tokens: 500 },
    });
    const counts = result.offload;
    expect(counts?.overflow).toBe(0);
    // A quarter of uniform(0, 2000) is at most 500.
    expect((counts?.edge ?? 0) / ((counts?.edge ?? 0) + (counts?.oversize ?? 0))).toBeCloseTo(0.25, 1);
  });
});

describe('network time and data transfer', () => {
  const base = {
    duration: '10m',
    workload: { arrivals: { constant: { rate: 1 } }, response_bytes: '100KB' },
    fleets: [{ name: 'gpu', replicas: 1, instance: 'aws/g5.xlarge', service_time: '200ms' }],
  };

  it('adds one round trip and the response over the bandwidth to the latency', async () => {
    const result = await run({
      ...base,
      network: { origin: 'users', rtt: { users: { 'us-east-1': '50ms' } }, bandwidth: { down: '8Mbps' } },
    });
    // 200 ms of service + 50 ms round trip + 100 KB at 1 MB/s.
    expect(result.latency_s.max).toBeCloseTo(0.35, 9);
    expect(result.queue_wait_s.max).toBe(0);
  });

  it('a bandwidth so small that a response would never arrive fails the run as a user error', async () => {
    const error = await runScenario({
      ...base,
      network: { origin: 'users', rtt: { users: { 'us-east-1': '50ms' } }, bandwidth: { down: 1e-308 } },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunInputError);
    expect((error as Error).message).toBe(
      'network: a request of 0 bytes (response 100000 bytes) over network.bandwidth up Infinity B/s, down 1e-308 B/s takes longer than any simulated time',
    );
  });

  it('refuses a round trip too long to count in microseconds where it is written', async () => {
    const loaded = await loadScenarioObject({
      ...base,
      network: { origin: 'users', rtt: { users: { 'us-east-1': '1e308ms' } } },
    });
    expect(loaded.ok ? [] : loaded.errors.map((e) => e.message)).toEqual([
      'network.rtt.users.us-east-1: expected at most 285 years (2^53 us): the simulation clock counts whole microseconds',
    ]);
  });

  it('prices response bytes as internet egress from the fleet region', async () => {
    const result = await run({ ...base, data_transfer: { tiering: 'run', month_to_date: '200GB' } });
    // Beyond AWS's free 100 GB a month: $0.09 per GB from us-east-1; every completed response.
    const completed = result.requests.completed + result.requests.in_flight_at_end;
    expect(result.cost_usd.transfer).toBeCloseTo((completed * 100e3 * 0.09) / 1e9, 12);
    expect(result.cost_usd.total).toBeCloseTo(result.cost_usd.compute + result.cost_usd.transfer, 12);
  });

  it('reports a missing round trip with the place to add', async () => {
    const loaded = await loadScenarioObject({
      ...base,
      network: { origin: 'users', rtt: { users: { 'ap-southeast-2': '50ms' } } },
    });
    expect(loaded.ok ? [] : loaded.errors.map((e) => e.message)).toEqual([
      'network.rtt: no RTT between "users" and "us-east-1": add network.rtt.users.us-east-1 (one direction is enough)',
    ]);
  });
});
