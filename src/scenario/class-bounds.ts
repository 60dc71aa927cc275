import { formatThousands } from '../core/format.js';
import { MAX_ADAPTERS } from '../core/schema-values.js';
import type { Finding } from './checks.js';
import { asObject } from './raw-shape.js';

/**
 * The most class-fleet pairs a run keeps apart: what each class cost on each fleet and the work
 * it took there are a figure per pair, and the class table lists them. 1,000 classes on 1,000
 * fleets run in under 2 s and 200 MB; 8,000 on 8,000 took 2.5 GB before simulating anything.
 */
export const MAX_CLASS_FLEET_PAIRS = 1_000_000;

/** Bounds on what a workload's classes multiply: class-fleet pairs, and the adapters they draw from together. */
export function checkClassBounds(root: Record<string, unknown>): Finding[] {
  const classes = asObject(root.workload)?.classes;
  if (!Array.isArray(classes)) return [];
  const findings: Finding[] = [];
  const fleets = Array.isArray(root.fleets) ? root.fleets.length : 0;
  if (classes.length * fleets > MAX_CLASS_FLEET_PAIRS)
    findings.push({
      code: 'INVALID_VALUE',
      path: ['workload', 'classes'],
      message: `${formatThousands(classes.length)} classes on ${formatThousands(fleets)} fleets are ${formatThousands(classes.length * fleets)} class-fleet pairs, each with its own costs and work; at most ${formatThousands(MAX_CLASS_FLEET_PAIRS)}`,
    });
  let adapters = 0;
  for (const [i, value] of classes.entries()) {
    const count = asObject(asObject(value)?.adapter)?.count;
    // A count the schema refuses on its own is reported there.
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > MAX_ADAPTERS) continue;
    adapters += count;
    if (adapters <= MAX_ADAPTERS) continue;
    findings.push({
      code: 'INVALID_VALUE',
      path: ['workload', 'classes', i, 'adapter', 'count'],
      message: `the classes up to this one draw from ${formatThousands(adapters)} adapters together; at most ${formatThousands(MAX_ADAPTERS)}`,
    });
    break;
  }
  return findings;
}
