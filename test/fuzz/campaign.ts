import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { generateCase } from '../../bench/fuzz/cases.js';
import { knownIssue } from '../../bench/fuzz/known.js';
import { runCase } from '../../bench/fuzz/run-case.js';

/** The seed of the cases CI runs: fixed, so a failure here is the same case on every machine. */
export const CI_SEED = 20_250;

/**
 * Runs cases `from` to `to` (excluded) of the CI seed in this thread, the command-line ones
 * through the CLI's entry function, and expects no failure the fuzzer does not already know.
 */
export async function expectNoNewFailure(from: number, to: number): Promise<void> {
  const tmpRoot = join(tmpdir(), `fleetsim-fuzz-test-${process.pid}`);
  const outcomes = { ok: 0, 'user-error': 0, failure: 0 };
  const unknown: string[] = [];
  for (let index = from; index < to; index++) {
    const c = generateCase(CI_SEED, index);
    const verdict = await runCase(c, { tmpRoot, cli: { mode: 'in-process' } });
    outcomes[verdict.outcome]++;
    if (verdict.outcome === 'failure' && knownIssue(c, verdict) === null) {
      unknown.push(
        `case ${c.id} (${c.origin}; ${c.mutations.join('; ')}): ${verdict.kind}: ${verdict.message}`,
      );
    }
  }
  expect(unknown).toEqual([]);
  // The oracle has something to judge: both valid runs and user errors occur.
  expect(outcomes.ok).toBeGreaterThan((to - from) / 10);
  expect(outcomes['user-error']).toBeGreaterThan((to - from) / 10);
}
