import type { FailOnRule } from '../report/diff.js';
import { FAIL_ON_METRICS } from '../report/fail-on-metrics.js';
import { closestNames, typoTolerance } from '../util/closest-names.js';
import { UsageError } from './io.js';

const NAMES = ['slo', 'lost', ...Object.keys(FAIL_ON_METRICS)];

/** `did you mean "cost"?` for a name one typo away from a known one. */
function hint(name: string): string {
  const [near] = closestNames(name, NAMES, { count: 1, maxDistance: typoTolerance(name) });
  return near === undefined ? `; one of ${NAMES.join(', ')}` : `; did you mean "${near}"?`;
}

function parseRule(text: string): FailOnRule {
  const rule = text.trim();
  const bad = (what: string) => new UsageError(`--fail-on: "${rule}": ${what}`);
  const colon = rule.indexOf(':');
  const name = (colon < 0 ? rule : rule.slice(0, colon)).trim().toLowerCase();
  if (name === '') throw bad('expected slo, lost, or a figure and a rise such as cost:+10%');
  if (name === 'slo' || name === 'lost') {
    if (colon >= 0)
      throw bad(
        `${name} takes no threshold (any ${name === 'slo' ? 'objective newly missed' : 'rise'} trips it)`,
      );
    return { kind: name, text: name };
  }
  if (!Object.hasOwn(FAIL_ON_METRICS, name)) throw bad(`unknown figure "${name}"${hint(name)}`);
  const metric = name as keyof typeof FAIL_ON_METRICS;
  if (colon < 0) throw bad(`expected a rise after the figure, such as ${name}:+10%`);
  const threshold = rule.slice(colon + 1).trim();
  const match = /^\+(\d+(?:\.\d+)?)\s*%$/.exec(threshold);
  if (match === null) {
    throw bad(`expected a rise in percent with its sign, such as ${name}:+10%, got "${threshold}"`);
  }
  return { kind: 'rise', metric, percent: Number(match[1]), text: `${metric}:+${Number(match[1])}%` };
}

/**
 * `--fail-on`, repeatable and comma-separated: `slo`, `lost`, or `FIGURE:+N%` with FIGURE one of
 * `FAIL_ON_METRICS`. A rule given twice counts once.
 */
export function parseFailOn(value: unknown): FailOnRule[] {
  const texts = (Array.isArray(value) ? value : [value]).flatMap((v) => String(v).split(','));
  const rules = texts.map(parseRule);
  return rules.filter((rule, i) => rules.findIndex((r) => r.text === rule.text) === i);
}
