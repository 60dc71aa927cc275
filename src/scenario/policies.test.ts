import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { autoscalerDefinitions } from '../policies/autoscaling/index.js';
import { BATCHING_POLICIES } from '../policies/batching/index.js';
import type { PolicyBlock, PolicySchema } from '../policies/definition.js';
import { FLEET_ROUTING_POLICIES, REPLICA_POLICY_DEFINITIONS } from '../policies/routing/index.js';
import { alternatives, type JsonSchema, scenarioJsonSchema } from './json-schema.js';
import { loadScenarioObject } from './load.js';
import { formatDiagnostic } from './types.js';

/**
 * What every policy must bring with it: a test next to its definition, a docs example that loads,
 * and its block in the JSON Schema with the defaults it declares. A policy added without them
 * fails here, by name.
 */

const policies = fileURLToPath(new URL('../policies/', import.meta.url));

/** A fleet that takes any autoscaling policy; the others' blocks are set over it. */
const FLEET = {
  name: 'gpu',
  replicas: { min: 1, max: 40 },
  price_per_hour: 1,
  service_time: '100ms',
  autoscaling: { policy: 'target-tracking', metric: 'concurrency', target: 8 },
};

function scenarioWith(fleets: object[], extra: object = {}) {
  return { duration: '1h', workload: { arrivals: { poisson: { rate: 10 } } }, fleets, ...extra };
}

/** A scenario around each kind's block, so the example is checked as a scenario uses it. */
const KINDS = [
  {
    kind: 'autoscaling',
    folder: 'autoscaling',
    definitions: autoscalerDefinitions(),
    scenario: (example: object) => scenarioWith([{ ...FLEET, autoscaling: example }]),
    forms: (root: JsonSchema) => root.properties!.fleets.items!.properties!.autoscaling,
  },
  {
    kind: 'batching',
    folder: 'batching',
    definitions: BATCHING_POLICIES,
    scenario: (example: { policy: string }) => {
      const { service_time, autoscaling, ...fleet } = FLEET;
      if (example.policy === 'none') return scenarioWith([{ ...fleet, replicas: 2, service_time }]);
      if (example.policy !== 'continuous') {
        return scenarioWith([{ ...fleet, replicas: 2, batching: example, batch_latency: '8ms + 1ms * b' }]);
      }
      const { price_per_hour, ...priced } = fleet;
      return scenarioWith([{ ...priced, replicas: 2, instance: 'aws/g6e.xlarge', batching: example }], {
        model: { llm: { preset: 'Llama-3.1-8B', precision: 'bf16' } },
      });
    },
    forms: (root: JsonSchema) => root.properties!.fleets.items!.properties!.batching,
  },
  {
    kind: 'routing',
    folder: 'routing',
    definitions: FLEET_ROUTING_POLICIES,
    scenario: (example: object) => {
      const definition = FLEET_ROUTING_POLICIES.find(
        (d) => d.name === (example as { policy: string }).policy,
      )!;
      const names = [
        ...new Set(definition.fleetReferences(example as Record<string, unknown>).map((r) => r.name)),
      ];
      return scenarioWith(
        names.map((name) => ({ ...FLEET, name })),
        { routing: example },
      );
    },
    forms: (root: JsonSchema) => root.properties!.routing,
  },
] as const;

const test = (folder: string, name: string) => `${policies}${folder}/${name}.test.ts`;

/** The default a JSON Schema property documents: nested mappings with `{}` defaults take their keys' own. */
function documentedDefault(root: JsonSchema, property: JsonSchema): unknown {
  const nested = alternatives(root, property).find((form) => form.properties);
  const isEmptyMapping =
    typeof property.default === 'object' &&
    property.default !== null &&
    !Array.isArray(property.default) &&
    Object.keys(property.default).length === 0;
  if (!isEmptyMapping || nested === undefined) return property.default;
  return Object.fromEntries(
    Object.entries(nested.properties!).map(([key, child]) => [key, documentedDefault(root, child)]),
  );
}

describe('every policy', () => {
  const root = scenarioJsonSchema();
  for (const { kind, folder, definitions, scenario, forms } of KINDS) {
    for (const definition of definitions as readonly PolicyBlock<PolicySchema>[]) {
      describe(`${kind} ${definition.name}`, () => {
        it('has a test next to its definition', () => {
          expect(existsSync(`${policies}${folder}/${definition.name}.ts`)).toBe(true);
          expect(existsSync(test(folder, definition.name))).toBe(true);
          expect(readFileSync(test(folder, definition.name), 'utf8')).toContain(definition.name);
        });

        it('has a docs example that loads in a scenario', async () => {
          const loaded = await loadScenarioObject(scenario(definition.example as never));
          expect(loaded.ok ? [] : loaded.errors.map(formatDiagnostic)).toEqual([]);
        });

        it('has its block in the JSON Schema, with the defaults it declares', () => {
          const form = alternatives(root, forms(root)).find(
            (candidate) => candidate.properties?.policy?.const === definition.name,
          );
          expect(form).toBeDefined();
          const documented = Object.fromEntries(
            Object.entries(form!.properties!)
              .filter(([, property]) => property.default !== undefined)
              .map(([key, property]) => [key, documentedDefault(root, property)]),
          );
          expect(documented).toEqual(definition.defaults);
        });
      });
    }
  }

  for (const definition of REPLICA_POLICY_DEFINITIONS) {
    describe(`replica routing ${definition.name}`, () => {
      it('has a test next to its definition', () => {
        expect(existsSync(`${policies}routing/${definition.name}.ts`)).toBe(true);
        expect(readFileSync(test('routing', definition.name), 'utf8')).toContain(definition.name);
      });

      it('has a docs example that loads in a scenario', async () => {
        const loaded = await loadScenarioObject(scenarioWith([FLEET], { routing: definition.example }));
        expect(loaded.ok ? [] : loaded.errors.map(formatDiagnostic)).toEqual([]);
      });

      it('is a replica policy of the JSON Schema', () => {
        expect(root.definitions!.ReplicaPolicy.enum).toContain(definition.name);
      });
    });
  }
});
