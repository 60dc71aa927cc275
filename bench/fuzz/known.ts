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

/** Empty while every failure the fuzzer has found is fixed. */
export const KNOWN_ISSUES: readonly KnownIssue[] = [];

export function knownIssue(c: FuzzCase, verdict: Verdict): KnownIssue | null {
  if (verdict.outcome !== 'failure') return null;
  return KNOWN_ISSUES.find((issue) => issue.matches(c, verdict)) ?? null;
}
