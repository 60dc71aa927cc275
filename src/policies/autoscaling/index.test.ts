import { describe, expect, it } from 'vitest';
import { InvariantError } from '../../core/errors.js';
import { autoscalerDefinitions, createAutoscaler } from './index.js';

describe('autoscaling registry', () => {
  const bounds = { min: 1, max: 10 };
  const configs = autoscalerDefinitions().map((definition) => definition.schema.parse(definition.example));

  it("creates each policy a block names with that policy's own factory", () => {
    const periods = (autoscaler: ReturnType<typeof createAutoscaler>) => [
      autoscaler.scrapeIntervalUs,
      autoscaler.evaluationPeriodUs,
    ];
    autoscalerDefinitions().forEach((definition, i) => {
      expect(periods(createAutoscaler(configs[i], bounds))).toEqual(
        periods(definition.create(configs[i], bounds)),
      );
    });
  });

  it('treats a policy name no definition has as a bug: the schema lets only known names through', () => {
    expect(() => createAutoscaler({ policy: 'no-such-policy' }, bounds)).toThrow(InvariantError);
  });

  it('rejects bounds that are not 0 <= min <= max integers', () => {
    expect(() => createAutoscaler(configs[0], { min: 3, max: 2 })).toThrow(RangeError);
    expect(() => createAutoscaler(configs[0], { min: -1, max: 2 })).toThrow(RangeError);
    expect(() => createAutoscaler(configs[0], { min: 0.5, max: 2 })).toThrow(RangeError);
  });
});
