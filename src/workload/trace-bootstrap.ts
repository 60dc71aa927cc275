import { formatMessageNumber } from '../core/format.js';
import type { Uniform } from '../engine/rng.js';
import type { TraceBootstrap, TraceSource } from '../scenario/types.js';
import { type ArrivalSource, createArrivalRecord } from './arrival-source.js';
import {
  fileArrivals,
  noRequests,
  openTraceReader,
  replayEndS,
  type TraceReader,
  type TraceReadOptions,
} from './trace-arrivals.js';

/**
 * The most blocks a bootstrap window may hold: 32 MB of index, and a replay that draws a block per
 * slot. A week of trace in 1 s blocks is 604,800; a window longer than this many blocks wants
 * longer blocks, and a row far after the others (a timestamp of 1e308) would otherwise ask for
 * more blocks than memory holds.
 */
export const MAX_BOOTSTRAP_BLOCKS = 1_000_000;

function tooManyBlocks(windowS: number, blockS: number): string {
  return (
    `bootstrap: a window of ${formatMessageNumber(windowS)} s of trace in blocks of ${formatMessageNumber(blockS)} s ` +
    `holds more than ${MAX_BOOTSTRAP_BLOCKS.toLocaleString('en-US')} blocks; use longer blocks ` +
    `(bootstrap.block), or a shorter window (limit, duration)`
  );
}

/**
 * Where each block of a trace's window starts in the file, and how many requests it holds. Its
 * size grows with the window's length over the block length, never with the number of requests.
 */
class BlockIndex {
  count = 0;
  #bytes = new Float64Array(64);
  #lines = new Float64Array(64);
  #requests = new Float64Array(64);
  #firstS = new Float64Array(64);

  /** Appends an empty block whose requests (if any) start at `byte`, on `line`, the first at `firstS`. */
  push(byte: number, line: number, firstS: number): void {
    if (this.count === this.#bytes.length) {
      this.#bytes = grow(this.#bytes);
      this.#lines = grow(this.#lines);
      this.#requests = grow(this.#requests);
      this.#firstS = grow(this.#firstS);
    }
    this.#bytes[this.count] = byte;
    this.#lines[this.count] = line;
    this.#requests[this.count] = 0;
    this.#firstS[this.count] = firstS;
    this.count++;
  }

  /** Counts one more request in the last block. */
  addRequest(): void {
    this.#requests[this.count - 1]++;
  }

  /** Folds the last block into the one before it. */
  mergeLast(): void {
    this.count--;
    this.#requests[this.count - 1] += this.#requests[this.count];
  }

  byte(block: number): number {
    return this.#bytes[block];
  }

  line(block: number): number {
    return this.#lines[block];
  }

  requests(block: number): number {
    return this.#requests[block];
  }

  firstS(block: number): number {
    return this.#firstS[block];
  }
}

function grow(array: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer> {
  const grown = new Float64Array(array.length * 2);
  grown.set(array);
  return grown;
}

/** The window a bootstrap resamples, in trace seconds (before `speed`). */
interface Window {
  blocks: BlockIndex;
  /** Where the window ends. */
  endS: number;
  /** Whether a request exactly at `endS` belongs to it (true when the last request ends it, false when a duration does). */
  endIncluded: boolean;
}

/**
 * First pass: the window the plain replay would produce (up to `limit` requests, before the
 * first at or after `duration` or the run's end), cut into blocks of `blockS`; each block notes
 * the byte offset and line of its first request and how many it holds. The reader checks the
 * order of the arrival times and counts the bad rows it skips on the way.
 */
function indexBlocks(
  reader: TraceReader,
  trace: TraceSource,
  blockS: number,
  durationS: number | null,
): Window | null {
  const { rows } = reader;
  const limit = trace.limit ?? Number.POSITIVE_INFINITY;
  const endS = replayEndS(trace, durationS) * trace.speed;
  const blocks = new BlockIndex();
  const record = createArrivalRecord();
  let produced = 0;
  let lastS = 0;
  while (produced < limit && reader.next(record)) {
    const traceS = record.timeS;
    lastS = traceS;
    const block = Math.floor(traceS / blockS);
    if (!(block < MAX_BOOTSTRAP_BLOCKS)) reader.fail(0, tooManyBlocks(traceS, blockS));
    // Blocks without requests start where the next request does: nothing is read from them.
    while (blocks.count <= block) blocks.push(rows.byteOffset, rows.line, traceS);
    blocks.addRequest();
    produced++;
  }
  if (produced === 0 && !reader.cut && limit > 0) throw noRequests(trace, reader);
  if (produced === 0) return null;
  if (reader.cut) {
    // The window runs to the cut; its last blocks may hold no request.
    const count = Math.ceil(endS / blockS);
    if (!(count <= MAX_BOOTSTRAP_BLOCKS)) reader.fail(0, tooManyBlocks(endS, blockS));
    while (blocks.count < count) blocks.push(Number.NaN, Number.NaN, Number.NaN);
    return { blocks, endS, endIncluded: false };
  }
  // The last request ends the window; one exactly on a block boundary belongs to the block before.
  if (blocks.count > 1 && lastS === (blocks.count - 1) * blockS) blocks.mergeLast();
  return { blocks, endS: lastS, endIncluded: true };
}

/**
 * Replays a block bootstrap of a trace: the window the plain replay would cover (after `limit`
 * and `duration`) is cut into consecutive blocks of `bootstrap.blockS` trace seconds, and a
 * replay of the same length is put together from blocks drawn uniformly with replacement with
 * `uniform`. Each request keeps its offset within its block and its attributes; the last block
 * of the replay is cut at the window's end. Times are then divided by `speed`. Bad rows skipped
 * (`on_bad_row: skip`) are counted once, in the first pass, however often their block is drawn.
 *
 * Streamed in two passes: the first notes where each block starts in the file, the second reads
 * the drawn blocks by seeking there, so memory grows with the number of blocks, not of requests.
 */
export function createBootstrapArrivals(
  trace: TraceSource,
  bootstrap: TraceBootstrap,
  durationS: number | null,
  uniform: Uniform,
  options: TraceReadOptions = {},
): ArrivalSource {
  const reader = openTraceReader(trace, { ...options, endS: replayEndS(trace, durationS) });
  const { rows } = reader;
  const blockS = bootstrap.blockS;
  let indexed = false;
  let window: Window | null = null;
  /** The slot of the replay being filled, its source block, and the requests of it still to read. */
  let slot = -1;
  let source = 0;
  let left = 0;
  let seeked = false;

  /** Moves to the next slot with requests to read; false after the last slot. */
  const nextSlot = (w: Window): boolean => {
    while (left === 0) {
      if (++slot >= w.blocks.count) return false;
      source = Math.floor(uniform() * w.blocks.count);
      left = w.blocks.requests(source);
      if (left > 0) {
        rows.seek(w.blocks.byte(source), w.blocks.line(source));
        seeked = true;
      }
    }
    return true;
  };

  return fileArrivals(trace, reader, (out, finish) => {
    // Indexed on the first call, as a plain replay reads its first row: a bad row throws from next().
    if (!indexed) {
      indexed = true;
      window = indexBlocks(reader, trace, blockS, durationS);
      reader.rereading = true;
    }
    if (window === null || !nextSlot(window)) return finish();
    if (!reader.next(out)) return finish();
    left--;
    const sourceS = out.timeS;
    if (seeked) {
      seeked = false;
      if (sourceS !== window.blocks.firstS(source)) {
        reader.fail(
          0,
          `bootstrap: the trace changed while it was read (this block began at ${sourceS} s, not ${window.blocks.firstS(source)} s)`,
        );
      }
    }
    const traceS = slot * blockS + (sourceS - source * blockS);
    if (window.endIncluded ? traceS > window.endS : traceS >= window.endS) {
      // Cut at the window's end: the rest of this block is later still, and this is the last slot.
      return finish();
    }
    out.timeS = traceS / trace.speed;
    return true;
  });
}
