import { createRequire } from 'node:module';
import type { TopLevelSpec } from 'vega-lite';
import { CHART_FONT } from './charts/index.js';

const require = createRequire(import.meta.url);

/**
 * resvg draws no text at all when it finds no font, and system fonts differ between machines:
 * it gets exactly these TTFs (the theme's font, regular and bold for titles) and nothing else.
 */
export const FONT_FILES = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map((file) =>
  require.resolve(`dejavu-fonts-ttf/ttf/${file}`),
);

/** PNGs at twice the SVG's size, sharp on high-density screens and in slides. */
const PNG_ZOOM = 2;

export interface RenderedChart {
  svg: string;
  png: Uint8Array;
  /** What vega-lite warned about while compiling: a sign of a mistake in the chart's spec. */
  warnings: string[];
}

/**
 * vega, vega-lite and resvg take about 0.2 s to import: loaded on the first render, so commands
 * that draw nothing (validate, catalog) do not pay for them.
 */
async function loadRenderers() {
  const [vega, vegaLite, resvg] = await Promise.all([
    import('vega'),
    import('vega-lite'),
    import('@resvg/resvg-js'),
  ]);
  return { vega, vegaLite, renderSvgAsync: resvg.renderAsync };
}

let renderers: ReturnType<typeof loadRenderers> | undefined;

/** The Vega-Lite spec as an SVG (vega's own SVG renderer, no DOM or canvas) and a PNG of that SVG. */
export async function renderChart(spec: TopLevelSpec): Promise<RenderedChart> {
  renderers ??= loadRenderers();
  const { vega, vegaLite } = await renderers;
  const warnings: string[] = [];
  const logger = {
    level: () => logger,
    error: (...args: unknown[]) => {
      throw new Error(`vega-lite: ${args.join(' ')}`);
    },
    warn: (...args: unknown[]) => {
      warnings.push(args.join(' '));
      return logger;
    },
    info: () => logger,
    debug: () => logger,
  };
  const compiled = vegaLite.compile(spec, { logger }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    return { svg, png: await renderPng(svg), warnings };
  } finally {
    view.finalize();
  }
}

/**
 * An SVG drawn to PNG with the bundled fonts only. resvg loads the fonts and draws on libuv's
 * thread pool, so several charts are drawn at once while vega lays out the next.
 */
export async function renderPng(svg: string, fontFiles: readonly string[] = FONT_FILES): Promise<Uint8Array> {
  renderers ??= loadRenderers();
  const { renderSvgAsync } = await renderers;
  const image = await renderSvgAsync(svg, {
    font: { loadSystemFonts: false, fontFiles: [...fontFiles], defaultFontFamily: CHART_FONT },
    fitTo: { mode: 'zoom', value: PNG_ZOOM },
  });
  return image.asPng();
}
