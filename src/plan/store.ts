import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../report/index.js';
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
 * One file per finished point (all its replications), `DIR/points/<key>.json`, written atomically:
 * a rerun reuses every file there, and a killed run leaves whole files or none.
 */
export class EvaluationStore {
  constructor(private readonly dir: string | null) {}

  private path(key: string): string | null {
    return this.dir === null ? null : join(this.dir, 'points', `${key}.json`);
  }

  read(key: string): JobResult[] | null {
    const path = this.path(key);
    if (path === null || !existsSync(path)) return null;
    // A file cut short or damaged (a full disk, a copy interrupted) is recomputed and rewritten.
    let stored: Partial<StoredEvaluation> | null;
    try {
      stored = JSON.parse(readFileSync(path, 'utf8')) as Partial<StoredEvaluation> | null;
    } catch {
      return null;
    }
    if (stored === null || stored.key !== key || !Array.isArray(stored.runs) || stored.runs.length === 0)
      return null;
    return stored.runs.every((run) => typeof run?.metrics === 'object' && run.metrics !== null)
      ? stored.runs
      : null;
  }

  write(key: string, runs: JobResult[]): void {
    const path = this.path(key);
    if (path !== null) writeFileAtomic(path, `${JSON.stringify({ key, runs } satisfies StoredEvaluation)}\n`);
  }
}
