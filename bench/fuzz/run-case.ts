/** One case from generation to verdict, in this thread: what the tests and `--case` use. */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { FuzzCase } from './cases.js';
import {
  callCli,
  cliArguments,
  judgeCli,
  runInLibrary,
  spawnCli,
  type Verdict,
  writeCase,
} from './oracle.js';

export interface CaseOptions {
  /** Folder under which each case gets its own. */
  tmpRoot: string;
  /** `spawn`: `node <cliPath>`; `in-process`: the CLI's entry function in this thread. */
  cli: { mode: 'spawn'; node: readonly string[]; path: string; timeoutMs: number } | { mode: 'in-process' };
}

export async function runCase(c: FuzzCase, options: CaseOptions): Promise<Verdict> {
  mkdirSync(options.tmpRoot, { recursive: true });
  const dir = mkdtempSync(join(options.tmpRoot, 'case-'));
  try {
    writeCase(c, dir);
    if (c.route === 'library') return await runInLibrary(c, dir);
    const out = join(dir, 'out');
    const args = cliArguments(c, out);
    const result =
      options.cli.mode === 'spawn'
        ? await spawnCli(options.cli.node, options.cli.path, args, dir, options.cli.timeoutMs)
        : await callCli(args, dir);
    return judgeCli(c, result, out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A failure's message with what varies between cases (numbers, folders) taken out, to group them. */
export function signature(verdict: Verdict): string {
  if (verdict.outcome !== 'failure') return verdict.outcome;
  const message = verdict.message
    .replace(/\/[^\s:'"]*\/case-\w+\//g, '')
    .replace(/-?\d+(\.\d+)?(e[-+]?\d+)?/gi, 'N')
    .replace(/"[^"]*"/g, '"…"')
    .slice(0, 160);
  return `${verdict.kind}: ${message}`;
}
