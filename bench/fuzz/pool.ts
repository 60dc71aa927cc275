/**
 * Library-route cases run in child processes, one case at a time each, under a time limit and a
 * memory cap: a case that allocates without bound (a bootstrap of a billion blocks) fails its own
 * allocation instead of taking the machine's memory, and a case that does not end is killed with
 * its process, which is started again for the next case.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import type { FuzzCase } from './cases.js';
import type { CaseReply, CaseRequest } from './child.js';
import type { Verdict } from './oracle.js';

const CHILD = new URL('./child.js', import.meta.url).pathname;

/** `prlimit --as=...` when the system has it: the command that runs `node` with the memory cap. */
export function cappedNode(memoryBytes: number): string[] {
  const prlimit = spawnSync('prlimit', ['--version'], { stdio: 'ignore' });
  return prlimit.status === 0 ? ['prlimit', `--as=${memoryBytes}`, process.execPath] : [process.execPath];
}

export class CaseProcess {
  #child: ChildProcess | null = null;

  constructor(
    private readonly node: readonly string[],
    private readonly timeoutMs: number,
  ) {}

  #start(): ChildProcess {
    const [command, ...args] = this.node;
    return spawn(command, [...args, CHILD], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
  }

  run(fuzzCase: FuzzCase, dir: string): Promise<Verdict> {
    this.#child ??= this.#start();
    const child = this.#child;
    let stderr = '';
    let simulating = false;
    return new Promise((resolve) => {
      const finish = (verdict: Verdict) => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        child.stderr?.off('data', onStderr);
        resolve(verdict);
      };
      const onStderr = (data: Buffer) => {
        stderr = (stderr + data.toString('utf8')).slice(-1000);
      };
      const onMessage = (reply: CaseReply) => {
        if ('simulating' in reply) simulating = true;
        else finish(reply.verdict);
      };
      const onExit = (code: number | null, signal: string | null) => {
        this.#child = null;
        const last = stderr.trim().split('\n').slice(-3).join(' | ');
        finish({
          outcome: 'failure',
          kind: 'crash',
          message: `the process ended (${signal ?? code}): ${last}`,
        });
      };
      const timer = setTimeout(() => {
        child.off('exit', onExit);
        child.kill('SIGKILL');
        this.#child = null;
        const where = simulating ? 'simulating' : 'loading the scenario';
        finish({
          outcome: 'failure',
          kind: 'timeout',
          message: `no verdict within ${this.timeoutMs} ms (${where})`,
        });
      }, this.timeoutMs);
      child.on('message', onMessage);
      child.on('exit', onExit);
      child.stderr?.on('data', onStderr);
      child.send({ fuzzCase, dir } satisfies CaseRequest);
    });
  }

  close(): void {
    this.#child?.kill('SIGKILL');
    this.#child = null;
  }
}
