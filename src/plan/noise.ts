import { routingDraws } from '../policies/routing/index.js';
import {
  arrivalProcesses,
  type Distribution,
  fleetModel,
  requestClasses,
  type Scenario,
} from '../scenario/types.js';
import { rooflineSettings } from '../serving/llm-fleet.js';

const varies = (distribution: Distribution | undefined) =>
  distribution !== undefined && distribution.kind !== 'constant';

/**
 * What in a scenario draws random numbers, so that runs with different seeds can differ: one
 * phrase per source, empty when every run of it is the same whatever the seed.
 */
export function randomSources(scenario: Scenario): string[] {
  const sources: string[] = [];
  const { workload } = scenario;
  const classes = requestClasses(workload);
  const shared = workload.arrivals.kind === 'classes' ? workload.arrivals.trace : null;
  for (const arrivals of arrivalProcesses(workload)) {
    if (arrivals.kind === 'poisson' || arrivals.kind === 'gamma' || arrivals.kind === 'sessions')
      sources.push(`${arrivals.kind} arrivals`);
    if (arrivals.kind === 'trace' && arrivals.trace.bootstrap) sources.push('the trace bootstrap');
  }
  for (const c of classes) {
    const where = workload.arrivals.kind === 'classes' ? `workload.classes.${c.name}` : 'workload';
    for (const [name, distribution] of Object.entries(c.attributes)) {
      // A trace's own column wins over the distribution, which then only fills in what it lacks.
      const trace = c.arrivals === null ? shared : c.arrivals.kind === 'trace' ? c.arrivals.trace : null;
      const fromTrace = trace !== null && trace.columns[name as keyof typeof c.attributes] !== undefined;
      if (!fromTrace && varies(distribution)) sources.push(`${where}.${name}`);
    }
  }
  if (routingDraws(scenario.routing)) sources.push(`${scenario.routing.policy} routing`);
  if (
    scenario.modelUncertainty &&
    scenario.fleets.some((fleet) => rooflineSettings(fleet, fleetModel(scenario, fleet)) !== null)
  ) {
    sources.push('the step-time parameters (model_uncertainty)');
  }
  for (const fleet of scenario.fleets) {
    if (fleet.serviceTime !== null && fleet.serviceTime.kind !== 'expression' && varies(fleet.serviceTime)) {
      sources.push(`service times of ${fleet.name}`);
    }
    if (fleet.interruption !== null && !('trace' in fleet.interruption))
      sources.push(`spot reclaims of ${fleet.name}`);
    if (fleet.unavailable?.kind === 'rate') sources.push(`capacity outages of ${fleet.name}`);
    // Only replicas launched during the run (autoscaling, replacements) wait for a startup time.
    if (varies(fleet.startup) && (fleet.autoscaling !== null || fleet.interruption !== null)) {
      sources.push(`startup times of ${fleet.name}`);
    }
  }
  return sources;
}

/**
 * Why `count` replications of `scenario` came out identical, and what would make them differ;
 * `which` says which configurations (` of a, b`) when not all of them.
 */
export function identicalReplicationsNote(count: number, scenario: Scenario, which = ''): string {
  const head = `the ${count} replications${which} are identical`;
  const sources = randomSources(scenario);
  const arrivals = scenario.workload.arrivals;
  if (sources.length > 0) {
    return `${head}: ${sources.join(', ')} draw random numbers, but not in a way that changed the results, so there is no sampling noise to estimate${
      arrivals.kind === 'trace' && arrivals.trace.bootstrap
        ? ' (a trace window no longer than one bootstrap block replays as it is: a shorter `block` varies it)'
        : ''
    }`;
  }
  if (arrivals.kind === 'trace') {
    return `${head}: the trace is replayed the same on every seed and its request sizes come from it, and step and service times are deterministic, so there is no sampling noise to estimate; add \`bootstrap: { block: 5m }\` to workload.arrivals.trace to vary the workload across replications`;
  }
  return `${head}: nothing in the scenario draws random numbers (constant arrivals, deterministic step and service times), so there is no sampling noise to estimate; poisson or gamma arrivals or a service-time distribution vary across replications`;
}

/**
 * The note on identical replications for a set of configurations (variants, points), or null
 * when none has identical replications; names them when only some do, at most `named` of them.
 */
export function identicalNote(
  count: number,
  configurations: readonly { label: string; scenario: Scenario; identical: boolean }[],
  named = 8,
): string | null {
  const same = configurations.filter((c) => c.identical);
  if (same.length === 0) return null;
  const which =
    same.length === configurations.length
      ? ''
      : same.length <= named
        ? ` of ${same.map((c) => c.label).join(', ')}`
        : ` of ${same.length} of ${configurations.length} configurations`;
  return identicalReplicationsNote(count, same[0].scenario, which);
}
