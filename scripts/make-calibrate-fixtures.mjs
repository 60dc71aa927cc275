// Writes the measured runs of test/fixtures/calibrate/ (see the README there). Run after
// `npm run build`: node scripts/make-calibrate-fixtures.mjs
//
// A fleetsim run stands in for a real server whose step-time parameters are known: an L40S
// (aws/g6e.xlarge) serving Llama-3.1-8B with efficiencies unlike the catalog's. Clients see each
// first token and each finish 0.5 to 2.5 ms late (the network and the HTTP stack), a fixed draw per
// request. The same requests are then written in the layouts calibrate reads.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import seedrandom from 'seedrandom';
import { runScenario } from '../dist/index.js';
import { formatRequestLine } from '../dist/workload/request-records.js';

const OUT = fileURLToPath(new URL('../test/fixtures/calibrate/', import.meta.url));

const SERVER = `
model:
  llm: { preset: Llama-3.1-8B, precision: bf16 }
fleets:
  - name: gpu
    replicas: 1
    instance: aws/g6e.xlarge
    hardware: { accelerator: { efficiency: { compute: 0.55, memory: 0.68, iteration_overhead: 4ms } } }
    batching: { policy: continuous, max_num_seqs: 64, max_num_batched_tokens: 2048 }
`;

async function measure(workload, seed) {
  const records = [];
  await runScenario(
    { name: 'measured', seed, ...workload, ...(await import('yaml')).parse(SERVER) },
    { onRequest: (r) => records.push(r), baseDir: OUT },
  );
  const random = seedrandom(`client-jitter-${seed}`);
  return records.map((r) => {
    if (r.outcome !== 'completed') return r;
    const toFirst = 0.0005 + 0.002 * random();
    const toLast = toFirst + 0.0005 * random();
    return { ...r, first_token: r.first_token + toFirst, finish: r.finish + toLast };
  });
}

const round6 = (x) => Number(x.toFixed(6));
const byArrival = (records) => [...records].sort((a, b) => a.arrival - b.arrival);

// Poisson traffic at 2 requests/s for 150 s: the main measured run.
const run = await measure(
  {
    duration: 150,
    workload: {
      arrivals: { poisson: { rate: 2 } },
      input_tokens: { lognormal: { median: 700, sigma: 0.8 } },
      output_tokens: { lognormal: { median: 120, sigma: 0.6 } },
    },
  },
  11,
);
const completed = run.filter((r) => r.outcome === 'completed');

// 1. requests.jsonl as `fleetsim run --requests` writes it (lines in the order requests finished).
writeFileSync(join(OUT, 'requests.jsonl'), run.map(formatRequestLine).join(''));

// 2. A client's own CSV: epoch milliseconds, other column names, in arrival order.
const EPOCH_MS = 1_736_000_000_000;
const ms = (s) => (EPOCH_MS + s * 1000).toFixed(3);
writeFileSync(
  join(OUT, 'client-ms.csv'),
  `sent_ms,first_token_ms,done_ms,prompt_tokens,completion_tokens\n${byArrival(run)
    .map(
      (r) =>
        `${ms(r.arrival)},${r.first_token === null ? '' : ms(r.first_token)},${r.finish === null ? '' : ms(r.finish)},${r.input_tokens},${r.output_tokens}`,
    )
    .join('\n')}\n`,
);

// 3. GuideLLM 0.4 and later: timestamps under info.timings, Unix seconds. The first 200 requests
// (a report is large), as are the other JSON layouts below.
const EPOCH_S = 1_736_000_000;
const unix = (s) => round6(EPOCH_S + s);
function guidellmRequest(r, i) {
  const start = unix(r.arrival);
  const first = unix(r.first_token);
  const end = unix(r.finish);
  const lastToken = round6(end - 0.0002);
  const latency = end - start;
  return {
    type_: 'generative_request_stats',
    request_id: `req-${String(i).padStart(4, '0')}`,
    response_id: `cmpl-${(0x1f3a5 * (i + 1)).toString(16)}`,
    request_args: null,
    output: null,
    info: {
      request_id: `req-${String(i).padStart(4, '0')}`,
      status: 'completed',
      scheduler_node_id: 0,
      scheduler_process_id: 0,
      scheduler_start_time: EPOCH_S - 1,
      timings: {
        targeted_start: round6(start - 0.0003),
        queued: round6(start - 0.004),
        dequeued: round6(start - 0.0004),
        scheduled_at: round6(start - 0.0003),
        resolve_start: round6(start - 0.0001),
        request_start: start,
        first_request_iteration: first,
        first_token_iteration: first,
        first_output_token_iteration: first,
        last_token_iteration: lastToken,
        last_request_iteration: end,
        request_iterations: r.output_tokens + 1,
        token_iterations: r.output_tokens,
        request_end: end,
        resolve_end: round6(end + 0.0001),
        finalized: round6(end + 0.0005),
      },
    },
    input_metrics: { text_tokens: r.input_tokens, text_characters: 4 * r.input_tokens },
    output_metrics: { text_tokens: r.output_tokens, text_characters: 4 * r.output_tokens },
    request_start_time: start,
    request_end_time: end,
    request_latency: round6(latency),
    prompt_tokens: r.input_tokens,
    output_tokens: r.output_tokens,
    total_tokens: r.input_tokens + r.output_tokens,
    time_to_first_token_ms: round6(1000 * (first - start)),
    time_per_output_token_ms: round6((1000 * (lastToken - start)) / r.output_tokens),
    inter_token_latency_ms:
      r.output_tokens > 1 ? round6((1000 * (lastToken - first)) / (r.output_tokens - 1)) : null,
    tokens_per_second: round6((r.input_tokens + r.output_tokens) / latency),
    output_tokens_per_second: round6(r.output_tokens / latency),
  };
}
const sorted = byArrival(completed).slice(0, 200);
const first = sorted[0].arrival;
const last = Math.max(...sorted.map((r) => r.finish));
writeFileSync(
  join(OUT, 'guidellm-report.json'),
  `${JSON.stringify({
    metadata: {
      version: 1,
      guidellm_version: '0.5.0',
      python_version: '3.12.3',
      platform: 'Linux-6.8.0-x86_64',
    },
    args: { target: 'http://localhost:8000', profile: 'poisson', rate: [2.0], max_seconds: 150 },
    benchmarks: [
      {
        type_: 'generative_benchmark',
        config: { strategy: { type_: 'poisson', rate: 2.0, random_seed: 42 }, sample_size: null },
        scheduler_metrics: {
          start_time: unix(first - 0.5),
          request_start_time: unix(first),
          measure_start_time: unix(first),
          measure_end_time: unix(last),
          request_end_time: unix(last),
          end_time: unix(last + 0.2),
          requests_made: { successful: sorted.length, incomplete: 0, errored: 0, total: sorted.length },
        },
        requests: { successful: sorted.map(guidellmRequest), incomplete: [], errored: [] },
      },
    ],
  })}\n`,
);

// 4. GuideLLM before 0.4: start_time, first_token_time, last_token_time, end_time.
writeFileSync(
  join(OUT, 'guidellm-0.3-report.json'),
  `${JSON.stringify(
    {
      benchmarks: [
        {
          type_: 'generative_benchmark',
          start_time: unix(first),
          end_time: unix(last),
          request_totals: { successful: sorted.length, incomplete: 0, errored: 0, total: sorted.length },
          request_samples: null,
          requests: {
            successful: sorted.map((r, i) => ({
              type_: 'generative_text_response',
              request_id: `req-${i}`,
              request_type: 'text_completions',
              prompt: '',
              output: '',
              prompt_tokens: r.input_tokens,
              output_tokens: r.output_tokens,
              start_time: unix(r.arrival),
              end_time: unix(r.finish),
              first_token_time: unix(r.first_token),
              last_token_time: round6(unix(r.finish) - 0.0002),
              request_latency: round6(r.finish - r.arrival),
              time_to_first_token_ms: round6(1000 * (r.first_token - r.arrival)),
            })),
            incomplete: [],
            errored: [],
          },
        },
      ],
    },
    null,
    1,
  )}\n`,
);

// 5. vLLM's serving benchmark (--save-result --save-detailed), with start_times (the client's
// monotonic clock): inter-token gaps around the request's mean with a +-20 % wobble that sums to
// its decode time.
const PERF_ORIGIN = 353_399.725848;
function vllmResult(records, { startTimes, requestRate }) {
  const gapsRandom = seedrandom('vllm-gaps');
  const itls = records.map((r) => {
    const n = r.output_tokens - 1;
    if (n <= 0) return [];
    const raw = Array.from({ length: n }, () => 0.8 + 0.4 * gapsRandom());
    const scale = (r.finish - r.first_token) / raw.reduce((s, g) => s + g, 0);
    return raw.map((g) => round6(g * scale));
  });
  const ttfts = records.map((r) => round6(r.first_token - r.arrival));
  const duration = Math.max(...records.map((r) => r.finish)) - records[0].arrival;
  return {
    date: '20250104-091533',
    endpoint_type: 'openai',
    backend: 'openai',
    label: null,
    model_id: 'meta-llama/Llama-3.1-8B-Instruct',
    tokenizer_id: 'meta-llama/Llama-3.1-8B-Instruct',
    num_prompts: records.length,
    request_rate: requestRate,
    burstiness: 1.0,
    max_concurrency: null,
    duration: round6(duration),
    completed: records.length,
    failed: 0,
    total_input_tokens: records.reduce((s, r) => s + r.input_tokens, 0),
    total_output_tokens: records.reduce((s, r) => s + r.output_tokens, 0),
    request_throughput: round6(records.length / duration),
    input_lens: records.map((r) => r.input_tokens),
    output_lens: records.map((r) => r.output_tokens),
    ttfts,
    itls,
    ...(startTimes && { start_times: records.map((r) => round6(PERF_ORIGIN + r.arrival)) }),
    generated_texts: records.map(() => ''),
    errors: records.map(() => ''),
    mean_ttft_ms: round6((1000 * ttfts.reduce((s, t) => s + t, 0)) / ttfts.length),
  };
}
writeFileSync(
  join(OUT, 'vllm-result.json'),
  `${JSON.stringify(vllmResult(sorted, { startTimes: true, requestRate: 2.0 }))}\n`,
);

// 6. vLLM's default, request_rate inf: every request sent at once, and no start_times saved.
const work = mkdtempSync(join(tmpdir(), 'fleetsim-fixtures-'));
const burstRandom = seedrandom('burst');
const burstTrace = join(work, 'burst.csv');
const sent = Array.from({ length: 120 }, () => [
  Math.round(200 + 1200 * burstRandom()),
  Math.round(40 + 200 * burstRandom()),
]);
writeFileSync(burstTrace, `t,input,output\n${sent.map(([i, o]) => `0,${i},${o}`).join('\n')}\n`);
const burst = await measure(
  {
    workload: {
      arrivals: {
        trace: {
          path: burstTrace,
          format: 'csv',
          time_column: 't',
          columns: { input_tokens: 'input', output_tokens: 'output' },
        },
      },
    },
  },
  12,
);
// The benchmark lists requests in the order it sent them, which is the trace's order; the
// simulator reports them as they finished.
const unsent = [...burst];
const inSentOrder = sent.map(([input, output]) => {
  const at = unsent.findIndex((r) => r.input_tokens === input && r.output_tokens === output);
  return unsent.splice(at, 1)[0];
});
writeFileSync(
  join(OUT, 'vllm-burst.json'),
  `${JSON.stringify(vllmResult(inSentOrder, { startTimes: false, requestRate: 'inf' }))}\n`,
);
rmSync(work, { recursive: true, force: true });
console.log(
  `wrote ${OUT}: ${run.length} requests (${completed.length} completed), ${burst.length} in the burst`,
);
