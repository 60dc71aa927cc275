/**
 * Cases kept as regression fixtures (test/fixtures/fuzz/NNN-name/): the files of the case and
 * `case.json` with the command, what the fuzzer found, and the outcome expected now.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FuzzCase } from './cases.js';
import type { Verdict } from './oracle.js';

export interface Expectation {
  outcome: 'ok' | 'user-error';
  /** For a user error: a regular expression one of its lines must match (`^` and `$` match at each line). */
  message?: string;
}

export interface CaseFileJson {
  route: FuzzCase['route'];
  command: FuzzCase['command'];
  scenarios: string[];
  set: string[];
  flags: string[];
  origin: string;
  mutations: string[];
  /** What failed when the case was found, and why. */
  finding?: string;
  expect?: Expectation;
  /**
   * A failure not fixed here, in the area named: the case is expected to fail until it is.
   * `hangs`: it never ends, or its memory grows without bound, so only the fuzzer's replay, which
   * has a time limit and a memory cap, runs it.
   */
  known?: { area: string; reason: string; hangs?: boolean };
  /** The verdict when the case was found (for cases saved by a fuzz run). */
  verdict?: Verdict;
}

export interface Fixture {
  name: string;
  dir: string;
  fuzzCase: FuzzCase;
  meta: CaseFileJson;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f !== 'case.json' && statSync(join(dir, f)).isFile())
    .sort();
}

export function loadFixture(dir: string, name: string): Fixture {
  const meta = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as CaseFileJson;
  return {
    name,
    dir,
    meta,
    fuzzCase: {
      id: name,
      route: meta.route,
      command: meta.command,
      scenarios: meta.scenarios,
      set: meta.set,
      flags: meta.flags,
      origin: meta.origin,
      mutations: meta.mutations,
      files: filesUnder(dir).map((f) => ({ name: f, bytes: readFileSync(join(dir, f)) })),
    },
  };
}

export function loadFixtures(root: string): Fixture[] {
  return readdirSync(root)
    .filter((name) => statSync(join(root, name)).isDirectory())
    .sort()
    .map((name) => loadFixture(join(root, name), name));
}

/** Writes a case as a fixture folder (the fuzzer's failures; kept ones are then named and annotated). */
export function saveCase(c: FuzzCase, dir: string, extra: Partial<CaseFileJson> = {}): void {
  mkdirSync(dir, { recursive: true });
  for (const file of c.files) {
    const path = join(dir, file.name);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, file.bytes);
  }
  const meta: CaseFileJson = {
    route: c.route,
    command: c.command,
    scenarios: c.scenarios,
    set: c.set,
    flags: c.flags,
    origin: c.origin,
    mutations: c.mutations,
    ...extra,
  };
  writeFileSync(join(dir, 'case.json'), `${JSON.stringify(meta, null, 2)}\n`);
}

/** Whether `verdict` is what the fixture expects. */
export function meetsExpectation(expect: Expectation | undefined, verdict: Verdict): boolean {
  if (expect === undefined) return verdict.outcome !== 'failure';
  if (verdict.outcome !== expect.outcome) return false;
  return expect.message === undefined || new RegExp(expect.message, 'm').test(verdict.message);
}
