import { execFileSync } from 'node:child_process';
import {
  closeSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SUMMARY_FILE, shapeProblem } from '../../src/report/run-files-schema.js';
import { cli } from '../helpers/cli.js';

const ROOT = resolve(import.meta.dirname, '../..');
const TINY = join(ROOT, 'test/fixtures/cli/tiny.yaml');

/** `path`, created empty. */
function openAndClose(path: string): string {
  closeSync(openSync(path, 'w'));
  return path;
}

/** A file of the run folder as JSON.parse reads it. */
type Json = ReturnType<typeof JSON.parse>;

/** How a test edits a file of the run folder: its JSON changed in place, or a new text. */
type Tamper = ((file: Json) => void) | string;

/** What `fleetsim report` says of each edit of each file: the line after `fleetsim: run/<file>: `. */
const CASES: Record<string, [string, Tamper, string][]> = {
  'report-options.json': [
    [
      'null',
      'null',
      'not a report-options.json written by fleetsim run (Invalid input: expected object, received null)',
    ],
    [
      'a list',
      '[]',
      'not a report-options.json written by fleetsim run (Invalid input: expected object, received array)',
    ],
    [
      'charts as text',
      '{ "charts": "x", "slo": null }',
      'not a report-options.json written by fleetsim run (charts: Invalid input: expected array, received string)',
    ],
    [
      'a chart name as a number',
      '{ "charts": [5], "slo": null }',
      'not a report-options.json written by fleetsim run (charts[0]: Invalid input: expected string, received number)',
    ],
    [
      'slo as a number',
      '{ "charts": null, "slo": 5 }',
      'not a report-options.json written by fleetsim run (slo: Invalid input: expected object, received number)',
    ],
    [
      'slo limits as text',
      '{ "charts": null, "slo": { "limits": "x", "maxDropRate": 0.01 } }',
      'not a report-options.json written by fleetsim run (slo.limits: Invalid input: expected array, received string)',
    ],
    [
      'a limit in seconds as text',
      '{ "charts": null, "slo": { "limits": [{ "metric": "latency", "statistic": "p99", "seconds": "2" }], "maxDropRate": null } }',
      'not a report-options.json written by fleetsim run (slo.limits[0].seconds: Invalid input: expected number, received string)',
    ],
    [
      'an unknown metric',
      '{ "charts": null, "slo": { "limits": [{ "metric": "speed", "statistic": "p99", "seconds": 2 }], "maxDropRate": null } }',
      'not a report-options.json written by fleetsim run (slo.limits[0].metric: Invalid option: expected one of "latency"|"ttft"|"tpot"|"queue_wait")',
    ],
    [
      'the drop rate as text',
      '{ "charts": null, "slo": { "limits": [], "maxDropRate": "0.01" } }',
      'not a report-options.json written by fleetsim run (slo.maxDropRate: Invalid input: expected number, received string)',
    ],
    [
      'png as text',
      '{ "charts": null, "slo": null, "png": "yes" }',
      'not a report-options.json written by fleetsim run (png: Invalid input: expected boolean, received string)',
    ],
  ],
  'summary.json': [
    [
      'null',
      'null',
      'not a summary.json written by fleetsim run (Invalid input: expected object, received null)',
    ],
    [
      'no scenario',
      '{ "variants": [] }',
      'not a summary.json written by fleetsim run (scenario: Invalid input: expected string, received undefined)',
    ],
    [
      'no variant',
      (s) => {
        s.variants = [];
      },
      'not a summary.json written by fleetsim run (variants: Too small: expected array to have >=1 items)',
    ],
    [
      'a null variant',
      (s) => {
        s.variants[1] = null;
      },
      'not a summary.json written by fleetsim run (variants[1]: Invalid input: expected object, received null)',
    ],
    [
      'latency null',
      (s) => {
        s.variants[0].latency_s = null;
      },
      'not a summary.json written by fleetsim run (variants[0].latency_s: Invalid input: expected object, received null)',
    ],
    [
      'a percentile as text',
      (s) => {
        s.variants[0].latency_s.p99 = '0.5';
      },
      'not a summary.json written by fleetsim run (variants[0].latency_s.p99: Invalid input: expected number, received string)',
    ],
    [
      'throughput as text',
      (s) => {
        s.variants[1].throughput_rps = '4.9';
      },
      'not a summary.json written by fleetsim run (variants[1].throughput_rps: Invalid input: expected number, received string)',
    ],
    [
      'no request counts',
      (s) => {
        delete s.variants[0].requests;
      },
      'not a summary.json written by fleetsim run (variants[0].requests: Invalid input: expected object, received undefined)',
    ],
    [
      'no instances',
      (s) => {
        delete s.variants[0].instances;
      },
      'not a summary.json written by fleetsim run (variants[0].instances: Invalid input: expected record, received undefined)',
    ],
    [
      'a fleet of no figures',
      (s) => {
        s.variants[0].performance = { gpu: null };
      },
      'not a summary.json written by fleetsim run (variants[0].performance.gpu: Invalid input: expected object, received null)',
    ],
    [
      'a class of no figures',
      (s) => {
        s.variants[0].classes = { chat: null };
      },
      'not a summary.json written by fleetsim run (variants[0].classes.chat: Invalid input: expected object, received null)',
    ],
    [
      'a cut run without its limit',
      (s) => {
        s.variants[0].partial = {};
      },
      'not a summary.json written by fleetsim run (variants[0].partial.limit: Invalid input: expected string, received undefined)',
    ],
    [
      'energy null',
      (s) => {
        s.variants[0].energy = null;
      },
      'not a summary.json written by fleetsim run (variants[0].energy: Invalid input: expected object, received null)',
    ],
  ],
  'distributions.json': [
    [
      'null',
      'null',
      'not a distributions.json written by fleetsim run (Invalid input: expected object, received null)',
    ],
    [
      'no variants',
      '{}',
      'not a distributions.json written by fleetsim run (variants: Invalid input: expected array, received undefined)',
    ],
    [
      'a null variant',
      (d) => {
        d.variants[0] = null;
      },
      'not a distributions.json written by fleetsim run (variants[0]: Invalid input: expected object, received null)',
    ],
    [
      'points null',
      (d) => {
        d.variants[0].latency_s = null;
      },
      'not a distributions.json written by fleetsim run (variants[0].latency_s: expected a list of [quantile, seconds] pairs)',
    ],
    [
      'a latency of 1e308 (drawn as an invalid SVG path)',
      (d) => {
        d.variants[0].latency_s[7] = [d.variants[0].latency_s[7][0], 1e308];
      },
      'not a distributions.json written by fleetsim run (variants[0].latency_s[7]: expected a quantile from 0 to 1 and a latency from 0 s to 285 years, got [0.08, 1e+308])',
    ],
    [
      'a quantile above 1',
      (d) => {
        d.variants[0].latency_s[0] = [2, 1];
      },
      'not a distributions.json written by fleetsim run (variants[0].latency_s[0]: expected a quantile from 0 to 1 and a latency from 0 s to 285 years, got [2, 1])',
    ],
    [
      'a quantile as text',
      (d) => {
        d.variants[1].queue_wait_s[3] = ['0.5', 1];
      },
      'not a distributions.json written by fleetsim run (variants[1].queue_wait_s[3]: expected a [quantile, seconds] pair of numbers)',
    ],
    [
      'points of another variant',
      (d) => {
        d.variants[0].name = 'other';
      },
      'no entry for variant "baseline" of summary.json',
    ],
  ],
  'replications.json': [
    [
      'null',
      'null',
      'not a replications.json written by fleetsim run (Invalid input: expected object, received null)',
    ],
    [
      'a null variant',
      (r) => {
        r.variants[0] = null;
      },
      'not a replications.json written by fleetsim run (variants[0]: Invalid input: expected object, received null)',
    ],
    [
      'a mean as text',
      (r) => {
        r.variants[0].metrics['latency_s.p99'] = '1';
      },
      'not a replications.json written by fleetsim run (variants[0].metrics.latency_s.p99: Invalid input: expected number, received string)',
    ],
    [
      'intervals as text',
      (r) => {
        r.variants[1].ci95 = 'x';
      },
      'not a replications.json written by fleetsim run (variants[1].ci95: Invalid input: expected record, received string)',
    ],
    [
      'no replication',
      (r) => {
        r.replications = 0;
      },
      'not a replications.json written by fleetsim run (replications: Too small: expected number to be >0)',
    ],
    [
      'a verdict as text',
      (r) => {
        r.variants[0].slo.met_by_replication[1] = 'x';
      },
      'not a replications.json written by fleetsim run (variants[0].slo.met_by_replication[1]: Invalid input: expected boolean, received string)',
    ],
    [
      'a verdict short',
      (r) => {
        r.variants[0].slo.met_by_replication.pop();
      },
      'variant "baseline": "slo.met_by_replication" must hold true or false for each of the 3 replications',
    ],
  ],
  'capacity-events.json': [
    [
      'null',
      'null',
      'not a capacity-events.json written by fleetsim run (Invalid input: expected object, received null)',
    ],
    [
      'variants as a mapping',
      '{ "variants": {} }',
      'not a capacity-events.json written by fleetsim run (variants: Invalid input: expected array, received object)',
    ],
    [
      'a null variant',
      '{ "variants": [null] }',
      'not a capacity-events.json written by fleetsim run (variants[0]: Invalid input: expected object, received null)',
    ],
    [
      'a null event',
      '{ "variants": [{ "name": "baseline", "events": [null] }] }',
      'not a capacity-events.json written by fleetsim run (variants[0].events[0]: Invalid input: expected object, received null)',
    ],
    [
      'a time as text',
      '{ "variants": [{ "name": "baseline", "events": [{ "time_s": "1", "fleet": "gpu", "kind": "scale", "from": 1, "to": 2 }] }] }',
      'not a capacity-events.json written by fleetsim run (variants[0].events[0].time_s: Invalid input: expected number, received string)',
    ],
    [
      'an unknown kind',
      '{ "variants": [{ "name": "baseline", "events": [{ "time_s": 1, "fleet": "gpu", "kind": "boom" }] }] }',
      'not a capacity-events.json written by fleetsim run (variants[0].events[0].kind: Invalid option: expected one of "scale"|"notice"|"reclaim"|"unavailable"|"available")',
    ],
  ],
};

/** timeseries.csv: [what, the edit of its text, the line after `fleetsim: run/timeseries.csv`]. */
const TIMESERIES: [string, (text: string) => string, string][] = [
  ['empty', () => '', ':1: empty, not even a header line'],
  ['no variant column', (t) => t.replace(/^variant,/, 'name,'), ':1: no "variant" column'],
  ['a column renamed', (t) => t.replace(',utilization,', ',util,'), ':1: no "utilization" column'],
  [
    'a time as text',
    (t) => t.replace(/^baseline,0,/m, 'baseline,x,'),
    ':2: column "time_s": expected a number',
  ],
];

describe('fleetsim report DIR with a damaged or hand-edited file', () => {
  let dir: string;
  let count = 0;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fleetsim-tampered-'));
    const run = await cli(['run', TINY, '--out', 'run', '--replications', '3', '--quiet'], dir);
    expect(run.code, run.stderr).toBe(0);
  });

  /** report.html and every chart file of a folder, by name. */
  const drawn = (folder: string) =>
    new Map(
      ['report.html', ...readdirSync(join(folder, 'charts')).map((f) => `charts/${f}`)].map((f) => [
        f,
        readFileSync(join(folder, f), 'utf8'),
      ]),
    );

  /** `fleetsim report` of a copy of the run with `file` edited by `edit`; the report must stay as it was. */
  async function reportOf(file: string, edit: (text: string) => string): Promise<string> {
    const copy = `run-${count++}`;
    cpSync(join(dir, 'run'), join(dir, copy), { recursive: true });
    const path = join(dir, copy, file);
    writeFileSync(path, edit(readFileSync(path, 'utf8')));
    const before = drawn(join(dir, copy));
    const { code, stderr } = await cli(['report', copy], dir);
    expect(code).toBe(2);
    expect(drawn(join(dir, copy))).toEqual(before);
    return stderr.replace(`fleetsim: ${copy}/${file}`, '');
  }

  for (const [file, cases] of Object.entries(CASES)) {
    it.each(cases)(`${file}: %s`, async (_, tamper, message) => {
      const stderr = await reportOf(file, (text) => {
        if (typeof tamper === 'string') return tamper;
        const json = JSON.parse(text);
        tamper(json);
        return JSON.stringify(json);
      });
      expect(stderr).toBe(`: ${message}\n`);
    });
  }

  it.each(TIMESERIES)('timeseries.csv: %s', async (_, edit, message) => {
    expect(await reportOf('timeseries.csv', edit)).toBe(`${message}\n`);
  });

  it('refuses a run-folder file that is a pipe, a folder or too large to read back, before drawing', async () => {
    const refusal = async (file: string, replace: (path: string) => void) => {
      const copy = `run-${count++}`;
      cpSync(join(dir, 'run'), join(dir, copy), { recursive: true });
      const path = join(dir, copy, file);
      rmSync(path);
      replace(path);
      const before = drawn(join(dir, copy));
      const { code, stderr } = await cli(['report', copy], dir);
      expect(code).toBe(2);
      expect(drawn(join(dir, copy))).toEqual(before);
      return stderr.replace(`fleetsim: ${copy}/${file}: `, '');
    };
    // A pipe no one writes to held `fleetsim report` for ever.
    expect(await refusal('summary.json', (path) => execFileSync('mkfifo', [path]))).toBe(
      'not a file (fleetsim run writes a file here)\n',
    );
    expect(await refusal('timeseries.csv', (path) => mkdirSync(path))).toBe(
      'not a file (fleetsim run writes a file here)\n',
    );
    // Sparse: no disk is written. Read whole, it failed past V8's largest string.
    expect(await refusal('distributions.json', (path) => truncateSync(openAndClose(path), 600e6))).toBe(
      '600 MB, more than fleetsim reads back (at most 400 MB)\n',
    );
  });

  it('draws the report of the untouched run, replications.json included', async () => {
    const { code, stderr } = await cli(['report', 'run', '--quiet'], dir);
    expect(code, stderr).toBe(0);
  });
});

describe('the summary.json schema', () => {
  it('takes the summary.json of every reviewed run (LLM fleets, offload, spot, autoscaling)', () => {
    const outputs = join(ROOT, 'test/golden/outputs');
    const folders = readdirSync(outputs);
    expect(folders.length).toBeGreaterThan(5);
    for (const folder of folders) {
      const summary = JSON.parse(readFileSync(join(outputs, folder, 'summary.json'), 'utf8'));
      expect(shapeProblem(SUMMARY_FILE, summary), folder).toBeNull();
    }
  });
});
