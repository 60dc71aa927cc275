import { describe, expect, it } from 'vitest';
import { InvariantError } from '../scenario/types.js';
import { buildRttMatrix, messageBytes, networkTime, type RttMatrix } from './network.js';

function built(result: ReturnType<typeof buildRttMatrix>): RttMatrix {
  if (!result.ok) throw new Error(result.errors.map((e) => e.message).join('\n'));
  return result.value;
}

describe('buildRttMatrix', () => {
  it('fills the reverse of a pair given one way', () => {
    const matrix = built(buildRttMatrix({ 'us-east-1': { 'edge-nyc': 0.012 } }, [['edge-nyc', 'us-east-1']]));
    expect(matrix.rttS('edge-nyc', 'us-east-1')).toBe(0.012);
    expect(matrix.rttS('us-east-1', 'edge-nyc')).toBe(0.012);
  });

  it('keeps both directions where both are given', () => {
    const matrix = built(buildRttMatrix({ a: { b: 0.07 }, b: { a: 0.072 } }, [['a', 'b']]));
    expect(matrix.rttS('a', 'b')).toBe(0.07);
    expect(matrix.rttS('b', 'a')).toBe(0.072);
  });

  it('gives a place to itself 1 ms unless the scenario sets it', () => {
    expect(built(buildRttMatrix({}, [['us-east-1', 'us-east-1']])).rttS('us-east-1', 'us-east-1')).toBe(
      0.001,
    );
    expect(built(buildRttMatrix({}, [['a', 'a']], 0.0002)).rttS('a', 'a')).toBe(0.0002);
    expect(built(buildRttMatrix({ a: { a: 0.0005 } }, [['a', 'a']])).rttS('a', 'a')).toBe(0.0005);
  });

  it('reports every missing pair once, with a near name from the matrix but not another site', () => {
    const result = buildRttMatrix({ 'us-eats-1': { 'edge-nyc': 0.012 } }, [
      ['edge-nyc', 'us-east-1'],
      ['us-east-1', 'edge-nyc'],
      ['edge-sfo', 'us-east-1'],
    ]);
    expect(result).toEqual({
      ok: false,
      errors: [
        {
          path: [],
          message:
            'no RTT between "edge-nyc" and "us-east-1": add network.rtt.edge-nyc.us-east-1 (one direction is enough); ' +
            'network.rtt names "us-eats-1", close to "us-east-1"',
        },
        {
          path: [],
          message:
            'no RTT between "edge-sfo" and "us-east-1": add network.rtt.edge-sfo.us-east-1 (one direction is enough); ' +
            'network.rtt names "us-eats-1", close to "us-east-1"',
        },
      ],
    });
  });

  it('does not offer a place that differs in a number as a typo', () => {
    const result = buildRttMatrix({ 'us-west-2': { 'edge-4': 0.07 } }, [['edge-3', 'us-east-1']]);
    expect(result).toEqual({
      ok: false,
      errors: [
        {
          path: [],
          message:
            'no RTT between "edge-3" and "us-east-1": add network.rtt.edge-3.us-east-1 (one direction is enough)',
        },
      ],
    });
  });

  it('rejects negative and non-finite RTTs at their path', () => {
    const result = buildRttMatrix({ a: { b: -0.01, c: Number.NaN } }, []);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => e.path)).toEqual([
      ['a', 'b'],
      ['a', 'c'],
    ]);
  });

  it('throws for a pair that was never checked', () => {
    const matrix = built(buildRttMatrix({ a: { b: 0.01 } }, [['a', 'b']]));
    expect(() => matrix.rttS('a', 'z')).toThrow(InvariantError);
  });
});

describe('networkTime', () => {
  // 40 ms RTT, 10 Mbit/s up (1.25e6 B/s), 100 Mbit/s down (12.5e6 B/s).
  const path = { rttS: 0.04, uplinkBytesPerS: 1.25e6, downlinkBytesPerS: 12.5e6 };

  it('adds half the RTT and the bytes over the bandwidth each way', () => {
    const time = networkTime(path, 4000, 2500);
    expect(time.toServerS).toBeCloseTo(0.02 + 0.0032, 12);
    expect(time.fromServerS).toBeCloseTo(0.02 + 0.0002, 12);
  });

  it('is one RTT in all when bandwidth is unlimited', () => {
    const time = networkTime(
      { rttS: 0.04, uplinkBytesPerS: Infinity, downlinkBytesPerS: Infinity },
      1e9,
      1e9,
    );
    expect(time.toServerS + time.fromServerS).toBe(0.04);
  });

  it('refuses unknown message sizes, which the simulator must fill in first', () => {
    expect(() => networkTime(path, Number.NaN, 10)).toThrow(InvariantError);
  });
});

describe('messageBytes', () => {
  it('takes 4 bytes per token by default, plus the envelope when given', () => {
    expect(messageBytes(1000)).toBe(4000);
    expect(messageBytes(1000, { bytesPerToken: 4, envelopeBytes: 350 })).toBe(4350);
    expect(messageBytes(0, { bytesPerToken: 4, envelopeBytes: 350 })).toBe(350);
  });
});
