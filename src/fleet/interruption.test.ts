import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createStreams } from '../engine/index.js';
import { UserError } from '../scenario/types.js';
import {
  bucketRatePerHour,
  createInterruptionProcess,
  defaultNoticeS,
  type InterruptionProcess,
  SPOT_ADVISOR_BUCKETS,
} from './index.js';

const HOUR_US = 3600e6;

function perReplica(process: InterruptionProcess) {
  if (process.kind !== 'per-replica') throw new Error('expected a per-replica process');
  return process;
}

describe('spot interruptions', () => {
  it('N replicas at rate r for T hours see a Poisson(N r T) number of notices', () => {
    // Each replica is replaced at its notice, so N replicas are exposed for the whole T hours.
    const cases = [
      { replicas: 50, perHour: 0.05, hours: 1000 }, // mean 2500
      { replicas: 20, perHour: 0.5, hours: 24 }, // mean 240
    ];
    for (const { replicas, perHour, hours } of cases) {
      const process = perReplica(
        createInterruptionProcess({ per_hour: perHour, notice: 120 }, createStreams(42).stream('spot/gpu')),
      );
      let notices = 0;
      for (let r = 0; r < replicas; r++) {
        for (let t = process.nextNoticeUs(0); t < hours * HOUR_US; t = process.nextNoticeUs(t)) notices++;
      }
      const mean = replicas * perHour * hours;
      // Four standard deviations of a Poisson count: a fixed seed either passes or the draws are wrong.
      expect(Math.abs(notices - mean), `${replicas} x ${perHour}/h x ${hours} h`).toBeLessThan(
        4 * Math.sqrt(mean),
      );
    }
  });

  it('each Spot Advisor bucket interrupts a share of month-long replicas inside its label', () => {
    const ranges: Record<string, [number, number]> = {
      '<5%': [0, 0.05],
      '5-10%': [0.05, 0.1],
      '10-15%': [0.1, 0.15],
      '15-20%': [0.15, 0.2],
      '>20%': [0.2, 1],
    };
    const replicas = 20_000;
    for (const bucket of SPOT_ADVISOR_BUCKETS) {
      const process = perReplica(
        createInterruptionProcess({ bucket, notice: 120 }, createStreams(7).stream(bucket)),
      );
      expect(process.ratePerHour).toBe(bucketRatePerHour(bucket));
      let interrupted = 0;
      for (let r = 0; r < replicas; r++) if (process.nextNoticeUs(0) < 730 * HOUR_US) interrupted++;
      const share = interrupted / replicas;
      expect(share, bucket).toBeGreaterThan(ranges[bucket][0]);
      expect(share, bucket).toBeLessThan(ranges[bucket][1]);
    }
  });

  it('never interrupts at rate 0', () => {
    const process = perReplica(
      createInterruptionProcess({ per_hour: 0, notice: 30 }, createStreams(1).stream('s')),
    );
    expect(process.nextNoticeUs(5)).toBe(Number.POSITIVE_INFINITY);
  });

  it('gives notice 2 min ahead on AWS and 30 s on GCP and Azure', () => {
    expect(['aws', 'gcp', 'azure', 'edge'].map(defaultNoticeS)).toEqual([120, 30, 30, null]);
  });

  it('reads reclaim times from a trace and gives notice before each, not before time 0', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetsim-reclaims-'));
    try {
      const path = join(dir, 'reclaims.csv');
      writeFileSync(path, 'time,zone\n400,a\n100,b\n250.5,a\n');
      const process = createInterruptionProcess({ trace: path, notice: 120 }, createStreams(1).stream('s'), [
        'b',
        'a',
      ]);
      if (process.kind !== 'fleet') throw new Error('expected a fleet process');
      expect(Array.from(process.noticeTimesUs)).toEqual([0, 130.5e6, 280e6]);
      expect(Array.from(process.noticeZones)).toEqual([0, 1, 1]);
      expect(process.noticeUs).toBe(120e6);

      writeFileSync(path, 'time\n5\nsoon\n');
      const error = (() => {
        try {
          createInterruptionProcess({ trace: path, notice: 120 }, createStreams(1).stream('s'));
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(UserError);
      expect((error as UserError).diagnostic).toMatchObject({ line: 3, col: 1 });
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});

// The bucket names must be the feed's own labels; the feed exists on the development machine only.
const SPOT_ADVISOR = fileURLToPath(
  new URL('../../../shared/data/pricing/aws_spot_advisor_data_2025-06-28.json', import.meta.url),
);
describe.skipIf(!existsSync(SPOT_ADVISOR))('spot advisor buckets against the AWS feed', () => {
  it('are the labels of the feed, in order', () => {
    const feed = JSON.parse(readFileSync(SPOT_ADVISOR, 'utf8')) as {
      ranges: { index: number; label: string }[];
    };
    const labels = [...feed.ranges].sort((a, b) => a.index - b.index).map((r) => r.label);
    expect(labels).toEqual([...SPOT_ADVISOR_BUCKETS]);
  });
});
