import { formatNumber, formatPercent, formatSeconds } from '../core/format.js';
import type { DisaggregationResult } from '../metrics/index.js';
import { dropRate, stoppedBy } from '../metrics/slo.js';
import { classesMarkdown } from './classes.js';
import { energyMarkdown } from './energy.js';
import { escapeMarkdown } from './format.js';
import { performanceMarkdown, performanceRuns } from './performance.js';
import { describeSloMisses, verdictLines } from './slo.js';
import type { RunSummary, VariantSummary } from './summary.js';
import { renderMarkdownTable } from './table.js';

const fmt = formatNumber;

export function renderSummaryMarkdown(summary: RunSummary): string {
  const named = summary.variants.map((v) => ({ ...v, name: escapeMarkdown(v.name) }));
  const parts = [
    `# ${escapeMarkdown(summary.scenario)}`,
    '',
    `Seed ${summary.seed}. Every variant replays the same random streams (common random numbers), so differences between rows come from the configuration, not from noise.`,
    '',
    renderMarkdownTable(summary),
    '',
    ...verdictLines(named).map((line) => `- ${line}`),
    '',
    ...performanceMarkdown(performanceRuns(summary.variants)),
  ];
  for (const v of summary.variants) {
    const r = v.requests;
    parts.push(
      v.partial === undefined
        ? `## ${escapeMarkdown(v.name)}`
        : `## ${escapeMarkdown(v.name)} (PARTIAL: stopped by ${stoppedBy(v.partial)})`,
      '',
      `- Verdict: ${verdictSentence(v)}`,
      ...v.warnings.map((warning) => `- **Warning:** ${escapeMarkdown(warning)}.`),
      `- Requests: ${r.arrived} arrived, ${r.completed} completed, ${r.dropped} dropped (queue full), ${r.timed_out} timed out, ${r.in_flight_at_end} in flight at the end.`,
      `- Simulated: arrivals until ${fmt(v.simulated_s.arrivals_end)} s, end ${fmt(v.simulated_s.end)} s, warmup ${fmt(v.simulated_s.warmup)} s excluded from metrics; ${v.events} events.`,
      `- Throughput ${fmt(v.throughput_rps)} req/s, goodput ${fmt(v.goodput_rps)} req/s within the objective's per-request limits; ${v.waited_fraction === null ? '-' : `${(v.waited_fraction * 100).toFixed(1)} %`} of completed requests waited in a queue.`,
      `- Cost ${fmt(v.cost_usd.total, 6)} USD (${Object.entries(v.cost_usd.by_fleet)
        .map(([fleet, cost]) => `${escapeMarkdown(fleet)} ${fmt(cost, 6)}`)
        .join(
          ', ',
        )}); ${fmt(v.cost_per_1k_requests_usd)} USD per 1k requests; ${fmt(v.cost_per_1m_tokens_usd.total)} USD per 1M tokens (input ${fmt(v.cost_per_1m_tokens_usd.input)}, output ${fmt(v.cost_per_1m_tokens_usd.output)}).`,
      ...energyMarkdown(v),
      ...prefixCacheLines(summary, v),
      ...Object.entries(v.batches).map(
        ([fleet, b]) =>
          `- Batches on ${escapeMarkdown(fleet)}: ${b.count}, mean size ${fmt(b.mean_size)} (sizes: ${Object.entries(
            b.sizes,
          )
            .map(([size, n]) => `${size}x${n}`)
            .join(', ')}).`,
      ),
      ...(v.disaggregation === undefined ? [] : [disaggregationSentence(v.disaggregation)]),
      '',
      completedShareSentence(v),
      '',
      '| seconds | mean | p50 | p90 | p95 | p99 | p99.9 | max |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...(
        [
          ['latency', v.latency_s],
          ['queue wait', v.queue_wait_s],
          ...(v.ttft_s.p50 === null ? [] : ([['TTFT', v.ttft_s]] as const)),
          ...(v.tpot_s.p50 === null ? [] : ([['TPOT', v.tpot_s]] as const)),
        ] as const
      ).map(
        ([label, d]) =>
          `| ${label} | ${[d.mean, d.p50, d.p90, d.p95, d.p99, d.p999, d.max].map((x) => fmt(x)).join(' | ')} |`,
      ),
      '',
      ...classesMarkdown(v),
    );
  }
  return parts.join('\n');
}

/**
 * What prefix caching did on each LLM fleet, once some variant's prompts shared a cached prefix
 * there; a variant running the fleet without it says so.
 */
function prefixCacheLines(summary: RunSummary, v: VariantSummary): string[] {
  return Object.entries(v.llm?.fleets ?? {}).flatMap(([fleet, stats]) => {
    const shared = summary.variants.some(
      (other) => (other.llm?.fleets[fleet]?.prefix_cache?.cached_prompt_tokens ?? 0) > 0,
    );
    if (!shared) return [];
    const name = escapeMarkdown(fleet);
    const cache = stats.prefix_cache;
    if (cache === undefined)
      return [`- Prefix cache on ${name}: off (prefix_caching: false); every prompt prefilled whole.`];
    const host = cache.host_tier;
    const evicted =
      host === undefined
        ? `${cache.evictions} cached blocks evicted.`
        : `${cache.evictions} cached blocks evicted to host memory, where ${host.cached_prompt_tokens} of the cached prompt tokens were found; ` +
          `${host.loaded_tokens} tokens loaded back (${fmt(host.transfer_bytes / 1e9)} GB in ${formatSeconds(host.transfer_s)} of iteration time); ` +
          `${host.evictions} blocks dropped from host memory.`;
    return [
      `- Prefix cache on ${name}: hit rate ${formatPercent(cache.hit_rate)} (${cache.cached_prompt_tokens} of ${cache.prompt_tokens} prompt tokens found cached at admission); ${cache.prefill_tokens_saved} prompt tokens not prefilled (re-admissions after preemption included); ${evicted}`,
    ];
  });
}

function verdictSentence(v: VariantSummary): string {
  return v.slo.met
    ? 'meets its objective.'
    : `**misses its objective**: ${describeSloMisses(v.slo, v.classes).join('; ')}.`;
}

/** Percentiles describe completed requests only: say which share of the measured ones that is. */
function completedShareSentence(v: VariantSummary): string {
  const lost = dropRate(v.requests);
  if (lost === null) return 'No request was measured.';
  if (lost === 0) return 'Percentiles of all measured requests (every one completed).';
  return `Percentiles of the ${formatPercent(1 - lost)} of measured requests that completed; the other ${formatPercent(lost)} were lost and are in no percentile.`;
}

/** The KV-cache transfers of a disaggregated run, whole run (warmup included) like the batches. */
function disaggregationSentence(d: DisaggregationResult): string {
  const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
  const mean = d.transfer_s.mean === null ? '-' : `${fmt(d.transfer_s.mean * 1000)} ms`;
  return (
    `- KV-cache transfers from prefill to decode replicas: ${d.transfers}, ${fmt(d.transfer_bytes / 1e9)} GB, ` +
    `mean ${mean} (link ${fmt((d.kv_link.bandwidth_bytes_per_s * 8) / 1e9)} Gb/s, latency ${fmt(d.kv_link.latency_s * 1e6)} µs, ` +
    `${d.kv_bytes_per_token} KV bytes per token); decoded on a prefill replica for want of a ready decode replica: ` +
    `${sum(d.local_decodes)}; dropped for want of one: ${sum(d.dropped_without_decode)}.`
  );
}
