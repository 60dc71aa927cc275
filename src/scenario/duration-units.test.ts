import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { SECONDS_PER_UNIT } from '../core/units.js';
import { compileExpression, loadMath } from './expression.js';
import { formatDiagnostic, loadScenarioText, REQUEST_ATTRIBUTES, type Scenario } from './index.js';

const FILE = join(fileURLToPath(new URL('../../test/fixtures/scenarios/', import.meta.url)), 's.yaml');

/** Every spelling a duration may use, with its length in seconds written out by hand. */
const SPELLINGS: [string, number][] = [
  ['us', 1e-6],
  ['\u00b5s', 1e-6], // micro sign, as keyboards type it
  ['\u03bcs', 1e-6], // Greek small mu, which looks the same
  ['ms', 1e-3],
  ['s', 1],
  ['sec', 1],
  ['m', 60],
  ['min', 60],
  ['h', 3600],
  ['hr', 3600],
  ['d', 86_400],
  ['day', 86_400],
];

async function load(timeout: string, serviceTime: string): Promise<Scenario> {
  const text = `duration: 1h
workload:
  arrivals:
    poisson: { rate: 40 }
fleets:
  - name: gpu
    replicas: 4
    price_per_hour: 1.2
    queue: { timeout: ${timeout} }
    service_time: ${JSON.stringify(serviceTime)}
`;
  const result = await loadScenarioText(text, FILE);
  if (!result.ok) throw new Error(result.errors.map(formatDiagnostic).join('\n'));
  return result.value.variants[0].scenario;
}

describe('duration units', () => {
  beforeAll(loadMath);

  it('lists every unit the shared table accepts', () => {
    const tested = new Set(SPELLINGS.map(([unit]) => unit));
    for (const unit of SECONDS_PER_UNIT.keys()) expect(tested, unit).toContain(unit);
  });

  it.each(SPELLINGS)(
    '%s means the same in a duration field, a plain service time and an expression',
    async (unit, seconds) => {
      const plain = await load(`3${unit}`, `3${unit}`);
      expect(plain.fleets[0].queue.timeout).toBeCloseTo(3 * seconds, 15);
      expect(plain.fleets[0].serviceTime).toEqual({
        kind: 'constant',
        value: expect.closeTo(3 * seconds, 15),
      });

      const source = `3${unit} + 2${unit} * input_tokens`;
      const expression = (await load(`3${unit}`, source)).fleets[0].serviceTime;
      expect(expression).toEqual({ kind: 'expression', source });
      const compiled = compileExpression(source, REQUEST_ATTRIBUTES);
      if (!compiled.ok) throw new Error(compiled.message);
      expect(compiled.fn([10, 0, 0, 0])).toBeCloseTo(23 * seconds, 12);
    },
  );

  it('stays case-sensitive: MS is no unit in either form', async () => {
    await expect(load('3MS', '3ms')).rejects.toThrow(/queue.timeout: expected a duration like 250ms/);
    const compiled = compileExpression('3MS', REQUEST_ATTRIBUTES);
    expect(compiled.ok ? 'compiled' : compiled.message).toMatch(/unknown name "MS"/);
  });
});
