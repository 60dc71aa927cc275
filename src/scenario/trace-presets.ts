import { closeSync, openSync, readSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { ChunkedFile, MAX_ROW_BYTES } from '../workload/chunked-text-file.js';
import type { TraceFormat, TraceSource } from './types.js';

export type TracePreset = Exclude<TraceFormat, 'csv' | 'jsonl'>;

/** Column names of the public traces each preset reads (their published headers / JSON keys). */
export const TRACE_PRESETS: Record<
  TracePreset,
  Pick<TraceSource, 'timeColumn' | 'timeUnit' | 'columns'> & {
    layout: 'csv' | 'jsonl';
    /** The column of prefix-block hash ids, when the trace has one (it is not needed to recognize the preset). */
    prefixBlocks?: string;
  }
> = {
  'azure-llm': {
    layout: 'csv',
    timeColumn: 'TIMESTAMP',
    timeUnit: 'datetime',
    columns: { input_tokens: 'ContextTokens', output_tokens: 'GeneratedTokens' },
  },
  vidur: {
    layout: 'csv',
    timeColumn: 'arrived_at',
    timeUnit: 's',
    columns: { input_tokens: 'num_prefill_tokens', output_tokens: 'num_decode_tokens' },
  },
  mooncake: {
    layout: 'jsonl',
    timeColumn: 'timestamp',
    timeUnit: 'ms',
    columns: { input_tokens: 'input_length', output_tokens: 'output_length' },
    // One id per 512 tokens of the prompt, as the trace's documentation says.
    prefixBlocks: 'hash_ids',
  },
};

/** What one read takes of a trace's head; its first line may be as long as any row (MAX_ROW_BYTES). */
const HEAD_BYTES = 64 * 1024;

/**
 * The preset whose time and token columns the trace's first line names (a CSV header, or the keys
 * of the first JSONL record), or null: no preset matches, or the file cannot be read (whoever
 * opens it next reports why).
 */
export function detectTracePreset(path: string): TracePreset | null {
  const firstLine = readFirstLine(path);
  if (firstLine === null) return null;
  const layout = firstLine.startsWith('{') ? 'jsonl' : 'csv';
  const fields = layout === 'jsonl' ? jsonKeys(firstLine) : csvHeader(firstLine);
  if (fields === null) return null;
  const present = new Set(fields);
  for (const [name, preset] of Object.entries(TRACE_PRESETS) as [TracePreset, typeof TRACE_PRESETS.vidur][]) {
    const needed = [preset.timeColumn, ...Object.values(preset.columns)];
    if (preset.layout === layout && needed.every((column) => present.has(column))) return name;
  }
  return null;
}

function readFirstLine(path: string): string | null {
  let file: ChunkedFile;
  try {
    file = new ChunkedFile(path, HEAD_BYTES, MAX_ROW_BYTES);
  } catch {
    return null;
  }
  try {
    // Read on until the line ends: a header of 20,000 columns is longer than one chunk.
    let newline = -1;
    while (newline < 0 && file.end - file.start <= MAX_ROW_BYTES && file.fill())
      newline = file.buffer.subarray(file.start, file.end).indexOf(10);
    const length = newline < 0 ? file.end - file.start : newline;
    if (length >= MAX_ROW_BYTES) return null;
    // The file skipped a byte-order mark.
    return file.buffer.toString('utf8', file.start, file.start + length).replace(/\r$/, '');
  } catch {
    return null;
  } finally {
    file.close();
  }
}

/** JSONL records `traceFields` reads for their keys: a key absent from the first record still shows. */
const KEYED_RECORDS = 100;

/**
 * The fields a trace offers: the header of a CSV, or the keys of the first JSONL records in the
 * order they first appear (reading at most the first `HEAD_BYTES` x 16). Null when the file
 * cannot be read or its first line is neither.
 */
export function traceFields(path: string, layout: 'csv' | 'jsonl'): string[] | null {
  const firstLine = readFirstLine(path);
  if (firstLine === null) return null;
  if (layout === 'csv') return csvHeader(firstLine);
  const fields = new Set<string>();
  const { text, complete } = readHead(path, HEAD_BYTES * 16);
  const lines = text.split('\n');
  // A line the byte limit cut short is left out.
  const whole = complete || lines.length === 1 ? lines : lines.slice(0, -1);
  for (const line of whole.slice(0, KEYED_RECORDS)) {
    if (line.trim() === '') continue;
    const keys = jsonKeys(line.replace(/^\uFEFF/, ''));
    if (keys === null) return fields.size === 0 ? null : [...fields];
    for (const key of keys) fields.add(key);
  }
  return [...fields];
}

function readHead(path: string, bytes: number): { text: string; complete: boolean } {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const read = readSync(fd, buffer, 0, bytes, 0);
    return { text: buffer.toString('utf8', 0, read), complete: read < bytes };
  } finally {
    closeSync(fd);
  }
}

function jsonKeys(line: string): string[] | null {
  try {
    const record: unknown = JSON.parse(line);
    return record !== null && typeof record === 'object' && !Array.isArray(record)
      ? Object.keys(record)
      : null;
  } catch {
    return null;
  }
}

function csvHeader(line: string): string[] | null {
  try {
    const [header] = parse(line) as string[][];
    return header ?? null;
  } catch {
    return null;
  }
}
