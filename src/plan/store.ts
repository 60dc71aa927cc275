import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import { fleetPerformanceSchema, writeFileAtomic } from '../report/index.js';
import type { Scenario, Slo } from '../scenario/types.js';
import { studyDigest } from './inputs.js';
import type { JobResult } from './job.js';

/** Bumped when what a point file holds, or how it is computed, changes: old files are then recomputed. */
const FORMAT = 3;

/**
 * What decides a point's results: the resolved scenario of one variant, the seed of each
 * replication, the objective a plan stops failing runs at (their figures are partial), the
 * fleetsim version and the contents of every file the scenario reads. The
 * variant's name is left out, so identical configurations share a file.
 */
export async function evaluationKey(
  scenario: Scenario,
  seeds: readonly number[],
  stopWhenMissed: Slo | null = null,
): Promise<string> {
  const decides = { format: FORMAT, scenario, seeds, ...(stopWhenMissed !== null && { stopWhenMissed }) };
  return (await studyDigest([scenario], decides)).slice(0, 32);
}

interface StoredEvaluation {
  key: string;
  runs: JobResult[];
}

/**
 * What `write` writes. A file that holds anything else (edited by hand: a figure as text, a null
 * where a mapping stood) is computed again like one cut short, rather than trusted or met as a
 * TypeError while its runs are aggregated. Built on first use: a study run afresh reads no file.
 */
const STORED = z.lazy(() => {
  const figure = z.number().nullable();
  const numbers = z.record(z.string(), z.number());
  return z.object({
    key: z.string(),
    runs: z.array(
      z.object({
        // flattenMetrics sets both for every run.
        metrics: z.object({ drop_rate: figure, cost_usd_per_hour: z.number() }).catchall(figure),
        warnings: z.array(z.object({ code: z.string(), subject: z.string(), message: z.string() })),
        performance: fleetPerformanceSchema(),
        model: z
          .record(z.string(), z.object({ basis: z.string(), spread: numbers, drawn: numbers }))
          .optional(),
      }),
    ),
  });
});

/**
 * One file per finished point (all its replications), `DIR/points/<key>.json`, written atomically:
 * a rerun reuses every file there, and a killed run leaves whole files or none.
 */
export class EvaluationStore {
  constructor(private readonly dir: string | null) {}

  private path(key: string): string | null {
    return this.dir === null ? null : join(this.dir, 'points', `${key}.json`);
  }

  /** The runs of a finished point, one per replication; null for a point to compute. */
  read(key: string, replications: number): JobResult[] | null {
    const path = this.path(key);
    if (path === null || !existsSync(path)) return null;
    // A file cut short or damaged (a full disk, a copy interrupted) is recomputed and rewritten.
    let stored: unknown;
    try {
      stored = JSON.parse(readFileSync(path, 'utf8'));
    } catch {
      return null;
    }
    if (!STORED.safeParse(stored).success) return null;
    // As read, not as zod gives it back: that puts the keys it names first, and sweep.json lists
    // each run's metrics in the order the run had them.
    const { key: storedKey, runs } = stored as StoredEvaluation;
    return storedKey === key && runs.length === replications ? runs : null;
  }

  write(key: string, runs: JobResult[]): void {
    const path = this.path(key);
    if (path !== null) writeFileAtomic(path, `${JSON.stringify({ key, runs } satisfies StoredEvaluation)}\n`);
  }
}
