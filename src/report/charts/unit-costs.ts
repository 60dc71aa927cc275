import type { TopLevelSpec } from 'vega-lite';
import type { VariantResult } from '../../metrics/index.js';
import { FORMAT, header, variantColor } from './theme.js';

const TOKEN_KINDS = ['input', 'output', 'total'] as const;

export interface TokenCostRow {
  variant: string;
  tokens: (typeof TOKEN_KINDS)[number];
  usd_per_1m: number;
}

export function tokenCostRows(variants: readonly Pick<VariantResult, 'name' | 'cost_per_1m_tokens_usd'>[]) {
  return variants.flatMap((v) =>
    TOKEN_KINDS.flatMap((tokens): TokenCostRow[] => {
      const usd = v.cost_per_1m_tokens_usd[tokens];
      return usd === null ? [] : [{ variant: v.name, tokens, usd_per_1m: usd }];
    }),
  );
}

/** Cost per 1k completed requests and per 1M tokens (input, output, total) per variant; panels without data are left out. */
export function unitCostsChart(
  variants: readonly Pick<VariantResult, 'name' | 'cost_per_1k_requests_usd' | 'cost_per_1m_tokens_usd'>[],
): TopLevelSpec | null {
  const names = variants.map((v) => v.name);
  const perRequest = variants.flatMap((v) =>
    v.cost_per_1k_requests_usd === null ? [] : [{ variant: v.name, usd_per_1k: v.cost_per_1k_requests_usd }],
  );
  const perToken = tokenCostRows(variants);
  if (perRequest.length === 0 && perToken.length === 0) return null;
  const width = Math.max(160, Math.min(320, 60 * names.length));
  const variantAxis = {
    field: 'variant',
    type: 'nominal' as const,
    title: 'variant',
    sort: names,
    axis: { labelAngle: names.some((n) => n.length > 8) ? -30 : 0 },
  };
  const requestPanel = {
    title: 'per 1k completed requests',
    width,
    height: 280,
    data: { values: perRequest },
    mark: { type: 'bar' as const },
    encoding: {
      x: variantAxis,
      y: { field: 'usd_per_1k', type: 'quantitative' as const, title: 'cost per 1k requests (USD)' },
      color: { ...variantColor(names), legend: null },
      tooltip: [
        { field: 'variant', type: 'nominal' as const },
        {
          field: 'usd_per_1k',
          type: 'quantitative' as const,
          title: 'USD per 1k requests',
          format: FORMAT.usd,
        },
      ],
    },
  };
  const tokenPanel = {
    title: 'per 1M tokens',
    width,
    height: 280,
    data: { values: perToken },
    mark: { type: 'bar' as const },
    encoding: {
      x: variantAxis,
      xOffset: { field: 'tokens', type: 'nominal' as const, sort: [...TOKEN_KINDS] },
      y: { field: 'usd_per_1m', type: 'quantitative' as const, title: 'cost per 1M tokens (USD)' },
      color: {
        field: 'tokens',
        type: 'nominal' as const,
        title: 'tokens',
        sort: [...TOKEN_KINDS],
        scale: { domain: [...TOKEN_KINDS], range: ['#72b7b2', '#b279a2', '#555555'] },
      },
      tooltip: [
        { field: 'variant', type: 'nominal' as const },
        { field: 'tokens', type: 'nominal' as const },
        {
          field: 'usd_per_1m',
          type: 'quantitative' as const,
          title: 'USD per 1M tokens',
          format: FORMAT.usd,
        },
      ],
    },
  };
  return {
    ...header(
      'Unit costs',
      'Cost of the measured window (after warmup) divided by what completed in it. Lower is better.',
    ),
    hconcat: [...(perRequest.length > 0 ? [requestPanel] : []), ...(perToken.length > 0 ? [tokenPanel] : [])],
    resolve: { scale: { color: 'independent' } },
  };
}
