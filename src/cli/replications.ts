import { formatPercent, formatSeconds, formatUsd } from '../core/format.js';
import { belowSketchResolution, RELATIVE_ACCURACY } from '../metrics/index.js';
import type { ReplicatedVariant } from '../plan/index.js';

/** `replications.json`: its field names are a public contract, like summary.json's. */
export interface ReplicationsFile {
  scenario: string;
  seed: number;
  replications: number;
  /** The seed of each replication; the first is `seed`, so replication 0 is the plain run of summary.json. */
  seeds: number[];
  /**
   * Why the replications of some variants are identical (their `identical` is true and `ci95`
   * null) and how to make them differ; null when no variant's are.
   */
  note: string | null;
  /** Per variant: the mean and 95 % confidence half-width of every summary figure (dotted keys), warnings, SLO check. */
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
      format: (x) => (x === null ? '-' : x.toPrecision(4)),
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
 * percentile whose interval is narrower than the quantile sketch resolves.
 */
export function renderReplicationsTable(variants: readonly ReplicatedVariant[], note: string | null): string {
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
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  const line = (row: string[]) =>
    row
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  const count = variants[0]?.replications ?? 0;
  const seeds = 'the first is the run above; seeds in replications.json';
  return `${[
    allIdentical
      ? `Mean over ${count} identical replications, so without a confidence interval (${seeds}):`
      : `Mean ± 95 % confidence half-width over ${count} replications (${seeds}):`,
    line(rows[0]),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.slice(1).map(line),
    ...(note === null ? [] : [`${note[0].toUpperCase()}${note.slice(1)}.`]),
    ...(bounded
      ? [
          `${SKETCH_BOUND}: the percentile varied by less than the quantile sketch resolves (${RELATIVE_ACCURACY * 100} % of the value); a narrower interval would only show the sketch's bins.`,
        ]
      : []),
  ].join('\n')}\n`;
}
