import { isAbsolute, relative } from 'node:path';
import { type Diagnostic, formatDiagnostic } from '../core/errors.js';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  cwd: string;
  /** Present when stderr is a terminal: progress is then a bar redrawn in place. */
  terminal?: { columns: number };
  /** Milliseconds on a monotonic clock, for progress timing (default `performance.now`). */
  now?: () => number;
}

/** Writes to a stream unless its reader has gone (see `toleratePipeClosed`). */
function writeTo(stream: NodeJS.WriteStream, text: string): void {
  if (!stream.destroyed) stream.write(text);
}

export const processIo: CliIo = {
  stdout: (text) => writeTo(process.stdout, text),
  stderr: (text) => writeTo(process.stderr, text),
  cwd: process.cwd(),
  get terminal() {
    return process.stderr.isTTY ? { columns: process.stderr.columns } : undefined;
  },
};

/**
 * A reader that stops early (`fleetsim schema | head -1`) closes the pipe: the rest of the text
 * has nowhere to go, which is not a failure. The stream is then destroyed, later writes are
 * skipped, and the command finishes its other work (output files) as usual.
 */
export function toleratePipeClosed(stream: NodeJS.WriteStream): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
}

/** Resolves once everything written to `stream` so far has been handed to the system. */
export function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writable) resolve();
    else stream.write('', () => resolve());
  });
}

/** A file relative to the working directory when it lies below it. */
export function shownPath(file: string, cwd: string): string {
  return isAbsolute(file) && !relative(cwd, file).startsWith('..') ? relative(cwd, file) : file;
}

/** A diagnostic with its file shown relative to the working directory when that is shorter. */
export function formatForUser(diagnostic: Diagnostic, cwd: string): string {
  return formatDiagnostic({ ...diagnostic, file: shownPath(diagnostic.file, cwd) });
}

/**
 * Exit codes: 2 for anything the user can fix (scenario, trace, flags), 1 for a bug in fleetsim,
 * 3 when a gate the command line set fails: under `--check` a judged configuration misses its
 * objective, under `diff --fail-on` a threshold trips (the runs themselves succeeded and wrote
 * every output).
 */
export const EXIT_USER_ERROR = 2;
export const EXIT_BUG = 1;
export const EXIT_OBJECTIVE_MISSED = 3;

/** `--check`: one line per failure (a configuration that misses its objective), and the exit code (0 for none). */
export function checkVerdicts(io: CliIo, failures: readonly string[]): number {
  for (const failure of failures) io.stderr(`fleetsim: check failed: ${failure}\n`);
  return failures.length === 0 ? 0 : EXIT_OBJECTIVE_MISSED;
}

/** `one-l40s misses its objective: drop rate 4.1 % > 1.0 %`. */
export function missedObjective(label: string, misses: readonly string[]): string {
  return `${label} misses its objective: ${misses.join('; ')}`;
}

/** A command-line mistake, reported as one line. */
export class UsageError extends Error {
  override name = 'UsageError';
}
