export { Engine, type EventHandler, type RunOutcome } from './engine.js';
export { EventQueue } from './event-queue.js';
export {
  sampleExponential,
  sampleGamma,
  sampleLognormal,
  sampleStandardNormal,
  sampleUniform,
} from './random.js';
export { createStreams, type Streams, type Uniform } from './rng.js';
