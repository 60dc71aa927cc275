import { createStreams, sampleStandardNormal } from '../engine/index.js';
import { type EfficiencyOverrides, type Fleet, fleetModel, type Scenario } from '../scenario/types.js';
import {
  EFFICIENCY_KEYS,
  type RooflineParameters,
  type RooflineSettings,
  rooflineSettings,
} from './llm-fleet.js';

/** Φ⁻¹(0.75): the median absolute deviation of a normal over its standard deviation. */
const MEDIAN_ABS_Z = 0.6744897501960817;

/**
 * The spread (standard deviation of the natural logarithm) of a lognormal factor whose median
 * absolute deviation is ln(1 + `medianError`): a part whose step times are off by a median relative
 * error m is taken to be off by such a factor.
 */
function spreadOfMedianError(medianError: number): number {
  return Math.log1p(medianError) / MEDIAN_ABS_Z;
}

/**
 * Median step-time errors assumed where no step time was compared with a measurement. Profiled:
 * the H100's efficiencies came from operator profiles too, and before its step times were
 * compared its prefill was 24-31 % and its MLPerf throughput 34-60 % off (docs/validation.md), so
 * 30 %. Class defaults, and values a scenario gives without a spread: nothing measured them, so
 * half again, 50 %. Both are assumptions, and every output that uses them says so.
 */
const ASSUMED_MEDIAN_ERROR = { profiled: 0.3, unmeasured: 0.5 } as const;

const PARAMETERS = Object.keys(EFFICIENCY_KEYS) as (keyof RooflineParameters)[];
const FRACTIONS: ReadonlySet<keyof RooflineParameters> = new Set([
  'compute',
  'memory',
  'attention',
  'activation',
]);

/** How uncertain a fleet's step-time parameters are. */
interface StepTimeUncertainty {
  /** Spread of the natural logarithm of each parameter; one left out is not drawn. */
  spread: EfficiencyOverrides;
  /** Where the spreads come from, for the outputs. */
  basis: string;
}

function everyParameter(spread: number): EfficiencyOverrides {
  return Object.fromEntries(PARAMETERS.map((key) => [key, spread]));
}

function percent(share: number): string {
  return `${Number((100 * share).toPrecision(3))} %`;
}

/**
 * The scenario's `efficiency_uncertainty`, or else a spread on every parameter from the fleet's
 * performance source: how far step times on the part have been checked.
 */
function uncertaintyOf(fleet: Fleet, settings: RooflineSettings): StepTimeUncertainty {
  const given = fleet.hardware?.accelerators?.efficiencyUncertainty;
  const { source } = settings.performance;
  if (given !== undefined) {
    return {
      spread: given,
      basis:
        source === 'calibrated'
          ? "efficiency_uncertainty: the calibration's bootstrap spread of each fitted value; the other parameters are not drawn"
          : 'efficiency_uncertainty of the scenario; the parameters it leaves out are not drawn',
    };
  }
  const validation = settings.validation;
  if (source === 'validated catalog entry' && validation?.status === 'validated') {
    const error = validation.medianAbsErrorPct.max / 100;
    return {
      spread: everyParameter(spreadOfMedianError(error)),
      basis: `validated ${settings.accelerator}: the largest median step-time error of its measured groups, ${percent(error)} (docs/validation.md), on every parameter`,
    };
  }
  if (source === 'profiled efficiencies (unvalidated)') {
    const error = ASSUMED_MEDIAN_ERROR.profiled;
    return {
      spread: everyParameter(spreadOfMedianError(error)),
      basis: `profiled ${settings.accelerator}: an assumed median step-time error of ${percent(error)} on every parameter (no step time on it compared with a measurement)`,
    };
  }
  const error = ASSUMED_MEDIAN_ERROR.unmeasured;
  return {
    spread: everyParameter(spreadOfMedianError(error)),
    basis: `${source} on ${settings.accelerator}: an assumed median step-time error of ${percent(error)} on every parameter (nothing here measured its step times)`,
  };
}

/** One fleet's draw: its spreads and their basis, and the parameters drawn, by scenario key. */
export interface FleetDraw {
  basis: string;
  spread: Record<string, number>;
  drawn: Record<string, number>;
}

export interface StepTimeDraw {
  /** The scenario with each roofline fleet's drawn parameters (`sampled`). */
  scenario: Scenario;
  /** Per roofline fleet. */
  fleets: Record<string, FleetDraw>;
}

/**
 * One replication's draw of every roofline fleet's step-time parameters: each parameter with a
 * spread s is its value times exp(s z), z a standard normal (a lognormal factor of median 1), and
 * a fraction is capped at 1, the peak. z comes from a stream of its own, named by the accelerator
 * and the parameter, so a seed gives the same draw to every variant and fleet on the same
 * accelerator, and the arrival and service streams are the same as without the draw.
 */
export function drawStepTimeModel(scenario: Scenario, seed: number): StepTimeDraw {
  const streams = createStreams(seed);
  const fleets: Record<string, FleetDraw> = {};
  const drawnFleets = scenario.fleets.map((fleet) => {
    const settings = rooflineSettings(fleet, fleetModel(scenario, fleet));
    const accelerators = fleet.hardware?.accelerators;
    if (settings === null || !accelerators) return fleet;
    const { spread, basis } = uncertaintyOf(fleet, settings);
    const sampled: RooflineParameters = { ...settings.effective };
    for (const key of PARAMETERS) {
      const sigma = spread[key] ?? 0;
      if (sigma === 0) continue;
      const z = sampleStandardNormal(
        streams.stream(`model-uncertainty/${settings.accelerator}/${EFFICIENCY_KEYS[key]}`),
      );
      const value = settings.effective[key] * Math.exp(sigma * z);
      sampled[key] = FRACTIONS.has(key) ? Math.min(1, value) : value;
    }
    const named = (values: EfficiencyOverrides) =>
      Object.fromEntries(
        PARAMETERS.filter((key) => values[key] !== undefined).map((key) => [
          EFFICIENCY_KEYS[key],
          values[key] as number,
        ]),
      );
    fleets[fleet.name] = { basis, spread: named(spread), drawn: named(sampled) };
    return { ...fleet, hardware: { ...fleet.hardware, accelerators: { ...accelerators, sampled } } };
  });
  return { scenario: { ...scenario, fleets: drawnFleets }, fleets };
}
