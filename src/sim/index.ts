export { type Progress, type SimulationOptions, simulate } from './simulation.js';
