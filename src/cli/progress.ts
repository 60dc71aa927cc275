import { createRequire } from 'node:module';
import type { SingleBar } from 'cli-progress';
import type { Progress } from '../sim/index.js';
import type { CliIo } from './io.js';

/** Runs shorter than this show no progress at all: a bar that flashes by is noise. */
export const PROGRESS_DELAY_MS = 1000;
/** Between two plain lines when stderr is not a terminal (a CI log, a file). */
export const PROGRESS_LINE_INTERVAL_MS = 5000;

/** `42.0 s`, `12m 05s`, `3h 20m`, `2d 04h`: simulated time at a glance. */
export function formatSimulatedTime(seconds: number): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const whole = Math.floor(seconds);
  if (whole < 3600) return `${Math.floor(whole / 60)}m ${pad(whole % 60)}s`;
  if (whole < 86_400) return `${Math.floor(whole / 3600)}h ${pad(Math.floor((whole % 3600) / 60))}m`;
  return `${Math.floor(whole / 86_400)}d ${pad(Math.floor((whole % 86_400) / 3600))}h`;
}

/** `950`, `12.3k`, `4.56M`: event rates span six orders of magnitude between scenarios. */
export function formatRate(perSecond: number): string {
  if (perSecond < 1000) return perSecond.toFixed(0);
  if (perSecond < 1e6) return `${(perSecond / 1000).toPrecision(3)}k`;
  return `${(perSecond / 1e6).toPrecision(3)}M`;
}

/** Wall-clock time left: `7 s`, `3m 10s`. */
function formatEta(seconds: number): string {
  return seconds < 60 ? `${Math.ceil(seconds)} s` : formatSimulatedTime(seconds);
}

export interface ProgressDisplay {
  /**
   * The `onProgress` callback for one `runLoadedScenario` call whose variants are `names`; `labels`
   * are what the display calls them (default: the names).
   */
  forRun(names: readonly string[], labels?: readonly string[]): (progress: Progress) => void;
  /** Ends the display: a bar is cleared, so whatever is printed next starts on a clean line. */
  stop(): void;
}

const SILENT: ProgressDisplay = { forRun: () => () => {}, stop: () => {} };

/**
 * A stream for cli-progress that writes through `io.stderr`. cli-progress redraws with readline's
 * cursor functions, which call `write(data, callback)`.
 */
function terminalStream(io: CliIo, columns: () => number) {
  return {
    isTTY: true,
    get columns() {
      return columns();
    },
    write(text: string, callback?: () => void) {
      io.stderr(text);
      callback?.();
      return true;
    },
  } as unknown as NodeJS.WritableStream;
}

const require = createRequire(import.meta.url);

/**
 * The bar both displays redraw in place on a terminal, its width following the terminal's.
 * cli-progress (and the readline it brings) is loaded for a terminal alone: a run into a log or
 * with --quiet has no bar to draw.
 */
function progressBar(io: CliIo, terminal: NonNullable<CliIo['terminal']>): SingleBar {
  const { SingleBar: Bar } = require('cli-progress') as typeof import('cli-progress');
  return new Bar({
    stream: terminalStream(io, () => io.terminal?.columns ?? terminal.columns),
    format: '{text} [{bar}]',
    barsize: 20,
    clearOnComplete: true,
    linewrap: true,
    fps: 5,
  });
}

/**
 * Progress of `configurations` simulations run one after the other, on stderr: a bar redrawn in
 * place on a terminal, a plain line every few seconds otherwise, nothing for runs that end within
 * about a second or with `quiet`. Simulated time, requests, events/s and the time left; the time
 * left assumes the configurations still to run take as long as those so far. Once a
 * configuration's arrivals are over it drains for as long as its requests take (up to
 * `max_drain`): the line then shows the requests still in flight and the simulated time instead
 * of a share and a time left that nothing could estimate.
 */
export function startProgress(io: CliIo, configurations: number, quiet: boolean): ProgressDisplay {
  if (quiet || configurations === 0) return SILENT;
  const now = io.now ?? (() => performance.now());
  const started = now();
  const terminal = io.terminal;
  const bar = terminal === undefined ? null : progressBar(io, terminal);
  let barStarted = false;
  let lastLineMs = Number.NEGATIVE_INFINITY;
  let offset = 0;
  /** The configuration reported last, its events, and the events of those finished before it. */
  let current = -1;
  let currentEvents = 0;
  let finishedEvents = 0;
  /**
   * A trace without `duration` has no known end until it is read: where an earlier configuration
   * reached the end of its arrivals, later ones (usually the same trace) are taken to end there too.
   */
  let seenHorizonS: number | null = null;

  const report = (index: number, label: string, p: Progress) => {
    if (index !== current) {
      finishedEvents += currentEvents;
      current = index;
    }
    currentEvents = p.events;
    if (p.horizonS === null && p.draining) seenHorizonS ??= p.simulatedS;
    const elapsedMs = now() - started;
    if (elapsedMs < PROGRESS_DELAY_MS) return;
    const horizonS = p.horizonS ?? seenHorizonS;
    const share = horizonS === null ? null : Math.min(1, p.simulatedS / horizonS);
    // Draining has no known end: the bar stands where the configuration's arrivals ended.
    const done = (index + (p.draining ? 1 : (share ?? 0))) / configurations;
    const eventsPerS = ((finishedEvents + currentEvents) / elapsedMs) * 1000;
    const eta = share === null || done <= 0 ? '?' : formatEta(((elapsedMs / done) * (1 - done)) / 1000);
    const simulated =
      horizonS === null
        ? `simulated ${formatSimulatedTime(p.simulatedS)}`
        : `simulated ${formatSimulatedTime(p.simulatedS)} of ${p.horizonS === null ? '~' : ''}${formatSimulatedTime(horizonS)}`;
    const name = `${configurations > 1 ? `[${index + 1}/${configurations}] ` : ''}${label}`;
    const percent = share === null || p.draining ? '' : ` ${Math.floor(done * 100)} %`;
    const details = [
      p.draining
        ? `draining: ${p.inFlight.toLocaleString('en-US')} in flight, simulated t=${formatSimulatedTime(p.simulatedS)}${
            p.drainLimitS === null ? '' : ` (max_drain ends it by ${formatSimulatedTime(p.drainLimitS)})`
          }`
        : simulated,
      `${p.arrived.toLocaleString('en-US')} requests`,
      `${formatRate(eventsPerS)} events/s`,
    ];
    const timeLeft = p.draining ? '' : ` ETA ${eta}`;
    if (bar !== null) {
      // A narrow terminal cuts the line from the right: the figures first, the bar last.
      const text = `${name}${percent}${timeLeft} | ${details.join(' | ')}`;
      const value = Math.round(done * 1000);
      if (!barStarted) {
        bar.start(1000, value, { text });
        barStarted = true;
      } else bar.update(value, { text });
      return;
    }
    if (elapsedMs - lastLineMs < PROGRESS_LINE_INTERVAL_MS) return;
    lastLineMs = elapsedMs;
    io.stderr(
      `fleetsim: ${name}: ${[...(percent === '' ? [] : [percent.trim()]), ...details].join(', ')}${timeLeft === '' ? '' : `,${timeLeft}`}\n`,
    );
  };

  return {
    forRun(names, labels = names) {
      const first = offset;
      offset += names.length;
      return (p) => {
        const i = names.indexOf(p.variant);
        report(first + i, labels[i] ?? p.variant, p);
      };
    },
    stop() {
      if (barStarted) bar?.stop();
      barStarted = false;
    },
  };
}

/** Where a sweep or plan stands: configurations finished, of how many, and how long they took. */
export interface StudyProgressState {
  done: number;
  /** A plan's is the most it may still need (its searches stop early): `bounded`. */
  total: number;
  /** Of `done`, those simulated now: configurations found saved by an earlier run take no time. */
  computed: number;
  bounded: boolean;
  elapsedMs: number;
  /** Since the first configuration started: loading the scenario and its points is no configuration's time. */
  runningMs: number;
}

/**
 * The time left: the configurations still to run times the wall-clock time per configuration
 * simulated so far. That time is measured over the whole study, so with several workers it is
 * already the time of one configuration divided by the workers busy at once (and a plan whose
 * searches run one after another keeps fewer of them busy); null before one has finished.
 */
export function studyEta(state: StudyProgressState): number | null {
  const remaining = Math.max(0, state.total - state.done);
  if (remaining === 0) return 0;
  if (state.computed === 0) return null;
  return (remaining * state.runningMs) / state.computed / 1000;
}

/**
 * `sweep 7/12 configurations (58 %)`, `ETA 3 s`, `elapsed 3.1 s`, `0.4 s per configuration`; a
 * plan's total and time left are at most.
 */
export function studyProgressParts(label: string, state: StudyProgressState): string[] {
  const total = Math.max(state.done, state.total);
  const share = total === 0 ? 1 : state.done / total;
  const eta = studyEta(state);
  const most = state.bounded ? ' at most' : '';
  // The time left right after the count: a narrow terminal cuts the line from the right.
  return [
    `${label} ${state.done}${state.bounded ? ' of at most ' : '/'}${total} configurations (${Math.floor(share * 100)} %)`,
    `ETA${most} ${eta === null ? '?' : formatEta(eta)}`,
    `elapsed ${formatSimulatedTime(state.elapsedMs / 1000)}`,
    ...(state.computed === 0
      ? []
      : [`${formatSimulatedTime(state.runningMs / state.computed / 1000)} per configuration`]),
  ];
}

export interface StudyProgressDisplay {
  /** The study's `onProgress`: `done` configurations of `total`, `computed` of them simulated now. */
  update(done: number, total: number, computed: number): void;
  /** Ends the display: a bar is cleared, so whatever is printed next starts on a clean line. */
  stop(): void;
}

/**
 * Progress of a sweep or plan on stderr: on a terminal a bar redrawn in place (its elapsed time
 * kept current between configurations), otherwise a plain line every few seconds; nothing for a
 * study that ends within about a second or with `quiet`. `bounded`: the total is the most a plan
 * may still run.
 */
export function startStudyProgress(
  io: CliIo,
  label: string,
  options: { quiet: boolean; bounded: boolean },
): StudyProgressDisplay {
  if (options.quiet) return { update: () => {}, stop: () => {} };
  const now = io.now ?? (() => performance.now());
  const started = now();
  const terminal = io.terminal;
  const bar = terminal === undefined ? null : progressBar(io, terminal);
  let barStarted = false;
  let lastLineMs = Number.NEGATIVE_INFINITY;
  let latest = { done: 0, total: 0, computed: 0 };
  let timer: ReturnType<typeof setInterval> | undefined;

  /** When the study reported first: with nothing done, the moment its configurations started. */
  let running: number | null = null;
  const draw = () => {
    const at = now();
    const elapsedMs = at - started;
    if (running === null || elapsedMs < PROGRESS_DELAY_MS) return;
    const state = { ...latest, bounded: options.bounded, elapsedMs, runningMs: at - running };
    const parts = studyProgressParts(label, state);
    if (bar !== null) {
      const total = Math.max(latest.done, latest.total);
      const value = total === 0 ? 1000 : Math.round((latest.done / total) * 1000);
      const text = parts.join(' | ');
      if (!barStarted) {
        bar.start(1000, value, { text });
        barStarted = true;
      } else bar.update(value, { text });
      return;
    }
    if (elapsedMs - lastLineMs < PROGRESS_LINE_INTERVAL_MS) return;
    lastLineMs = elapsedMs;
    io.stderr(`fleetsim: ${parts.join(', ')}\n`);
  };

  if (bar !== null) {
    // Configurations may take minutes each: the elapsed time and the bar keep moving in between.
    timer = setInterval(draw, 1000);
    timer.unref();
  }
  return {
    update(done, total, computed) {
      latest = { done, total, computed };
      running ??= done === 0 ? now() : started;
      draw();
    },
    stop() {
      if (timer !== undefined) clearInterval(timer);
      if (barStarted) bar?.stop();
      barStarted = false;
    },
  };
}
