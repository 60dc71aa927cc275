import * as z from 'zod';
import { defineBatching } from './definition.js';

const schema = z
  .object({
    policy: z.literal('none').describe('One request per slot, each with its own service time.'),
  })
  .strict();

/** Every request runs on its own in one of the replica's `concurrency` slots, for its own service time. */
export type NoBatching = z.output<typeof schema>;

export const none = defineBatching({
  name: 'none',
  schema,
  defaults: {},
  create: () => null,
  example: { policy: 'none' },
});
