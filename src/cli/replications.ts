import { formatNumber, formatPercent, formatSeconds, formatUsd } from '../core/format.js';
import { belowSketchResolution, RELATIVE_ACCURACY } from '../metrics/index.js';
import { describeMetShare, formatMetShare, type ReplicatedVariant } from '../plan/index.js';
import { escapeMarkdown } from '../report/index.js';

/** `replications.json`: its field names are a public contract, like summary.json's. */
export interface ReplicationsFile {
  scenario: string;
  seed: number;
  replications: number;
  /**
   * The seed of each replication; the first is `seed`, so replication 0 is the plain run of
   * summary.json, or, where a variant's `model_uncertainty` draws the step-time parameters, the
   * same workload with replication 0's draw.
   */
  seeds: number[];
  /**
   * Why the replications of some variants are identical (their `identical` is true and `ci95`
   * null) and how to make them differ; null when no variant's are.
   */
  note: string | null;
  /**
   * Per variant: the mean and 95 % confidence half-width of every summary figure (dotted keys),
   * warnings, the SLO check (on the means, and the share of replications that met it), and with
   * `model_uncertainty` the spreads of the step-time parameters and each replication's draw.
   */
  variants: Omit<ReplicatedVariant, 'seeds'>[];
}

export function renderReplicationsJson(
  scenario: string,
  seed: number,
  variants: readonly ReplicatedVariant[],
  note: string | null,
): string {
  const file: ReplicationsFile = {
    scenario,
    seed,
    replications: variants[0]?.replications ?? 0,
    seeds: variants[0]?.seeds ?? [],
    note,
    variants: variants.map(({ seeds: _seeds, ...variant }) => variant),
  };
  return `${JSON.stringify(file, null, 2)}\n`;
}

interface Headline {
  key: string;
  title: string;
  format: (x: number | null) => string;
  /** A percentile read from the quantile sketch. */
  quantile?: boolean;
}

/** The figures of the run table, plus the TTFT/TPOT percentiles of LLM fleets and the drop rate. */
function headlines(variants: readonly ReplicatedVariant[]): Headline[] {
  const fleets = [
    ...new Set(
      variants.flatMap((v) =>
        Object.keys(v.metrics)
          .filter((key) => key.startsWith('utilization.'))
          .map((key) => key.slice('utilization.'.length)),
      ),
    ),
  ];
  const all: Headline[] = [
    { key: 'latency_s.p50', quantile: true, title: 'p50 latency', format: formatSeconds },
    { key: 'latency_s.p99', quantile: true, title: 'p99 latency', format: formatSeconds },
    { key: 'queue_wait_s.p99', quantile: true, title: 'p99 queue wait', format: formatSeconds },
    { key: 'ttft_s.p95', quantile: true, title: 'p95 TTFT', format: formatSeconds },
    { key: 'tpot_s.p95', quantile: true, title: 'p95 TPOT', format: formatSeconds },
    {
      key: 'throughput_rps',
      title: 'throughput (req/s)',
      format: formatNumber,
    },
    ...fleets.map((fleet) => ({
      key: `utilization.${fleet}`,
      title: `utilization ${fleet}`,
      format: formatPercent,
    })),
    { key: 'drop_rate', title: 'dropped + timed out', format: formatPercent },
    { key: 'cost_usd.total', title: 'cost', format: formatUsd },
    { key: 'cost_per_1k_requests_usd', title: 'cost per 1k requests', format: formatUsd },
  ];
  return all.filter((h) => variants.some((v) => (v.metrics[h.key] ?? null) !== null));
}

const SKETCH_BOUND = `± <${RELATIVE_ACCURACY * 100} %`;

/**
 * Metrics down, variants across: `mean ± half-width` of the 95 % confidence interval; the mean
 * alone for a variant whose replications are identical (see `note`), and `± <1 %` for a
 * percentile whose interval is narrower than the quantile sketch resolves. The last row is the
 * share of replications that met the SLO, with its interval. `bounded`: some cell is `± <1 %`.
 */
function replicationRows(variants: readonly ReplicatedVariant[]): { rows: string[][]; bounded: boolean } {
  let bounded = false;
  const allIdentical = variants.every((v) => v.identical);
  const rows = [
    ['metric', ...variants.map((v) => (v.identical && !allIdentical ? `${v.name} (identical)` : v.name))],
    ...headlines(variants).map((h) => [
      h.title,
      ...variants.map((v) => {
        const mean = v.metrics[h.key] ?? null;
        const halfWidth = v.ci95?.[h.key] ?? null;
        if (mean === null || halfWidth === null) return h.format(mean);
        if (h.quantile && belowSketchResolution(halfWidth, mean)) {
          bounded = true;
          return `${h.format(mean)} ${SKETCH_BOUND}`;
        }
        return `${h.format(mean)} ± ${h.format(halfWidth)}`;
      }),
    ]),
    ['P(meets SLO)', ...variants.map((v) => formatMetShare(v.slo))],
  ];
  return { rows, bounded };
}

/** Per variant and fleet whose step-time parameters were drawn: where their spreads come from. */
function modelUncertaintyLines(variants: readonly ReplicatedVariant[]): string[] {
  const byBasis = new Map<string, string[]>();
  for (const variant of variants) {
    for (const [fleet, { basis }] of Object.entries(variant.model_uncertainty?.fleets ?? {})) {
      const key = `fleet ${fleet}: ${basis}`;
      byBasis.set(key, [...(byBasis.get(key) ?? []), variant.name]);
    }
  }
  return [...byBasis].map(([line, names]) =>
    names.length === variants.length ? line : `${names.join(', ')}: ${line}`,
  );
}

const MODEL_UNCERTAINTY_HEAD =
  'Step-time parameters drawn from their uncertainty in every replication (each draw in replications.json):';

export function renderReplicationsTable(variants: readonly ReplicatedVariant[], note: string | null): string {
  const { rows, bounded } = replicationRows(variants);
  const allIdentical = variants.every((v) => v.identical);
  const drawn = modelUncertaintyLines(variants);
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  const line = (row: string[]) =>
    row
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  const count = variants[0]?.replications ?? 0;
  const seeds =
    drawn.length === 0
      ? 'the first is the run above; seeds in replications.json'
      : "the first with the run's seed; seeds in replications.json";
  return `${[
    allIdentical
      ? `Mean over ${count} identical replications, so without a confidence interval (${seeds}):`
      : `Mean ± 95 % confidence half-width over ${count} replications (${seeds}):`,
    line(rows[0]),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.slice(1).map(line),
    'P(meets SLO): the share of replications whose own figures meet every objective, with its 95 % Wilson interval.',
    ...(drawn.length === 0 ? [] : [MODEL_UNCERTAINTY_HEAD, ...drawn.map((d) => `  ${d}`)]),
    ...(note === null ? [] : [`${note[0].toUpperCase()}${note.slice(1)}.`]),
    ...(bounded
      ? [
          `${SKETCH_BOUND}: the percentile varied by less than the quantile sketch resolves (${RELATIVE_ACCURACY * 100} % of the value); a narrower interval would only show the sketch's bins.`,
        ]
      : []),
  ].join('\n')}\n`;
}

/** summary.md's section on the replications: the table above as markdown, and each variant's share of replications that met the SLO. */
export function renderReplicationsMarkdown(
  variants: readonly ReplicatedVariant[],
  note: string | null,
): string {
  const { rows, bounded } = replicationRows(variants);
  const count = variants[0]?.replications ?? 0;
  const drawn = modelUncertaintyLines(variants);
  const cells = (row: string[]) => `| ${row.map(escapeMarkdown).join(' | ')} |`;
  return [
    '## Replications',
    '',
    `Mean ± 95 % confidence half-width over ${count} replications (replications.json holds every figure, the seeds${drawn.length === 0 ? '' : ' and each draw'}).`,
    '',
    cells(rows[0]),
    `| --- |${' ---: |'.repeat(rows[0].length - 1)}`,
    ...rows.slice(1).map(cells),
    '',
    ...variants.map(
      (v) =>
        `- ${escapeMarkdown(v.name)} ${describeMetShare(v.slo)}; on the means it ${v.slo.met ? 'meets' : 'MISSES'} the objective.`,
    ),
    ...(drawn.length === 0
      ? []
      : ['', MODEL_UNCERTAINTY_HEAD, '', ...drawn.map((d) => `- ${escapeMarkdown(d)}`)]),
    ...(note === null ? [] : ['', `${note[0].toUpperCase()}${note.slice(1)}.`]),
    ...(bounded
      ? [
          '',
          `${SKETCH_BOUND}: the percentile varied by less than the quantile sketch resolves (${RELATIVE_ACCURACY * 100} % of the value).`,
        ]
      : []),
    '',
  ].join('\n');
}
