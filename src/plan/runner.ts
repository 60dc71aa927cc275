import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { type Job, type JobOutcome, type JobResult, runJob, unwrapOutcome } from './job.js';

/** Runs jobs in this thread or on a worker pool; results never depend on which. */
export interface JobRunner {
  /** Worker threads started so far; 0 when jobs run in this thread. */
  readonly threads: number;
  run(job: Job): Promise<JobResult>;
  close(): Promise<void>;
}

/** Raised by a sweep or plan stopped through its AbortSignal; everything finished before is saved. */
export class Interrupted extends Error {
  override name = 'Interrupted';
}

export interface RunnerOptions {
  /** Worker threads; 1 runs every job in this thread. Default: one per core. */
  workers?: number;
  signal?: AbortSignal;
}

export function defaultWorkers(): number {
  return availableParallelism();
}

/**
 * Worker threads load `thread.cjs` beside this module, which exists in the built package only:
 * under a TypeScript loader (vitest) the jobs run in this thread instead. Results are identical
 * either way, so this changes speed, never output.
 */
const WORKER_FILE = new URL('./thread.cjs', import.meta.url);
const BUILT = import.meta.url.endsWith('.js');

/** Each job carries its own `dataRoot` (`Job.dataRoot`), which the run checks in whichever thread runs it. */
export function createRunner(options: RunnerOptions = {}): JobRunner {
  const workers = options.workers ?? defaultWorkers();
  const signal = options.signal;
  const check = () => {
    if (signal?.aborted) throw new Interrupted('interrupted');
  };
  if (workers <= 1 || !BUILT) {
    return {
      threads: 0,
      async run(job) {
        // Yield first, so a signal that arrived during the previous (synchronous) job is seen.
        await new Promise((resolve) => setImmediate(resolve));
        check();
        return unwrapOutcome(await runJob(job));
      },
      close: async () => {},
    };
  }
  // Threads beyond one per core start only when jobs wait for them (`--workers 64` for 4 runs
  // starts 4), and stay until the pool closes rather than restart between a plan's steps.
  const pool = new Piscina<Job, JobOutcome>({
    filename: WORKER_FILE.href,
    minThreads: Math.min(workers, defaultWorkers()),
    maxThreads: workers,
    idleTimeout: Number.POSITIVE_INFINITY,
  });
  let closing = false;
  const close = async () => {
    if (closing) return;
    closing = true;
    await pool.destroy();
  };
  // One listener for the whole pool: a signal passed with each task adds one per queued task.
  // Destroying the pool rejects every task still queued or running.
  signal?.addEventListener('abort', () => void close(), { once: true });
  // A worker still answering when the pool is destroyed (after a failure or an interrupt) is
  // reported as an 'error' event; it belongs to a run that no longer waits for it.
  pool.on('error', (error) => {
    if (!closing) throw error;
  });
  return {
    get threads() {
      return pool.threads.length;
    },
    async run(job) {
      check();
      try {
        return unwrapOutcome(await pool.run(job));
      } catch (error) {
        check();
        throw error;
      }
    },
    close,
  };
}
