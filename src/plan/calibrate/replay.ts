/**
 * How a measured run replays through the simulator: the trace it reads (the file itself, or a
 * copy in arrival order), the fleet alone as the replay runs it, and each replayed request's times
 * matched back to the measured request.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { toUs } from '../../core/time.js';
import { isOnePool, replicaPolicyOf } from '../../policies/routing/index.js';
import {
  DEFAULT_FLAP_WINDOW_S,
  type EfficiencyOverrides,
  type Fleet,
  fleetModel,
  InvariantError,
  type Routing,
  type Scenario,
  type TraceSource,
} from '../../scenario/types.js';
import { simulate } from '../../sim/index.js';
import type { RequestRecord } from '../../workload/index.js';
import type { MeasuredRun, MeasuredTimeUnit } from './measured.js';
import type { RequestTimes } from './statistics.js';

/** How the replay reads the measured arrivals: a CSV or JSONL trace in arrival order. */
export interface ReplayTrace {
  /** Absolute path. */
  path: string;
  format: 'csv' | 'jsonl';
  timeColumn: string;
  timeUnit: MeasuredTimeUnit;
  inputColumn: string;
  outputColumn: string;
}

/**
 * The fleet alone, with `overrides` as its step-time parameters, replaying `trace` (whose tokens
 * win over the workload's distributions) to its end, every request measured.
 */
export function replayScenario(
  base: Scenario,
  fleet: Fleet,
  trace: TraceSource,
): (overrides: EfficiencyOverrides) => Scenario {
  // One fleet: its replicas are picked as the scenario's routing picks them inside a fleet (with
  // its keys, for a one-pool policy that has some).
  const routing: Routing = isOnePool(base.routing) ? base.routing : { policy: replicaPolicyOf(base.routing) };
  const accelerators = fleet.hardware?.accelerators;
  if (!accelerators)
    throw new InvariantError(`fleet ${fleet.name} has roofline step times but no accelerator`);
  // The fleet's own model is the replay's only one: the measured requests name none.
  const { models: _models, ...single } = base;
  const { model: _model, ...served } = fleet;
  const model = fleetModel(base, fleet);
  return (overrides) => ({
    ...single,
    model,
    duration: null,
    warmup: 0,
    maxDrain: Number.POSITIVE_INFINITY,
    workload: { arrivals: { kind: 'trace', trace }, attributes: base.workload.attributes },
    fleets: [
      {
        ...served,
        fallback: null,
        hardware: { ...fleet.hardware, accelerators: { ...accelerators, efficiency: overrides } },
      },
    ],
    routing,
    metrics: { interval: null, flapWindow: DEFAULT_FLAP_WINDOW_S },
  });
}

/** A request as the replay reports it and the measured run lists it: arrival to the microsecond, and tokens. */
function requestKey(arrivalUs: number, input: number, output: number): string {
  return `${arrivalUs}/${input}/${output}`;
}

/** The measured requests' indices by requestKey, for the first `count` (the ones a replay reads). */
export function pairing(measured: MeasuredRun, count: number): Map<string, number[]> {
  const byKey = new Map<string, number[]>();
  for (let i = 0; i < count; i++) {
    const key = requestKey(toUs(measured.arrivalS[i]), measured.inputTokens[i], measured.outputTokens[i]);
    const list = byKey.get(key);
    if (list === undefined) byKey.set(key, [i]);
    else list.push(i);
  }
  return byKey;
}

/**
 * Per-request times of a replay, indexed as the measured run lists its requests. The replay
 * reports requests as they end; each is matched to the measured request with its arrival and
 * tokens (a trace written to the microsecond may round an arrival the other way: the neighbours
 * are tried too). Requests alike in all three are interchangeable.
 */
export function replayTimes(
  scenario: Scenario,
  seed: number,
  byKey: Map<string, number[]>,
  expected: number,
): RequestTimes {
  const times: RequestTimes = {
    ttft: new Float64Array(expected).fill(Number.NaN),
    tpot: new Float64Array(expected).fill(Number.NaN),
    latency: new Float64Array(expected).fill(Number.NaN),
  };
  const taken = new Map<string, number>();
  let seen = 0;
  const indexOf = (r: RequestRecord): number => {
    const us = toUs(r.arrival);
    for (const candidate of [us, us - 1, us + 1]) {
      const key = requestKey(candidate, r.input_tokens ?? 0, r.output_tokens ?? 0);
      const list = byKey.get(key);
      const next = taken.get(key) ?? 0;
      if (list !== undefined && next < list.length) {
        taken.set(key, next + 1);
        return list[next];
      }
    }
    throw new InvariantError(`the replay has a request the measured run lacks (arrival ${r.arrival} s)`);
  };
  simulate(scenario, {
    name: 'calibration',
    seed,
    onRequest: (r) => {
      const i = indexOf(r);
      seen++;
      if (r.outcome !== 'completed' || r.first_token === null || r.finish === null) return;
      times.ttft[i] = r.first_token - r.arrival;
      times.latency[i] = r.finish - r.arrival;
      const output = r.output_tokens ?? 1;
      if (output > 1) times.tpot[i] = (r.finish - r.first_token) / (output - 1);
    },
  });
  if (seen !== expected) {
    throw new InvariantError(`the replay saw ${seen} requests, the measured run has ${expected}`);
  }
  return times;
}

/** The columns of a replay copy: requests.jsonl's, so that the copy is itself a measured run `calibrate` reads. */
const COPY_HEADER = 'arrival,first_token,finish,input_tokens,output_tokens\n';

/** Microseconds, without trailing zeros, never an exponent (as requests.jsonl writes times). */
function seconds(value: number): string {
  if (Number.isNaN(value)) return '';
  return value.toFixed(6).replace(/\.?0+$/, '');
}

/**
 * The trace a replay of `measured` reads: the file itself when it is a table in arrival order,
 * else a CSV copy written to `copyPath` (times in seconds from the first arrival, requests in
 * arrival order).
 */
export function replayTrace(
  measured: MeasuredRun,
  copyPath: string,
): { trace: ReplayTrace; copied: boolean } {
  if (measured.direct !== null) {
    return {
      trace: {
        path: measured.path,
        format: measured.direct.format,
        timeColumn: measured.direct.timeColumn,
        timeUnit: measured.direct.timeUnit,
        inputColumn: measured.direct.inputColumn,
        outputColumn: measured.direct.outputColumn,
      },
      copied: false,
    };
  }
  const fd = openSync(copyPath, 'w');
  try {
    let chunk = COPY_HEADER;
    for (let i = 0; i < measured.count; i++) {
      const arrival = measured.arrivalS[i];
      chunk += `${seconds(arrival)},${seconds(arrival + measured.ttftS[i])},${seconds(arrival + measured.latencyS[i])},${measured.inputTokens[i]},${measured.outputTokens[i]}\n`;
      if (chunk.length > 1 << 16) {
        writeSync(fd, chunk);
        chunk = '';
      }
    }
    writeSync(fd, chunk);
  } finally {
    closeSync(fd);
  }
  return {
    trace: {
      path: copyPath,
      format: 'csv',
      timeColumn: 'arrival',
      timeUnit: 's',
      inputColumn: 'input_tokens',
      outputColumn: 'output_tokens',
    },
    copied: true,
  };
}
