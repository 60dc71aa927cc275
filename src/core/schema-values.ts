import * as z from 'zod';
import { MAX_SECONDS } from './time.js';
import {
  BYTES_PER_SECOND_PER_UNIT,
  DURATION_EXAMPLE,
  type Parsed,
  POWER_EXAMPLE,
  parseBandwidth,
  parseDuration,
  parsePower,
  parseSize,
  SIZE_EXAMPLE,
} from './units.js';

/**
 * The zod building blocks of the scenario schema that its sections and the policies' definitions
 * share: quantities with units, counts with their bounds, and the wording of their errors.
 */

export function expected(what: string): { error: string } {
  return { error: `expected ${what}` };
}

/** `a, b or c`: the alternatives an error lists. */
export function orList(names: readonly string[]): string {
  return names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}

function quantity(parse: (input: unknown) => Parsed, example: string) {
  return z.union([z.number(), z.string()], expected(example)).transform((input, ctx): number => {
    const parsed = parse(input);
    if (parsed.ok) return parsed.value;
    ctx.issues.push({ code: 'custom', message: parsed.message, input, params: { code: 'BAD_UNIT' } });
    return z.NEVER;
  });
}

/**
 * The simulation clock counts whole microseconds in a double, exact up to 2^53 us (about 285
 * years): a longer duration would merge neighbouring times or overflow to Infinity.
 */
export const Duration = quantity(parseDuration, DURATION_EXAMPLE)
  .refine(
    (seconds) => Math.abs(seconds) <= MAX_SECONDS,
    'expected at most 285 years (2^53 us): the simulation clock counts whole microseconds',
  )
  .meta({
    id: 'Duration',
    title: 'Duration',
    description:
      'A length of time: a number of seconds, or a string with a unit: `us` or `µs`, `ms`, `s` or `sec`, ' +
      '`m` or `min` (minutes), `h` or `hr`, `d` or `day`, e.g. `250ms`, `30s`, `5m`, `1.5h`, `1d`; ' +
      'at most 285 years (2^53 µs), the span of the simulation clock.',
  });
export const PositiveDuration = Duration.refine((seconds) => seconds > 0, 'expected a positive duration');

export const Size = quantity(parseSize, SIZE_EXAMPLE).meta({
  id: 'Size',
  title: 'Size',
  description:
    'An amount of data: a number of bytes, or a string with a unit: `B`, decimal `KB` `MB` `GB` `TB` ' +
    '(powers of 1000) or binary `KiB` `MiB` `GiB` `TiB` (powers of 1024), e.g. `4KB`, `2MiB`, `1.5GB`.',
});
export const PositiveSize = Size.refine((bytes) => bytes > 0, 'expected a positive size');

/** Bytes per second: a number, or bits (`20Mbps`) or bytes (`5MB/s`) per second with a decimal unit. */
export const Bandwidth = z
  .union([z.number(), z.string()], expected('a bandwidth like 100Mbps'))
  .transform((input, ctx): number => {
    const parsed = parseBandwidth(input);
    if (parsed.ok) return parsed.value;
    ctx.issues.push({ code: 'custom', message: parsed.message, input });
    return z.NEVER;
  })
  .meta({
    id: 'Bandwidth',
    title: 'Bandwidth',
    description:
      'A data rate: a positive number of bytes per second, or a string with a decimal unit, bits ' +
      `(${[...BYTES_PER_SECOND_PER_UNIT.keys()]
        .filter((u) => u.endsWith('bps'))
        .map((u) => `\`${u}\``)
        .join(' ')}) ` +
      `or bytes (${[...BYTES_PER_SECOND_PER_UNIT.keys()]
        .filter((u) => u.endsWith('/s'))
        .map((u) => `\`${u}\``)
        .join(' ')}) ` +
      'per second, e.g. `100Mbps`, `25GB/s`.',
  });

export const Power = quantity(parsePower, POWER_EXAMPLE).meta({
  id: 'Power',
  title: 'Power',
  description:
    'Electrical power: a number of watts, or a string with a unit: `mW`, `W`, `kW`, `MW`, e.g. `350W`, `1.2kW`.',
});

export const Count = z
  .number(expected('a non-negative number'))
  .nonnegative(expected('a non-negative number'));
export const PositiveCount = z.number(expected('a positive number')).positive(expected('a positive number'));
export const PositiveNumber = PositiveCount;
export const NonNegativeNumber = Count;
/**
 * Upper bounds of counts. The simulator keeps per-replica state in arrays of 32-bit integers, so
 * no count may pass 2^31 - 1; replicas and the slots of one replica are bounded far lower, where
 * a fleet is still simulated in seconds and megabytes rather than failing for lack of memory.
 */
export const MAX_COUNT = 2 ** 31 - 1;
/**
 * The highest price a replica may have, USD per hour: far above any machine sold (a 1,000-GPU
 * pod lists below $100,000), and low enough that a year of a million replicas still sums to a
 * finite dollar figure in every output.
 */
export const MAX_PRICE_USD_PER_HOUR = 1e6;

/** Replicas of one fleet (fixed, autoscaling bounds, schedules). */
export const MAX_REPLICAS = 100_000;
/** Requests one replica serves or batches at once (concurrency, max_batch, max_num_seqs). */
export const MAX_SLOTS = 100_000;
/**
 * LoRA adapters the classes of a workload draw from, together: each is named and weighed when the
 * run starts (ten million took 52 s and 2.1 GB, and a hundred million failed), and serving systems
 * built for many adapters are measured with thousands (S-LoRA, arXiv 2311.03285: 2,000).
 */
export const MAX_ADAPTERS = 100_000;

export function positiveInteger(max: number) {
  return z
    .number(expected('a positive integer'))
    .int(expected('a positive integer'))
    .positive(expected('a positive integer'))
    .max(max, expected(`an integer no larger than ${max}`));
}

function nonNegativeInteger(max: number) {
  return z
    .number(expected('a non-negative integer'))
    .int(expected('a non-negative integer'))
    .nonnegative(expected('a non-negative integer'))
    .max(max, expected(`an integer no larger than ${max}`));
}

export const PositiveInteger = positiveInteger(MAX_COUNT);
export const NonNegativeInteger = nonNegativeInteger(MAX_COUNT);
export const ReplicaCount = positiveInteger(MAX_REPLICAS);
export const AdapterCount = positiveInteger(MAX_ADAPTERS);
export const NonNegativeReplicaCount = nonNegativeInteger(MAX_REPLICAS);
export const SlotCount = positiveInteger(MAX_SLOTS);
