import { formatThousands } from '../core/format.js';
import type { Finding } from './checks.js';
import type { PathSegment } from './locate.js';

type Raw = Record<string, unknown>;

/** `value` as a mapping of the raw scenario, or undefined when it is none (a list, a scalar, null). */
export function asObject(value: unknown): Raw | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Raw) : undefined;
}

/**
 * The most items a list of a scenario may hold: as many as the largest sweep grid or set of
 * variants a command runs (`MAX_RUNS`); no other setting needs more. The schema validator
 * gathers the problems of a list's items by spreading them into its parent's list as call
 * arguments, so a list of some 100,000 wrong items overflowed the call stack, and so did ten lists
 * of 15,000 in one mapping: all lists together hold at most MAX_ITEMS.
 */
export const MAX_LIST_ITEMS = 20_000;
export const MAX_ITEMS = 50_000;

/**
 * What is refused in the raw value before the schema sees it: a `__proto__` key, which the YAML
 * reader keeps as a plain key but validation would drop silently (or, in a naive copy, replace
 * the prototype of the mapping), and lists longer than MAX_LIST_ITEMS or MAX_ITEMS together.
 */
export function findRawProblems(raw: unknown): Finding[] {
  const findings: Finding[] = [];
  const seen = new Set<object>();
  let items = 0;
  let longest: { path: PathSegment[]; length: number } = { path: [], length: 0 };
  const visit = (value: unknown, path: PathSegment[]): void => {
    if (value === null || typeof value !== 'object' || seen.has(value)) return;
    seen.add(value);
    if (Array.isArray(value)) {
      items += value.length;
      if (value.length > longest.length) longest = { path, length: value.length };
      if (value.length > MAX_LIST_ITEMS) {
        findings.push({
          code: 'INVALID_VALUE',
          path,
          message: `a list of ${formatThousands(value.length)} items; at most ${formatThousands(MAX_LIST_ITEMS)}`,
        });
        return;
      }
      for (const [i, item] of value.entries()) visit(item, [...path, i]);
      return;
    }
    for (const [key, item] of Object.entries(value)) {
      // A variant's `set` keys are paths, refused where overrides are checked.
      const overridePath = path.length === 3 && path[0] === 'variants' && path[2] === 'set';
      if (key === '__proto__' && !overridePath) {
        findings.push({
          code: 'UNKNOWN_KEY',
          path,
          key,
          message: 'reserved by JavaScript; use another name',
        });
      } else visit(item, [...path, key]);
    }
  };
  visit(raw, []);
  if (items > MAX_ITEMS && findings.every((finding) => finding.code !== 'INVALID_VALUE'))
    findings.push({
      code: 'INVALID_VALUE',
      path: longest.path,
      message: `the scenario's lists hold ${formatThousands(items)} items together, this one ${formatThousands(longest.length)}; at most ${formatThousands(MAX_ITEMS)} together`,
    });
  return findings;
}
