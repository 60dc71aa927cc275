import { US_PER_S } from '../core/time.js';
import { sampleExponential, type Uniform } from '../engine/index.js';
import { readCsvRecords } from '../scenario/csv-records.js';
import { UserError } from '../scenario/types.js';
import { excerpt } from '../util/excerpt.js';

/**
 * Spot reclaims. A reclaim starts with a notice (the replica stops taking work and drains) and
 * the replica is gone `notice` seconds later. Notices come per replica as a Poisson process (a
 * rate, or a rate read off an AWS Spot Advisor bucket), for the fleet at the times of a trace, or
 * in waves that take a whole availability zone at once: spot capacity is reclaimed by capacity
 * pool (an instance type in one zone), so replicas in one pool tend to go together.
 */

/** AWS Spot Instance Advisor "frequency of interruption" buckets, as labelled in its data feed. */
export const SPOT_ADVISOR_BUCKETS = ['<5%', '5-10%', '10-15%', '15-20%', '>20%'] as const;
export type SpotAdvisorBucket = (typeof SPOT_ADVISOR_BUCKETS)[number];

/** A fleet's `interruption:` block, with `notice` in seconds (defaulted by provider) and trace paths absolute. */
export type InterruptionConfig =
  | { per_hour: number; notice: number }
  | { bucket: SpotAdvisorBucket; notice: number }
  | { trace: string; notice: number }
  | { waves: { per_hour: number; share: number }; notice: number };

/**
 * The share of replicas interrupted in a month that each bucket stands for: the bucket's middle.
 * AWS publishes only the bucket; ">20%" is open-ended, so we take it as wide as the others
 * (20-30 %). Its true value may be higher: set `per_hour` to test the sensitivity.
 */
const BUCKET_MONTHLY_SHARE: Readonly<Record<SpotAdvisorBucket, number>> = {
  '<5%': 0.025,
  '5-10%': 0.075,
  '10-15%': 0.125,
  '15-20%': 0.175,
  '>20%': 0.25,
};

/** AWS and GCP price a month as 730 hours. */
const HOURS_PER_MONTH = 730;

/**
 * The Poisson rate per replica-hour under which a replica running for a whole month is interrupted
 * with the bucket's probability p: 1 - exp(-rate * 730 h) = p. (p / 730 is within 1.5 % of it for
 * these buckets; the exact inversion keeps the stated share exact.)
 */
export function bucketRatePerHour(bucket: SpotAdvisorBucket): number {
  return -Math.log(1 - BUCKET_MONTHLY_SHARE[bucket]) / HOURS_PER_MONTH;
}

/**
 * Seconds of warning before a reclaim: AWS's two-minute interruption notice, GCP's 30 s
 * preemption notice for Spot VMs, Azure's 30 s eviction notice (Scheduled Events). Null for a
 * provider without spot capacity (owned edge hardware): the scenario has to give `notice`.
 */
export function defaultNoticeS(provider: string): number | null {
  switch (provider) {
    case 'aws':
      return 120;
    case 'gcp':
    case 'azure':
      return 30;
    default:
      return null;
  }
}

export type InterruptionProcess =
  | {
      kind: 'per-replica';
      noticeUs: number;
      ratePerHour: number;
      /**
       * When the next notice reaches a replica that is alive at `fromUs` (Infinity at rate 0).
       * Draw once at launch; the exponential gap is memoryless, so no redraw is ever needed.
       */
      nextNoticeUs(fromUs: number): number;
    }
  | {
      kind: 'fleet';
      noticeUs: number;
      /** Ascending notice times: each takes one replica of the fleet (the simulator picks which) ... */
      noticeTimesUs: Float64Array;
      /** ... or, where this holds a zone's index in the fleet's `zones` (not -1), every replica in that zone. */
      noticeZones: Int32Array;
    }
  | {
      kind: 'waves';
      noticeUs: number;
      /** The chance that a wave takes each replica of its zone. */
      share: number;
      /** When the next wave after `fromUs` reaches zone `zone` (Infinity at rate 0). */
      nextWaveUs(zone: number, fromUs: number): number;
      /** Whether a wave takes one replica: a draw on the fleet's own stream. */
      takes(): boolean;
    };

const US_PER_HOUR = 3600e6;

/**
 * `uniform` is the fleet's own stream (`spot/<fleet>`), so reclaims shift no other draw. Waves
 * come on `waveStreams`, one per zone, named after the zone's capacity pool: fleets of one
 * instance type in one zone draw the same wave times, and a wave takes replicas of each of them.
 */
export function createInterruptionProcess(
  config: InterruptionConfig,
  uniform: Uniform,
  zones: readonly string[] = [],
  waveStreams: readonly Uniform[] = [],
): InterruptionProcess {
  const noticeUs = Math.round(config.notice * US_PER_S);
  if ('trace' in config) {
    const rows = readReclaimTrace(config.trace, zones);
    return {
      kind: 'fleet',
      noticeUs,
      noticeTimesUs: Float64Array.from(rows, (row) =>
        Math.max(0, Math.round(row.time * US_PER_S) - noticeUs),
      ),
      noticeZones: Int32Array.from(rows, (row) => row.zone),
    };
  }
  if ('waves' in config) {
    const { per_hour: perHour, share } = config.waves;
    const meanGapUs = US_PER_HOUR / perHour;
    return {
      kind: 'waves',
      noticeUs,
      share,
      nextWaveUs: (zone, fromUs) =>
        perHour === 0
          ? Number.POSITIVE_INFINITY
          : fromUs + Math.max(1, Math.round(sampleExponential(waveStreams[zone], meanGapUs))),
      takes: () => share >= 1 || uniform() < share,
    };
  }
  const ratePerHour = 'bucket' in config ? bucketRatePerHour(config.bucket) : config.per_hour;
  const meanGapUs = US_PER_HOUR / ratePerHour;
  return {
    kind: 'per-replica',
    noticeUs,
    ratePerHour,
    nextNoticeUs: (fromUs) =>
      ratePerHour === 0
        ? Number.POSITIVE_INFINITY
        : fromUs + Math.round(sampleExponential(uniform, meanGapUs)),
  };
}

/**
 * Reclaim times in seconds from the start of the simulation, ascending: a CSV file with a `time`
 * column, one reclaimed replica per row (a reclaim's notice comes `notice` seconds earlier), or,
 * with a `zone` column naming one of the fleet's `zones`, every replica in that zone (-1: none named).
 */
export function readReclaimTrace(
  path: string,
  zones: readonly string[] = [],
): { time: number; zone: number }[] {
  const rows: Record<string, string>[] = readCsvRecords(path);
  const zoned = rows.length > 0 && 'zone' in rows[0];
  const zoneCol = zoned ? Object.keys(rows[0]).indexOf('zone') + 1 : 1;
  if (zoned && zones.length === 0) {
    throw new UserError({
      code: 'BAD_TRACE_ROW',
      file: path,
      line: 1,
      col: zoneCol,
      message: 'a "zone" column names zones of the fleet, which has no `zones:`',
    });
  }
  if (rows.length > 0 && !('time' in rows[0])) {
    throw new UserError({
      code: 'BAD_TRACE_ROW',
      file: path,
      line: 1,
      col: 1,
      message: `no column "time"; columns: ${Object.keys(rows[0]).join(', ')}`,
    });
  }
  const col = rows.length > 0 ? Object.keys(rows[0]).indexOf('time') + 1 : 1;
  const times = rows.map((row, i) => {
    const time = Number(row.time);
    if (row.time.trim() === '' || !Number.isFinite(time) || time < 0) {
      throw new UserError({
        code: 'BAD_TRACE_ROW',
        file: path,
        line: i + 2,
        col,
        message: `column "time": expected seconds >= 0, got ${excerpt(String(row.time))}`,
      });
    }
    const name = zoned ? String(row.zone).trim() : '';
    const zone = name === '' ? -1 : zones.indexOf(name);
    if (zone < 0 && name !== '') {
      throw new UserError({
        code: 'BAD_TRACE_ROW',
        file: path,
        line: i + 2,
        col: zoneCol,
        message: `column "zone": ${excerpt(name)} is not one of the fleet's zones (${zones.join(', ')})`,
      });
    }
    return { time, zone };
  });
  return times.sort((a, b) => a.time - b.time);
}
