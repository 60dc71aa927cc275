import { closeSync, openSync, writeSync } from 'node:fs';
import type { ReplayTrace } from './calibrate.js';
import type { MeasuredRun } from './measured.js';

/** The columns of a replay copy: requests.jsonl's, so that the copy is itself a measured run `calibrate` reads. */
const COPY_HEADER = 'arrival,first_token,finish,input_tokens,output_tokens\n';

/** Microseconds, without trailing zeros, never an exponent (as requests.jsonl writes times). */
function seconds(value: number): string {
  if (Number.isNaN(value)) return '';
  return value.toFixed(6).replace(/\.?0+$/, '');
}

/**
 * The trace a replay of `measured` reads: the file itself when it is a table in arrival order,
 * else a CSV copy written to `copyPath` (times in seconds from the first arrival, requests in
 * arrival order).
 */
export function replayTrace(
  measured: MeasuredRun,
  copyPath: string,
): { trace: ReplayTrace; copied: boolean } {
  if (measured.direct !== null) {
    return {
      trace: {
        path: measured.path,
        format: measured.direct.format,
        timeColumn: measured.direct.timeColumn,
        timeUnit: measured.direct.timeUnit,
        inputColumn: measured.direct.inputColumn,
        outputColumn: measured.direct.outputColumn,
      },
      copied: false,
    };
  }
  const fd = openSync(copyPath, 'w');
  try {
    let chunk = COPY_HEADER;
    for (let i = 0; i < measured.count; i++) {
      const arrival = measured.arrivalS[i];
      chunk += `${seconds(arrival)},${seconds(arrival + measured.ttftS[i])},${seconds(arrival + measured.latencyS[i])},${measured.inputTokens[i]},${measured.outputTokens[i]}\n`;
      if (chunk.length > 1 << 16) {
        writeSync(fd, chunk);
        chunk = '';
      }
    }
    writeSync(fd, chunk);
  } finally {
    closeSync(fd);
  }
  return {
    trace: {
      path: copyPath,
      format: 'csv',
      timeColumn: 'arrival',
      timeUnit: 's',
      inputColumn: 'input_tokens',
      outputColumn: 'output_tokens',
    },
    copied: true,
  };
}
