import { lstatSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { excerpt } from '../util/excerpt.js';
import { type Finding, filePaths } from './checks.js';
import type { PathSegment } from './locate.js';
import { asObject } from './raw-shape.js';
import {
  arrivalProcesses,
  type Distribution,
  requestClasses,
  type Scenario,
  type ServiceTime,
} from './types.js';

/**
 * The folder every data file of a scenario must be inside, as a loader option: `true` for the
 * folder its relative paths are resolved against, a path for another folder, `false` (the
 * default) for no confinement.
 */
export type ConfineDataPaths = boolean | string;

/** A confinement in force: the folder (its real path, links resolved) and how messages name it. */
export interface Confinement {
  root: string;
  /** "the scenario's folder" or "the data root". */
  name: string;
}

/**
 * The real path of `path` (every symbolic link resolved), or, when it does not exist, the real
 * path of its deepest existing folder followed by the rest: where the file would be. Null when
 * an existing entry on the way cannot be resolved (a link that leads nowhere or loops, a folder
 * that cannot be read), so nobody can say where it leads.
 */
export function realPathOf(path: string): string | null {
  const rest: string[] = [];
  let at = resolve(path);
  for (;;) {
    try {
      return join(realpathSync.native(at), ...rest);
    } catch {
      if (exists(at)) return null;
      const parent = dirname(at);
      if (parent === at) return null;
      rest.unshift(basename(at));
      at = parent;
    }
  }
}

/** Whether anything, a broken link included, stands at `path`; false when that cannot be known either. */
function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code !== 'ENOENT' && code !== 'ENOTDIR';
  }
}

/** `path` is `root` or below it; both real paths. */
export function isInside(path: string, root: string): boolean {
  const rel = relative(root, path);
  return !(rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel));
}

/**
 * The confinement `option` asks for, for a scenario whose relative paths are resolved against
 * `baseDir`; null for none. A message when the folder is not there.
 */
export function confinement(
  option: ConfineDataPaths | undefined,
  baseDir: string,
): { ok: true; value: Confinement | null } | { ok: false; message: string } {
  if (option === undefined || option === false) return { ok: true, value: null };
  const folder = option === true ? baseDir : resolve(option);
  let root: string;
  try {
    root = realpathSync.native(folder);
  } catch {
    return { ok: false, message: `the folder data paths are confined to does not exist: ${folder}` };
  }
  if (!lstatSync(root).isDirectory()) {
    return { ok: false, message: `data paths can be confined to a folder only, not to the file ${folder}` };
  }
  const own = realPathOf(baseDir) === root;
  return { ok: true, value: { root, name: own ? "the scenario's folder" : 'the data root' } };
}

/** Paths (in the YAML) of every data file a scenario names, step-time profiles included. */
function dataFilePaths(raw: unknown): { path: PathSegment[]; value: string }[] {
  const root = asObject(raw);
  if (!root) return [];
  const files = filePaths(root);
  const fleets = Array.isArray(root.fleets) ? root.fleets : [];
  fleets.forEach((fleet, i) => {
    const profile = asObject(asObject(asObject(fleet)?.step_time)?.profile)?.path;
    if (typeof profile === 'string' && profile !== '') {
      files.push({ path: ['fleets', i, 'step_time', 'profile', 'path'], value: profile });
    }
  });
  return files;
}

/**
 * A finding at every data path of `raw` that resolves (relative to `baseDir`, then through every
 * link) outside the confinement's root. Messages quote the path as written, never where a link
 * leads: that would tell the writer of the scenario about files outside the root.
 */
export function confinementFindings(raw: unknown, baseDir: string, confined: Confinement): Finding[] {
  const findings: Finding[] = [];
  for (const file of dataFilePaths(raw)) {
    const real = realPathOf(resolve(baseDir, file.value));
    if (real !== null && isInside(real, confined.root)) continue;
    const why =
      real === null
        ? `cannot tell whether ${excerpt(file.value)} is inside ${confined.root} (a link that leads nowhere or loops, or a folder that cannot be read)`
        : `${excerpt(file.value)} is outside ${confined.root}`;
    findings.push({
      code: 'OUTSIDE_DATA_ROOT',
      path: file.path,
      message: `${why}; data files must be inside ${confined.name} when paths are confined`,
    });
  }
  return findings;
}

/**
 * The path the scenario reads for `value`: resolved against `baseDir` and, when confined, through
 * every link, so that the run opens the very file that was checked to be inside the root.
 */
export function dataPathResolver(baseDir: string, confined: Confinement | null): (value: string) => string {
  return (value) => {
    const path = resolve(baseDir, value);
    return confined === null ? path : (realPathOf(path) ?? path);
  };
}

function distributionFile(distribution: Distribution | ServiceTime | null | undefined): string[] {
  return distribution?.kind === 'empirical' ? [distribution.path] : [];
}

/**
 * Every data file a resolved scenario reads: traces, step-time profiles, empirical data, capacity
 * and price traces (not the pricing catalog, which is fleetsim's own).
 */
export function dataFiles(scenario: Scenario): string[] {
  const files: string[] = [];
  for (const arrivals of arrivalProcesses(scenario.workload)) {
    if (arrivals.kind === 'trace') files.push(arrivals.trace.path);
    if (arrivals.kind === 'sessions') {
      const { turns, firstMessageTokens, messageTokens, outputTokens, thinkTime } = arrivals.sessions;
      for (const distribution of [turns, firstMessageTokens, messageTokens, outputTokens, thinkTime])
        files.push(...distributionFile(distribution));
    }
  }
  for (const { attributes } of requestClasses(scenario.workload)) {
    for (const distribution of Object.values(attributes)) files.push(...distributionFile(distribution));
  }
  for (const fleet of scenario.fleets) {
    files.push(...distributionFile(fleet.startup), ...distributionFile(fleet.serviceTime));
    if (fleet.stepTime?.kind === 'profile') files.push(fleet.stepTime.path);
    if (fleet.unavailable?.kind === 'trace') files.push(fleet.unavailable.path);
    if (fleet.interruption !== null && 'trace' in fleet.interruption) files.push(fleet.interruption.trace);
    if (fleet.spotPriceTrace !== null) files.push(fleet.spotPriceTrace);
  }
  return [...new Set(files)].sort();
}

/**
 * Checks a resolved scenario's data files against `root` again, just before a run: a link in the
 * folder replaced since the scenario was loaded would otherwise be followed. Null when all are
 * inside; else why not, naming the path the scenario holds (checked inside `root` when loaded).
 */
export function confinementProblem(scenario: Scenario, root: string): string | null {
  for (const path of dataFiles(scenario)) {
    const real = realPathOf(path);
    if (real === null || !isInside(real, root)) {
      return `${path} no longer leads to a file inside ${root} (it changed after the scenario was loaded); data files must be inside it when paths are confined`;
    }
  }
  return null;
}
