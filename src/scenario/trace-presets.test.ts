import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { detectTracePreset, traceFields } from './trace-presets.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TRACES = join(ROOT, 'test/fixtures/traces');

function tempFile(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'fleetsim-presets-')), name);
  writeFileSync(path, text);
  return path;
}

describe('detectTracePreset', () => {
  it('recognises the public traces by their own headers and keys', () => {
    expect(detectTracePreset(join(ROOT, 'traces/azure-llm-2023-conv.csv'))).toBe('azure-llm');
    expect(detectTracePreset(join(TRACES, 'vidur-splitwise-conv-200.csv'))).toBe('vidur');
    expect(detectTracePreset(join(TRACES, 'mooncake-synthetic-200.jsonl'))).toBe('mooncake');
  });

  it('reads a header longer than one read of the head, up to the bound of a row', () => {
    // 20,000 columns before Vidur's own: about 130 kB of header, two reads of 64 KiB.
    const extra = Array.from({ length: 20_000 }, (_, i) => `c${i}`);
    const header = [...extra, 'arrived_at', 'num_prefill_tokens', 'num_decode_tokens'].join(',');
    const path = tempFile('wide.csv', `${header}\n${Array(20_000).fill('0').join(',')},0,10,5\n`);
    expect(detectTracePreset(path)).toBe('vidur');
    expect(traceFields(path, 'csv')).toHaveLength(20_003);
    // A first line longer than any row may be names nothing.
    const endless = tempFile('endless.csv', `${'x'.repeat(1024 * 1024 + 1)}\n`);
    expect(traceFields(endless, 'csv')).toBeNull();
  });

  it('needs every column of a preset, not just its time column', () => {
    // TIMESTAMP and ContextTokens, without GeneratedTokens.
    expect(detectTracePreset(join(TRACES, 'missing-column.csv'))).toBeNull();
  });

  it('matches the layout too: CSV columns named like the Mooncake keys are no Mooncake trace', () => {
    expect(detectTracePreset(tempFile('t.csv', 'timestamp,input_length,output_length\n0,10,5\n'))).toBeNull();
  });

  it('reads headers with a byte-order mark, quotes, CRLF line ends and extra columns', () => {
    const header = '\uFEFF"TIMESTAMP","ContextTokens","GeneratedTokens",region\r\n';
    expect(detectTracePreset(tempFile('t.csv', `${header}2023-11-16 18:15:46,374,44,eu\r\n`))).toBe(
      'azure-llm',
    );
  });

  it('returns null for a missing, empty or unparsable file, which the reader then reports', () => {
    expect(detectTracePreset(join(TRACES, 'no-such-file.csv'))).toBeNull();
    expect(detectTracePreset(tempFile('empty.csv', ''))).toBeNull();
    expect(detectTracePreset(tempFile('bad.jsonl', '{"timestamp": 0, "input_length"\n'))).toBeNull();
  });
});
