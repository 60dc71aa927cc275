import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runPlan } from '../../src/plan/index.js';
import { buildComparison } from '../../src/report/index.js';
import { runScenario } from '../../src/run.js';
import { loadScenarioFile } from '../../src/scenario/index.js';
import { formatDiagnostic } from '../../src/scenario/types.js';

const SCENARIOS = fileURLToPath(new URL('../../scenarios/', import.meta.url));

describe('the example scenarios', () => {
  it.each(readdirSync(SCENARIOS).filter((f) => f.endsWith('.yaml')))(
    '%s loads without errors',
    async (file) => {
      const loaded = await loadScenarioFile(`${SCENARIOS}${file}`);
      expect(loaded.ok ? [] : loaded.errors.map(formatDiagnostic)).toEqual([]);
    },
  );

  it('spot-autoscaling scales the spot fleet and bills spot below on demand', async () => {
    const { results } = await runScenario(`${SCENARIOS}spot-autoscaling.yaml`, { set: ['duration=20m'] });
    const [spot, onDemand] = results;
    expect(spot.instances['gpu-spot'].launched).toBeGreaterThan(3);
    expect(spot.cost_usd.by_market.spot).toBeGreaterThan(0);
    expect(onDemand.cost_usd.by_market.spot).toBe(0);
    expect(spot.cost_usd.total).toBeLessThan(onDemand.cost_usd.total);
  });

  it('chat-sessions sends growing prompts: the mean prompt is past the first turn of a conversation', async () => {
    const { results } = await runScenario(`${SCENARIOS}chat-sessions.yaml`, { set: ['duration=20m'] });
    const [baseline] = results;
    expect(baseline.requests.completed).toBe(baseline.requests.arrived);
    // A first turn sends 800 + about 413 tokens (lognormal mean 300 e^0.32); later turns add about
    // 398 each (replies 60 e^0.5, answers 250 e^0.18).
    const meanInput = baseline.tokens.input / baseline.requests.completed;
    expect(meanInput).toBeGreaterThan(1213 + 398);
    expect(baseline.tokens.output / baseline.requests.completed).toBeCloseTo(299, -1);
  });

  it('autoscaler-tuning trades cost for waiting as the HPA target rises', async () => {
    const at = (target: number) =>
      runScenario(`${SCENARIOS}autoscaler-tuning.yaml`, {
        set: ['duration=1h', `fleets.0.autoscaling.target=${target}`],
      }).then(({ results }) => results[0]);
    const [low, high] = [await at(0.5), await at(0.8)];
    expect(high.cost_usd.total).toBeLessThan(low.cost_usd.total);
    expect(high.queue_wait_s.p99 ?? 0).toBeGreaterThan(low.queue_wait_s.p99 ?? Number.POSITIVE_INFINITY);
    expect(high.scaling?.api.scale_outs ?? 0).toBeGreaterThan(0);
  });

  it("models-lora sends each class to its model's fleet; more adapter slots cut the waits for loads", async () => {
    const { results } = await runScenario(`${SCENARIOS}models-lora.yaml`, { set: ['duration=8m'] });
    const [baseline, slots] = results;
    for (const result of results) {
      const { chat, tuned } = result.classes ?? {};
      expect(result.instances['chat-gpu'].completed).toBe(chat.requests.completed);
      expect(result.instances['lora-gpu'].completed).toBe(tuned.requests.completed);
      expect(result.llm?.fleets['lora-gpu'].model).toBe('tuned');
    }
    const [few, many] = [baseline, slots].map((r) => r.llm?.fleets['lora-gpu'].adapters);
    expect(many?.max_resident).toBe(32);
    // 40 adapters on 8 slots a replica: far more loads, and longer waits, than on 32.
    expect(few?.loads ?? 0).toBeGreaterThan(3 * (many?.loads ?? 0));
    expect(few?.load_wait_s.mean ?? 0).toBeGreaterThan(many?.load_wait_s.mean ?? Number.POSITIVE_INFINITY);
    // The chat fleet sees neither: the same requests, the same times.
    expect(baseline.classes?.chat.ttft_s).toEqual(slots.classes?.chat.ttft_s);
  });

  it('classes reports chat and summarization apart, and their costs and idle add up to the run', async () => {
    const { results } = await runScenario(`${SCENARIOS}classes.yaml`, { set: ['duration=6m'] });
    const [baseline] = results;
    const { chat, summarize } = baseline.classes ?? {};
    expect(chat.requests.arrived + summarize.requests.arrived).toBe(baseline.requests.arrived);
    // Prompts of about 6,000 tokens against about 600: summarization's first token comes later.
    expect(summarize.ttft_s.p50).toBeGreaterThan(chat.ttft_s.p50 as number);
    const attribution = baseline.cost_attribution;
    expect(
      (attribution?.by_class.chat ?? 0) + (attribution?.by_class.summarize ?? 0) + (attribution?.idle ?? 0),
    ).toBeCloseTo(baseline.cost_usd.total, 9);
    // 11 % of the requests with ten times the prompt: a larger share of the cost than of the requests.
    expect(summarize.cost_usd.total / baseline.cost_usd.total).toBeGreaterThan(
      summarize.requests.completed / baseline.requests.completed,
    );
  });

  it('edge-offload keeps most requests in the store and sends long prompts to the cloud', async () => {
    const { results } = await runScenario(`${SCENARIOS}edge-offload.yaml`, { set: ['duration=20m'] });
    const offload = results[0].offload;
    expect(offload?.edge_share).toBeGreaterThan(0.5);
    expect(offload?.oversize).toBeGreaterThan(0);
    expect(results[1].offload).toBeNull();
  });
});

describe('chat-prefix-routing.yaml', () => {
  it('finds most of each call cached only when routed by cache', async () => {
    // The baseline and its cache-aware variant only, on a shorter run.
    const scenario = parse(readFileSync(`${SCENARIOS}chat-prefix-routing.yaml`, 'utf8'));
    scenario.variants = scenario.variants.filter((v: { name: string }) => v.name === 'cache-aware');
    const { results } = await runScenario(scenario, { baseDir: SCENARIOS, set: ['duration=20m'] });
    const [least, aware] = results.map((r) => r.llm?.fleets.gpu.prefix_cache?.hit_rate ?? Number.NaN);
    // The shared 3,000-token task prompt is about half of a call's prompt; the session's history,
    // the rest, is cached only on the replica that served its previous call.
    expect(least).toBeGreaterThan(0.4);
    expect(least).toBeLessThan(0.6);
    expect(aware).toBeGreaterThan(0.85);
    expect(results[1].ttft_s.p99).toBeLessThan(results[0].ttft_s.p99 ?? Number.NaN);
  }, 120_000);
});

describe('mooncake-prefix-cache.yaml', () => {
  it("finds the trace's shared prefixes in the cache, runs without it in its no-cache variant, and finds more with a host tier", async () => {
    const { results } = await runScenario(`${SCENARIOS}mooncake-prefix-cache.yaml`, {
      set: ['workload.arrivals.trace.limit=600'],
    });
    const [cached, uncached] = results;
    const stats = cached.llm?.fleets.gpu.prefix_cache;
    expect(stats?.cached_prompt_tokens).toBeGreaterThan(0);
    expect(stats?.prefill_tokens_saved).toBeGreaterThanOrEqual(stats?.cached_prompt_tokens ?? Number.NaN);
    expect(uncached.llm?.fleets.gpu.prefix_cache).toBeUndefined();
    expect(uncached.tokens).toEqual(cached.tokens);
    // The host-tier variant keeps what the H100s evict in host memory and finds more of it.
    const tiered = results.find((r) => r.name === 'host-tier')?.llm?.fleets.gpu.prefix_cache;
    expect(tiered?.host_tier?.cached_prompt_tokens).toBeGreaterThan(0);
    expect(tiered?.hit_rate).toBeGreaterThan(stats?.hit_rate ?? 1);
  }, 90_000);
});

describe('the hardware plan of the README (h100-l40s-tpu.yaml)', () => {
  it('needs one L40S, one TPU v6e chip or one H100, ranked by list price, and ages the AWS prices', async () => {
    const { result } = await runPlan({
      scenario: `${SCENARIOS}h100-l40s-tpu.yaml`,
      outDir: join(mkdtempSync(join(tmpdir(), 'fleetsim-hw-plan-')), 'plan'),
      capacity: false,
      workers: 1,
    });
    const met = result.candidates.filter((candidate) => candidate.meets_slo);
    expect(
      met.map((candidate) => [
        candidate.params['fleets.0.instance'],
        candidate.params['fleets.0.replicas'],
        candidate.cost_usd_per_hour,
      ]),
    ).toEqual([
      ['aws/g6e.xlarge', 1, 1.861],
      ['gcp/tpu-v6e-1', 1, 2.7],
      ['aws/p5.4xlarge', 1, 6.88],
    ]);
    for (const candidate of met) {
      const stale = candidate.warnings.filter((w) => w.includes('319 days before as_of 2026-12-06'));
      expect(stale.length, String(candidate.params['fleets.0.instance'])).toBe(
        String(candidate.params['fleets.0.instance']).startsWith('aws/') ? 1 : 0,
      );
    }
  });
});

describe('the demo without an slo:', () => {
  it('fails the configurations that lose requests, warns about them, and picks none of them', async () => {
    const { results } = await runScenario(`${SCENARIOS}demo.yaml`);
    const byName = Object.fromEntries(results.map((r) => [r.name, r]));
    const lostShare = (name: string) => {
      const r = byName[name].requests;
      return (r.dropped + r.timed_out + r.in_flight_at_end) / r.arrived;
    };
    for (const name of ['one-l40s', 'a10g-bf16']) {
      expect(lostShare(name)).toBeGreaterThan(0.01);
      expect(byName[name].slo).toMatchObject({ met: false, default: true });
      expect(byName[name].warnings.some((w) => w.startsWith('lost '))).toBe(true);
    }
    // a10g-bf16 is bound by its KV cache: that is its utilization, and it preempts over and over.
    const bf16 = byName['a10g-bf16'];
    expect(bf16.llm?.fleets.gpu.binding).toBe('kv_cache');
    expect(bf16.utilization.gpu).toBe(bf16.llm?.fleets.gpu.kv_utilization.mean);
    expect(bf16.warnings.some((w) => w.includes('preempted'))).toBe(true);
    for (const name of ['baseline', 'a10g-int8']) {
      expect(lostShare(name)).toBeLessThanOrEqual(0.01);
      expect(byName[name].slo.met).toBe(true);
    }
    const entries = results.map(({ timeseries: _t, distributions: _d, capacity_events: _c, ...summary }) => ({
      label: summary.name,
      scenario: 'chat-demo',
      variant: summary.name,
      summary,
    }));
    // one-l40s is the cheapest per 1k requests, but it fails: the pick is the cheapest that meets the objective.
    const cheapest = [...results].sort(
      (a, b) => a.cost_per_1k_requests_usd! - b.cost_per_1k_requests_usd!,
    )[0];
    expect(cheapest.name).toBe('one-l40s');
    expect(buildComparison(entries, 7).pick).toEqual({
      label: 'a10g-int8',
      basis: 'cheapest meeting the default objective',
    });
  });
});
