import { closestNames, typoTolerance } from '../util/closest-names.js';

/** Mistyped flags and commands, answered with what was probably meant. */

export const COMMANDS = [
  'run',
  'report',
  'compare',
  'diff',
  'validate',
  'sweep',
  'plan',
  'calibrate',
  'manifest',
  'merge',
  'schema',
  'catalog',
  'trace',
];

/** The commands of `catalog` and `trace`. */
const SUBCOMMANDS: Record<string, string[]> = {
  catalog: ['list', 'show', 'import'],
  trace: ['stats'],
};

/** `runn` for `run`, `catalog lsit` for `catalog list`: the command a word was probably meant to be. */
function commandHint(argv: readonly string[]): string | null {
  const [first, second] = argv;
  const [word, known] =
    first !== undefined && SUBCOMMANDS[first] !== undefined
      ? [second, SUBCOMMANDS[first]]
      : [first, COMMANDS];
  if (word === undefined || word.startsWith('-') || known.includes(word)) return null;
  const [near] = closestNames(word, known, { count: 1, maxDistance: typoTolerance(word) });
  return near === undefined ? null : `did you mean "${near}"?`;
}

/**
 * yargs' `Unknown argument: seedd` as `unknown option --seedd; did you mean --seed?`, with the
 * options of the command given (`known`); a stray word stays yargs' message, with the command it
 * may have been meant to be.
 */
export function unknownArgumentMessage(
  message: string,
  argv: readonly string[],
  known: readonly string[],
): string {
  // An unknown flag takes the next word as its value, so a missing positional can mean one too.
  if (!/^(Unknown arguments?|Not enough non-option arguments):/.test(message)) return message;
  const end = argv.indexOf('--');
  const flags = (end < 0 ? argv : argv.slice(0, end)).filter((word) => /^--?[^-\d]/.test(word));
  const nameOf = (flag: string) => flag.replace(/^--?/, '').replace(/=.*$/s, '');
  const unknown = [...new Set(flags.map(nameOf))].filter((name) => !isKnown(name, known));
  if (unknown.length > 0) return describeUnknown(unknown, known);
  const hint = message.startsWith('Unknown') ? commandHint(argv) : null;
  return hint === null ? message : `${message}; ${hint}`;
}

function describeUnknown(unknown: readonly string[], known: readonly string[]): string {
  const dashes = (name: string) => (name.length === 1 ? `-${name}` : `--${name}`);
  return unknown
    .map((name) => {
      const [near] = closestNames(name, known, { count: 1, maxDistance: typoTolerance(name) });
      return `unknown option ${dashes(name)}${near === undefined ? '' : `; did you mean ${dashes(near)}?`}`;
    })
    .join('; ');
}

/**
 * The options of the command being parsed. yargs passes its help builder to `fail` (typed as the
 * parser), whose descriptions hold exactly those options; without it, no option is suggested.
 */
export function optionNames(usage: unknown): string[] {
  const descriptions = (usage as { getDescriptions?: () => Record<string, unknown> }).getDescriptions;
  return typeof descriptions === 'function' ? Object.keys(descriptions.call(usage)) : [];
}

/** yargs also takes `--dataRoot` for `--data-root`, `--no-capacity` to turn off `--capacity`, and `-h`. */
function isKnown(name: string, known: readonly string[]): boolean {
  if (name === 'h') return true;
  const kebab = name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
  return [name, kebab].some(
    (form) => known.includes(form) || (form.startsWith('no-') && known.includes(form.slice(3))),
  );
}
