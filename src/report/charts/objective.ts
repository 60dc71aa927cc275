import { formatPercent, formatSeconds } from '../../core/format.js';
import type { RequestCounts, VariantResult } from '../../metrics/index.js';
import {
  completedShare,
  DEFAULT_MAX_DROP_RATE,
  dropRate,
  evaluateSloValues,
  partialCause,
  partialInMetrics,
  type SloCheck,
  withClassVerdicts,
} from '../../metrics/slo.js';
import type { SloMetric } from '../../scenario/types.js';
import type { Slo } from '../slo.js';
import type { Replicated } from './types.js';
import { vegaName } from './vega-safe.js';

/** Red of objective lines and failing marks in every chart. */
export const OBJECTIVE_COLOR = '#d62728';

/**
 * What a chart judges a configuration by: the scenario's SLO, with the default limit on lost
 * requests where it sets none, so a configuration that turned work away never looks like a choice.
 */
export function chartObjective(slo: Slo | undefined): Slo {
  return {
    limits: slo?.limits ?? [],
    maxDropRate: slo?.maxDropRate ?? DEFAULT_MAX_DROP_RATE,
  };
}

/**
 * `variant` against `chartObjective(slo)`; with replications, on their means where they have
 * the figure, as the comparison judges them.
 */
export function judgeVariant(
  slo: Slo | undefined,
  variant: Pick<
    VariantResult,
    'name' | 'latency_s' | 'ttft_s' | 'tpot_s' | 'queue_wait_s' | 'requests' | 'partial' | 'classes'
  >,
  replicated?: Replicated,
): SloCheck {
  const means = replicated?.variants.get(variant.name)?.metrics;
  const check = evaluateSloValues(chartObjective(slo), {
    statistic: (metric, statistic) =>
      means?.[`${metric}_s.${statistic}`] ?? variant[`${metric}_s`][statistic],
    dropRate: means?.drop_rate ?? dropRate(variant.requests),
    partial: partialCause(variant) ?? (means === undefined ? null : partialInMetrics(means)),
  });
  return withClassVerdicts(check, variant.classes);
}

/** Share of measured requests a variant did not complete (dropped, timed out, in flight at the end); 0 when none arrived. */
export function lostShare(requests: RequestCounts): number {
  const share = completedShare(requests);
  return share === null ? 0 : 1 - share;
}

/**
 * A legend `labelExpr` that adds `(lost 29.5 %)` to each variant that did not complete all its
 * measured requests; undefined when every variant completed all of them.
 */
export function lostLabelExpr(
  variants: readonly Pick<VariantResult, 'name' | 'requests'>[],
): string | undefined {
  const lossy = variants.filter((v) => lostShare(v.requests) > 0);
  if (lossy.length === 0) return undefined;
  return lossy.reduceRight(
    (otherwise, v) =>
      `datum.label === ${JSON.stringify(vegaName(v.name))} ? ${JSON.stringify(`${v.name} (lost ${formatPercent(lostShare(v.requests))})`)} : ${otherwise}`,
    'datum.label',
  );
}

export const METRIC_NAMES: Record<SloMetric, string> = {
  latency: 'latency',
  ttft: 'ttft',
  tpot: 'tpot',
  queue_wait: 'queue wait',
};

export interface ObjectiveLine {
  seconds: number;
  label: string;
}

/** The latency limits of `slo` on `metric`, labelled `SLO ttft p95 ≤ 1.00 s`; empty without any. */
export function objectiveLines(slo: Slo | undefined, metric: SloMetric): ObjectiveLine[] {
  return (slo?.limits ?? [])
    .filter((l) => l.metric === metric)
    .map((l) => ({
      seconds: l.seconds,
      label: `SLO ${METRIC_NAMES[l.metric]} ${l.statistic} ≤ ${formatSeconds(l.seconds)}`,
    }));
}

/**
 * A dashed red rule at each objective along `axis` with its label: vertical rules (x) are labelled
 * at the top, one line lower for each further rule so labels of near limits do not overprint;
 * horizontal ones (y) at the right end, above the rule.
 */
export function objectiveLayers(lines: readonly ObjectiveLine[], axis: 'x' | 'y') {
  if (lines.length === 0) return [];
  const at = { field: 'seconds', type: 'quantitative' as const };
  const rule = {
    data: { values: [...lines] },
    mark: { type: 'rule' as const, color: OBJECTIVE_COLOR, strokeDash: [6, 4], strokeWidth: 2 },
    encoding: { [axis]: at, tooltip: { field: 'label' } },
  };
  const text = { type: 'text' as const, color: OBJECTIVE_COLOR, fontSize: 11 };
  // The same text in a thick white stroke underneath keeps the label readable over lines and bars.
  const halo = { ...text, color: 'white', stroke: 'white', strokeWidth: 4, strokeJoin: 'round' as const };
  const labels = lines.flatMap((line, i) =>
    [halo, text].map((style) =>
      axis === 'x'
        ? {
            data: { values: [line] },
            mark: { ...style, align: 'left' as const, baseline: 'top' as const, dx: 4, y: 0, dy: 4 + 14 * i },
            encoding: { x: at, text: { field: 'label' } },
          }
        : {
            data: { values: [line] },
            mark: {
              ...style,
              align: 'right' as const,
              baseline: 'bottom' as const,
              dy: -3,
              x: 'width' as const,
            },
            encoding: { y: at, text: { field: 'label' } },
          },
    ),
  );
  return [rule, ...labels];
}
