import { scenarioJsonSchema } from '../../scenario/index.js';
import type { CliIo } from '../io.js';

export function schemaCommand(io: CliIo): number {
  io.stdout(`${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`);
  return 0;
}
