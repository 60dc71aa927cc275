import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type AcceleratorSpec, loadAccelerators } from '../../src/serving/llm/index.js';

/**
 * The validation status of every accelerator, as pricing/accelerators.yaml states it and
 * docs/validation.md prints it (UPDATE_DOCS=1 rewrites the table there).
 */

const docPath = fileURLToPath(new URL('../../docs/validation.md', import.meta.url));
const yamlPath = fileURLToPath(new URL('../../pricing/accelerators.yaml', import.meta.url));
const START = '<!-- status:start -->';
const END = '<!-- status:end -->';

/** The class defaults the header of pricing/accelerators.yaml derives: compute, memory, attention, activation. */
const CLASS_DEFAULTS: Readonly<Record<string, readonly number[]>> = {
  'data-center': [0.75, 0.8, 0.29, 0.56],
  edge: [0.5, 0.6, 0.19, 0.42],
};

function errorCell(spec: AcceleratorSpec): string {
  const v = spec.validation;
  if (v?.status !== 'validated') return '-';
  const { min, max } = v.medianAbsErrorPct;
  return `${min === max ? min : `${min}-${max}`} % over ${v.groups} group(s)`;
}

function renderStatusTable(specs: Iterable<AcceleratorSpec>): string {
  return [
    '| accelerator | status | median abs error | basis |',
    '|---|---|---|---|',
    ...[...specs].map(
      (s) => `| ${s.id} (${s.name}) | ${s.validation?.status} | ${errorCell(s)} | ${s.validation?.basis} |`,
    ),
  ].join('\n');
}

describe('accelerator validation status', () => {
  const specs = loadAccelerators();

  it('docs/validation.md prints the status pricing/accelerators.yaml states', () => {
    const table = renderStatusTable(specs.values());
    const doc = readFileSync(docPath, 'utf8');
    const printed = doc.slice(doc.indexOf(START) + START.length, doc.indexOf(END)).trim();
    if (process.env.UPDATE_DOCS === '1') {
      writeFileSync(
        docPath,
        `${doc.slice(0, doc.indexOf(START) + START.length)}\n${table}\n${doc.slice(doc.indexOf(END))}`,
      );
      return;
    }
    expect(printed).toBe(table);
  });

  it('class-default status exactly where the efficiencies are the class defaults', () => {
    const raw = parse(readFileSync(yamlPath, 'utf8')).accelerators as Record<
      string,
      { class: string; efficiency: Record<string, number> }
    >;
    for (const [id, entry] of Object.entries(raw)) {
      const { compute, memory, attention, activation } = entry.efficiency;
      const isDefault =
        JSON.stringify([compute, memory, attention, activation]) ===
        JSON.stringify(CLASS_DEFAULTS[entry.class]);
      expect(specs.get(id)?.validation?.status === 'class-default', id).toBe(isDefault);
    }
  });
});

describe('the accelerator file', () => {
  it('refuses a power figure dated on a day that does not exist', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetsim-accelerators-'));
    const path = join(dir, 'accelerators.yaml');
    writeFileSync(path, readFileSync(yamlPath, 'utf8').replace("as_of: '2026-12-07'", "as_of: '2026-02-30'"));
    expect(() => loadAccelerators(path)).toThrow(/expected a date that exists/);
  });
});
