import { ScenarioError } from '../run.js';
import { type Diagnostic, type LoadedScenario, RunInputError } from '../scenario/types.js';
import { describeConfiguration } from './output.js';
import {
  type Infeasibility,
  loadPoints,
  mergeParameters,
  type PointVariant,
  type ScenarioSource,
} from './parameters.js';
import { checkSweepRuns, type SweepPoint, sweepPoints } from './points.js';
import { nothingFeasible } from './sweep.js';

/**
 * Swept keys that cannot decide whether a configuration runs: how many replicas or slots, how
 * requests are routed and queued. Whether the model fits, and whether an instance is sold in a
 * region or market, depend on other keys (the model, the fleet's instance, hardware, batching,
 * region, market), and whether a run could finish within `limits.max_events` on its load, its
 * duration and its autoscalers' ticks, so the grid is checked once per combination of those. A
 * key missing here is only checked more often than it needs.
 */
const CANNOT_MAKE_INFEASIBLE =
  /^(seed|warmup|max_drain|metrics|routing|fleets\.\d+\.(replicas|concurrency|queue|service_time|startup|price_per_hour|billing|on_interrupt))(\.|$)/;

/** Configurations of a sweep that cannot run, grouped by the values that make them so. */
export interface GridInfeasibility {
  /** Where the reason is written, and `sweep point(s) ...: reason` as the message. */
  diagnostic: Diagnostic;
  /** Configurations (points x variants) this finding covers. */
  configurations: number;
}

export interface GridCheck {
  /** Points `fleetsim sweep` would run (drawn ones with random or latin-hypercube sampling). */
  points: number;
  /** Points x variants. */
  configurations: number;
  infeasible: GridInfeasibility[];
}

/**
 * Checks every point of a scenario's `sweep:` as `fleetsim sweep` would load it, without running
 * anything. Points that differ only in keys that cannot make a configuration infeasible share one
 * check, so a grid of many replica counts costs one load per instance type; each value of those
 * keys is still loaded once, so a bad value is reported. Malformed values throw a ScenarioError
 * (as sweep does); when no configuration can run, the one-line error sweep gives is thrown.
 * Null without a `sweep:` section.
 */
export async function checkSweepGrid(
  loaded: LoadedScenario,
  file: string,
  set: readonly string[],
  catalogs: readonly string[] = [],
): Promise<GridCheck | null> {
  const parameters = mergeParameters(loaded.sweep, []);
  if (parameters.length === 0) return null;
  const sampling = loaded.sweep?.sampling ?? 'grid';
  checkSweepRuns(parameters, {
    sampling,
    points: loaded.sweep?.points ?? null,
    variants: loaded.variants.length,
    replications: 1,
  });
  const generated = sweepPoints(parameters, {
    sampling,
    points: loaded.sweep?.points ?? null,
    seed: loaded.seed,
  });
  if ('error' in generated) throw new RunInputError(`sweep: ${generated.error}`);
  const { points } = generated;
  const deciding = parameters.flatMap((parameter, d) =>
    CANNOT_MAKE_INFEASIBLE.test(parameter.path) ? [] : [d],
  );
  const groupOf = (point: SweepPoint) => JSON.stringify(deciding.map((d) => point.values[d]));

  const groups = new Map<string, { first: SweepPoint; count: number }>();
  const checked = new Map<number, SweepPoint>();
  const valuesSeen = parameters.map(() => new Set<string>());
  for (const point of points) {
    const key = groupOf(point);
    const group = groups.get(key);
    if (group) group.count++;
    else {
      groups.set(key, { first: point, count: 1 });
      checked.set(point.index, point);
    }
    point.values.forEach((value, d) => {
      const text = JSON.stringify(value);
      if (valuesSeen[d].has(text)) return;
      valuesSeen[d].add(text);
      checked.set(point.index, point);
    });
  }

  // Each point is loaded as the base was: with the user's --catalog files.
  const source: ScenarioSource = {
    file,
    text: loaded.source ?? '',
    set,
    dataRoot: loaded.dataRoot,
    catalogs,
  };
  const representatives = [...checked.values()].sort((a, b) => a.index - b.index);
  const results = await loadPoints(source, parameters, representatives, { withScenarios: false });
  if (!results.ok) throw new ScenarioError(results.errors);
  const byIndex = new Map(representatives.map((point, i) => [point.index, results.value[i]]));

  const variants = loaded.variants.length;
  // Groups that fail for the same reason at the same place are one finding: the instance that
  // cannot hold the model, whatever the load. Shown by the deciding values they all share.
  const findings = new Map<
    string,
    {
      variant: string;
      infeasible: NonNullable<PointVariant['infeasible']>;
      groups: { first: SweepPoint; count: number }[];
    }
  >();
  for (const group of groups.values()) {
    for (const variant of byIndex.get(group.first.index)!.variants) {
      if (variant.infeasible === null) continue;
      const { reason, at } = variant.infeasible;
      const key = JSON.stringify([variant.name, reason, at.file, at.line, at.col]);
      const finding = findings.get(key) ?? {
        variant: variant.name,
        infeasible: variant.infeasible,
        groups: [],
      };
      finding.groups.push(group);
      findings.set(key, finding);
    }
  }
  const infeasible: GridInfeasibility[] = [];
  const failures: { configuration: string; infeasible: Infeasibility }[] = [];
  let infeasibleCount = 0;
  for (const { variant, infeasible: why, groups: failed } of findings.values()) {
    const count = failed.reduce((sum, group) => sum + group.count, 0);
    const [{ first }] = failed;
    const shared = deciding.filter((d) =>
      failed.every((group) => JSON.stringify(group.first.values[d]) === JSON.stringify(first.values[d])),
    );
    infeasibleCount += count;
    const shown = describeConfiguration(
      Object.fromEntries(
        (count === 1 ? parameters.map((_, d) => d) : shared).map((d) => [
          parameters[d].path,
          first.values[d],
        ]),
      ),
      variants > 1 ? variant : null,
      count === 1 ? 'sweep point' : `sweep points (${count} of ${points.length}) with`,
    );
    failures.push({ configuration: shown, infeasible: why });
    infeasible.push({
      diagnostic: { ...why.at, message: `${shown}: ${why.reason}` },
      configurations: count,
    });
  }
  const configurations = points.length * variants;
  if (infeasibleCount === configurations) throw nothingFeasible('sweep', configurations, failures);
  return { points: points.length, configurations, infeasible };
}
