import { basename } from 'node:path';
import type { CalibrationProvenance, Fleet } from '../scenario/types.js';
import type { AcceleratorSpec } from './llm/index.js';

/**
 * Where a fleet's step or service times come from, most trustworthy first. `calibrated`: the
 * roofline with parameters `fleetsim calibrate` fitted to the user's own measurement.
 */
export const PERFORMANCE_SOURCE_KINDS = [
  'measured profile',
  'calibrated',
  'validated catalog entry',
  'profiled efficiencies (unvalidated)',
  'class default (unvalidated)',
  'scenario',
] as const;

export type PerformanceSourceKind = (typeof PERFORMANCE_SOURCE_KINDS)[number];

export interface FleetPerformance {
  source: PerformanceSourceKind;
  /** The accelerator the roofline ran on (catalog id, or the name as written), or the profile's hardware; null for scenario times. */
  accelerator: string | null;
  detail: string;
  /** For times that rest on an unvalidated part: the line every output a person reads carries. */
  caveat: string | null;
}

const DOC = 'docs/validation.md';

function percentRange(min: number, max: number): string {
  return min === max ? `${min} %` : `${min}-${max} %`;
}

/** What the validated parts of the catalog are off by: the yardstick an unvalidated part has not been held to. */
function validatedParts(catalog: ReadonlyMap<string, AcceleratorSpec>): string {
  const validated = [...catalog.values()].flatMap((spec) =>
    spec.validation?.status === 'validated'
      ? [{ id: spec.id, error: spec.validation.medianAbsErrorPct }]
      : [],
  );
  if (validated.length === 0) return `no accelerator is validated (${DOC})`;
  const min = Math.min(...validated.map((v) => v.error.min));
  const max = Math.max(...validated.map((v) => v.error.max));
  const ids = validated.map((v) => v.id);
  const named = ids.length === 1 ? ids[0] : `${ids.slice(0, -1).join(', ')} and ${ids[ids.length - 1]}`;
  return `the validated ${named} show median errors of ${percentRange(min, max)} per measured group (${DOC})`;
}

function unvalidatedCaveat(
  fleet: string,
  what: string,
  catalog: ReadonlyMap<string, AcceleratorSpec>,
): string {
  return `fleet ${fleet}: step times from ${what} (unvalidated): costs and latencies may be off by an amount no measurement here bounds; ${validatedParts(catalog)}`;
}

/** The sustained fractions a catalog entry's validation or class default is about. */
const FRACTIONS = ['compute', 'memory', 'attention', 'activation'];

function list(items: readonly string[]): string {
  return items.length === 1 ? items[0] : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

function holdOutText(calibration: CalibrationProvenance): string {
  return calibration.holdOutError === null
    ? 'no hold-out check'
    : `hold-out error up to ${Number((100 * calibration.holdOutError).toPrecision(3))} %`;
}

/**
 * The roofline's source for `fleet` on accelerator `id`: the catalog's validation status of the
 * part, or class default for a part the catalog does not know (it runs on the median of the
 * catalog's efficiencies). `peaks` lists the peaks the scenario wrote over the catalog's and
 * `efficiency` the keys of `accelerator.efficiency` it set. A validation holds for the catalog's
 * own figures, so a validated part with any of them changed rests on the scenario's; an
 * unvalidated part stays unvalidated until the scenario gives every sustained fraction. Values
 * `fleetsim calibrate` fitted on this part (`calibration`) make it `calibrated`: fitted to the
 * user's measurement, which fleetsim has not checked, so it keeps a caveat.
 */
export function rooflinePerformance(
  fleet: string,
  id: string,
  catalog: ReadonlyMap<string, AcceleratorSpec>,
  peaks: readonly string[],
  efficiency: readonly string[],
  calibration?: CalibrationProvenance,
): FleetPerformance {
  const validation = catalog.get(id)?.validation ?? null;
  if (calibration !== undefined && calibration.accelerator === id && efficiency.length > 0) {
    const measured = `${calibration.measured} (${holdOutText(calibration)})`;
    return {
      source: 'calibrated',
      accelerator: id,
      detail: `roofline on ${id} with efficiency ${list(efficiency)} fitted by fleetsim calibrate to ${measured}${
        peaks.length > 0 ? `; ${list(peaks)} from the scenario` : ''
      }; the others the serving stack's and ${validation === null ? "the catalog's median" : `the catalog's (${validation.status})`}`,
      caveat: `fleet ${fleet}: step times calibrated to your measurement ${measured}, not validated by fleetsim: they hold near the load and prompt lengths measured, and rest on the roofline's shape beyond them`,
    };
  }
  const elsewhere =
    calibration !== undefined && efficiency.length > 0
      ? ` (fitted on ${calibration.accelerator} by fleetsim calibrate, not on ${id})`
      : '';
  const fromScenario = [
    ...(peaks.length > 0 ? [`${list(peaks)} from the scenario`] : []),
    ...(efficiency.length > 0
      ? [`efficiency ${list(efficiency)}: scenario override (user-provided, not validated here)${elsewhere}`]
      : []),
  ].join('; ');
  const suffix = fromScenario === '' ? '' : `; ${fromScenario}`;
  const allFractions = FRACTIONS.every((key) => efficiency.includes(key));
  if (validation?.status === 'validated') {
    const { min, max } = validation.medianAbsErrorPct;
    const error = `median error ${percentRange(min, max)} over ${validation.groups} measured group(s) (${DOC})`;
    if (fromScenario === '')
      return { source: 'validated catalog entry', accelerator: id, detail: error, caveat: null };
    return {
      source: 'scenario',
      accelerator: id,
      detail: `roofline on ${id} with ${fromScenario}; the catalog entry's ${error} holds for its own figures`,
      caveat: null,
    };
  }
  if (allFractions) {
    return {
      source: 'scenario',
      accelerator: id,
      detail: `roofline on ${id} with ${fromScenario}`,
      caveat: null,
    };
  }
  const scenarioPart = efficiency.length > 0 ? ` (${list(efficiency)} from the scenario)` : '';
  if (validation === null) {
    return {
      source: 'class default (unvalidated)',
      accelerator: id,
      detail: `${id} is not in pricing/accelerators.yaml: the median of the catalog's efficiencies, peaks from the scenario${suffix}`,
      caveat: unvalidatedCaveat(fleet, `the catalog's median efficiencies for ${id}${scenarioPart}`, catalog),
    };
  }
  const profiled = validation.status === 'profiled';
  return {
    source: profiled ? 'profiled efficiencies (unvalidated)' : 'class default (unvalidated)',
    accelerator: id,
    detail: `${validation.basis}${suffix} (${DOC})`,
    caveat: unvalidatedCaveat(
      fleet,
      profiled
        ? `operator-profile efficiencies for ${id}${scenarioPart}, never compared with measured step times`
        : `class-default efficiencies for ${id}${scenarioPart}`,
      catalog,
    ),
  };
}

/** A measured step-time table (`step_time: { profile }`), interpolated between its rows. */
export function profilePerformance(path: string, model: string, hardware: string): FleetPerformance {
  return {
    source: 'measured profile',
    accelerator: hardware,
    detail: `${basename(path)}: ${model} on ${hardware}, interpolated between measured configurations`,
    caveat: null,
  };
}

/** A fleet that is not continuous batching: its service time or batch latency is what the scenario wrote. */
export function scenarioPerformance(fleet: Fleet): FleetPerformance {
  return { source: 'scenario', accelerator: null, detail: scenarioDetail(fleet), caveat: null };
}

function scenarioDetail(fleet: Fleet): string {
  const latency = fleet.batchLatency;
  if (latency !== null) {
    return latency.kind === 'expression'
      ? `batch_latency "${latency.source}"`
      : `batch_latency table of ${latency.points.length} point(s)`;
  }
  const service = fleet.serviceTime;
  if (service === null) return 'no service time';
  if (service.kind === 'expression') return `service_time "${service.source}"`;
  if (service.kind === 'empirical')
    return `service_time: column ${service.column} of ${basename(service.path)}`;
  return `service_time: ${service.kind} distribution`;
}
