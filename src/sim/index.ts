export { type SimulationOptions, simulate } from './simulation.js';
