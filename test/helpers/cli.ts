import { runCli } from '../../src/cli/app.js';
import type { CliIo } from '../../src/cli/io.js';

/** The command line run in this process from `cwd`: its exit code and everything it printed. */
export async function cli(
  args: string[],
  cwd: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}
