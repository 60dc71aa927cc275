import { describe, expect, it } from 'vitest';
import { formatDuration, formatSize } from './format.js';
import { parseBandwidth, parseDuration, parsePower, parseSize } from './units.js';

describe('parseDuration', () => {
  it.each([
    [30, 30],
    ['250ms', 0.25],
    ['30s', 30],
    ['5m', 300],
    ['5min', 300],
    ['2h', 7200],
    ['1.5h', 5400],
    ['1d', 86_400],
    ['100us', 1e-4],
    ['45', 45],
    [' 2 h ', 7200],
  ])('%j is %d seconds', (input, seconds) => {
    expect(parseDuration(input)).toEqual({ ok: true, value: seconds });
  });

  it.each([
    ['5 parsecs', 'expected a duration like 250ms, 30s, 5m, 2h, 1d; got "5 parsecs"'],
    ['2M', 'expected a duration like 250ms, 30s, 5m, 2h, 1d; got "2M"'],
    [true, 'expected a duration like 250ms, 30s, 5m, 2h, 1d; got true'],
    ['-5s', 'expected a non-negative finite duration like 250ms, 30s, 5m, 2h, 1d; got "-5s"'],
  ])('rejects %j', (input, message) => {
    expect(parseDuration(input)).toEqual({ ok: false, message });
  });
});

describe('parseSize', () => {
  it.each([
    [512, 512],
    ['512B', 512],
    ['4KB', 4000],
    ['4kb', 4000],
    ['1.5GB', 1.5e9],
    ['3TB', 3e12],
    ['2MiB', 2 * 1024 ** 2],
    ['1KiB', 1024],
    ['1GiB', 1024 ** 3],
    ['1TiB', 1024 ** 4],
  ])('%j is %d bytes', (input, bytes) => {
    expect(parseSize(input)).toEqual({ ok: true, value: bytes });
  });

  it('names the accepted forms when the unit is unknown', () => {
    expect(parseSize('4 KBB')).toEqual({
      ok: false,
      message: 'expected a size like 512B, 4KB, 2MiB, 1.5GB; got "4 KBB"',
    });
  });
});

describe('parseBandwidth', () => {
  it.each([
    [1000, 1000],
    ['8bps', 1],
    ['20Mbps', 2.5e6],
    ['1Gbps', 1.25e8],
    ['8 kbps', 1000],
    ['5MB/s', 5e6],
    ['2 GB/s', 2e9],
    ['512B/s', 512],
    ['3KB/s', 3000],
  ])('%j is %d bytes per second', (input, bytesPerSecond) => {
    expect(parseBandwidth(input)).toEqual({ ok: true, value: bytesPerSecond });
  });

  it.each([0, -5, '0Mbps', '20mbps', '5MiB/s', '-1Gbps', '1e3Mbps', true])('rejects %j', (input) => {
    expect(parseBandwidth(input)).toEqual({
      ok: false,
      message: `expected a positive bandwidth like 100Mbps or 5MB/s (units bps, kbps, Mbps, Gbps, B/s, KB/s, MB/s, GB/s); got ${JSON.stringify(input)}`,
    });
  });
});

describe('format then parse round-trips', () => {
  it.each([0, 1e-5, 0.25, 1, 59, 90, 3600, 5400, 86_400, 1.5 * 86_400])('duration %d', (seconds) => {
    const parsed = parseDuration(formatDuration(seconds));
    expect(parsed.ok && parsed.value).toBeCloseTo(seconds, 12);
  });

  it.each([0, 1, 999, 1500, 4000, 2.5e6, 1.5e9, 7e12])('size %d', (bytes) => {
    expect(parseSize(formatSize(bytes))).toEqual({ ok: true, value: bytes });
  });

  it('picks the largest unit that keeps the number at least 1', () => {
    expect([formatDuration(90), formatDuration(0.25), formatDuration(7200)]).toEqual(['1.5m', '250ms', '2h']);
    expect([formatSize(1500), formatSize(999)]).toEqual(['1.5KB', '999B']);
  });
});

describe('parsePower', () => {
  it.each([
    [350, 350],
    ['350W', 350],
    ['1.2kW', 1200],
    ['500mW', 0.5],
    ['2MW', 2e6],
  ])('%j is %d watts', (input, watts) => {
    expect(parsePower(input)).toEqual({ ok: true, value: watts });
  });

  it.each([
    ['350 watts', 'expected a power like 350W, 1.2kW; got "350 watts"'],
    ['1.2kw', 'expected a power like 350W, 1.2kW; got "1.2kw"'],
    ['-5W', 'expected a non-negative finite power like 350W, 1.2kW; got "-5W"'],
  ])('rejects %j', (input, message) => {
    expect(parsePower(input)).toEqual({ ok: false, message });
  });
});
