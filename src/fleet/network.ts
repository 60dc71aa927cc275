import { InvariantError } from '../scenario/types.js';
import { closestNames, typoTolerance } from '../util/closest-names.js';

/**
 * The network between where requests come from and where fleets run: round-trip times between
 * places (cloud regions and edge sites share one namespace), the time a request and its response
 * spend on the wire, and the bytes of a request or response given only its token count.
 * Durations are seconds, sizes bytes, bandwidths bytes per second.
 */

/**
 * RTT from a place to itself when a scenario gives none: within the 0.5-1.5 ms FlashGrid measured
 * between AWS availability zones (2023-03-27,
 * https://www.flashgrid.io/news/latencies-between-aws-availability-zones-what-are-they-and-how-to-minimize-them/),
 * since clients and servers of one region are rarely all in one zone. One zone is faster: set it.
 */
export const DEFAULT_SAME_PLACE_RTT_S = 0.001;

/** `{ from: { to: rttS } }` as a scenario gives it; either direction of a pair is enough. */
export type RttInput = Readonly<Record<string, Readonly<Record<string, number>>>>;

export interface RttMatrix {
  /** Seconds; throws for a pair that was not among the `required` pairs checked when it was built. */
  rttS(from: string, to: string): number;
}

/** A mistake in the scenario's matrix, at a path below `network.rtt`, for the loader to locate. */
export interface RttIssue {
  path: string[];
  message: string;
}

/**
 * Completes a scenario's RTT matrix: a pair given in one direction holds in the other (a round
 * trip is the same both ways; where both directions are given each is used as given), and a place
 * to itself defaults to `samePlaceRttS`. Every pair in `required` (the sites traffic comes from
 * and the places of the fleets it may reach) must then be known; all missing pairs are reported.
 */
export function buildRttMatrix(
  rtt: RttInput,
  required: readonly (readonly [string, string])[],
  samePlaceRttS = DEFAULT_SAME_PLACE_RTT_S,
): { ok: true; value: RttMatrix } | { ok: false; errors: RttIssue[] } {
  const errors: RttIssue[] = [];
  const known = new Map<string, Map<string, number>>();
  const set = (from: string, to: string, rttS: number) => {
    let row = known.get(from);
    if (!row) known.set(from, (row = new Map()));
    row.set(to, rttS);
  };
  for (const [from, row] of Object.entries(rtt)) {
    for (const [to, rttS] of Object.entries(row)) {
      if (!(Number.isFinite(rttS) && rttS >= 0)) {
        errors.push({ path: [from, to], message: `an RTT must be a non-negative duration, got ${rttS}` });
        continue;
      }
      set(from, to, rttS);
    }
  }
  for (const [from, row] of [...known]) {
    for (const [to, rttS] of row) if (!known.get(to)?.has(from)) set(to, from, rttS);
  }
  const named = new Set(known.keys());
  const lookup = (from: string, to: string) =>
    known.get(from)?.get(to) ?? (from === to ? samePlaceRttS : undefined);

  const reported = new Set<string>();
  for (const [from, to] of required) {
    const key = from < to ? `${from}\n${to}` : `${to}\n${from}`;
    if (lookup(from, to) !== undefined || reported.has(key)) continue;
    reported.add(key);
    const hints = [from, to]
      .filter((place) => !named.has(place))
      .flatMap((place) => {
        // Names that differ in a number (us-east-1, us-west-2; edge-3, edge-4) are other places, not typos.
        const sameNumbers = [...named].filter((name) => numbersIn(name) === numbersIn(place));
        const near = closestNames(place, sameNumbers, { count: 1, maxDistance: typoTolerance(place) });
        return near.length > 0 ? [`network.rtt names "${near[0]}", close to "${place}"`] : [];
      });
    errors.push({
      path: [],
      message: `no RTT between "${from}" and "${to}": add network.rtt.${from}.${to} (one direction is enough)${hints.map((hint) => `; ${hint}`).join('')}`,
    });
  }
  if (errors.length > 0) return { ok: false, errors };

  return {
    ok: true,
    value: {
      rttS(from, to) {
        const rttS = lookup(from, to);
        if (rttS === undefined)
          throw new InvariantError(`no RTT between "${from}" and "${to}": the pair was not checked`);
        return rttS;
      },
    },
  };
}

/** One client-to-fleet path: its RTT and the bandwidth each way. */
export interface NetworkPath {
  rttS: number;
  /** Client to server. */
  uplinkBytesPerS: number;
  /** Server to client. */
  downlinkBytesPerS: number;
}

export interface NetworkTime {
  /** From the client's send to the request being at the server: half the RTT plus its bytes over the uplink. */
  toServerS: number;
  /** From the server's reply to the client holding the whole response: half the RTT plus its bytes over the downlink. */
  fromServerS: number;
}

/**
 * Network time of one request on an open connection: one RTT in all, split evenly between the
 * ways, plus each message's bytes over its direction's bandwidth. Connection setup (TCP and TLS
 * handshakes), TCP slow start, loss and queueing in the network are left out, and a response is one
 * message sent when service ends (streamed tokens are not modelled). An infinite bandwidth leaves
 * the RTT alone.
 */
export function networkTime(path: NetworkPath, requestBytes: number, responseBytes: number): NetworkTime {
  if (!(requestBytes >= 0) || !(responseBytes >= 0)) {
    throw new InvariantError(
      `message sizes must be known and non-negative, got ${requestBytes} and ${responseBytes} bytes`,
    );
  }
  const halfRttS = path.rttS / 2;
  return {
    toServerS: halfRttS + requestBytes / path.uplinkBytesPerS,
    fromServerS: halfRttS + responseBytes / path.downlinkBytesPerS,
  };
}

/**
 * OpenAI: "1 token ≈ 4 characters" of English text (https://help.openai.com/en/articles/4936856-what-are-tokens-and-how-to-count-them),
 * and UTF-8 encodes each ASCII character in one byte. Other languages take more bytes per token.
 */
export const ENGLISH_UTF8_BYTES_PER_TOKEN = 4;

export interface MessageSize {
  bytesPerToken: number;
  /** Bytes of a message with no tokens: headers, JSON keys, model name. No cited default: 0 unless set. */
  envelopeBytes: number;
}

export const DEFAULT_MESSAGE_SIZE: Readonly<MessageSize> = {
  bytesPerToken: ENGLISH_UTF8_BYTES_PER_TOKEN,
  envelopeBytes: 0,
};

/** Bytes of a request (its input tokens) or response (its output tokens) when a trace gives no byte counts. */
export function messageBytes(tokens: number, size: MessageSize = DEFAULT_MESSAGE_SIZE): number {
  return size.envelopeBytes + tokens * size.bytesPerToken;
}

function numbersIn(name: string): string {
  return (name.match(/\d+/g) ?? []).join(',');
}
