/**
 * What prefix caching and cache-aware routing cost in simulation time: the demo scenario
 * (scenarios/demo.yaml, the Azure LLM 2023 conversation trace on two L40S; its baseline only)
 * run four ways through `runScenario`:
 *
 *   off          prefix_caching: false
 *   off, shared  the same, every prompt starting with one of 8 system prompts of 800 tokens
 *                (workload.shared_prefix): the workload the next two cache
 *   cached       prefix_caching: true on that workload, least-outstanding routing
 *   cache-aware  the same, routed by `cache-aware`
 *
 * The limit: caching and routing add at most 30 % to the wall time of the run with caching off.
 * Both readings are printed: against `off` (the demo as it ships, with caching off), and against
 * `off, shared` (the same workload as the cached runs, so what the cache and the routing cost).
 * The machine is shared and noisy, so an unmeasured warm-up round runs each first (JIT
 * compilation), then measured rounds rotate which goes first; a sample is 3 runs back to back
 * (BENCH_REPEAT), after a full garbage collection so that it starts from the same heap whatever
 * ran before it; each round's ratios compare samples made back to back, and the median round's
 * ratio is the figure, in wall time and in CPU time (steadier where other processes take turns on
 * the cores).
 *
 *   npm run bench:prefix      (BENCH_ROUNDS=3 for a quicker look)
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parse } from 'yaml';
import type { runScenario as RunScenario } from '../src/index.js';
import { cpuSeconds } from './mmc-runs.js';

// The build in dist/ (`npm run build`): it finds the instance catalog in pricing/, which a
// scenario on an instance type needs and dist-bench/ does not hold.
const { runScenario } = (await import(new URL('../../dist/index.js', import.meta.url).href)) as {
  runScenario: typeof RunScenario;
};
const SCENARIOS = fileURLToPath(new URL('../../scenarios/', import.meta.url));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
/** Runs back to back in each measured sample: one run is a fraction of a second, shorter than the other processes' bursts. */
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);
const LIMIT = 1.3;

const demo = parse(readFileSync(`${SCENARIOS}demo.yaml`, 'utf8')) as Record<string, unknown>;
delete demo.variants;

interface Way {
  name: string;
  set: string[];
}

const WAYS: Way[] = [
  { name: 'off', set: ['fleets.0.batching.prefix_caching=false'] },
  {
    name: 'off, shared',
    set: ['fleets.0.batching.prefix_caching=false', 'workload.shared_prefix={tokens: 800, prompts: 8}'],
  },
  {
    name: 'cached',
    set: ['fleets.0.batching.prefix_caching=true', 'workload.shared_prefix={tokens: 800, prompts: 8}'],
  },
  {
    name: 'cache-aware',
    set: [
      'fleets.0.batching.prefix_caching=true',
      'workload.shared_prefix={tokens: 800, prompts: 8}',
      'routing={policy: cache-aware}',
    ],
  },
];

interface Timing {
  wall: number;
  cpu: number;
  hitRate: number | null;
  events: number;
}

// A full collection, untimed, before each sample: the garbage one way leaves is not collected in
// the next way's time (the runs that followed a cached one otherwise paid for its old objects).
// Collecting at the end of each sample, timed, would also bill each way for marking everything
// the process holds, which is most of a collection's cost and the same for every way.
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

/** `repeat` runs of `way` back to back: the time of one, on average. */
async function time(way: Way, repeat: number): Promise<Timing> {
  collect();
  const wallStart = performance.now();
  const cpuStart = cpuSeconds();
  let result: Awaited<ReturnType<typeof runScenario>>['results'][number] | undefined;
  for (let i = 0; i < repeat; i++) {
    result = (await runScenario(structuredClone(demo), { baseDir: SCENARIOS, set: way.set })).results[0];
  }
  const cpu = (cpuSeconds() - cpuStart) / repeat;
  const wall = (performance.now() - wallStart) / 1000 / repeat;
  const last = result as NonNullable<typeof result>;
  return { wall, cpu, hitRate: last.llm?.fleets.gpu.prefix_cache?.hit_rate ?? null, events: last.events };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1];

/** The median over the rounds of `way`'s time (`key`) over `base`'s in the same round. */
function ratio(rounds: Map<string, Timing>[], way: string, base: string, key: 'wall' | 'cpu'): number {
  return median(rounds.map((r) => (r.get(way) as Timing)[key] / (r.get(base) as Timing)[key]));
}

async function main() {
  const first = new Map<string, Timing>();
  for (const way of WAYS) first.set(way.name, await time(way, 1));
  const rounds: Map<string, Timing>[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const timings = new Map<string, Timing>();
    for (let i = 0; i < WAYS.length; i++) {
      const way = WAYS[(round + i) % WAYS.length];
      timings.set(way.name, await time(way, REPEAT));
    }
    rounds.push(timings);
  }
  console.log(
    `demo.yaml baseline (Azure LLM 2023 conversation trace, 2x L40S); after a warm-up round, median of ${ROUNDS} rounds of ${REPEAT} runs each`,
  );
  console.log(
    'way           prefix hit     events   wall s    CPU s   wall/off  CPU/off   wall/shared  CPU/shared',
  );
  const cell = (value: number, width: number) => value.toFixed(2).padStart(width);
  for (const way of WAYS) {
    const timings = rounds.map((r) => r.get(way.name) as Timing);
    const hit = (first.get(way.name) as Timing).hitRate;
    console.log(
      [
        way.name.padEnd(12),
        (hit === null ? 'off' : `${(hit * 100).toFixed(1)} %`).padStart(10),
        String(timings[0].events).padStart(9),
        cell(median(timings.map((t) => t.wall)), 7),
        cell(median(timings.map((t) => t.cpu)), 7),
        cell(ratio(rounds, way.name, 'off', 'wall'), 9),
        cell(ratio(rounds, way.name, 'off', 'cpu'), 7),
        cell(ratio(rounds, way.name, 'off, shared', 'wall'), 12),
        cell(ratio(rounds, way.name, 'off, shared', 'cpu'), 10),
      ].join('  '),
    );
  }
  for (const base of ['off', 'off, shared']) {
    const worst = (key: 'wall' | 'cpu') =>
      Math.max(ratio(rounds, 'cached', base, key), ratio(rounds, 'cache-aware', base, key));
    const wall = worst('wall');
    console.log(
      `  caching and routing against ${base}: ${wall.toFixed(2)} x its wall time (${worst('cpu').toFixed(2)} x its CPU time); limit <= ${LIMIT.toFixed(2)}: ${
        wall <= LIMIT ? 'within' : 'OVER'
      }`,
    );
  }
}

await main();
