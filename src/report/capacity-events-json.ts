import type { CapacityEvent, VariantResult } from '../metrics/index.js';
import { roundNumbers } from './summary.js';

/** `capacity-events.json`: each variant's autoscaling decisions and spot notices and reclaims, in time order. */
export interface CapacityEventsFile {
  scenario: string;
  seed: number;
  variants: { name: string; events: CapacityEvent[] }[];
}

export function renderCapacityEventsJson(
  scenario: string,
  seed: number,
  results: readonly Pick<VariantResult, 'name' | 'capacity_events'>[],
): string {
  const file: CapacityEventsFile = {
    scenario,
    seed,
    variants: results.map((r) => ({ name: r.name, events: roundNumbers(r.capacity_events) })),
  };
  // One event per line: an autoscaled day holds thousands of them.
  return `${JSON.stringify(file, null, 2).replace(/\{\n\s+("time_s"[^}]*?)\n\s+\}/g, (_, body: string) => `{ ${body.replace(/,\n\s+/g, ', ')} }`)}\n`;
}
