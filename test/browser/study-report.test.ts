import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/app.js';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = resolve(import.meta.dirname, '../..');
/** Screenshots for people to look at; `out/` is ignored by git. */
const SCREENSHOTS = join(ROOT, 'out/browser-test');

// .ci/run installs Chromium and sets this: there a missing browser is a failure, not a skip.
const required = process.env.FLEETSIM_REQUIRE_BROWSER === '1';
const present = existsSync(CHROMIUM);
if (!present && !required) {
  console.warn(
    `test/browser: ${CHROMIUM} not found, skipping the browser tests (apt-get install -y chromium)`,
  );
}

/** One replica misses the 1 s p99 at 5 requests/s of 300 ms work; two and three meet it. */
const SCENARIO = `name: study
seed: 4
duration: 200
warmup: 20
workload:
  arrivals: { poisson: { rate: 5 } }
fleets:
  - { name: gpu, replicas: 1, concurrency: 2, price_per_hour: 1.5, service_time: 300ms }
slo: { latency_p99: 1s }
sweep:
  grid: { fleets.0.replicas: [1, 2, 3] }
variants:
  - { name: slow, set: { fleets.0.service_time: 900ms, fleets.0.price_per_hour: 0.5 } }
`;

describe.skipIf(!present && !required)('report.html of a sweep and a plan in Chromium', () => {
  let context: BrowserContext;
  let profile: string;
  let dir: string;

  beforeAll(async () => {
    if (!present) throw new Error(`${CHROMIUM} is missing: install it with apt-get install -y chromium`);
    dir = mkdtempSync(join(tmpdir(), 'fleetsim-browser-study-'));
    writeFileSync(join(dir, 'scenario.yaml'), SCENARIO);
    let stderr = '';
    const io = { stdout: () => {}, stderr: (t: string) => (stderr += t), cwd: dir };
    const common = ['--workers', '1', '--quiet'];
    expect(await runCli(['sweep', 'scenario.yaml', '--out', 'sweep', ...common], io), stderr).toBe(0);
    expect(
      await runCli(
        ['plan', 'scenario.yaml', '--out', 'plan', '--vary', 'workload.scale=[1, 2]', ...common],
        io,
      ),
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
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function visit(folder: string) {
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    const requests: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
    page.on('request', (request) => requests.push(request.url()));
    const url = pathToFileURL(join(dir, folder, 'report.html')).href;
    await page.goto(url);
    // A string: the test's TypeScript has no DOM types, the page has a DOM.
    await page.waitForFunction(
      "[...document.querySelectorAll('.chart')].every((e) => e.getAttribute('data-rendered') === 'true')",
      null,
      { timeout: 30_000 },
    );
    return { page, consoleErrors, requests, url };
  }

  function marksPerChart(page: Page) {
    return page.$$eval('.chart', (charts) =>
      charts.map((chart) => [
        chart.getAttribute('data-chart'),
        chart.querySelectorAll('svg.marks g.role-mark > *').length,
      ]),
    );
  }

  it('sweep: draws its chart, names the pick, and every point has a tooltip and a legend to pick by', async () => {
    const { page, consoleErrors, requests, url } = await visit('sweep');
    const drawn = await marksPerChart(page);
    expect(drawn.map(([name]) => name)).toEqual(['cost-vs-p99']);
    for (const [name, marks] of drawn) expect(marks, String(name)).toBeGreaterThan(0);
    expect(consoleErrors).toEqual([]);
    expect(requests).toEqual([url]);
    expect(await page.locator('#answer .answer').textContent()).toMatch(/^Pick: fleets\.0\.replicas=2/);
    expect(await page.locator('#configurations tr.missed').count()).toBeGreaterThan(0);

    const chart = page.locator('#chart-cost-vs-p99');
    // The ring of the pick, then a mark per configuration (three points, two variants).
    const symbols = chart.locator('g.mark-symbol.role-mark');
    expect(await symbols.count()).toBe(2);
    const points = symbols.nth(1).locator('path');
    expect(await points.count()).toBe(6);
    const opacities = () => points.evaluateAll((paths) => paths.map((p) => p.getAttribute('opacity')));
    expect(new Set(await opacities())).toEqual(new Set(['0.95']));
    // Five configurations or fewer carry labels; six do not, so none print over each other.
    expect(await chart.locator('g.mark-text.role-mark text').count()).toBe(0);
    await chart.locator('g.role-legend-label text', { hasText: 'misses SLO' }).click();
    await expect.poll(async () => new Set(await opacities())).toEqual(new Set(['0.95', '0.12']));

    const box = await points.nth(0).boundingBox();
    await page.mouse.move(box!.x + box!.width / 2, box!.y + box!.height / 2);
    const tooltip = page.locator('#vg-tooltip-element');
    await expect.poll(() => tooltip.isVisible()).toBe(true);
    expect(await tooltip.textContent()).toMatch(
      /fleets\.0\.replicas[\s\S]*variant[\s\S]*SLO[\s\S]*USD per month/,
    );
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, 'sweep-report.png'), fullPage: true });
    await page.close();
  });

  it('plan: draws the candidates and the capacity curves, and names the pick', async () => {
    const { page, consoleErrors, requests, url } = await visit('plan');
    const drawn = await marksPerChart(page);
    expect(drawn.map(([name]) => name)).toEqual(['plan-candidates', 'capacity-curves']);
    for (const [name, marks] of drawn) expect(marks, String(name)).toBeGreaterThan(0);
    expect(consoleErrors).toEqual([]);
    expect(requests).toEqual([url]);
    expect(await page.locator('#answer .answer').textContent()).toMatch(/^Pick: fleets\.0\.replicas=\d/);
    // A bar per candidate (two variants), captioned with its monthly cost or what it missed.
    const captions = await page
      .locator('#chart-plan-candidates g.mark-text.role-mark text')
      .evaluateAll((texts) => texts.map((t) => t.textContent));
    expect(captions).toHaveLength(2);
    for (const caption of captions) expect(caption).toMatch(/^(\$[\d,]+ a month|misses: .+)$/);
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, 'plan-report.png'), fullPage: true });
    await page.close();
  });
});
