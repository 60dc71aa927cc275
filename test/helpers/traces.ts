import { fileURLToPath } from 'node:url';
import type { TraceSource } from '../../src/scenario/types.js';

/** The shipped Azure conversation trace with its preset columns, as the loader resolves `format: azure-llm`. */
export function azureConversationTrace(overrides: Partial<TraceSource> = {}): TraceSource {
  return {
    path: fileURLToPath(new URL('../../traces/azure-llm-2023-conv.csv', import.meta.url)),
    format: 'azure-llm',
    timeColumn: 'TIMESTAMP',
    timeUnit: 'datetime',
    columns: { input_tokens: 'ContextTokens', output_tokens: 'GeneratedTokens' },
    speed: 1,
    limit: null,
    duration: null,
    ...overrides,
  };
}
