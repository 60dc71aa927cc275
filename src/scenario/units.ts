// The scenario layer's name for the unit helpers, which live in core so every layer can read
// units; scenario values are written back as scenario text with the formatters (messages, docs).
export { formatDuration, formatSize } from '../core/format.js';
export * from '../core/units.js';
