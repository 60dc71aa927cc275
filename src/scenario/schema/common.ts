/** Pieces every section of the scenario schema uses: names shown to users, and the one-key choices. */

import * as z from 'zod';
import { expected } from '../../core/schema-values.js';
import { findUnprintable } from '../../core/unprintable.js';

/** The error of a name longer than `max`, with its length. */
export function tooLong(what: string, max: number): { error: (issue: { input?: unknown }) => string } {
  return {
    error: (issue) => `expected ${what} of at most ${max} characters, got ${String(issue.input).length}`,
  };
}

/** Longest free-text name (scenario, model, accelerator): a title, not a paragraph. */
export const MAX_NAME = 200;

/**
 * What is wrong with a free-text name shown in reports, titles and on the terminal (`what`: `a
 * scenario name`), or null: it may hold any characters but those `findUnprintable` finds, which
 * would garble them or break the SVG charts, and at most `MAX_NAME` of them.
 */
export function displayNameProblem(what: string, name: string): string | null {
  if (name.length > MAX_NAME) return `expected ${what} of at most ${MAX_NAME} characters, got ${name.length}`;
  const found = findUnprintable(name);
  return found === null ? null : `expected ${what} without control characters; found ${found}`;
}

export function displayName(what: string) {
  return z
    .string(expected(what))
    .min(1, expected(what))
    .superRefine((name, ctx) => {
      const problem = displayNameProblem(what, name);
      if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
    });
}

/** Pushes an issue unless exactly one key of `value` is set: the YAML spells a choice as its only key. */
export function exactlyOne(choices: readonly string[]) {
  return (ctx: { value: Record<string, unknown>; issues: z.core.$ZodRawIssue[] }) => {
    const given = choices.filter((key) => ctx.value[key] !== undefined);
    if (given.length === 1) return;
    const message =
      given.length === 0
        ? `expected one of the keys ${choices.join(', ')}`
        : `expected only one of ${given.join(', ')}`;
    ctx.issues.push({ code: 'custom', message, input: ctx.value });
  };
}

export const FLEET_NAME = /^[A-Za-z0-9_.-]+$/;

/**
 * Names key the records of summary.json and of the code that builds it, and `__proto__` as the
 * key of a plain object sets its prototype instead of a value: a fleet of that name would lose its
 * figures without a word.
 */
export const notReservedName = (name: string) => name !== '__proto__';
export const RESERVED_NAME = '"__proto__" is reserved by JavaScript; use another name';
