import { createRequire } from 'node:module';
import type { TopLevelSpec } from 'vega-lite';
import { CHART_FONT } from './charts/index.js';
import { vegaSafe } from './charts/vega-safe.js';

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

export interface RenderedSvg {
  svg: string;
  /** What vega-lite warned about while compiling: a sign of a mistake in the chart's spec. */
  warnings: string[];
}

export interface RenderedChart extends RenderedSvg {
  png: Uint8Array;
}

/**
 * vega and vega-lite take about 0.2 s to import and resvg another 0.1 s: each is loaded on the
 * first chart that needs it, so commands that draw nothing (validate, catalog, a run without
 * charts) do not pay for them, and SVGs alone not for resvg.
 */
let vegaModules: Promise<[typeof import('vega'), typeof import('vega-lite')]> | undefined;
let resvgModule: Promise<typeof import('@resvg/resvg-js')> | undefined;

/** The Vega-Lite spec as an SVG: vega's own SVG renderer, no DOM or canvas. */
export function renderSvg(spec: TopLevelSpec): Promise<RenderedSvg> {
  return renderSafeSvg(vegaSafe(spec));
}

/** `renderSvg` of a spec that `vegaSafe` has already guarded, for callers that keep it too. */
export async function renderSafeSvg(spec: TopLevelSpec): Promise<RenderedSvg> {
  vegaModules ??= Promise.all([import('vega'), import('vega-lite')]);
  const [vega, vegaLite] = await vegaModules;
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
    return { svg: await view.toSVG(), warnings };
  } finally {
    view.finalize();
  }
}

/** The Vega-Lite spec as an SVG (see `renderSvg`) and a PNG of that SVG. */
export async function renderChart(spec: TopLevelSpec): Promise<RenderedChart> {
  const { svg, warnings } = await renderSvg(spec);
  return { svg, png: await renderPng(svg), warnings };
}

/**
 * An SVG drawn to PNG with the bundled fonts only. resvg loads the fonts and draws on libuv's
 * thread pool, so several charts are drawn at once while vega lays out the next.
 */
export async function renderPng(svg: string, fontFiles: readonly string[] = FONT_FILES): Promise<Uint8Array> {
  resvgModule ??= import('@resvg/resvg-js');
  const { renderAsync } = await resvgModule;
  const image = await renderAsync(svg, {
    font: { loadSystemFonts: false, fontFiles: [...fontFiles], defaultFontFamily: CHART_FONT },
    fitTo: { mode: 'zoom', value: PNG_ZOOM },
  });
  return image.asPng();
}
