import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/app.js';
import { CHART_NAMES, type ComparedRun, writeComparisonOutputs } from '../../src/report/index.js';
import { uniformPoints, variantResult } from '../report/fixtures/variants.js';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = resolve(import.meta.dirname, '../..');
/** Screenshots for people to look at; `out/` is ignored by git. */
const SCREENSHOTS = join(ROOT, 'out/browser-test');
const HOSTILE = '</script><script>window.pwned = 1</script>';

// .ci/run installs Chromium and sets this: there a missing browser is a failure, not a skip.
const required = process.env.FLEETSIM_REQUIRE_BROWSER === '1';
const present = existsSync(CHROMIUM);
if (!present && !required) {
  console.warn(
    `test/browser: ${CHROMIUM} not found, skipping the browser tests (apt-get install -y chromium)`,
  );
}

interface Visit {
  page: Page;
  consoleErrors: string[];
  requests: string[];
}

/** Every configuration of a report that has all charts: TTFT/TPOT, an SLO line, timeline events. */
async function writeFullReport(dir: string): Promise<void> {
  const timeseries = [0, 60, 120].map((time_s) => ({
    time_s,
    arrivals: 600 + time_s,
    completed: 590,
    dropped: 0,
    timed_out: 0,
    queue_length: time_s / 20,
    busy_slots: 6,
    utilization: 0.75,
    replicas: 2,
    cost_usd_per_hour: 3,
    busy_slots_by_fleet: { gpu: 6 },
  }));
  const llm = (name: string, scale: number) =>
    variantResult(name, {
      distributions: {
        latency_s: uniformPoints(4 * scale),
        queue_wait_s: [],
        ttft_s: uniformPoints(0.3 * scale),
        tpot_s: uniformPoints(0.05 * scale),
      },
      cost_per_1k_requests_usd: 2 / scale,
      cost_per_1m_tokens_usd: { input: 0.1, output: 0.5, total: 0.2 },
      timeseries,
      simulated_s: { warmup: 0, arrivals_end: 170, end: 180 },
    });
  const baseline = {
    ...llm('baseline', 1),
    capacity_events: [
      { time_s: 60, fleet: 'gpu', kind: 'scale' as const, from: 2, to: 3 },
      { time_s: 90, fleet: 'gpu', kind: 'notice' as const },
      { time_s: 120, fleet: 'gpu', kind: 'reclaim' as const },
    ],
  };
  const compared: ComparedRun[] = [baseline, llm(HOSTILE, 2)].map((result) => ({
    entry: { label: result.name, scenario: 'browser', variant: result.name, summary: result },
    result,
  }));
  await writeComparisonOutputs(
    dir,
    compared,
    {
      title: 'browser test',
      seed: 1,
      scenarios: [{ name: 'browser.yaml', yaml: `name: browser\n# ${HOSTILE}\n` }],
    },
    {
      slo: { limits: [{ metric: 'latency', statistic: 'p99', seconds: 5 }], maxDropRate: null },
    },
  );
}

describe.skipIf(!present && !required)('report.html in Chromium', () => {
  let context: BrowserContext;
  let profile: string;
  const dirs: Record<'full' | 'run' | 'replicated', string> = { full: '', run: '', replicated: '' };

  beforeAll(async () => {
    if (!present) throw new Error(`${CHROMIUM} is missing: install it with apt-get install -y chromium`);
    dirs.full = mkdtempSync(join(tmpdir(), 'fleetsim-browser-'));
    await writeFullReport(dirs.full);
    dirs.run = mkdtempSync(join(tmpdir(), 'fleetsim-browser-run-'));
    let stderr = '';
    const io = { stdout: () => {}, stderr: (t: string) => (stderr += t), cwd: ROOT };
    expect(
      await runCli(['run', 'test/fixtures/cli/tiny.yaml', '--out', dirs.run, '--quiet'], io),
      stderr,
    ).toBe(0);
    dirs.replicated = mkdtempSync(join(tmpdir(), 'fleetsim-browser-replicated-'));
    const replicate = ['--replications', '3', '--workers', '1', '--quiet'];
    expect(
      await runCli(['run', 'test/fixtures/cli/tiny.yaml', '--out', dirs.replicated, ...replicate], io),
      stderr,
    ).toBe(0);
    profile = mkdtempSync(join(tmpdir(), 'fleetsim-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 900 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        '--disable-sync',
        '--disable-quic',
      ],
    });
  });

  afterAll(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  async function visit(dir: string): Promise<Visit> {
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    const requests: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(pathToFileURL(join(dir, 'report.html')).href);
    // A string: the test's TypeScript has no DOM types, the page has a DOM.
    await page.waitForFunction(
      "[...document.querySelectorAll('.chart')].every((e) => e.getAttribute('data-rendered') === 'true')",
      null,
      { timeout: 30_000 },
    );
    return { page, consoleErrors, requests };
  }

  /** Marks each chart drew (lines, bars, points), apart from axes and legends. */
  function marksPerChart(page: Page) {
    return page.$$eval('.chart', (charts) =>
      charts.map((chart) => [
        chart.getAttribute('data-chart'),
        chart.querySelectorAll('svg.marks g.role-mark > *').length,
      ]),
    );
  }

  it('draws every chart, with no console error and no request beyond the file itself', async () => {
    const { page, consoleErrors, requests } = await visit(dirs.full);
    const drawn = await marksPerChart(page);
    expect(drawn.map(([name]) => name)).toEqual(CHART_NAMES);
    for (const [name, marks] of drawn) expect(marks, String(name)).toBeGreaterThan(0);
    expect(consoleErrors).toEqual([]);
    expect(requests).toEqual([pathToFileURL(join(dirs.full, 'report.html')).href]);
    expect(await page.evaluate('typeof window.pwned')).toBe('undefined');
    expect(await page.locator('#comparison').textContent()).toContain(HOSTILE);
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, 'report-all-charts.png'), fullPage: true });
    await page.close();
  });

  it('highlights a variant from the legend and shows tooltips on hover', async () => {
    const { page, consoleErrors } = await visit(dirs.full);
    const chart = page.locator('#chart-latency-cdf');
    const lineOpacities = () =>
      chart.evaluate((el) =>
        [...el.querySelectorAll('g.mark-line path')].map((p) => p.getAttribute('opacity')),
      );
    expect(await lineOpacities()).toEqual(['1', '1']);
    await chart.locator('g.role-legend-label text', { hasText: 'baseline' }).click();
    await expect.poll(lineOpacities).toEqual(['1', '0.12']);

    const plot = await chart.locator('svg.marks').boundingBox();
    await page.mouse.move(plot!.x + plot!.width * 0.35, plot!.y + plot!.height * 0.5);
    const tooltip = page.locator('#vg-tooltip-element');
    await expect.poll(() => tooltip.isVisible()).toBe(true);
    expect(await tooltip.textContent()).toMatch(/variant[\s\S]*of measured[\s\S]*of completed[\s\S]*seconds/);
    expect(consoleErrors).toEqual([]);
    await page.close();
  });

  it('shows the report of a real run', async () => {
    const { page, consoleErrors, requests } = await visit(dirs.run);
    const drawn = await marksPerChart(page);
    expect(drawn).toHaveLength(7);
    for (const [name, marks] of drawn) expect(marks, String(name)).toBeGreaterThan(0);
    expect(consoleErrors).toEqual([]);
    expect(requests).toHaveLength(1);
    await page.screenshot({ path: join(SCREENSHOTS, 'report-run.png'), fullPage: true });
    await page.close();
  });

  it('draws the error bars of a run with replications', async () => {
    const { page, consoleErrors } = await visit(dirs.replicated);
    const drawn = await marksPerChart(page);
    expect(drawn).toHaveLength(7);
    for (const [name, marks] of drawn) expect(marks, String(name)).toBeGreaterThan(0);
    // No SLO in tiny.yaml: the only rules are the whiskers, p50, p90 and p99 of two variants.
    const whiskers = page.locator('#chart-latency-percentiles g.mark-rule.role-mark line');
    expect(await whiskers.count()).toBe(6);
    expect(consoleErrors).toEqual([]);
    await page.screenshot({ path: join(SCREENSHOTS, 'report-replicated.png'), fullPage: true });
    await page.close();
  });
});
