import { closeSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { NUMBER_MAX_BYTES, writeNumber, writeSixDecimals } from '../util/number-bytes.js';
import { formatRequestLine, REQUEST_OUTCOMES, type RequestRecord } from '../workload/index.js';

/** Its name in a run's output folder, beside summary.json. */
export const REQUESTS_FILE = 'requests.jsonl';

/** `RequestsFileWriter`'s name for requests.jsonl until it is complete. */
const PARTIAL_FILE = /^requests\.jsonl\.\d+\.tmp$/;

/**
 * Removes what a run that was killed while writing requests.jsonl left in `dir`: the file is
 * written while the simulation runs, so unlike the other outputs it can be cut off.
 */
export function removePartialRequestsFiles(dir: string): void {
  for (const name of readdirSync(dir)) if (PARTIAL_FILE.test(name)) rmSync(join(dir, name), { force: true });
}

/** Lines gathered before each write: few system calls per request, and memory that does not grow with the run. */
const BUFFER_BYTES = 256 * 1024;

/**
 * ASCII or UTF-8 text to copy into the buffer four bytes at a time (an unaligned little-endian
 * word each): a line is mostly such text, and copying it byte by byte took longer than
 * formatting its numbers. The last word may carry bytes past `length`; the next text or number
 * overwrites them, and the buffer has room past its end for them.
 */
class Text {
  readonly length: number;
  readonly words: Uint32Array;
  constructor(bytes: Uint8Array) {
    this.length = bytes.length;
    const padded = new Uint8Array(Math.ceil(bytes.length / 4) * 4);
    padded.set(bytes);
    const view = new DataView(padded.buffer);
    this.words = Uint32Array.from({ length: padded.length / 4 }, (_, i) => view.getUint32(4 * i, true));
  }
}

function ascii(text: string): Text {
  return new Text(Buffer.from(text, 'latin1'));
}

/** The text between the values of a line, as `formatRequestLine` writes it. */
const ARRIVAL = ascii('{"arrival":');
const FIRST_TOKEN = ascii(',"first_token":');
const FINISH = ascii(',"finish":');
/** The two above with no first token between them, as on every line of a fleet that is not an LLM's. */
const NO_FIRST_TOKEN = ascii(',"first_token":null,"finish":');
const INPUT_TOKENS = ascii(',"input_tokens":');
const OUTPUT_TOKENS = ascii(',"output_tokens":');
const NULL = ascii('null');
/** A line's bytes before its fleet, at most. */
const HEAD_BYTES =
  [ARRIVAL, FIRST_TOKEN, FINISH, INPUT_TOKENS, OUTPUT_TOKENS].reduce((sum, text) => sum + text.length, 0) +
  5 * NUMBER_MAX_BYTES;
/** Fleets and variants kept as text; a run has few, and past this many the cache starts again. */
const NAMES_CACHED = 256;

function json(value: string | null): string {
  return value === null ? 'null' : JSON.stringify(value);
}

/** What comes between the output tokens and the replica on a line of `fleet`. */
function fleetText(fleet: string | null): Text {
  return new Text(Buffer.from(`,"fleet":${json(fleet)},"replica":`, 'utf8'));
}

/** What ends a line of `variant` and request class `klass`, one for each outcome (in the order of `REQUEST_OUTCOMES`). */
function endTexts(variant: string | null, klass: string | undefined): Text[] {
  return REQUEST_OUTCOMES.map((o) => endText(o, variant, klass));
}

function endText(outcome: string, variant: string | null, klass: string | undefined): Text {
  const tail = klass === undefined ? '' : `,"class":${json(klass)}`;
  return new Text(Buffer.from(`,"outcome":"${outcome}","variant":${json(variant)}${tail}}\n`, 'utf8'));
}

/**
 * requests.jsonl written as the simulation produces its records. The simulation loop is
 * synchronous, so an asynchronous stream would hold every line in memory until the run ends;
 * instead lines go through a fixed buffer and synchronous writes. They go to a file beside the
 * target, renamed over it by `commit`, so a reader never sees a half-written file, and `abort`
 * (a failed run) leaves any earlier file in place.
 *
 * A line is encoded straight into the buffer, bytes for bytes those of `formatRequestLine`:
 * numbers without a string each, names from a cache of their JSON text. A run of a million
 * requests writes a million lines, and strings built per line cost more than the run itself.
 */
export class RequestsFileWriter {
  readonly path: string;
  readonly #temporary: string;
  #fd: number | null;
  /** Three bytes more than a line may fill: the last word of a text may pass its end. */
  readonly #buffer = new Uint8Array(BUFFER_BYTES + 3);
  readonly #view = new DataView(this.#buffer.buffer);
  #used = 0;
  readonly #fleets = new Map<string | null, Text>();
  /** Line ends by variant and class (their JSON as the key). */
  readonly #variants = new Map<string | null, Text[]>();
  /** The last fleet and variant written, and their texts: most lines repeat them. */
  #fleet: string | null = null;
  #fleetText = fleetText(null);
  #variant: string | null = null;
  #class: string | undefined = undefined;
  #endTexts = endTexts(null, undefined);
  /** Records written so far. */
  count = 0;

  constructor(path: string) {
    this.path = path;
    this.#temporary = `${path}.${process.pid}.tmp`;
    mkdirSync(dirname(path), { recursive: true });
    this.#fd = openSync(this.#temporary, 'w');
  }

  /** As an `onRequest` callback. */
  readonly write = (record: RequestRecord): void => {
    if (record.fleet !== this.#fleet) {
      this.#fleet = record.fleet;
      this.#fleetText = cached(this.#fleets, record.fleet, fleetText);
    }
    if (record.variant !== this.#variant || record.class !== this.#class) {
      const { variant, class: klass } = record;
      this.#variant = variant;
      this.#class = klass;
      this.#endTexts = cached(this.#variants, JSON.stringify([variant, klass ?? null]), () =>
        endTexts(variant, klass),
      );
    }
    const fleet = this.#fleetText;
    const outcome = record.outcome === 'completed' ? 0 : REQUEST_OUTCOMES.indexOf(record.outcome);
    // The type allows no other outcome; a caller without types may still pass one.
    const end = outcome < 0 ? endText(record.outcome, record.variant, record.class) : this.#endTexts[outcome];
    const bytes = HEAD_BYTES + fleet.length + NUMBER_MAX_BYTES + end.length;
    if (this.#used + bytes > BUFFER_BYTES) this.#flush();
    this.count++;
    if (bytes > BUFFER_BYTES) {
      writeSync(this.#fd as number, formatRequestLine(record));
      return;
    }
    const v = this.#view;
    let at = writeSixDecimals(v, put(v, this.#used, ARRIVAL), record.arrival);
    if (record.first_token === null) at = put(v, at, NO_FIRST_TOKEN);
    else at = put(v, writeSixDecimals(v, put(v, at, FIRST_TOKEN), record.first_token), FINISH);
    at = record.finish === null ? put(v, at, NULL) : writeSixDecimals(v, at, record.finish);
    at = put(v, at, INPUT_TOKENS);
    at = record.input_tokens === null ? put(v, at, NULL) : writeNumber(v, at, record.input_tokens);
    at = put(v, at, OUTPUT_TOKENS);
    at = record.output_tokens === null ? put(v, at, NULL) : writeNumber(v, at, record.output_tokens);
    at = put(v, at, fleet);
    at = record.replica === null ? put(v, at, NULL) : writeNumber(v, at, record.replica);
    this.#used = put(v, at, end);
  };

  /** Writes what is buffered and puts the file in place. */
  commit(): void {
    this.#flush();
    closeSync(this.#fd as number);
    this.#fd = null;
    renameSync(this.#temporary, this.path);
  }

  /** Removes the partial file; safe to call after `commit`. */
  abort(): void {
    if (this.#fd === null) return;
    closeSync(this.#fd);
    this.#fd = null;
    rmSync(this.#temporary, { force: true });
  }

  #flush(): void {
    let at = 0;
    while (at < this.#used) at += writeSync(this.#fd as number, this.#buffer, at, this.#used - at);
    this.#used = 0;
  }
}

/** The entry for `key`, made on first use; a cache that starts again when it holds `NAMES_CACHED`. */
function cached<T>(cache: Map<string | null, T>, key: string | null, make: (key: string | null) => T): T {
  let value = cache.get(key);
  if (value === undefined) {
    if (cache.size >= NAMES_CACHED) cache.clear();
    value = make(key);
    cache.set(key, value);
  }
  return value;
}

function put(view: DataView, at: number, text: Text): number {
  const words = text.words;
  for (let i = 0; i < words.length; i++) view.setUint32(at + 4 * i, words[i], true);
  return at + text.length;
}
