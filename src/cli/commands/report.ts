import { join, relative, resolve } from 'node:path';
import { RunOutputsError, readReportOptions, writeRunReport } from '../../report/index.js';
import { type CliIo, UsageError } from '../io.js';

/** `fleetsim report DIR`: charts and report.html again, from the files a finished run left in DIR. */
export async function reportCommand(
  args: { dir: string; quiet: boolean; png?: boolean },
  io: CliIo,
): Promise<number> {
  const dir = resolve(io.cwd, args.dir);
  let written: string[];
  try {
    const saved = readReportOptions(dir);
    written = await writeRunReport(dir, { ...saved, png: args.png ?? saved.png === true });
  } catch (error) {
    if (error instanceof RunOutputsError) {
      const line = error.line === undefined ? '' : `:${error.line}`;
      throw new UsageError(`${relative(io.cwd, error.path)}${line}: ${error.detail}`);
    }
    throw error;
  }
  if (!args.quiet) {
    const charts = written.filter((p) => p.endsWith('.vl.json')).length;
    io.stderr(
      `wrote ${relative(io.cwd, join(dir, 'report.html'))} and ${charts} chart(s) in ${relative(io.cwd, join(dir, 'charts'))}/\n`,
    );
  }
  return 0;
}
