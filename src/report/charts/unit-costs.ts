import type { TopLevelSpec } from 'vega-lite';
import type { VariantResult } from '../../metrics/index.js';
import { describeSlo, type Slo } from '../slo.js';
import { chartObjective, judgeVariant } from './objective.js';
import { type Bounds, boundsTooltip, errorBarLayers, estimated, replicatedNote } from './replicated.js';
import { FORMAT, header, variantColor } from './theme.js';
import type { Replicated } from './types.js';
import { vegaName } from './vega-safe.js';

const TOKEN_KINDS = ['input', 'output', 'total'] as const;

export interface TokenCostRow extends Bounds<'usd_per_1m'> {
  variant: string;
  tokens: (typeof TOKEN_KINDS)[number];
  usd_per_1m: number;
}

export function tokenCostRows(
  variants: readonly Pick<VariantResult, 'name' | 'cost_per_1m_tokens_usd'>[],
  replicated?: Replicated,
) {
  return variants.flatMap((v) =>
    TOKEN_KINDS.flatMap((tokens): TokenCostRow[] => {
      const usd = estimated(
        'usd_per_1m',
        v.cost_per_1m_tokens_usd[tokens],
        replicated,
        v.name,
        `cost_per_1m_tokens_usd.${tokens}`,
      );
      return usd === null ? [] : [{ variant: v.name, tokens, ...usd }];
    }),
  );
}

/** A panel of bars, layered with whiskers where there are any. */
function panel<B, W>(title: string, width: number, bars: B, whiskers: readonly W[]) {
  const size = { title, width, height: 280 };
  return whiskers.length === 0 ? { ...size, ...bars } : { ...size, layer: [bars, ...whiskers] };
}

/**
 * Cost per 1k completed requests and per 1M tokens (input, output, total) per variant, with
 * replications their means and 95 % confidence intervals; panels without data are left out.
 * Bars of a variant that misses the objective (see `costLatencyChart`) are faded and its name
 * says so: dividing by what it served makes turning work away look cheap.
 */
export function unitCostsChart(
  variants: readonly Pick<
    VariantResult,
    | 'name'
    | 'cost_per_1k_requests_usd'
    | 'cost_per_1m_tokens_usd'
    | 'latency_s'
    | 'ttft_s'
    | 'tpot_s'
    | 'queue_wait_s'
    | 'requests'
  >[],
  replicated?: Replicated,
  slo?: Slo,
): TopLevelSpec | null {
  const names = variants.map((v) => v.name);
  // Names as the spec's values hold them, for the expressions below (see vegaSafe).
  const failing = variants.filter((v) => !judgeVariant(slo, v, replicated).met).map((v) => vegaName(v.name));
  const faded = {
    condition: { test: `indexof(${JSON.stringify(failing)}, datum.variant) >= 0`, value: 0.3 },
    value: 1,
  };
  const perRequest = variants.flatMap((v) => {
    const usd = estimated(
      'usd_per_1k',
      v.cost_per_1k_requests_usd,
      replicated,
      v.name,
      'cost_per_1k_requests_usd',
    );
    return usd === null ? [] : [{ variant: v.name, ...usd }];
  });
  const perToken = tokenCostRows(variants, replicated);
  if (perRequest.length === 0 && perToken.length === 0) return null;
  const width = Math.max(160, Math.min(320, 60 * names.length));
  const variantAxis = {
    field: 'variant',
    type: 'nominal' as const,
    title: 'variant',
    sort: names,
    axis: {
      labelAngle: names.some((n) => n.length > 8) || failing.length > 0 ? -30 : 0,
      labelLimit: 400,
      ...(failing.length === 0
        ? {}
        : {
            labelExpr: `indexof(${JSON.stringify(failing)}, datum.label) >= 0 ? trim(datum.label) + ' (misses objective)' : datum.label`,
          }),
    },
  };
  const requestTitle = 'cost per 1k requests (USD)';
  const requestBars = {
    data: { values: perRequest },
    mark: { type: 'bar' as const },
    encoding: {
      x: variantAxis,
      y: { field: 'usd_per_1k', type: 'quantitative' as const, title: requestTitle },
      color: { ...variantColor(names), legend: null },
      ...(failing.length === 0 ? {} : { opacity: faded }),
      tooltip: [
        { field: 'variant', type: 'nominal' as const },
        {
          field: 'usd_per_1k',
          type: 'quantitative' as const,
          title: 'USD per 1k requests',
          format: FORMAT.usd,
        },
        ...boundsTooltip(replicated, 'usd_per_1k', 'USD per 1k requests', FORMAT.usd),
      ],
    },
  };
  const tokenTitle = 'cost per 1M tokens (USD)';
  const tokenPlace = {
    x: variantAxis,
    xOffset: { field: 'tokens', type: 'nominal' as const, sort: [...TOKEN_KINDS] },
  };
  const tokenBars = {
    data: { values: perToken },
    mark: { type: 'bar' as const },
    encoding: {
      ...tokenPlace,
      y: { field: 'usd_per_1m', type: 'quantitative' as const, title: tokenTitle },
      color: {
        field: 'tokens',
        type: 'nominal' as const,
        title: 'tokens',
        sort: [...TOKEN_KINDS],
        scale: { domain: [...TOKEN_KINDS], range: ['#72b7b2', '#b279a2', '#555555'] },
      },
      ...(failing.length === 0 ? {} : { opacity: faded }),
      tooltip: [
        { field: 'variant', type: 'nominal' as const },
        { field: 'tokens', type: 'nominal' as const },
        {
          field: 'usd_per_1m',
          type: 'quantitative' as const,
          title: 'USD per 1M tokens',
          format: FORMAT.usd,
        },
        ...boundsTooltip(replicated, 'usd_per_1m', 'USD per 1M tokens', FORMAT.usd),
      ],
    },
  };
  const requestPanel = panel(
    'per 1k completed requests',
    width,
    requestBars,
    errorBarLayers(perRequest, 'usd_per_1k', 'y', requestTitle, { x: variantAxis }),
  );
  const tokenPanel = panel(
    'per 1M tokens',
    width,
    tokenBars,
    errorBarLayers(perToken, 'usd_per_1m', 'y', tokenTitle, tokenPlace),
  );
  return {
    ...header(
      'Unit costs',
      'Cost of the measured window (after warmup) divided by what completed in it. Lower is better.',
      ...(failing.length === 0
        ? []
        : [
            `Faded: misses the objective (${describeSlo(chartObjective(slo))}); its unit costs count only the work it served.`,
          ]),
      ...replicatedNote(replicated),
    ),
    hconcat: [...(perRequest.length > 0 ? [requestPanel] : []), ...(perToken.length > 0 ? [tokenPanel] : [])],
    resolve: { scale: { color: 'independent' } },
  };
}
