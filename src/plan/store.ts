import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../report/index.js';
import type { Scenario } from '../scenario/types.js';
import type { JobResult } from './job.js';

/** Bumped when what a point file holds, or how it is computed, changes: old files are then recomputed. */
const FORMAT = 2;

/**
 * What decides a point's results: the resolved scenario of one variant and the seed of each
 * replication. The variant's name is left out, so identical configurations share a file.
 */
export function evaluationKey(scenario: Scenario, seeds: readonly number[]): string {
  const text = JSON.stringify({ format: FORMAT, scenario, seeds }, (_, value) =>
    typeof value === 'number' && !Number.isFinite(value) ? String(value) : value,
  );
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
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
    const stored = JSON.parse(readFileSync(path, 'utf8')) as StoredEvaluation;
    return stored.key === key ? stored.runs : null;
  }

  write(key: string, runs: JobResult[]): void {
    const path = this.path(key);
    if (path !== null) writeFileAtomic(path, `${JSON.stringify({ key, runs } satisfies StoredEvaluation)}\n`);
  }
}
