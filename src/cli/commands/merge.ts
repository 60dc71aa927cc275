import { readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { mergeSweepDirs, type SweepResult } from '../../plan/index.js';
import { writeSweepReport } from '../../plan/study-report.js';
import { outputFolder } from '../flags.js';
import type { CliIo } from '../io.js';
import { chartNote } from './sweep.js';

export async function mergeCommand(
  args: { dirs: string[]; out: string; quiet: boolean; force?: boolean; png?: boolean },
  io: CliIo,
): Promise<number> {
  const outDir = outputFolder(io.cwd, args.out, args.force);
  const written = mergeSweepDirs(
    args.dirs.map((dir) => resolve(io.cwd, dir)),
    outDir,
  );
  // Shards draw no charts (each holds a slice of the points): the merged sweep does.
  const merged = JSON.parse(readFileSync(join(outDir, 'sweep.json'), 'utf8')) as SweepResult;
  const report = await writeSweepReport(outDir, merged, null, { png: args.png === true });
  if (!args.quiet) {
    io.stderr(
      `merged ${args.dirs.length} shard(s); wrote ${[...written, ...report.files].map((path) => relative(io.cwd, path)).join(', ')}${chartNote(report.charts, io)}\n`,
    );
  }
  return 0;
}
