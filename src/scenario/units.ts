// The simulator imports the unit helpers from here.
export * from '../core/units.js';
