import { relative, resolve } from 'node:path';
import { mergeSweepDirs } from '../../plan/index.js';
import type { CliIo } from '../io.js';

export function mergeCommand(args: { dirs: string[]; out: string; quiet: boolean }, io: CliIo): number {
  const written = mergeSweepDirs(
    args.dirs.map((dir) => resolve(io.cwd, dir)),
    resolve(io.cwd, args.out),
  );
  if (!args.quiet) {
    io.stderr(
      `merged ${args.dirs.length} shard(s); wrote ${written.map((path) => relative(io.cwd, path)).join(', ')}\n`,
    );
  }
  return 0;
}
