import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { tempDir, writeScenario } from './helpers.js';

/**
 * Commands keep the results of every run until they write their outputs, so each refuses, before
 * it runs or loads anything, inputs that multiply into more than MAX_RUNS (20,000) runs: a sweep
 * of a million points, a plan of thousands of candidates, a million replications.
 */
const SCENARIO = `name: counted
seed: 4
duration: 60
workload:
  arrivals: { poisson: { rate: 5 } }
fleets:
  - { name: cpu, replicas: 2, concurrency: 2, price_per_hour: 1, service_time: { exponential: { mean: 100ms } } }
slo: { latency_p99: 1s }
variants:
  - { name: three, set: { fleets.0.replicas: 3 } }
`;

const KEPT = 'the 20,000 runs one command keeps the results of';

describe('the runs one command keeps', () => {
  it('refuses each command past 20,000 runs at once, with one line and exit code 2, writing nothing', async () => {
    const dir = tempDir('run-count');
    writeScenario(dir, SCENARIO);
    writeScenario(
      dir,
      `${SCENARIO.replace(/variants:[\s\S]*$/, '')}sweep:\n  grid:\n    fleets.0.concurrency: 1..1000\n    workload.scale: 1..1000\n`,
      'big-sweep.yaml',
    );
    const cases: [string[], string][] = [
      [
        [
          'sweep',
          'scenario.yaml',
          '--out',
          'o',
          '--grid',
          'fleets.0.concurrency=1..5001',
          '--grid',
          'fleets.0.replicas=[1, 2]',
        ],
        `fleetsim: sweep: 10,002 points x 2 variants are 20,004 runs`,
      ],
      [
        [
          'sweep',
          'scenario.yaml',
          '--out',
          'o',
          '--grid',
          'fleets.0.concurrency=1..10000',
          '--replications',
          '2',
        ],
        `fleetsim: sweep: 10,000 points x 2 variants x 2 replications are 40,000 runs, more than the 20,000 one command keeps the results of; sweep fewer values, or draw some points with sampling random or latin-hypercube`,
      ],
      [
        ['sweep', 'big-sweep.yaml', '--out', 'o', '--sampling', 'random', '--points', '20001'],
        `fleetsim: sweep: 20,001 points, more than ${KEPT}; draw fewer points`,
      ],
      [['validate', 'big-sweep.yaml'], `fleetsim: sweep: 1,000,000 points, more than ${KEPT}`],
      [
        // 5,000 concurrencies x 2 variants, each bisecting 64 replica counts (at most 7 runs) and then
        // the most load its pick sustains (at most 13: doubling to 64x, 6 halvings of the last
        // doubling to within 2 %, 2^(1/64) < 1.02, and one run at the scenario's load).
        [
          'plan',
          'scenario.yaml',
          '--out',
          'o',
          '--vary',
          'fleets.0.concurrency=1..5000',
          '--vary',
          'fleets.0.replicas=1..64',
        ],
        `fleetsim: plan: 200,000 configurations its searches may take, more than ${KEPT}; vary fewer values of the keys it does not search, or fewer load scales`,
      ],
      [
        [
          'plan',
          resolve(import.meta.dirname, '../../scenarios/purchase-mix.yaml'),
          '--out',
          'o',
          '--purchase-mix',
          'reserved_3y=0..200',
          '--purchase-mix',
          // 201 x 100 mixes.
          'spot_max=0..99',
        ],
        `fleetsim: --purchase-mix: 20,100 mixes, more than ${KEPT}; search fewer values`,
      ],
      [
        ['run', 'scenario.yaml', '--out', 'o', '--replications', '10001'],
        `fleetsim: --replications: 2 configurations x 10,001 replications are 20,002 runs, more than the 20,000 one command keeps the results of; lower --replications`,
      ],
      [
        ['run', 'scenario.yaml', '--out', 'o', '--replications', '1000000'],
        'fleetsim: --replications: at most 20,000 (the most runs one command keeps the results of), got 1,000,000',
      ],
      [
        ['diff', 'scenario.yaml', 'scenario.yaml', '--replications', '5001'],
        `fleetsim: --replications: 4 configurations x 5,001 replications are 20,004 runs`,
      ],
      [
        ['compare', 'scenario.yaml', 'scenario.yaml', '--out', 'o', '--replications', '5001'],
        `fleetsim: --replications: 4 configurations x 5,001 replications are 20,004 runs`,
      ],
    ];
    for (const [args, message] of cases) {
      const started = performance.now();
      const { code, stderr } = await cli(args, dir);
      expect(stderr.split('\n').filter((line) => line !== '')).toHaveLength(1);
      expect(stderr.startsWith(message) || stderr === `${message}\n`, `${args.join(' ')}: ${stderr}`).toBe(
        true,
      );
      expect(code, args.join(' ')).toBe(2);
      // Refused before any point is loaded or run.
      expect(performance.now() - started, args.join(' ')).toBeLessThan(5000);
    }
    // A sweep or plan claims its folder first (its marker); no output is written.
    expect(readdirSync(join(dir, 'o'))).toEqual(['.fleetsim']);
  });

  it('a scenario of more than 5,000 variants is refused where its list starts', async () => {
    const dir = tempDir('run-count-variants');
    const many = (count: number) =>
      SCENARIO.replace(
        / {2}- \{ name: three.*\n/,
        Array.from({ length: count }, (_, i) => `  - { name: v${i}, set: { fleets.0.replicas: 2 } }\n`).join(
          '',
        ),
      );
    writeScenario(dir, many(5001), 'over.yaml');
    writeScenario(dir, many(5000), 'at.yaml');
    const over = await cli(['validate', 'over.yaml'], dir);
    expect(over.stderr).toBe(
      'over.yaml:10:3: variants: expected at most 5000 variants (fleetsim sweep runs more configurations)\n',
    );
    expect(over.code).toBe(2);
    const at = await cli(['validate', 'at.yaml'], dir);
    expect(at.stdout).toMatch(/^at\.yaml: ok \(5001 variant\(s\): baseline, v0, /);
    expect(at.code).toBe(0);
  });
});
