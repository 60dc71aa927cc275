/** Entry point of a piscina worker thread: one job per call. */
export { runJob as default } from './job.js';
