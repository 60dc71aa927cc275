import { BYTES_PER_SECOND_PER_UNIT, BYTES_PER_UNIT, secondsPerUnit } from '../core/units.js';

// Scenario values are written back as scenario text with these (messages, docs, sim/simulation.ts).
export { formatDuration, formatSize } from '../core/format.js';

/**
 * Scenario quantities written with units: durations become seconds, sizes bytes. A plain number
 * is already in the base unit. Errors are messages for a Diagnostic, never throws. The units are
 * those of src/core/units.ts, shared with the expression language.
 */

export type Parsed = { ok: true; value: number } | { ok: false; message: string };

const QUANTITY = /^\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*([a-zA-Z\u00b5\u03bc]*)\s*$/;

export const DURATION_EXAMPLE = 'a duration like 250ms, 30s, 5m, 2h, 1d';
export const SIZE_EXAMPLE = 'a size like 512B, 4KB, 2MiB, 1.5GB';

function show(input: unknown): string {
  return typeof input === 'string' ? JSON.stringify(input) : String(input);
}

function parseQuantity(
  input: unknown,
  scaleOf: (unit: string) => number | undefined,
  example: string,
): Parsed {
  const fail: Parsed = { ok: false, message: `expected ${example}; got ${show(input)}` };
  let value: number;
  if (typeof input === 'number') {
    value = input;
  } else if (typeof input === 'string') {
    const match = QUANTITY.exec(input);
    if (!match) return fail;
    const scale = match[2] === '' ? 1 : scaleOf(match[2]);
    if (scale === undefined) return fail;
    // Dividing by 1000 rather than multiplying by 0.001 keeps `100us` exactly 1e-4.
    value = scale < 1 ? Number(match[1]) / Math.round(1 / scale) : Number(match[1]) * scale;
  } else {
    return fail;
  }
  if (!Number.isFinite(value) || value < 0) {
    return { ok: false, message: `expected a non-negative finite ${example.slice(2)}; got ${show(input)}` };
  }
  return { ok: true, value };
}

/** `"250ms"` -> 0.25; a number is seconds. */
export function parseDuration(input: unknown): Parsed {
  return parseQuantity(input, secondsPerUnit, DURATION_EXAMPLE);
}

/** `"2MiB"` -> 2097152; a number is bytes. */
export function parseSize(input: unknown): Parsed {
  return parseQuantity(input, (unit) => BYTES_PER_UNIT.get(unit.toLowerCase()), SIZE_EXAMPLE);
}

const BANDWIDTH = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z/]+)\s*$/;

/** Bytes per second: a positive number, or bits (`20Mbps`) or bytes (`5MB/s`) per second with a decimal unit. */
export function parseBandwidth(input: unknown): Parsed {
  if (typeof input === 'number' && input > 0) return { ok: true, value: input };
  const match = typeof input === 'string' ? BANDWIDTH.exec(input) : null;
  const factor = match ? BYTES_PER_SECOND_PER_UNIT.get(match[2]) : undefined;
  if (match && factor !== undefined && Number(match[1]) > 0)
    return { ok: true, value: Number(match[1]) * factor };
  const units = [...BYTES_PER_SECOND_PER_UNIT.keys()].join(', ');
  return {
    ok: false,
    message: `expected a positive bandwidth like 100Mbps or 5MB/s (units ${units}); got ${JSON.stringify(input)}`,
  };
}
