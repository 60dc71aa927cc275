import type { TopLevelSpec } from 'vega-lite';

/** The one font of every chart: PNGs are drawn by resvg with exactly this TTF loaded (render.ts). */
export const CHART_FONT = 'DejaVu Sans';

/** Tableau 10, vega's default categorical scheme, listed so a variant keeps its colour in every chart. */
const PALETTE = [
  '#4c78a8',
  '#f58518',
  '#e45756',
  '#72b7b2',
  '#54a24b',
  '#eeca3b',
  '#b279a2',
  '#ff9da6',
  '#9d755d',
  '#bab0ac',
];

export const CHART_WIDTH = 640;
export const CHART_HEIGHT = 300;

export const THEME: NonNullable<TopLevelSpec['config']> = {
  font: CHART_FONT,
  background: 'white',
  padding: 12,
  title: {
    fontSize: 15,
    fontWeight: 'bold',
    anchor: 'start',
    subtitleFontSize: 11,
    subtitleColor: '#555',
    offset: 12,
  },
  axis: {
    labelFontSize: 11,
    titleFontSize: 12,
    titleFontWeight: 'normal',
    titleColor: '#222',
    labelColor: '#333',
    gridColor: '#ebebeb',
    domainColor: '#888',
    tickColor: '#888',
  },
  legend: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', labelLimit: 260 },
  header: { labelFontSize: 12, titleFontSize: 12 },
  view: { stroke: '#ddd' },
  line: { strokeWidth: 2 },
  concat: { spacing: 28 },
};

type Header = Pick<TopLevelSpec, '$schema' | 'config' | 'title'>;

/**
 * What every chart starts with: schema, theme and a title with a subtitle that says how to read
 * it, a line per string: one long line would widen the chart to fit it.
 */
export function header(title: string, ...subtitle: string[]): Header {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: THEME,
    title:
      subtitle.length === 0
        ? { text: title }
        : { text: title, subtitle: subtitle.length === 1 ? subtitle[0] : subtitle },
  };
}

/**
 * The colour channel for variants. The scale covers every variant of the run, in order, so a
 * variant has the same colour in every chart, also in one where some variants have no data
 * (TTFT of non-LLM variants); the legend lists only those `drawn`, labelled by `labelExpr` if given.
 */
export function variantColor(all: readonly string[], drawn: readonly string[] = all, labelExpr?: string) {
  const legend = {
    ...(drawn.length === all.length ? {} : { values: [...drawn] }),
    ...(labelExpr === undefined ? {} : { labelExpr }),
  };
  return {
    field: 'variant',
    type: 'nominal' as const,
    title: 'variant',
    sort: [...all],
    scale: { domain: [...all], range: all.map((_, i) => PALETTE[i % PALETTE.length]) },
    ...(Object.keys(legend).length === 0 ? {} : { legend }),
  };
}

/** Clicking a legend entry highlights that variant (shift-click adds more); charts dim the others. */
export const PICK_VARIANT = 'pick_variant';
export const pickVariantParam = {
  name: PICK_VARIANT,
  select: { type: 'point' as const, fields: ['variant'] },
  bind: 'legend' as const,
};
export const pickedOpacity = { condition: { param: PICK_VARIANT, value: 1 }, value: 0.12 };

/** d3-format strings for tooltips and axes. */
export const FORMAT = { seconds: '.4~g', usd: '$,.4~g', percent: '.1%', count: ',d', number: ',.4~g' };

/**
 * A layer of invisible points that shows the one nearest the pointer with its tooltip: tooltips
 * on a line mark would only ever show the line's first point.
 */
export function hoverLayer<E extends object>(param: string, encoding: E) {
  return {
    params: [
      {
        name: param,
        select: { type: 'point' as const, on: 'pointerover', nearest: true, clear: 'pointerout' },
      },
    ],
    mark: { type: 'point' as const, filled: true, size: 50 },
    encoding: { ...encoding, opacity: { condition: { param, empty: false, value: 1 }, value: 0 } },
  };
}
