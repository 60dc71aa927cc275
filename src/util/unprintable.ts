// Moved to src/core; schema.ts still imports it from here.
export { findUnprintable } from '../core/unprintable.js';
