export { billedSeconds, replicaCostUsd } from './billing.js';
