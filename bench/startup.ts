/**
 * What a user waits for around a short run: whole `fleetsim run` processes of a tiny scenario
 * (an M/M/c queue, c = 8, rho = 0.8, 10 simulated seconds, 56 requests), started fresh each
 * time, so module loading, the scenario's checks, the report and the charts are all counted.
 *
 *   bare node        `node -e 0`: the floor every process pays on this machine
 *   --version        fleetsim's command-line parser and what it loads, no command
 *   --no-charts      the run with summary, time series and report.html, no charts   (target <= 0.35 s)
 *   default          the same with every chart as .vl.json and .svg
 *   --png            and each chart as a PNG too: every file a run wrote before PNGs were optional
 *   expression       --no-charts of the same queue with its service time an expression of each
 *                    request's output tokens: the run that loads mathjs' parser
 *   --set            --no-charts with one override, whose path is checked against the scenario's
 *                    JSON Schema
 *
 * Each round runs every command once, in turn, so a busy moment of a shared machine falls on all
 * of them; the median over the rounds is the figure (the best beside it). Peak resident set and
 * CPU seconds come from GNU time when /usr/bin/time is there.
 *
 *   npm run bench:startup            (BENCH_ROUNDS=9 for more rounds; BENCH_CLI=path/to/cli/main.js
 *                                    to time another build, e.g. one of an earlier commit)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const TARGET_NO_CHARTS_S = 0.35;
const CLI = process.env.BENCH_CLI ?? fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const GNU_TIME = '/usr/bin/time';

const SCENARIO = `name: tiny-mmc
seed: 1
duration: 10s
workload:
  arrivals: { poisson: { rate: 6.4 } }
fleets:
  - name: web
    replicas: 8
    concurrency: 1
    price_per_hour: 1
    service_time: { exponential: { mean: 1s } }
`;

/** The same queue with a service time of mean 1 s that reads each request's output tokens. */
const EXPRESSION_SCENARIO = SCENARIO.replace('tiny-mmc', 'tiny-expression')
  .replace(
    '  arrivals: { poisson: { rate: 6.4 } }\n',
    '  arrivals: { poisson: { rate: 6.4 } }\n  output_tokens: { uniform: { min: 10, max: 190 } }\n',
  )
  .replace('service_time: { exponential: { mean: 1s } }', 'service_time: "0.5s + 5ms * output_tokens"');

interface Sample {
  wallS: number;
  cpuS: number | null;
  maxRssMB: number | null;
}

function measure(args: string[], dir: string): Sample {
  const timeFile = join(dir, 'time.txt');
  const gnu = existsSync(GNU_TIME);
  const [command, commandArgs] = gnu
    ? [GNU_TIME, ['-o', timeFile, '-f', '%U %S %M', process.execPath, ...args]]
    : [process.execPath, args];
  const started = performance.now();
  const run = spawnSync(command, commandArgs, { cwd: dir, encoding: 'utf8' });
  const wallS = (performance.now() - started) / 1000;
  if (run.status !== 0) throw new Error(`${args.join(' ')} failed (${run.status}): ${run.stderr}`);
  if (!gnu) return { wallS, cpuS: null, maxRssMB: null };
  const [user, system, rssKb] = readFileSync(timeFile, 'utf8').trim().split(/\s+/).map(Number);
  return { wallS, cpuS: user + system, maxRssMB: rssKb / 1024 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

function main(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: npm run build first`);
  const dir = mkdtempSync(join(tmpdir(), 'fleetsim-startup-'));
  try {
    writeFileSync(join(dir, 'tiny.yaml'), SCENARIO);
    writeFileSync(join(dir, 'expression.yaml'), EXPRESSION_SCENARIO);
    const run = (out: string, ...flags: string[]) => [
      CLI,
      'run',
      out === 'expression' ? 'expression.yaml' : 'tiny.yaml',
      '--out',
      out,
      '--force',
      '--quiet',
      ...flags,
    ];
    const commands: [string, string[]][] = [
      ['bare node (node -e 0)', ['-e', '0']],
      ['fleetsim --version', [CLI, '--version']],
      ['run --no-charts', run('no-charts', '--no-charts')],
      ['run (7 charts as SVG)', run('svg')],
      ['run --png (SVG and PNG)', run('png', '--png')],
      ['run --no-charts, expression', run('expression', '--no-charts')],
      ['run --no-charts --set', run('set', '--no-charts', '--set', 'fleets.0.replicas=9')],
    ];
    const samples = commands.map((): Sample[] => []);
    // One unmeasured round: the first process after a build reads every file from disk.
    for (const [, args] of commands) measure(args, dir);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, [, args]] of commands.entries()) samples[i].push(measure(args, dir));
    }
    const figures = samples.map((s) => ({
      wall: median(s.map((x) => x.wallS)),
      best: Math.min(...s.map((x) => x.wallS)),
      cpu: s[0].cpuS === null ? null : median(s.map((x) => x.cpuS!)),
      rss: s[0].maxRssMB === null ? null : Math.max(...s.map((x) => x.maxRssMB!)),
    }));
    console.log(`Whole-process fleetsim run of a tiny M/M/c scenario; median (best) of ${ROUNDS} rounds`);
    console.log('                               wall s          CPU s   peak RSS MB');
    commands.forEach(([label], i) => {
      const f = figures[i];
      console.log(
        `  ${label.padEnd(28)} ${f.wall.toFixed(3)} (${f.best.toFixed(3)})  ${f.cpu === null ? '    -' : f.cpu.toFixed(3)}   ${f.rss === null ? '   -' : f.rss.toFixed(0).padStart(6)}`,
      );
    });
    const [bare, , noCharts, svg, png] = figures;
    console.log(
      `  run --no-charts: ${noCharts.wall.toFixed(3)} s, target <= ${TARGET_NO_CHARTS_S} s: ratio ${(noCharts.wall / TARGET_NO_CHARTS_S).toFixed(2)} (${noCharts.wall <= TARGET_NO_CHARTS_S ? 'met' : 'missed'}); ${(noCharts.wall / bare.wall).toFixed(1)}x a bare node start on this machine`,
    );
    console.log(
      `  charts: default (SVG) / --png (the files every run used to write): ratio ${(svg.wall / png.wall).toFixed(2)} (target <= 1)`,
    );
    if (process.env.NODE_EXTRA_CA_CERTS)
      console.log(
        '  NODE_EXTRA_CA_CERTS is set: every node process reads those certificates as it starts, before any\n' +
          '  JavaScript runs (bare node included); unset, each figure above is that much lower',
      );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
