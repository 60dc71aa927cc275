import { resolve } from 'node:path';
import { ScenarioError } from '../../run.js';
import { loadScenarioFile } from '../../scenario/index.js';
import type { CliIo } from '../io.js';

export async function validateCommand(
  args: { scenario: string; set?: string[] },
  io: CliIo,
): Promise<number> {
  const loaded = await loadScenarioFile(resolve(io.cwd, args.scenario), { set: args.set });
  if (!loaded.ok) throw new ScenarioError(loaded.errors);
  const names = loaded.value.variants.map((v) => v.name).join(', ');
  io.stdout(`${args.scenario}: ok (${loaded.value.variants.length} variant(s): ${names})\n`);
  return 0;
}
