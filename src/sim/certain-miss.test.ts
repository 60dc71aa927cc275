import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadScenarioText } from '../scenario/load.js';
import type { LoadedScenario } from '../scenario/types.js';
import { simulate } from './simulation.js';

async function load(yaml: string, set: string[] = [], file = 'miss.yaml'): Promise<LoadedScenario> {
  const loaded = await loadScenarioText(yaml, file, { set });
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('\n'));
  return loaded.value;
}

/** M/M/c at 3 requests/s, exponential service of 1 s, for an hour: c = 1 and 2 are overloaded, 3 is critical. */
const MMC = `duration: 1h
warmup: 2m
seed: 3
workload: { arrivals: { poisson: { rate: 3 } } }
fleets:
  - { name: cpu, replicas: 4, price_per_hour: 1, service_time: { exponential: { mean: 1s } } }
slo: { latency_p99: 8s, max_drop_rate: 0.02 }
`;

/** The run whole and the run stopped at its objective, each judged against the scenario's SLO. */
function both(loaded: LoadedScenario) {
  const scenario = loaded.variants[0].scenario;
  return {
    whole: simulate(scenario, { slo: loaded.slo }),
    stopped: simulate(scenario, { slo: loaded.slo, stopWhenMissed: loaded.slo }),
  };
}

describe('stopping a run once its objective is missed for certain', () => {
  it('stops only runs that miss their objective run whole, and leaves the others byte-identical', async () => {
    const verdicts: string[] = [];
    for (const replicas of [1, 2, 3, 4, 6]) {
      for (const capacity of ['null', '8']) {
        const loaded = await load(MMC, [
          `fleets.0.replicas=${replicas}`,
          `fleets.0.queue.capacity=${capacity}`,
        ]);
        const { whole, stopped } = both(loaded);
        if (stopped.partial === undefined) {
          expect(JSON.stringify(stopped)).toBe(JSON.stringify(whole));
          verdicts.push(`${replicas}/${capacity}: whole, ${whole.slo.met ? 'met' : 'missed'}`);
          continue;
        }
        expect(stopped.partial.limit).toBe('objective');
        expect(whole.slo.met).toBe(false);
        expect(stopped.slo.met).toBe(false);
        // The rule counted against the measured requests the whole run had.
        expect(stopped.partial.measured_total).toBe(whole.requests.arrived);
        expect(stopped.partial.at_s).toBeLessThan(whole.simulated_s.end);
        expect(stopped.events).toBeLessThan(whole.events);
        verdicts.push(`${replicas}/${capacity}: stopped`);
      }
    }
    // Overloaded fleets stop (on latency without a queue limit, on drops with one); the stable ones
    // run whole, and one of them meets the objective.
    expect(verdicts).toEqual([
      '1/null: stopped',
      '1/8: stopped',
      '2/null: stopped',
      '2/8: stopped',
      '3/null: stopped',
      '3/8: stopped',
      '4/null: whole, met',
      '4/8: whole, met',
      '6/null: whole, met',
      '6/8: whole, met',
    ]);
  });

  it('stops on latency once more than 1 % of all the run will measure is over the p99 limit', async () => {
    const { whole, stopped } = both(await load(MMC, ['fleets.0.replicas=2']));
    const total = whole.requests.arrived;
    expect(stopped.partial?.reason).toMatch(
      new RegExp(
        `^[\\d,]+ of the run's ${total.toLocaleString('en-US')} measured requests already over the 8 s latency_p99 limit, more than a p99 allows$`,
      ),
    );
    const over = Number(stopped.partial!.reason.split(' ')[0].replaceAll(',', ''));
    expect(over).toBeGreaterThanOrEqual(total * 0.01 + 0.99);
    // What it has completed already reads above the limit, as the whole run does.
    expect(stopped.latency_s.p99).toBeGreaterThan(8);
    expect(whole.latency_s.p99).toBeGreaterThan(8);
  });

  it('stops on losses once more than max_drop_rate of all the run will measure is lost', async () => {
    const { whole, stopped } = both(
      await load(MMC, ['fleets.0.replicas=2', 'fleets.0.queue.capacity=8', 'slo={ max_drop_rate: 0.05 }']),
    );
    const total = whole.requests.arrived;
    const lost = stopped.requests.dropped + stopped.requests.timed_out;
    expect(lost).toBeGreaterThan(0.05 * total);
    expect(stopped.partial?.reason).toBe(
      `${lost.toLocaleString('en-US')} of the run's ${total.toLocaleString('en-US')} measured requests already lost, more than max_drop_rate 0.05 allows`,
    );
  });

  it('never judges a mean early: requests still to come could lower it', async () => {
    const { whole, stopped } = both(await load(MMC, ['fleets.0.replicas=2', 'slo={ latency_mean: 1s }']));
    expect(whole.slo.met).toBe(false);
    expect(stopped.partial).toBeUndefined();
  });

  it('counts the whole run of a trace and of sessions as the run does', async () => {
    const trace = await load(
      readFileSync(new URL('../../scenarios/demo.yaml', import.meta.url), 'utf8').replace(
        /^variants:[\s\S]*$/m,
        '',
      ),
      ['fleets.0.replicas=1', 'slo={ latency_p99: 20s }'],
      new URL('../../scenarios/demo.yaml', import.meta.url).pathname,
    );
    const sessions = await load(
      readFileSync(new URL('../../scenarios/chat-sessions.yaml', import.meta.url), 'utf8').replace(
        /^variants:[\s\S]*$/m,
        '',
      ),
      ['fleets.0.replicas=1', 'slo={ ttft_p90: 500ms }', 'duration=20m'],
      new URL('../../scenarios/chat-sessions.yaml', import.meta.url).pathname,
    );
    for (const loaded of [trace, sessions]) {
      const { whole, stopped } = both(loaded);
      expect(whole.slo.met).toBe(false);
      expect(stopped.partial?.limit).toBe('objective');
      expect(stopped.partial?.measured_total).toBe(whole.requests.arrived);
    }
  });
});
