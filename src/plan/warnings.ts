import type { VariantResult } from '../metrics/index.js';
import type { Scenario } from '../scenario/types.js';

export interface RunWarning {
  code: 'NEAR_SATURATION' | 'GROWING_QUEUE';
  /** What it is about (a fleet name, or `queue`), so replications' warnings can be counted together. */
  subject: string;
  message: string;
}

/**
 * Above this utilization, waiting time grows like 1 / (1 - rho): a capacity error of a few percent
 * in the model moves latency by multiples (BLIS issue #482, DOMAIN.md).
 */
export const NEAR_SATURATION = 0.95;

function percent(share: number): string {
  return `${(share * 100).toFixed(1)} %`;
}

/**
 * The queue grew when the last third of the measured arrival window held on average more than
 * twice the waiting requests of the first third, plus one per replica. A stable queue only
 * fluctuates around its mean; the floor keeps nearly empty queues from tripping it.
 */
function growingQueue(result: VariantResult, scenario: Scenario): RunWarning | null {
  const rows = result.timeseries;
  if (rows.length < 2) return null;
  const intervalS = rows[1].time_s - rows[0].time_s;
  const { warmup, arrivals_end: arrivalsEnd } = result.simulated_s;
  const window = rows.filter((row) => row.time_s >= warmup && row.time_s + intervalS <= arrivalsEnd);
  const third = Math.floor(window.length / 3);
  if (third < 2) return null;
  const meanQueue = (part: typeof window) =>
    part.reduce((sum, row) => sum + row.queue_length, 0) / part.length;
  const first = meanQueue(window.slice(0, third));
  const last = meanQueue(window.slice(window.length - third));
  const replicas = scenario.fleets.reduce((sum, fleet) => sum + fleet.replicas, 0);
  if (!(last > 2 * first + replicas)) return null;
  return {
    code: 'GROWING_QUEUE',
    subject: 'queue',
    message: `the queue grew from ${first.toPrecision(3)} to ${last.toPrecision(3)} waiting requests on average over the run: the fleet cannot keep up (unstable), so latency depends on the run length`,
  };
}

/** What makes a run's figures fragile: a fleet near saturation, a queue that never settled. */
export function runWarnings(result: VariantResult, scenario: Scenario): RunWarning[] {
  const warnings: RunWarning[] = [];
  for (const fleet of Object.keys(result.utilization).sort()) {
    const utilization = result.utilization[fleet];
    if (utilization >= NEAR_SATURATION) {
      warnings.push({
        code: 'NEAR_SATURATION',
        subject: fleet,
        message: `fleet ${fleet} is ${percent(utilization)} utilized: near saturation latency is extremely sensitive to capacity error`,
      });
    }
  }
  const growing = growingQueue(result, scenario);
  if (growing) warnings.push(growing);
  return warnings;
}
