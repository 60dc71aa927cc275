import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { formatDiagnostic, UserError } from '../../scenario/types.js';
import { MAX_REPORT_BYTES } from './client-reports.js';
import { detectMeasuredFormat, type MeasuredRun, readMeasuredRun } from './measured.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/calibrate/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'fleetsim-measured-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** The located message of the UserError `read` throws, file name only. */
function failure(read: () => unknown): string {
  try {
    read();
  } catch (error) {
    if (error instanceof UserError) {
      const d = error.diagnostic;
      return formatDiagnostic({ ...d, file: d.file.split('/').pop() as string });
    }
    throw error;
  }
  throw new Error('expected a UserError');
}

/** requests.jsonl parsed with JSON.parse, in arrival order: the independent reading every layout is checked against. */
const truth = readFileSync(join(FIXTURES, 'requests.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map(
    (line) =>
      JSON.parse(line) as {
        arrival: number;
        first_token: number;
        finish: number;
        input_tokens: number;
        output_tokens: number;
      },
  )
  .sort((a, b) => a.arrival - b.arrival);

/** Checks a run against the first `count` requests of `truth`, TTFT and latency to `tolerance` seconds. */
function expectTruth(run: MeasuredRun, count: number, tolerance: number) {
  expect(run.count).toBe(count);
  expect(run.completed).toBe(count);
  for (let i = 0; i < count; i++) {
    const r = truth[i];
    expect(run.arrivalS[i]).toBeCloseTo(r.arrival - truth[0].arrival, 5);
    expect(run.inputTokens[i]).toBe(r.input_tokens);
    expect(run.outputTokens[i]).toBe(r.output_tokens);
    expect(Math.abs(run.ttftS[i] - (r.first_token - r.arrival))).toBeLessThan(tolerance);
    expect(Math.abs(run.latencyS[i] - (r.finish - r.arrival))).toBeLessThan(tolerance);
    expect(Math.abs(run.tpotS[i] - (r.finish - r.first_token) / (r.output_tokens - 1))).toBeLessThan(
      tolerance,
    );
  }
}

describe('measured runs in each layout', () => {
  it('reads requests.jsonl in arrival order, needing a copy to replay (its lines come in order of finish)', () => {
    const run = readMeasuredRun(join(FIXTURES, 'requests.jsonl'));
    expect(run.format).toBe('jsonl');
    expectTruth(run, truth.length, 1e-9);
    expect(run.direct).toBeNull();
  });

  it('reads a CSV of epoch milliseconds under other names, and replays it as it is', () => {
    const run = readMeasuredRun(join(FIXTURES, 'client-ms.csv'), {
      columns: {
        arrival: 'sent_ms',
        first_token: 'first_token_ms',
        finish: 'done_ms',
        input_tokens: 'prompt_tokens',
        output_tokens: 'completion_tokens',
      },
      timeUnit: 'ms',
    });
    expect(run.format).toBe('csv');
    // Milliseconds with three decimals: microseconds.
    expectTruth(run, truth.length, 2e-6);
    expect(run.direct).toEqual({
      format: 'csv',
      timeColumn: 'sent_ms',
      timeUnit: 'ms',
      inputColumn: 'prompt_tokens',
      outputColumn: 'completion_tokens',
    });
  });

  it('reads GuideLLM reports, from 0.4 on (info.timings) and before (start_time)', () => {
    for (const file of ['guidellm-report.json', 'guidellm-0.3-report.json']) {
      expect(detectMeasuredFormat(join(FIXTURES, file))).toBe('guidellm');
      const run = readMeasuredRun(join(FIXTURES, file));
      expect(run.format).toBe('guidellm');
      expectTruth(run, 200, 2e-6);
      expect(run.notes).toEqual([]);
    }
  });

  it('reads a vLLM benchmark result: latency is the TTFT plus the inter-token gaps', () => {
    const path = join(FIXTURES, 'vllm-result.json');
    expect(detectMeasuredFormat(path)).toBe('vllm');
    const result = JSON.parse(readFileSync(path, 'utf8')) as { itls: number[][]; ttfts: number[] };
    // The fixture's gaps were rounded to microseconds: their sum drifts by at most half of one per gap.
    const drift = Math.max(...result.itls.map((gaps) => gaps.length)) * 5e-7 + 2e-6;
    expectTruth(readMeasuredRun(path), 200, drift);
  });

  it('infers the arrivals of a vLLM run at request_rate inf: all at once', () => {
    const run = readMeasuredRun(join(FIXTURES, 'vllm-burst.json'));
    expect(run.count).toBe(120);
    expect([...run.arrivalS].every((t) => t === 0)).toBe(true);
    expect(run.notes).toEqual([
      'no start_times: request_rate inf sent every request at once, so all arrive at 0',
    ]);
  });

  it('infers the arrivals of a vLLM run at max_concurrency N: each later request when a running one ends', () => {
    // Latencies 1, 3, 1, 1 s through two slots: 0 and 1 start at once; 2 takes the slot 0 frees
    // at 1 s and ends at 2 s; 3 takes that slot at 2 s.
    const path = write(
      'concurrency.json',
      JSON.stringify({
        request_rate: 'inf',
        max_concurrency: 2,
        input_lens: [10, 20, 30, 40],
        output_lens: [3, 3, 3, 3],
        ttfts: [0.2, 0.5, 0.2, 0.2],
        itls: [
          [0.4, 0.4],
          [1.25, 1.25],
          [0.4, 0.4],
          [0.4, 0.4],
        ],
        errors: ['', '', '', ''],
      }),
    );
    const run = readMeasuredRun(path);
    expect([...run.arrivalS]).toEqual([0, 0, 1, 2]);
    expect([...run.latencyS].map((t) => Number(t.toFixed(9)))).toEqual([1, 3, 1, 1]);
    expect([...run.inputTokens]).toEqual([10, 20, 30, 40]);
  });

  it('leaves failed vLLM requests and errored GuideLLM requests out, and says so', () => {
    const path = write(
      'failed.json',
      JSON.stringify({
        start_times: [5, 6],
        input_lens: [10, 20],
        output_lens: [4, 0],
        ttfts: [0.1, 0],
        itls: [[0.1, 0.1, 0.1], []],
        errors: ['', 'Bad Gateway'],
      }),
    );
    const run = readMeasuredRun(path, { format: 'vllm' });
    expect(run.count).toBe(1);
    expect(run.latencyS[0]).toBeCloseTo(0.4, 12);
    expect(run.notes).toEqual(['1 failed request(s) are left out: the server may never have seen them']);
  });
});

describe('bad measured runs, located', () => {
  it('a finish before the first token', () => {
    const path = write(
      'bad-order.jsonl',
      [
        '{"arrival":1,"first_token":1.1,"finish":2,"input_tokens":10,"output_tokens":5}',
        '',
        '{"arrival":2,"first_token":2.5,"finish":2.4,"input_tokens":10,"output_tokens":5}',
      ].join('\n'),
    );
    expect(failure(() => readMeasuredRun(path))).toBe(
      'bad-order.jsonl:3:1: key "finish": the finish (2.4) comes before the first token (2.5)',
    );
  });

  it('times past the span of the simulation clock, and values nested too deep to quote whole', () => {
    const line = (finish: string) =>
      `{"arrival":1,"first_token":1.1,"finish":${finish},"input_tokens":10,"output_tokens":5}`;
    const far = write('far.jsonl', [line('2'), line('1e308')].join('\n'));
    expect(failure(() => readMeasuredRun(far))).toBe(
      'far.jsonl:2:1: key "finish": 1e+308 is more than 285 years after the earliest time of the run (1), past the span of the simulation clock',
    );
    const deep = write(
      'deep.jsonl',
      `{"arrival":${'['.repeat(100_000)}${']'.repeat(100_000)},"first_token":1,"finish":2,"input_tokens":1,"output_tokens":1}\n`,
    );
    expect(failure(() => readMeasuredRun(deep))).toBe(
      'deep.jsonl:1:1: key "arrival": expected a time, got "[…"',
    );
    const report = JSON.parse(readFileSync(join(FIXTURES, 'vllm-result.json'), 'utf8'));
    report.itls[3] = [-1, -1];
    expect(failure(() => readMeasuredRun(write('gaps.json', JSON.stringify(report))))).toMatch(
      /^gaps\.json:1:\d+: \.itls\[3\]\[0\]: expected seconds from 0 to 285 years \(the span of the simulation clock\), got -1$/,
    );
  });

  it('a report larger than a string can hold, by its size before it is read', () => {
    const path = write('huge.json', '');
    truncateSync(path, MAX_REPORT_BYTES + 1);
    expect(failure(() => readMeasuredRun(path, { format: 'vllm' }))).toBe(
      'huge.json:1:1: the report is 400 MB; at most 400 MB (a report of detailed results keeps its generated texts: drop them, or give the per-request columns as JSONL or CSV)',
    );
  });

  it('a missing token count in a CSV', () => {
    const path = write(
      'no-tokens.csv',
      'arrival,first_token,finish,input_tokens,output_tokens\n0,0.1,1,5,3\n1,1.1,2,,4\n',
    );
    expect(failure(() => readMeasuredRun(path))).toBe(
      'no-tokens.csv:3:4: column "input_tokens": expected a number of tokens from 0 to 2147483647, got nothing',
    );
  });

  it('token counts past 2^31 - 1, the bound of every count, in each layout', () => {
    const csv = write(
      'huge-tokens.csv',
      'arrival,first_token,finish,input_tokens,output_tokens\n0,0.1,1,5,3\n1,1.1,2,1e308,4\n',
    );
    expect(failure(() => readMeasuredRun(csv))).toBe(
      'huge-tokens.csv:3:4: column "input_tokens": expected a number of tokens from 0 to 2147483647, got "1e308"',
    );
    const jsonl = write(
      'huge-tokens.jsonl',
      '{"arrival":0,"first_token":0.1,"finish":1,"input_tokens":5,"output_tokens":2147483648}\n',
    );
    expect(failure(() => readMeasuredRun(jsonl))).toBe(
      'huge-tokens.jsonl:1:1: key "output_tokens": expected a number of tokens from 0 to 2147483647, got 2147483648',
    );
    const vllm = JSON.parse(readFileSync(join(FIXTURES, 'vllm-result.json'), 'utf8'));
    vllm.input_lens[5] = 1e308;
    expect(failure(() => readMeasuredRun(write('huge-tokens.json', JSON.stringify(vllm))))).toMatch(
      /^huge-tokens\.json:1:\d+: \.input_lens\[5\]: expected a number of tokens from 0 to 2147483647, got 1e\+308$/,
    );
    const guidellm = JSON.parse(readFileSync(join(FIXTURES, 'guidellm-report.json'), 'utf8'));
    guidellm.benchmarks[0].requests.successful[3].output_tokens = -3;
    expect(
      failure(() => readMeasuredRun(write('negative-tokens.json', JSON.stringify(guidellm, null, 1)))),
    ).toMatch(
      /^negative-tokens\.json:\d+:\d+: \.benchmarks\[0\]\.requests\.successful\[3\]\.output_tokens: expected a number of tokens from 0 to 2147483647, got -3$/,
    );
  });

  it('times further apart than the simulation clock spans, though each is within it of the first row', () => {
    const line = (arrival: string) =>
      `{"arrival":${arrival},"first_token":${arrival},"finish":${arrival},"input_tokens":10,"output_tokens":5}`;
    const spread = write('spread.jsonl', [line('0'), line('-9e9'), line('9e9')].join('\n'));
    expect(failure(() => readMeasuredRun(spread))).toBe(
      'spread.jsonl:3:1: key "arrival": 9000000000 is more than 285 years after the earliest time of the run (-9000000000), past the span of the simulation clock',
    );
    const vllm = JSON.parse(readFileSync(join(FIXTURES, 'vllm-result.json'), 'utf8'));
    vllm.start_times[2] = -9e9;
    vllm.start_times[5] = 9e9;
    expect(failure(() => readMeasuredRun(write('spread.json', JSON.stringify(vllm))))).toMatch(
      /^spread\.json:1:\d+: \.start_times\[5\]: 9000000000 is more than 285 years after the earliest time of the run \(-9000000000\), past the span of the simulation clock$/,
    );
    const guidellm = JSON.parse(readFileSync(join(FIXTURES, 'guidellm-report.json'), 'utf8'));
    guidellm.benchmarks[0].requests.successful[3].info.timings = {
      request_start: -9e9,
      first_token_iteration: -9e9 + 1,
      request_end: -9e9 + 2,
    };
    expect(
      failure(() => readMeasuredRun(write('spread-guidellm.json', JSON.stringify(guidellm, null, 1)))),
    ).toMatch(
      /^spread-guidellm\.json:\d+:\d+: \.benchmarks\[0\]\.requests\.successful\[3\]: the start -9000000000 is more than 285 years before the latest time of the run \(1736\d+(\.\d+)?\), past the span of the simulation clock$/,
    );
  });

  it('two variants of a fleetsim run in one requests.jsonl', () => {
    const line = (variant: string) =>
      `{"arrival":1,"first_token":1.1,"finish":2,"input_tokens":10,"output_tokens":5,"fleet":"gpu","replica":0,"outcome":"completed","variant":"${variant}"}`;
    const path = write('variants.jsonl', [line('baseline'), line('baseline'), line('big')].join('\n'));
    expect(failure(() => readMeasuredRun(path))).toBe(
      'variants.jsonl:3:1: key "variant": requests of a second variant ("big" after "baseline"): calibrate one run at a time (keep the lines of one variant)',
    );
  });

  it('a GuideLLM report that kept a sample of its requests', () => {
    const report = JSON.parse(readFileSync(join(FIXTURES, 'guidellm-report.json'), 'utf8'));
    report.benchmarks[0].scheduler_metrics.requests_made.successful = 500;
    const path = write('sampled.json', JSON.stringify(report, null, 2));
    expect(failure(() => readMeasuredRun(path))).toMatch(
      /^sampled\.json:\d+:\d+: \.benchmarks\[0\]\.requests\.successful: holds 200 of the 500 successful requests: the report keeps a sample/,
    );
  });

  it('a GuideLLM request without its first token, at the request', () => {
    const report = JSON.parse(readFileSync(join(FIXTURES, 'guidellm-report.json'), 'utf8'));
    report.benchmarks[0].requests.successful[3].info.timings.first_token_iteration = null;
    const text = JSON.stringify(report, null, 1);
    const path = write('no-first-token.json', text);
    const message = failure(() => readMeasuredRun(path));
    expect(message).toMatch(
      /^no-first-token\.json:\d+:\d+: \.benchmarks\[0\]\.requests\.successful\[3\]: a successful request without its first-token and end times/,
    );
    // At the opening brace of that request's object.
    const lines = text.split('\n');
    const line = Number(/:(\d+):/.exec(message)?.[1]);
    expect(lines[line - 1].trim()).toBe('{');
    expect(lines.slice(line, line + 3).some((l) => l.includes('"req-0003"'))).toBe(true);
  });

  it('a rate-limited vLLM run without start_times: its arrivals cannot be recovered', () => {
    const path = write(
      'rate.json',
      JSON.stringify({
        request_rate: 4,
        input_lens: [1],
        output_lens: [1],
        ttfts: [0.1],
        itls: [[]],
        errors: [''],
      }),
    );
    expect(failure(() => readMeasuredRun(path))).toBe(
      'rate.json:1:1: no "start_times", and request_rate 4 drew the arrival times at random: they cannot be recovered; use a vLLM version whose --save-detailed writes start_times, or GuideLLM',
    );
    const unsaid = write(
      'unsaid.json',
      JSON.stringify({ input_lens: [1], output_lens: [1], ttfts: [0.1], itls: [[]], errors: [''] }),
    );
    expect(failure(() => readMeasuredRun(unsaid))).toBe(
      'unsaid.json:1:1: no "start_times" and no request_rate: the arrival times cannot be recovered; use a vLLM version whose --save-detailed writes start_times, or GuideLLM',
    );
  });

  it('a vLLM max_concurrency that is no positive integer, where the arrivals are inferred from it', () => {
    const burst = (concurrency: unknown) =>
      JSON.stringify({
        request_rate: 'inf',
        max_concurrency: concurrency,
        input_lens: [1, 1],
        output_lens: [1, 1],
        ttfts: [0.1, 0.1],
        itls: [[], []],
      });
    // The value of max_concurrency starts at column 41.
    expect(failure(() => readMeasuredRun(write('half.json', burst(0.5))))).toBe(
      'half.json:1:41: .max_concurrency: expected a positive integer no larger than 2147483647, got 0.5',
    );
    expect(failure(() => readMeasuredRun(write('zero.json', burst(0))))).toBe(
      'zero.json:1:41: .max_concurrency: expected a positive integer no larger than 2147483647, got 0',
    );
    expect(failure(() => readMeasuredRun(write('minus.json', burst(-1))))).toBe(
      'minus.json:1:41: .max_concurrency: expected a positive integer no larger than 2147483647, got -1',
    );
    expect(failure(() => readMeasuredRun(write('vast.json', burst(1e308))))).toBe(
      'vast.json:1:41: .max_concurrency: expected a positive integer no larger than 2147483647, got 1e+308',
    );
    expect(failure(() => readMeasuredRun(write('text.json', burst('4'))))).toBe(
      'text.json:1:41: .max_concurrency: expected a positive integer, got "4"',
    );
    expect(readMeasuredRun(write('one.json', burst(1))).arrivalS).toEqual(new Float64Array([0, 0.1]));
  });

  it('vLLM arrivals inferred one after another past the span of the simulation clock, at the gaps', () => {
    const path = write(
      'chain.json',
      JSON.stringify({
        request_rate: 'inf',
        max_concurrency: 1,
        input_lens: [1, 1, 1],
        output_lens: [2, 2, 2],
        ttfts: [0, 0, 0],
        itls: [[5e9], [5e9], [5e9]],
      }),
    );
    expect(failure(() => readMeasuredRun(path))).toMatch(
      /^chain\.json:1:\d+: \.itls\[1\]: the last token \(arrival plus TTFT plus these gaps, 10000000000\) is more than 285 years after the earliest time of the run \(0\), past the span of the simulation clock$/,
    );
  });

  it('a report whose every request failed: none left to replay', () => {
    const vllm = JSON.parse(readFileSync(join(FIXTURES, 'vllm-result.json'), 'utf8'));
    vllm.errors = vllm.errors.map(() => 'Bad Gateway');
    expect(failure(() => readMeasuredRun(write('all-failed.json', JSON.stringify(vllm))))).toMatch(
      /^all-failed\.json:1:\d+: \.errors: all 200 requests failed: none is left to replay$/,
    );
    const guidellm = JSON.parse(readFileSync(join(FIXTURES, 'guidellm-report.json'), 'utf8'));
    const { requests } = guidellm.benchmarks[0];
    requests.errored = requests.successful;
    requests.successful = [];
    guidellm.benchmarks[0].scheduler_metrics.requests_made.successful = 0;
    expect(failure(() => readMeasuredRun(write('all-errored.json', JSON.stringify(guidellm))))).toMatch(
      /^all-errored\.json:1:\d+: \.benchmarks: all 200 requests errored: none is left to replay$/,
    );
  });

  it('a vLLM result saved without --save-detailed', () => {
    const path = write(
      'summary-only.json',
      JSON.stringify({ request_rate: 'inf', ttfts_note: 1, input_lens: [1] }),
    );
    expect(failure(() => readMeasuredRun(path, { format: 'vllm' }))).toBe(
      'summary-only.json:1:1: no "output_lens": save the result with --save-detailed, which keeps the per-request values',
    );
  });

  it('JSON that does not parse', () => {
    const path = write('broken.json', '{\n  "benchmarks": [\n    {requests: {}}\n  ]\n}\n');
    expect(failure(() => readMeasuredRun(path))).toMatch(/^broken\.json:3:\d+: invalid JSON: /);
  });

  it('a .json file of neither client', () => {
    const path = write('other.json', '{"rows": []}');
    expect(failure(() => readMeasuredRun(path))).toBe(
      'other.json:1:1: neither a GuideLLM report (no "benchmarks") nor a vLLM benchmark result (no "ttfts"): name the layout with --format jsonl|csv|guidellm|vllm',
    );
  });
});
