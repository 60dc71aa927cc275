import { excerpt, excerptJson } from '../../util/excerpt.js';

/** One request as a measured file gives it: times in the file's seconds, null where not recorded. */
export interface Row {
  arrival: number;
  firstToken: number | null;
  finish: number | null;
  input: number;
  output: number;
}

/** An LLM fleet serves whole tokens, at least one each way: so does the replay. */
export function wholeTokens(value: number): number {
  return Math.max(1, Math.round(value));
}

/** A value as an error message quotes it. */
export function describe(value: unknown): string {
  if (value === null || value === '') return 'nothing';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return excerpt(value);
  return excerptJson(value);
}
