import * as z from 'zod';
import { expected, NonNegativeReplicaCount } from '../../core/schema-values.js';
import { defineAutoscaler } from './definition.js';
import type { AutoscalerManifest, ManifestTarget } from './manifests.js';
import { type Autoscaler, clampReplicas, type ReplicaBounds, secondsToUs } from './types.js';

/**
 * Replica counts by time of week, as AWS scheduled actions and KEDA's cron scaler set them: each
 * entry sets a count from its time on, until the next entry; the table repeats every week.
 *
 * `at` is `[days] HH:MM`: days are `Mon`..`Sun`, a range `Mon-Fri` (it may wrap: `Fri-Mon`), a
 * list `Sat,Sun`, or left out for every day. Simulation time 0 is `start` (`"Mon 00:00"` unless
 * set); there are no time zones or daylight-saving shifts: the simulated week is 7 x 24 h.
 */

export const SCHEDULED_DEFAULTS = { start: 'Mon 00:00' } as const;

const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const MINUTES_PER_DAY = 24 * 60;
const MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY;
const US_PER_MINUTE = 60e6;
/** The table has minute resolution, so asking once a minute misses nothing. */
const EVALUATION_PERIOD_S = 60;

/**
 * Minutes after Monday 00:00 at which `at` fires, ascending. Throws a RangeError whose message
 * reads as a user-facing diagnostic.
 */
export function parseWeeklyTimes(at: string): number[] {
  const match = /^\s*(?:([A-Za-z,-]+)\s+)?(\d{1,2}):(\d{2})\s*$/.exec(at);
  if (!match) throw new RangeError(`"${at}": expected "[days] HH:MM", e.g. "Mon-Fri 08:00"`);
  const hour = Number(match[2]);
  const minute = Number(match[3]);
  if (hour > 23 || minute > 59) throw new RangeError(`"${at}": no such time of day`);
  const days = match[1] === undefined ? [0, 1, 2, 3, 4, 5, 6] : parseDays(match[1], at);
  return days.map((d) => d * MINUTES_PER_DAY + hour * 60 + minute).sort((a, b) => a - b);
}

function parseDays(text: string, at: string): number[] {
  const days = new Set<number>();
  for (const part of text.split(',')) {
    const [from, to, ...rest] = part.split('-').map((name) => dayIndex(name, at));
    if (rest.length > 0) throw new RangeError(`"${at}": "${part}" is not a day or a range of days`);
    if (to === undefined) {
      days.add(from);
      continue;
    }
    for (let d = from; ; d = (d + 1) % 7) {
      days.add(d);
      if (d === to) break;
    }
  }
  return [...days];
}

function dayIndex(name: string, at: string): number {
  const index = DAYS.findIndex((d) => d.toLowerCase() === name.toLowerCase());
  if (index < 0) throw new RangeError(`"${at}": "${name}" is not a day; days are ${DAYS.join(', ')}`);
  return index;
}

const schema = z
  .object({
    policy: z.literal('scheduled').describe('Replica counts by time of day and week.'),
    start: z
      .string(expected('a weekday and time like "Mon 00:00"'))
      .prefault(SCHEDULED_DEFAULTS.start)
      .describe('Weekday and time at simulated time 0.'),
    schedule: z
      .array(
        z
          .object({
            at: z
              .string(expected('a time like "Mon-Fri 08:00"'))
              .describe('`HH:MM`, optionally after days: `Mon-Fri 08:00`, `Sat,Sun 10:00`.'),
            replicas: NonNegativeReplicaCount.describe('Replicas from then on.'),
          })
          .strict(),
        expected('a list of { at, replicas }'),
      )
      .min(1, expected('at least one entry'))
      .describe('Entries of the weekly table; the latest one before now applies.'),
  })
  .strict()
  .check((ctx) => {
    const issue = (message: string, input: string, path: (string | number)[]) =>
      ctx.issues.push({ code: 'custom', message, input, path });
    // The policy reads the table with the same rules: what fails here would fail mid-run.
    try {
      if (parseWeeklyTimes(ctx.value.start).length !== 1) {
        issue(`"${ctx.value.start}": start must name one day`, ctx.value.start, ['start']);
      }
    } catch (error) {
      issue((error as Error).message, ctx.value.start, ['start']);
    }
    const taken = new Set<number>();
    ctx.value.schedule.forEach((entry, i) => {
      try {
        const minutes = parseWeeklyTimes(entry.at);
        if (minutes.some((m) => taken.has(m))) {
          issue(`"${entry.at}": another entry already sets a count at the same time`, entry.at, [
            'schedule',
            i,
            'at',
          ]);
        }
        for (const m of minutes) taken.add(m);
      } catch (error) {
        issue((error as Error).message, entry.at, ['schedule', i, 'at']);
      }
    });
  });

/** A `scheduled` block: `start` is the weekday and time at simulation time 0, e.g. `"Mon 00:00"`. */
export type ScheduledConfig = z.output<typeof schema>;

export function createScheduled(config: ScheduledConfig, bounds: ReplicaBounds): Autoscaler {
  if (config.schedule.length === 0) throw new RangeError('scheduled: the schedule has no entries');
  const startTimes = parseWeeklyTimes(config.start);
  if (startTimes.length !== 1) throw new RangeError(`"${config.start}": start must name one day`);
  const startMinute = startTimes[0];
  const fires: { minute: number; replicas: number }[] = [];
  for (const entry of config.schedule) {
    for (const minute of parseWeeklyTimes(entry.at)) {
      if (fires.some((f) => f.minute === minute)) {
        throw new RangeError(`"${entry.at}": another entry already sets a count at the same time`);
      }
      fires.push({ minute, replicas: entry.replicas });
    }
  }
  fires.sort((a, b) => a.minute - b.minute);

  return {
    scrapeIntervalUs: null,
    evaluationPeriodUs: secondsToUs(EVALUATION_PERIOD_S),
    observe() {},
    desiredReplicas(nowUs) {
      const minuteOfWeek = (startMinute + Math.floor(nowUs / US_PER_MINUTE)) % MINUTES_PER_WEEK;
      // The latest entry at or before now; before the week's first entry, last week's last one.
      let replicas = fires[fires.length - 1].replicas;
      for (const f of fires) {
        if (f.minute > minuteOfWeek) break;
        replicas = f.replicas;
      }
      return clampReplicas(replicas, bounds);
    },
  };
}

/** Minute of the week as cron's minute, hour and day of week fields (cron counts Sunday as 0). */
function cronAt(minuteOfWeek: number): string {
  const day = Math.floor(minuteOfWeek / MINUTES_PER_DAY);
  const minuteOfDay = minuteOfWeek % MINUTES_PER_DAY;
  return `${minuteOfDay % 60} ${Math.floor(minuteOfDay / 60)} * * ${(day + 1) % 7}`;
}

/**
 * A KEDA ScaledObject with one `cron` trigger per stretch of the week the table holds a count
 * above the fleet's minimum: KEDA scales to the largest `desiredReplicas` among the triggers
 * whose window is open, and to `minReplicaCount` outside them, which is what the table does.
 * Each window starts and ends on one weekday, so it opens once a week, as the table's stretches do.
 */
export function kedaCronManifest(config: ScheduledConfig, target: ManifestTarget): AutoscalerManifest {
  const fires = new Map<number, number>();
  for (const entry of config.schedule) {
    for (const minute of parseWeeklyTimes(entry.at)) fires.set(minute, entry.replicas);
  }
  const minutes = [...fires.keys()].sort((a, b) => a - b);
  const bounds = { min: target.minReplicas, max: target.maxReplicas };
  const triggers = minutes.flatMap((minute, i) => {
    const replicas = clampReplicas(fires.get(minute)!, bounds);
    if (replicas <= target.minReplicas) return [];
    // One entry in the whole table holds for the whole week: its window closes a minute before it opens again.
    const end =
      minutes.length === 1
        ? (minute + MINUTES_PER_WEEK - 1) % MINUTES_PER_WEEK
        : minutes[(i + 1) % minutes.length];
    return [
      {
        type: 'cron',
        metadata: {
          timezone: 'Etc/UTC',
          start: cronAt(minute),
          end: cronAt(end),
          desiredReplicas: String(replicas),
        },
      },
    ];
  });
  const notes = [
    "timezone: the table has no time zone (its days and times are those of the simulated week): set each trigger's timezone to the zone the times are meant in",
    'the simulation applies each count within a minute of its time; KEDA reads the triggers every pollingInterval (30 s here) and the HPA it drives acts at its next sync (15 s by default)',
    "behavior lets the HPA move to any count at once, as the simulated table does; without it the HPA's defaults would wait 5 minutes before scaling down and add at most 4 replicas (or double) per 15 s",
  ];
  if (target.minReplicas === 0)
    notes.push(
      'with minReplicaCount 0, KEDA scales to zero only cooldownPeriod (300 s by default) after the last window closes; the table drops at once',
    );
  if (minutes.length === 1)
    notes.push(
      'one count for the whole week: its window closes one minute a week (KEDA refuses a start equal to its end)',
    );
  if (triggers.length === 0)
    return {
      system: 'KEDA ScaledObject (keda.sh/v1alpha1) with cron triggers',
      documents: [],
      notes: [
        `the table never asks for more than the fleet's ${target.minReplicas} minimum replicas: a Deployment of that many does the same, with no autoscaler`,
      ],
    };
  // Copied where used: one object in two places would be written as a YAML anchor and alias.
  const anyCount = { type: 'Pods', value: target.maxReplicas, periodSeconds: 15 };
  return {
    system: 'KEDA ScaledObject (keda.sh/v1alpha1) with cron triggers',
    documents: [
      {
        apiVersion: 'keda.sh/v1alpha1',
        kind: 'ScaledObject',
        metadata: { name: target.name },
        spec: {
          scaleTargetRef: { name: target.name },
          minReplicaCount: target.minReplicas,
          maxReplicaCount: target.maxReplicas,
          pollingInterval: 30,
          advanced: {
            horizontalPodAutoscalerConfig: {
              behavior: {
                scaleUp: { stabilizationWindowSeconds: 0, policies: [{ ...anyCount }] },
                scaleDown: { stabilizationWindowSeconds: 0, policies: [{ ...anyCount }] },
              },
            },
          },
          triggers,
        },
      },
    ],
    notes,
  };
}

export const scheduled = defineAutoscaler({
  name: 'scheduled',
  schema,
  defaults: SCHEDULED_DEFAULTS,
  create: createScheduled,
  manifest: kedaCronManifest,
  example: {
    policy: 'scheduled',
    schedule: [
      { at: 'Mon-Fri 08:00', replicas: 10 },
      { at: 'Mon-Fri 20:00', replicas: 2 },
      { at: 'Sat,Sun 00:00', replicas: 1 },
    ],
  },
  sections: { 'schedule[]': { at: 'Mon-Fri 08:00', replicas: 10 } },
});
