/**
 * Failures not fixed with the fuzzer, each in an area of its own: the fuzzer counts them apart,
 * as known, and the regression fixtures that show them are expected to fail until fixed.
 */
import type { FuzzCase } from './cases.js';
import type { Verdict } from './oracle.js';

export interface KnownIssue {
  id: string;
  /** Where the fix belongs. */
  area: string;
  reason: string;
  matches(c: FuzzCase, verdict: Extract<Verdict, { outcome: 'failure' }>): boolean;
}

export const KNOWN_ISSUES: readonly KnownIssue[] = [
  {
    id: 'unreadable-path',
    area: 'data-path confinement',
    reason:
      'a file path the system refuses (a NUL byte, a name longer than the file system allows) makes ' +
      'the check of the file throw instead of reporting the path',
    matches: (_c, v) =>
      v.kind === 'internal-error' &&
      /without null bytes|ENAMETOOLONG/.test(v.message) &&
      /fileProblem/.test(v.message),
  },
  {
    id: 'many-variants',
    area: 'many variants',
    reason:
      'thousands of variants are each validated as a whole scenario: loading takes minutes, or ' +
      'more memory than the fuzzer allows',
    matches: (c, v) =>
      ((v.kind === 'timeout' && /loading the scenario/.test(v.message)) || v.kind === 'crash') &&
      c.mutations.some((m) => /^repeat list variants/.test(m)),
  },
  {
    id: 'memory-cap',
    area: 'run limits',
    reason:
      'a run whose memory grows without bound (a trace replayed a billion times slower with a fixed ' +
      'metrics interval, a bootstrap of a billion blocks) fails an allocation at the memory cap of ' +
      'the fuzzer: nothing bounds it yet',
    matches: (_c, v) =>
      ((v.kind === 'internal-error' || v.kind === 'stack-trace') &&
        /Array buffer allocation failed|Invalid typed array length/.test(v.message)) ||
      (v.kind === 'crash' && /heap out of memory|Reached heap limit|bad_alloc/.test(v.message)),
  },
  {
    id: 'enormous-run',
    area: 'run limits',
    reason:
      'a valid scenario whose run is enormous (a rate of 1e15 per second, a day of LLM decoding) ' +
      'runs past the time limit: nothing bounds the events of a run yet; and with progress shown, ' +
      'the command line steps through empty simulated time one progress step at a time, so a ' +
      'trace row 1e15 s ahead hangs it',
    matches: (_c, v) =>
      v.kind === 'timeout' &&
      (/\(simulating\)/.test(v.message) || /^fleetsim: \[\d+\/\d+\] /m.test(v.message)),
  },
];

export function knownIssue(c: FuzzCase, verdict: Verdict): KnownIssue | null {
  if (verdict.outcome !== 'failure') return null;
  return KNOWN_ISSUES.find((issue) => issue.matches(c, verdict)) ?? null;
}
