import { isNode, LineCounter } from 'yaml';
import type { VariantResult } from '../metrics/index.js';
import { checkRunSize } from '../scenario/index.js';
import type { LoadedScenario, Scenario } from '../scenario/types.js';
import { parseAccepted } from '../util/yaml-keys.js';
import { formatForUser } from './io.js';
import { formatSimulatedTime } from './progress.js';

/**
 * Before a run: a warning for each configuration expected to take a tenth of `limits.max_events`
 * or more (those that would pass it were refused when the scenario was loaded); configurations
 * of the same size share one line.
 */
export function largeRunWarnings(configurations: readonly { label: string; scenario: Scenario }[]): string[] {
  const labels = new Map<string, string[]>();
  for (const { label, scenario } of configurations) {
    const size = checkRunSize(scenario);
    if (size === null || size.refused) continue;
    labels.set(size.message, [...(labels.get(size.message) ?? []), label]);
  }
  return [...labels].map(([message, names]) => `fleetsim: warning: ${names.join(', ')}: ${message}`);
}

/** Where the scenario file itself sets `limits.<key>`; null when it leaves the default (or has no file). */
function limitPosition(scenario: LoadedScenario, key: string): { line: number; col: number } | null {
  if (scenario.file === null || scenario.source === null) return null;
  const lineCounter = new LineCounter();
  const document = parseAccepted(scenario.source, lineCounter);
  const node = document.getIn(['limits', key], true);
  const offset = isNode(node) ? node.range?.[0] : undefined;
  return offset === undefined ? null : lineCounter.linePos(offset);
}

/** `0.00105 s`: a run cut within its first seconds shows where, not `0.0 s`. */
function simulatedTime(seconds: number): string {
  return seconds < 60 ? `${Number(seconds.toPrecision(4))} s` : formatSimulatedTime(seconds);
}

/**
 * One line for a configuration a run limit cut short: which limit, at what simulated time, and how
 * to raise it; at the limit in the scenario file when the file sets it.
 */
export function partialRunLine(
  scenario: LoadedScenario,
  label: string,
  result: Pick<VariantResult, 'partial'>,
  cwd: string,
): string | null {
  const partial = result.partial;
  if (partial === undefined) return null;
  if (partial.limit === 'objective')
    return `fleetsim: ${label}: PARTIAL: stopped at simulated t=${simulatedTime(partial.at_s)} once its objective was missed for certain (${partial.reason}); every output marks it so`;
  const key = `limits.${partial.limit}`;
  const message = `${label}: PARTIAL: stopped by ${key} at simulated t=${simulatedTime(partial.at_s)} (${partial.reason}); every output marks it so. Raise ${key} in the scenario or with --set ${key}=<value> (null: no limit)`;
  const at = limitPosition(scenario, partial.limit);
  if (at === null || scenario.file === null) return `fleetsim: ${message}`;
  return formatForUser({ code: 'INVALID_VALUE', message, file: scenario.file, ...at }, cwd);
}
