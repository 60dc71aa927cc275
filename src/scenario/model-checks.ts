/** Which fleets serve which model, and the checks of what names models and adapters. */

import { restrictRouting } from '../policies/routing/index.js';
import type { Finding } from './checks.js';
import { suggest } from './diagnostics.js';
import type { PathSegment } from './locate.js';
import { modelNames, requestClasses, type Scenario, type TraceSource } from './types.js';

/** A fleet that takes requests of every model: one without an LLM of its own that names none. */
export const ANY_MODEL = -1;

/**
 * Per fleet, the index in `modelNames(scenario)` of the model it serves, or `ANY_MODEL`: what it
 * names, else for a continuous-batching fleet the only model; -2 for a name that is no model's.
 */
export function servedModels(scenario: Scenario): number[] {
  const names = modelNames(scenario);
  return scenario.fleets.map((fleet) => {
    if (fleet.model !== undefined) {
      const index = names.indexOf(fleet.model);
      return index < 0 ? -2 : index;
    }
    return fleet.batching.policy === 'continuous' && names.length === 1 ? 0 : ANY_MODEL;
  });
}

/** Whether requests are routed by model: there are several, so a request may ask for one a fleet does not serve. */
export function routesByModel(scenario: Scenario): boolean {
  return modelNames(scenario).length > 1;
}

/** Whether a trace of the workload names each row's model. */
export function tracesNameModels(scenario: Scenario): boolean {
  return tracesOf(scenario).some(({ trace }) => trace.modelColumn != null);
}

/** The traces of the workload, with where they sit in the scenario file. */
function tracesOf(scenario: Scenario): { trace: TraceSource; path: PathSegment[] }[] {
  const arrivals = scenario.workload.arrivals;
  if (arrivals.kind === 'trace') return [{ trace: arrivals.trace, path: ['workload', 'arrivals', 'trace'] }];
  if (arrivals.kind !== 'classes') return [];
  const traces = arrivals.classes.flatMap((c, i) =>
    c.arrivals?.kind === 'trace'
      ? [{ trace: c.arrivals.trace, path: ['workload', 'classes', i, 'arrivals', 'trace'] as PathSegment[] }]
      : [],
  );
  if (arrivals.trace !== null)
    traces.push({ trace: arrivals.trace, path: ['workload', 'arrivals', 'trace'] });
  return traces;
}

/**
 * What names a model or an adapter must name one that is there and served: each fleet's model,
 * each class's, the fleets an adapter needs. Several models rule out what cannot split by model
 * (disaggregation, a fallback to a fleet of another model, a routing policy that names no fleet
 * of a model).
 */
export function checkModels(scenario: Scenario): Finding[] {
  const findings: Finding[] = [];
  const names = modelNames(scenario);
  const served = servedModels(scenario);
  const { fleets } = scenario;
  const several = names.length > 1;
  fleets.forEach((fleet, f) => {
    if (served[f] === -2) {
      findings.push({
        code: 'UNKNOWN_REFERENCE',
        path: ['fleets', f, 'model'],
        message:
          names.length === 0
            ? `unknown model "${fleet.model}": the scenario has no model`
            : `unknown model "${fleet.model}"${suggest(fleet.model as string, names)}`,
      });
    } else if (several && served[f] === ANY_MODEL && fleet.batching.policy === 'continuous') {
      findings.push({
        code: 'INVALID_VALUE',
        path: ['fleets', f],
        message: `a continuous-batching fleet names the model it serves when there are several: add model: one of ${names.join(', ')}`,
      });
    }
    if (several && fleet.role !== undefined) {
      findings.push({
        code: 'INVALID_VALUE',
        path: ['fleets', f, 'role'],
        message: 'prefill and decode fleets serve a scenario with one model',
      });
    }
    if ((fleet.adapters ?? null) !== null && fleet.role !== undefined) {
      findings.push({
        code: 'INVALID_VALUE',
        path: ['fleets', f, 'adapters'],
        message: 'adapters apply to colocated fleets, not to prefill or decode fleets',
      });
    }
    if (several && fleet.fallback !== null) {
      const target = fleets.findIndex((other) => other.name === fleet.fallback);
      if (target >= 0 && served[target] !== ANY_MODEL && served[target] !== served[f]) {
        findings.push({
          code: 'INVALID_VALUE',
          path: ['fleets', f, 'fallback'],
          message: `fleet ${fleet.fallback} serves model ${names[served[target]] ?? '?'}, not this fleet's`,
        });
      }
    }
  });
  const servedBy = (m: number) => fleets.filter((_, f) => served[f] === m || served[f] === ANY_MODEL);
  const declared = scenario.workload.arrivals.kind === 'classes';
  requestClasses(scenario.workload).forEach((c, i) => {
    const at: PathSegment[] = declared ? ['workload', 'classes', i] : ['workload'];
    let m = names.length === 1 ? 0 : -1;
    if (c.model != null) {
      m = names.indexOf(c.model);
      if (m < 0) {
        findings.push({
          code: 'UNKNOWN_REFERENCE',
          path: [...at, 'model'],
          message:
            names.length === 0
              ? `unknown model "${c.model}": the scenario has no model`
              : `unknown model "${c.model}"${suggest(c.model, names)}`,
        });
        return;
      }
    } else if (several && !tracesOf(scenario).some(({ trace }) => trace.modelColumn != null)) {
      findings.push({
        code: 'INVALID_VALUE',
        path: at,
        message: declared
          ? `requests name their model when there are several: add model: one of ${names.join(', ')}`
          : `requests name their model when there are several: declare workload.classes, each with its model (one of ${names.join(', ')}), or a trace column (columns.model)`,
      });
      return;
    }
    if (m < 0) return;
    if (several && servedBy(m).length === 0) {
      findings.push({
        code: 'INVALID_VALUE',
        path: [...at, 'model'],
        message: `no fleet serves model ${names[m]}`,
      });
      return;
    }
    if (c.adapter == null) return;
    const without = servedBy(m).find(
      (fleet) => fleet.batching.policy === 'continuous' && fleet.adapters == null,
    );
    if (without !== undefined) {
      findings.push({
        code: 'INVALID_VALUE',
        path: [...at, 'adapter'],
        message: `fleet ${without.name} serves model ${names[m]} without adapters: give it adapters: { max_resident, load_time }`,
      });
    }
  });
  for (const { trace, path } of tracesOf(scenario)) {
    if (trace.adapterColumn == null) continue;
    const without = fleets.find((fleet) => fleet.batching.policy === 'continuous' && fleet.adapters == null);
    if (without !== undefined) {
      findings.push({
        code: 'INVALID_VALUE',
        path: [...path, 'columns', 'adapter'],
        message: `fleet ${without.name} has no adapters: a trace that names adapters needs adapters: { max_resident, load_time } on every continuous-batching fleet`,
      });
    }
  }
  if (several) {
    names.forEach((name, m) => {
      const subset = servedBy(m).map((fleet) => fleet.name);
      if (subset.length > 0 && restrictRouting(scenario.routing, subset) === null) {
        findings.push({
          code: 'INVALID_VALUE',
          path: ['routing'],
          message: `routing policy ${scenario.routing.policy} sends requests to none of the fleets serving model ${name} (${subset.join(', ')})`,
        });
      }
    });
  }
  return findings;
}
