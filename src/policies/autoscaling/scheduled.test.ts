import { describe, expect, it } from 'vitest';
import { createAutoscaler, parseWeeklyTimes } from './index.js';

const MIN = 60e6;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const none = { ready: 0, provisioning: 0, draining: 0 };

describe('scheduled', () => {
  const schedule = [
    { at: 'Mon-Fri 08:00', replicas: 10 },
    { at: 'Mon-Fri 20:00', replicas: 2 },
    { at: 'Sat,Sun 10:00', replicas: 4 },
  ];

  it('reads no metrics and decides once a minute, the resolution of its table', () => {
    const policy = createAutoscaler(
      { policy: 'scheduled', start: 'Mon 00:00', schedule },
      { min: 1, max: 10 },
    );
    expect([policy.scrapeIntervalUs, policy.evaluationPeriodUs]).toEqual([null, MIN]);
  });

  it('holds the count of the latest entry, wrapping around the week', () => {
    const policy = createAutoscaler(
      { policy: 'scheduled', start: 'Mon 00:00', schedule },
      { min: 0, max: 50 },
    );
    const at = (us: number) => policy.desiredReplicas(us, none);
    expect(at(0)).toBe(4); // Monday 00:00: Sunday 10:00 was the last entry
    expect(at(8 * HOUR - MIN)).toBe(4);
    expect(at(8 * HOUR)).toBe(10);
    expect(at(20 * HOUR - 1)).toBe(10);
    expect(at(4 * DAY + 20 * HOUR)).toBe(2); // Friday 20:00
    expect(at(5 * DAY + 10 * HOUR - MIN)).toBe(2); // Saturday 09:59
    expect(at(5 * DAY + 10 * HOUR)).toBe(4);
    expect(at(7 * DAY + 8 * HOUR)).toBe(10); // next Monday
  });

  it('counts simulation time from start and clamps to the bounds', () => {
    const policy = createAutoscaler(
      { policy: 'scheduled', start: 'sat 09:00', schedule },
      { min: 3, max: 8 },
    );
    expect(policy.desiredReplicas(0, none)).toBe(3); // Friday 20:00's 2, raised to min
    expect(policy.desiredReplicas(HOUR, none)).toBe(4);
    expect(policy.desiredReplicas(2 * DAY - 1 * HOUR, none)).toBe(8); // Monday 08:00's 10, capped
    expect(policy.scrapeIntervalUs).toBeNull();
  });

  it('parses days, ranges that wrap, lists and every-day times', () => {
    const minute = (day: number, h: number, m: number) => day * 1440 + h * 60 + m;
    expect(parseWeeklyTimes('Fri-Mon 12:30')).toEqual([0, 4, 5, 6].map((d) => minute(d, 12, 30)));
    expect(parseWeeklyTimes('Tue,Thu 7:05')).toEqual([minute(1, 7, 5), minute(3, 7, 5)]);
    expect(parseWeeklyTimes('23:59')).toEqual([0, 1, 2, 3, 4, 5, 6].map((d) => minute(d, 23, 59)));
    expect(() => parseWeeklyTimes('Mon-Fry 08:00')).toThrow(/"Fry" is not a day/);
    expect(() => parseWeeklyTimes('Mon 24:00')).toThrow(/no such time/);
    expect(() => parseWeeklyTimes('Mon 8')).toThrow(/expected "\[days\] HH:MM"/);
  });

  it('rejects two entries at the same time', () => {
    const clash = [
      { at: 'Mon-Fri 08:00', replicas: 10 },
      { at: 'Wed 08:00', replicas: 3 },
    ];
    expect(() =>
      createAutoscaler({ policy: 'scheduled', start: 'Mon 00:00', schedule: clash }, { min: 0, max: 9 }),
    ).toThrow(/same time/);
  });
});
