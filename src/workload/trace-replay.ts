import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { MAX_SECONDS } from '../core/time.js';
import type { Diagnostic, TraceSource } from '../scenario/types.js';
import type { ArrivalRecord, ArrivalSource, SkippedRows } from './arrival-source.js';
import { createTraceArrivals, replayEndS } from './trace-arrivals.js';

/**
 * A trace read to its end twice in one thread is kept in memory, and later reads replay it from
 * there instead of parsing the file again: a plan or sweep reads the same trace for every
 * configuration, a run once per variant. The first read only notes the trace, so a single run
 * keeps nothing and hashes nothing; the second records what it reads, up to MAX_RECORDED requests
 * in all the recordings kept (longer traces stream every time, so memory stays bounded however
 * long they are). A replay gives the same records, field for field, and the same skipped rows at
 * the same points as a read of the file. A digest of the file's bytes is kept with a recording, so
 * an edited trace is read again: reading and hashing the bytes takes a few hundredths of parsing
 * them. Files over MAX_KEPT_BYTES are never
 * kept (they would hold more requests than MAX_RECORDED anyway, for any layout fleetsim reads).
 */
const MAX_RECORDED = 1 << 19;
const MAX_KEPT_BYTES = 32 * 1024 * 1024;
/** Traces noted or kept at once; the least recently opened is forgotten first. */
const KEPT = 4;

interface Recording {
  /** The speed the trace was read at; `time` holds times before it divides them. */
  speed: number;
  count: number;
  time: Float64Array;
  input: Float64Array;
  output: Float64Array;
  requestBytes: Float64Array;
  responseBytes: Float64Array;
  /** Per request, for the trace columns that have one; null otherwise. */
  classIndex: Int32Array | null;
  model: string[] | null;
  adapter: string[] | null;
  /** Request i's prefix segments are `hashes`/`ends` from `segmentStart[i]` to `segmentStart[i + 1]`. */
  segmentStart: Int32Array | null;
  hashes: Float64Array | null;
  ends: Float64Array | null;
  segmentCount: number;
  /** Rows skipped (`on_bad_row: skip`) before request i was read; null when the trace stops at bad rows. */
  skippedBefore: Int32Array | null;
  /** Skipped rows of the whole read: the count at its end, and the first ones located. */
  skipped: SkippedRows | null;
}

interface Entry {
  /** Digest of the file `recording` was read from; null while the trace is only noted. */
  stamp: string | null;
  recording: Recording | null;
}

const entries = new Map<string, Entry>();

/**
 * A trace's times are kept before `speed` divides them, so the replays of one file at other
 * speeds (a plan searching the load a fleet sustains scales the trace) share one recording.
 */
export function replayedTrace(trace: TraceSource, durationS: number | null): ArrivalSource {
  // A window cuts the trace where `speed` puts its end: then the speed decides which rows are read.
  const windowed = Number.isFinite(replayEndS(trace, durationS));
  const key = JSON.stringify([{ ...trace, speed: windowed ? trace.speed : null }, durationS]);
  const entry = entries.get(key);
  entries.delete(key);
  // A first read is only noted: it neither hashes the file nor keeps what it reads.
  if (entry === undefined) {
    remember(key, { stamp: null, recording: null });
    return createTraceArrivals(trace, durationS);
  }
  const stamp = fileStamp(trace.path);
  if (stamp === null) {
    entries.set(key, entry);
    return createTraceArrivals(trace, durationS);
  }
  const recording = entry.stamp === stamp ? entry.recording : null;
  if (recording !== null && replays(recording, trace.speed)) {
    entries.set(key, entry);
    return replay(recording, trace.speed);
  }
  const fresh: Entry = { stamp, recording: null };
  remember(key, fresh);
  return recorded(trace, createTraceArrivals(trace, durationS, { unscaled: true }), fresh);
}

function remember(key: string, entry: Entry): void {
  entries.set(key, entry);
  if (entries.size > KEPT) entries.delete(entries.keys().next().value as string);
}

/**
 * Whether `recording` replays as a read at `speed` would go: a read checks each row's replayed
 * time against the latest a run simulates exactly, which at another speed than the recording's
 * only the recorded rows are known to pass (the last, the latest of them), and only when no row
 * was skipped unseen.
 */
function replays(recording: Recording, speed: number): boolean {
  if (speed === recording.speed) return true;
  if ((recording.skipped?.count ?? 0) > 0) return false;
  return recording.count === 0 || recording.time[recording.count - 1] / speed <= MAX_SECONDS;
}

function fileStamp(path: string): string | null {
  try {
    const stat = statSync(path);
    if (!stat.isFile() || stat.size > MAX_KEPT_BYTES) return null;
    const hash = createHash('sha256');
    const chunk = Buffer.allocUnsafe(Math.min(stat.size, 1 << 20) || 1);
    const fd = openSync(path, 'r');
    try {
      for (let read = readSync(fd, chunk); read > 0; read = readSync(fd, chunk))
        hash.update(chunk.subarray(0, read));
    } finally {
      closeSync(fd);
    }
    return hash.digest('base64');
  } catch {
    return null;
  }
}

/** `source` (times before `speed`), whose records are kept in `entry` once it has given its last one. */
function recorded(trace: TraceSource, source: ArrivalSource, entry: Entry): ArrivalSource {
  const speed = trace.speed;
  let building: Recording | null = emptyRecording(trace);
  const skippedRows = source.skippedRows?.bind(source);
  const wrapped: ArrivalSource = {
    next(out) {
      let more: boolean;
      try {
        more = source.next(out);
      } catch (error) {
        building = null;
        throw error;
      }
      if (building === null) {
        if (more) out.timeS /= speed;
        return more;
      }
      if (!more) {
        building.skipped = skippedRows === undefined ? null : copySkipped(skippedRows());
        keep(entry, building);
        building = null;
      } else if (building.count === MAX_RECORDED) {
        building = null;
      } else {
        append(building, out, skippedRows?.().count ?? 0);
      }
      if (more) out.timeS /= speed;
      return more;
    },
    close() {
      building = null;
      source.close();
    },
  };
  if (skippedRows !== undefined) wrapped.skippedRows = skippedRows;
  return wrapped;
}

function emptyRecording(trace: TraceSource): Recording {
  const size = 1024;
  const prefixed = trace.prefixBlocks != null;
  return {
    speed: trace.speed,
    count: 0,
    time: new Float64Array(size),
    input: new Float64Array(size),
    output: new Float64Array(size),
    requestBytes: new Float64Array(size),
    responseBytes: new Float64Array(size),
    classIndex: trace.classColumn == null ? null : new Int32Array(size),
    model: trace.modelColumn == null ? null : [],
    adapter: trace.adapterColumn == null ? null : [],
    segmentStart: prefixed ? new Int32Array(size + 1) : null,
    hashes: prefixed ? new Float64Array(size) : null,
    ends: prefixed ? new Float64Array(size) : null,
    segmentCount: 0,
    skippedBefore: trace.onBadRow === 'skip' ? new Int32Array(size) : null,
    skipped: null,
  };
}

function grown<T extends Float64Array | Int32Array>(array: T, needed: number): T {
  if (needed <= array.length) return array;
  const larger = new (array.constructor as new (length: number) => T)(Math.max(needed, 2 * array.length));
  larger.set(array);
  return larger;
}

function append(r: Recording, out: ArrivalRecord, skippedSoFar: number): void {
  const i = r.count;
  if (i === r.time.length) {
    r.time = grown(r.time, i + 1);
    r.input = grown(r.input, i + 1);
    r.output = grown(r.output, i + 1);
    r.requestBytes = grown(r.requestBytes, i + 1);
    r.responseBytes = grown(r.responseBytes, i + 1);
    if (r.classIndex !== null) r.classIndex = grown(r.classIndex, i + 1);
    if (r.skippedBefore !== null) r.skippedBefore = grown(r.skippedBefore, i + 1);
  }
  r.time[i] = out.timeS;
  r.input[i] = out.input_tokens;
  r.output[i] = out.output_tokens;
  r.requestBytes[i] = out.request_bytes;
  r.responseBytes[i] = out.response_bytes;
  if (r.classIndex !== null) r.classIndex[i] = out.classIndex;
  r.model?.push(out.model);
  r.adapter?.push(out.adapter);
  if (r.skippedBefore !== null) r.skippedBefore[i] = skippedSoFar;
  if (r.segmentStart !== null) {
    const { segments, hashes, ends } = out.prefix;
    const from = r.segmentCount;
    r.hashes = grown(r.hashes as Float64Array, from + segments);
    r.ends = grown(r.ends as Float64Array, from + segments);
    r.hashes.set(hashes.subarray(0, segments), from);
    r.ends.set(ends.subarray(0, segments), from);
    r.segmentCount = from + segments;
    r.segmentStart = grown(r.segmentStart, i + 2);
    r.segmentStart[i + 1] = r.segmentCount;
  }
  r.count = i + 1;
}

function copySkipped(skipped: SkippedRows): SkippedRows {
  return { count: skipped.count, first: skipped.first.map((d): Diagnostic => ({ ...d })) };
}

/** Keeps `recording` in `entry`, forgetting the least recently opened others' beyond MAX_RECORDED in all. */
function keep(entry: Entry, recording: Recording): void {
  entry.recording = recording;
  let total = 0;
  for (const kept of entries.values()) total += kept.recording?.count ?? 0;
  for (const kept of entries.values()) {
    if (total <= MAX_RECORDED) break;
    if (kept === entry || kept.recording === null) continue;
    total -= kept.recording.count;
    kept.recording = null;
  }
}

/** The records of `r` in order, filling in the fields a read of the file fills in. */
function replay(r: Recording, speed: number): ArrivalSource {
  let next = 0;
  let done = false;
  let ended = false;
  const source: ArrivalSource = {
    next(out) {
      if (done) return false;
      if (next === r.count) {
        done = true;
        ended = true;
        return false;
      }
      const i = next++;
      out.timeS = r.time[i] / speed;
      out.input_tokens = r.input[i];
      out.output_tokens = r.output[i];
      out.request_bytes = r.requestBytes[i];
      out.response_bytes = r.responseBytes[i];
      if (r.classIndex !== null) out.classIndex = r.classIndex[i];
      if (r.model !== null) out.model = r.model[i];
      if (r.adapter !== null) out.adapter = r.adapter[i];
      if (r.segmentStart !== null) {
        const from = r.segmentStart[i];
        const segments = r.segmentStart[i + 1] - from;
        const prefix = out.prefix;
        if (segments > prefix.hashes.length) {
          const size = Math.max(segments, 2 * prefix.hashes.length);
          prefix.hashes = new Float64Array(size);
          prefix.ends = new Float64Array(size);
        }
        prefix.hashes.set((r.hashes as Float64Array).subarray(from, from + segments));
        prefix.ends.set((r.ends as Float64Array).subarray(from, from + segments));
        prefix.segments = segments;
      }
      return true;
    },
    close() {
      done = true;
    },
  };
  const skipped = r.skipped;
  const skippedBefore = r.skippedBefore;
  if (skipped !== null && skippedBefore !== null) {
    source.skippedRows = () => {
      const count = ended ? skipped.count : next === 0 ? 0 : skippedBefore[next - 1];
      return { count, first: skipped.first.slice(0, Math.min(count, skipped.first.length)) };
    };
  }
  return source;
}
