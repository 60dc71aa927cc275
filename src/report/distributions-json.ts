import type { DistributionName, QuantilePoint, VariantResult } from '../metrics/index.js';
import { completedShare } from '../metrics/slo.js';
import { roundNumbers } from './summary.js';

/**
 * `distributions.json`: each variant's CDF points, so charts can be drawn again without re-running.
 * The points describe completed requests only; `completed_share` (completed / arrived after warmup,
 * null when none arrived) scales a quantile to the share of all measured requests.
 */
export interface DistributionsFile {
  scenario: string;
  seed: number;
  variants: ({ name: string; completed_share: number | null } & Record<DistributionName, QuantilePoint[]>)[];
}

export const DISTRIBUTION_NAMES: readonly DistributionName[] = [
  'latency_s',
  'queue_wait_s',
  'ttft_s',
  'tpot_s',
];

export function renderDistributionsJson(
  scenario: string,
  seed: number,
  results: readonly Pick<VariantResult, 'name' | 'distributions' | 'requests'>[],
): string {
  const file: DistributionsFile = {
    scenario,
    seed,
    variants: results.map((r) => ({
      name: r.name,
      completed_share: roundNumbers(completedShare(r.requests)),
      ...Object.fromEntries(DISTRIBUTION_NAMES.map((d) => [d, roundNumbers(r.distributions[d])])),
    })) as DistributionsFile['variants'],
  };
  // One [quantile, seconds] pair per line instead of three: a quarter of the lines, still diffable.
  return `${JSON.stringify(file, null, 2).replace(/\[\s+([^\s,[\]]+),\s+([^\s,[\]]+)\s+\]/g, '[$1, $2]')}\n`;
}
