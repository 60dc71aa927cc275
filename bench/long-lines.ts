/**
 * Time and memory to read a trace with one long line (default 20 MB; `-- 64` for 64 MB), in CSV
 * and JSONL, each read in a fresh process: once with the row limit lifted, which shows the time
 * growing in proportion to the line's length, and once with the 1 MiB limit, which refuses the
 * line after reading about a megabyte and reads on past it. Prints wall time and peak resident set.
 *
 *   npm run bench:long-lines [-- MB]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BadRowError, openTraceRows, type TraceRowsKind } from '../src/workload/trace-rows.js';

/** The child: read every row of `path`, passing over bad ones; prints rows, bad rows, seconds and peak RSS. */
function child(path: string, kind: TraceRowsKind, maxRowBytes: number): void {
  const start = performance.now();
  const rows = openTraceRows(path, kind, ['t'], { maxRowBytes });
  let good = 0;
  let bad = 0;
  for (;;) {
    try {
      if (!rows.next()) break;
      good++;
    } catch (error) {
      if (!(error instanceof BadRowError)) throw error;
      bad++;
    }
  }
  rows.close();
  const seconds = (performance.now() - start) / 1000;
  const maxRssMB = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify({ good, bad, seconds, maxRssMB }));
}

function main(megabytes: number): void {
  const dir = mkdtempSync(join(tmpdir(), 'fleetsim-long-lines-'));
  try {
    const pad = 'x'.repeat(megabytes * 1024 * 1024);
    const files: [TraceRowsKind, string][] = [
      ['csv', `t,pad\n0,a\n1,${pad}\n2,b\n`],
      ['jsonl', `{"t":0}\n{"t":1,"pad":"${pad}"}\n{"t":2}\n`],
    ];
    console.log(`one line of ${megabytes} MB between two short ones`);
    for (const [kind, text] of files) {
      const path = join(dir, `long.${kind}`);
      writeFileSync(path, text);
      for (const [label, maxRowBytes] of [
        ['limit lifted', 2 * text.length],
        ['1 MiB limit', 1024 * 1024],
      ] as const) {
        const result = spawnSync(
          process.execPath,
          [fileURLToPath(import.meta.url), '--child', path, kind, String(maxRowBytes)],
          { encoding: 'utf8', maxBuffer: 1 << 20 },
        );
        if (result.status !== 0) throw new Error(result.stderr);
        const { good, bad, seconds, maxRssMB } = JSON.parse(result.stdout);
        console.log(
          `  ${kind.padEnd(5)} ${label.padEnd(12)}  ${good} rows, ${bad} refused  ${seconds.toFixed(2).padStart(6)} s  peak RSS ${maxRssMB.toFixed(0).padStart(4)} MB`,
        );
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const args = process.argv.slice(2);
if (args[0] === '--child') child(args[1], args[2] as TraceRowsKind, Number(args[3]));
else main(Number(args[0] ?? 20));
