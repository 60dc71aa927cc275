import { describe, expect, it } from 'vitest';
import { type DistributionsFile, renderDistributionsJson } from '../../src/report/index.js';
import { uniformPoints, variantResult } from './fixtures/variants.js';

describe('distributions.json', () => {
  it('gives each variant the share of measured requests its points describe, beside the points', () => {
    const file = JSON.parse(
      renderDistributionsJson('s', 7, [
        variantResult('whole'),
        // 705 of 1000 completed: 100 dropped, 190 timed out, 5 still in flight at the end.
        variantResult('lossy', {
          requests: { arrived: 1000, completed: 705, dropped: 100, timed_out: 190, in_flight_at_end: 5 },
        }),
        variantResult('idle', {
          requests: { arrived: 0, completed: 0, dropped: 0, timed_out: 0, in_flight_at_end: 0 },
          distributions: { latency_s: [], queue_wait_s: [], ttft_s: [], tpot_s: [] },
        }),
      ]),
    ) as DistributionsFile;
    expect(file.variants.map((v) => [v.name, v.completed_share])).toEqual([
      ['whole', 1],
      ['lossy', 0.705],
      ['idle', null],
    ]);
    expect(file.variants[1].latency_s).toEqual(uniformPoints(1));
    expect(file.variants[2].latency_s).toEqual([]);
  });
});
