import { create, parseDependencies } from 'mathjs/number';

/**
 * mathjs' expression parser alone: an instance made of its dependencies parses as the full
 * `mathjs/number` build does, and, imported by name, lets the bundled command line leave out the
 * rest of mathjs.
 */
export const parse = create({ parseDependencies }).parse;
