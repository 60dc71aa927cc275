import { createHash } from 'node:crypto';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  readdirSync,
  type Stats,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { ConfineDataPaths } from '../scenario/index.js';
import { UsageError } from './io.js';

/**
 * A numeric flag's text as typed. yargs' `number` type would turn `--workers two` into NaN and
 * round a 20-digit seed before any check could see it, so numeric flags are declared without a
 * type (the parser keeps their text: `parse-numbers` is off) and checked by `coerce`, which hands
 * the command a number and quotes a mistake as typed.
 */
function textOf(flag: string, value: unknown): string {
  if (Array.isArray(value)) throw new UsageError(`${flag}: given more than once`);
  return String(value);
}

/** A flag that counts something (`--replications`, `--workers`, `--points`): a positive integer. */
export function parsePositiveInteger(flag: string, value: unknown): number {
  const text = textOf(flag, value);
  const number = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(number) || number < 1) {
    throw new UsageError(`${flag}: expected a positive integer, got "${text}"`);
  }
  return number;
}

/**
 * `--seed` of `run` and `compare`: an integer, negative ones included. The number seeds the
 * streams (`007` seeds as `7`), so every spelling of one integer gives the same results.
 */
export function parseSeed(value: unknown): number {
  const text = textOf('--seed', value);
  const seed = Number(text);
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(seed)) {
    throw new UsageError(`--seed: expected an integer, got "${text}"`);
  }
  return seed;
}

/** `--seed` of `sweep` and `plan`: their sampling seeds, like the scenario's `seed:`, are non-negative. */
export function parseNonNegativeSeed(value: unknown): number {
  const text = textOf('--seed', value);
  const seed = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(seed)) {
    throw new UsageError(`--seed: expected a non-negative integer, got "${text}"`);
  }
  return seed;
}

/** `--max-price`: USD per hour, zero or more. */
export function parsePrice(value: unknown): number {
  const text = textOf('--max-price', value);
  const price = Number(text);
  if (text.trim() === '' || !Number.isFinite(price) || price < 0) {
    throw new UsageError(`--max-price: expected a price in USD per hour, got "${text}"`);
  }
  return price;
}

/** `--risk-tolerance`: a share of replications, from 0 up to (not including) 1. */
export function parseShare(flag: string, value: unknown): number {
  const text = textOf(flag, value);
  const share = Number(text);
  if (text.trim() === '' || !Number.isFinite(share) || share < 0 || share >= 1) {
    throw new UsageError(`${flag}: expected a share from 0 to below 1 (0.05 for 5 %), got "${text}"`);
  }
  return share;
}

/**
 * More worker threads than this cannot help on any machine fleetsim runs on, and each takes tens of
 * megabytes: a thousand of them exhaust V8's memory and abort the process.
 */
export const MAX_WORKERS = 64;

/** `--workers N`: a positive integer up to `MAX_WORKERS`. */
export function parseWorkers(value: unknown): number {
  const workers = parsePositiveInteger('--workers', value);
  if (workers > MAX_WORKERS) {
    throw new UsageError(`--workers: at most ${MAX_WORKERS} worker threads, got ${workers}`);
  }
  return workers;
}

/**
 * A numeric flag for yargs: `parse` checks its text (throwing a UsageError) and the command
 * receives the number. The help shows `[number]` where yargs prints the type of typed flags.
 */
export function numericOption(describe: string, parse: (value: unknown) => number) {
  return { describe: `${describe} [number]`, requiresArg: true, coerce: parse } as const;
}

/** `--confine` and `--data-root DIR`, on every command that loads a scenario. */
export interface ConfineArgs {
  confine?: boolean;
  dataRoot?: string;
}

/**
 * The loader's `confineDataPaths` from `--confine` (each scenario's own folder) and `--data-root
 * DIR` (DIR, relative to `cwd`), checked before any work starts.
 */
export function confineDataPaths(cwd: string, args: ConfineArgs): ConfineDataPaths {
  if (args.dataRoot === undefined) return args.confine === true;
  if (args.dataRoot === '') throw new UsageError('--data-root: expected a folder');
  const folder = resolve(cwd, args.dataRoot);
  const entry = statOrNothing(folder);
  if (entry === undefined) throw new UsageError(`--data-root: ${folder} does not exist`);
  if (!entry.isDirectory()) throw new UsageError(`--data-root: ${folder} is a file, not a folder`);
  return folder;
}

/** `--catalog FILE`, repeatable, on every command that prices instances. */
export interface CatalogArgs {
  catalog?: string[];
}

/** The `--catalog` files as absolute paths (relative to `cwd`), each checked to be a readable file. */
export function catalogFiles(cwd: string, args: CatalogArgs): string[] {
  return (args.catalog ?? []).map((file) => {
    const path = resolve(cwd, file);
    const entry = statOrNothing(path);
    if (entry === undefined) throw new UsageError(`--catalog: ${path} does not exist`);
    if (!entry.isFile()) throw new UsageError(`--catalog: ${path} is not a file`);
    return path;
  });
}

/** Longer folder names fail on common file systems (255 bytes), and no reader wants them. */
const MAX_FOLDER_NAME = 100;
/** Hex digits of the name's hash that tell apart names cut to the same folder name. */
const HASH_DIGITS = 8;

/**
 * A scenario's free-text name as one safe folder name under `out/`: anything but letters,
 * digits, `.`, `_` and `-` becomes `-`, and leading dots go, so that a name such as
 * `../../victim` cannot place outputs (and the files a run replaces) outside `out/`. A name
 * longer than `MAX_FOLDER_NAME`, or with nothing left (`..`, a name in another script), ends in
 * a hash of the whole name instead, so that two such names do not share a folder.
 */
export function folderNameOf(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+/, '');
  if (safe !== '' && safe.length <= MAX_FOLDER_NAME) return safe;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, HASH_DIGITS);
  const kept = safe.slice(0, MAX_FOLDER_NAME - HASH_DIGITS - 1).replace(/-+$/, '');
  return `${kept === '' ? 'scenario' : kept}-${hash}`;
}

/**
 * Marks a folder as fleetsim's: a run writes and replaces files in an output folder (summary.json,
 * report.html, charts/, replications.json), which is safe only where fleetsim put them.
 */
export const OUTPUT_MARKER = '.fleetsim';

/** What fleetsim's library calls write without the marker, and folders of versions before it. */
const OUTPUT_FILES = ['summary.json', 'comparison.json', 'sweep.json', 'plan.json', 'calibration.json'];

/**
 * The folder outputs go to, `out` resolved against `cwd`, refused before any work starts when a
 * file stands at it or above it, its nearest existing folder is not writable (writing would fail
 * only after the run), or it holds files but neither `OUTPUT_MARKER` nor one of fleetsim's own
 * outputs (another program's folder, or `/`) and `force` is not given. Creates it with the marker, so that the next run may write there again.
 */
export function outputFolder(cwd: string, out: string, force = false): string {
  const folder = resolve(cwd, out);
  for (let at = folder; ; at = dirname(at)) {
    const entry = statOrNothing(at);
    if (entry !== undefined) {
      if (!entry.isDirectory()) {
        const where = at === folder ? '' : ` (above ${folder})`;
        throw new UsageError(`--out: ${at} is a file, not a folder${where}`);
      }
      try {
        accessSync(at, constants.W_OK);
      } catch {
        throw new UsageError(`--out: no permission to write in ${at}`);
      }
      break;
    }
    if (dirname(at) === at) break;
  }
  const marker = join(folder, OUTPUT_MARKER);
  const ours = [OUTPUT_MARKER, ...OUTPUT_FILES].some((name) => existsSync(join(folder, name)));
  if (!force && !ours && existsSync(folder) && readdirSync(folder).length > 0) {
    throw new UsageError(
      `--out: ${folder} holds files that fleetsim did not write; choose a new or empty folder, or pass --force to write (and replace files) there`,
    );
  }
  mkdirSync(folder, { recursive: true });
  if (!existsSync(marker)) {
    writeFileSync(marker, 'This folder holds fleetsim outputs: fleetsim writes and replaces files here.\n');
  }
  return folder;
}

/** Nothing for a path that is not there, including when a file higher up makes it impossible (ENOTDIR). */
function statOrNothing(path: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}
