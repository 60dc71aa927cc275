import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runCli } from '../../src/cli/app.js';
import type { CliIo } from '../../src/cli/io.js';
import type { VariantResult } from '../../src/metrics/index.js';
import { runScenario } from '../../src/run.js';
import { loadScenarioText } from '../../src/scenario/load.js';
import { formatDiagnostic } from '../../src/scenario/types.js';
import type { RequestRecord } from '../../src/workload/index.js';

const dir = mkdtempSync(join(tmpdir(), 'fleetsim-models-routing-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const PROFILE = file(
  'flat-profile.csv',
  'model,hardware,tensor_parallel,batch_size,prompt_size,prompt_time,token_time\nflat,gpu,1,1,100,200,20\n',
);

// 300 rows, one every 50 ms: every third asks for `big`, the others for `small`; row 100 names
// a model the scenario does not have.
const ROWS = Array.from({ length: 300 }, (_, i) => ({
  t: i * 0.05,
  model: i === 100 ? 'huge' : i % 3 === 0 ? 'big' : 'small',
}));
const TRACE = file(
  'models.csv',
  `t,prompt,output,model\n${ROWS.map((r) => `${r.t},50,3,${r.model}`).join('\n')}\n`,
);

const llmFleet = (name: string, model: string) => ({
  name,
  model,
  replicas: 1,
  price_per_hour: 2,
  batching: { policy: 'continuous', kv_cache_tokens: 100000, max_num_seqs: 8 },
  step_time: { profile: { path: PROFILE, model: 'flat', hardware: 'gpu' } },
});

function scenario(routing: object) {
  return {
    seed: 5,
    workload: {
      arrivals: {
        trace: {
          path: TRACE,
          format: 'csv',
          time_column: 't',
          columns: { input_tokens: 'prompt', output_tokens: 'output', model: 'model' },
        },
      },
    },
    models: {
      small: { llm: { preset: 'Llama-3.1-8B' } },
      big: { llm: { preset: 'Llama-3.1-70B' } },
    },
    fleets: [
      llmFleet('small-1', 'small'),
      llmFleet('big-1', 'big'),
      llmFleet('small-2', 'small'),
      // A fleet without an LLM of its own takes the requests of the model it names.
      { name: 'big-cpu', model: 'big', replicas: 2, price_per_hour: 1, service_time: '300ms' },
    ],
    routing,
  };
}

const SERVES: Record<string, string> = {
  'small-1': 'small',
  'small-2': 'small',
  'big-1': 'big',
  'big-cpu': 'big',
};

describe('several models: routing by model', () => {
  const policies = [
    { policy: 'least-outstanding' },
    { policy: 'round-robin' },
    { policy: 'random' },
    { policy: 'power-of-two' },
    { policy: 'weighted', weights: { 'small-1': 1, 'big-1': 2, 'small-2': 3, 'big-cpu': 1 } },
    { policy: 'spillover', order: ['big-cpu', 'small-2', 'big-1', 'small-1'], max_queue_per_replica: 2 },
  ];
  for (const routing of policies) {
    it(`${routing.policy}: every request reaches a fleet of its model, and each model's count is the trace's`, async () => {
      const requests: RequestRecord[] = [];
      const output = await runScenario(scenario(routing), { onRequest: (r) => requests.push(r) });
      const result = output.results[0] as VariantResult;
      const modelAt = new Map(ROWS.map((r) => [Math.round(r.t * 1e6), r.model]));
      const served: Record<string, number> = { small: 0, big: 0 };
      for (const request of requests) {
        const model = modelAt.get(Math.round(request.arrival * 1e6));
        if (model === 'huge') {
          expect(request).toMatchObject({ outcome: 'rejected', fleet: null });
          continue;
        }
        expect(request.outcome).toBe('completed');
        expect(SERVES[request.fleet as string]).toBe(model);
        served[model as string]++;
      }
      expect(served).toEqual({ small: 199, big: 100 });
      expect(result.instances['small-1'].completed + result.instances['small-2'].completed).toBe(199);
      expect(result.instances['big-1'].completed + result.instances['big-cpu'].completed).toBe(100);
      expect(result.requests.dropped).toBe(1);
      expect(result.warnings.some((w) => w.startsWith('1 request asked for a model no fleet serves'))).toBe(
        true,
      );
      expect(result.llm?.fleets['big-1'].model).toBe('big');
      expect(result.llm?.fleets['small-2'].model).toBe('small');
    });
  }

  it("a class's requests go to its model's fleets", async () => {
    const base = scenario({ policy: 'round-robin' });
    const requests: RequestRecord[] = [];
    await runScenario(
      {
        ...base,
        duration: '30s',
        workload: {
          classes: [
            {
              name: 'chat',
              model: 'small',
              arrivals: { poisson: { rate: 5 } },
              input_tokens: 50,
              output_tokens: 3,
            },
            {
              name: 'code',
              model: 'big',
              arrivals: { poisson: { rate: 2 } },
              input_tokens: 50,
              output_tokens: 3,
            },
          ],
        },
      },
      { onRequest: (r) => requests.push(r) },
    );
    expect(requests.length).toBeGreaterThan(100);
    for (const request of requests) {
      expect(SERVES[request.fleet as string]).toBe(request.class === 'chat' ? 'small' : 'big');
    }
  });
});

async function diagnostics(yaml: object): Promise<string[]> {
  const loaded = await loadScenarioText(stringify(yaml), join(dir, 's.yaml'));
  return loaded.ok ? [] : loaded.errors.map((d) => formatDiagnostic(d).replace(`${dir}/`, ''));
}

describe('several models: what the scenario must say', () => {
  const base = () => scenario({ policy: 'least-outstanding' });

  it('a fleet naming a model there is not, located at its model', async () => {
    const s = base();
    (s.fleets[1] as { model: string }).model = 'bigg';
    const errors = await diagnostics(s);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^s\.yaml:\d+:\d+: fleets\[1\]\.model: unknown model "bigg"; did you mean "big"\?$/,
    );
    // The line is the fleet's `model:` line.
    const line = Number(/^s\.yaml:(\d+):/.exec(errors[0])?.[1]);
    expect(stringify(s).split('\n')[line - 1]).toMatch(/^\s+model: bigg$/);
  });

  it('a continuous-batching fleet that names no model when there are several', async () => {
    const s = base();
    delete (s.fleets[0] as { model?: string }).model;
    expect(await diagnostics(s)).toEqual([
      expect.stringMatching(
        /^s\.yaml:\d+:\d+: fleets\[0\]: a continuous-batching fleet names the model it serves when there are several: add model: one of small, big$/,
      ),
    ]);
  });

  it('a class naming an unknown model, or none, when there are several', async () => {
    const s = {
      ...base(),
      duration: '1m',
      workload: {
        classes: [
          { name: 'chat', model: 'smal', arrivals: { poisson: { rate: 1 } } },
          { name: 'code', arrivals: { poisson: { rate: 1 } } },
        ],
      },
    };
    expect(await diagnostics(s)).toEqual([
      expect.stringMatching(
        /^s\.yaml:\d+:\d+: workload\.classes\[0\]\.model: unknown model "smal"; did you mean "small"\?$/,
      ),
      expect.stringMatching(
        /^s\.yaml:\d+:\d+: workload\.classes\[1\]: requests name their model when there are several: add model: one of small, big$/,
      ),
    ]);
  });

  it('a class whose model no fleet serves', async () => {
    const s = {
      ...base(),
      duration: '1m',
      workload: { classes: [{ name: 'code', model: 'big', arrivals: { poisson: { rate: 1 } } }] },
    };
    s.fleets = s.fleets.filter((fleet) => SERVES[fleet.name] === 'small');
    expect(await diagnostics(s)).toEqual([
      expect.stringMatching(/^s\.yaml:\d+:\d+: workload\.classes\[0\]\.model: no fleet serves model big$/),
    ]);
  });

  it('model and models together; an adapter on a model whose fleet has no adapters', async () => {
    const both = { ...base(), model: { llm: { preset: 'Llama-3.1-8B' } } };
    expect(await diagnostics(both)).toEqual([
      expect.stringMatching(/^s\.yaml:\d+:\d+: models: give model or models, not both$/),
    ]);
    const adapter = {
      ...base(),
      duration: '1m',
      workload: {
        classes: [{ name: 'chat', model: 'small', adapter: 'sql', arrivals: { poisson: { rate: 1 } } }],
      },
    };
    expect(await diagnostics(adapter)).toEqual([
      expect.stringMatching(
        /^s\.yaml:\d+:\d+: workload\.classes\[0\]\.adapter: fleet small-1 serves model small without adapters: give it adapters: \{ max_resident, load_time \}$/,
      ),
    ]);
  });

  it('fleetsim run stops with one located line and exit code 2', async () => {
    const s = base();
    (s.fleets[2] as { model: string }).model = 'medium';
    const path = file('bad.yaml', stringify(s));
    let stderr = '';
    const io: CliIo = { stdout: () => {}, stderr: (t) => (stderr += t), cwd: dir };
    const code = await runCli(['run', path, '--out', join(dir, 'out')], io);
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/bad\.yaml:\d+:\d+: fleets\[2\]\.model: unknown model "medium"/);
  });
});
