import { describe, expect, it, vi } from 'vitest';
import * as z from 'zod';
import { registerAutoscaler } from '../policies/autoscaling/index.js';
import { sharedScenarioJsonSchema } from './json-schema.js';
import { scenarioSchemaVersion } from './schema.js';

/**
 * The schema a bundle carries stands for the one its sources convert to only while no policy has
 * been registered since the bundle was built. A stand-in with a title of its own shows which of
 * the two the loader reads.
 */
const prebuilt = vi.hoisted(() => ({ value: null as { version: number; text: string } | null }));
vi.mock('./json-schema-prebuilt.js', () => ({
  get PREBUILT_SCENARIO_JSON_SCHEMA() {
    return prebuilt.value;
  },
}));

describe('the JSON Schema converted ahead of time', () => {
  it('is read at the registries version it was converted at, and converted anew after a registration', () => {
    prebuilt.value = { version: scenarioSchemaVersion(), text: '{"title":"converted ahead of time"}' };
    const carried = sharedScenarioJsonSchema();
    expect(carried).toEqual({ title: 'converted ahead of time' });
    expect(Object.isFrozen(carried)).toBe(true);

    registerAutoscaler({
      name: 'hold',
      schema: z.object({ policy: z.literal('hold') }).strict(),
      defaults: {},
      create: (_config, bounds) => ({
        scrapeIntervalUs: null,
        evaluationPeriodUs: 60e6,
        observe() {},
        desiredReplicas: () => bounds.min,
      }),
      example: { policy: 'hold' },
    });
    const converted = sharedScenarioJsonSchema();
    expect(converted.title).toBe('fleetsim scenario');
    expect(JSON.stringify(converted)).toContain('"hold"');
  });
});
