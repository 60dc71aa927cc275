import { describe, expect, it } from 'vitest';
import { createStreams } from '../engine/rng.js';
import type { Arrivals, Distribution, Sessions } from '../scenario/types.js';
import { type ArrivalContext, createArrivalRecord, createArrivalSource } from './arrival-source.js';
import { permute53 } from './session-arrivals.js';

const constant = (value: number): Distribution => ({ kind: 'constant', value });

function sessions(overrides: Partial<Sessions>): Arrivals {
  return {
    kind: 'sessions',
    sessions: {
      rate: { kind: 'constant', value: 1 },
      turns: constant(3),
      firstMessageTokens: constant(50),
      messageTokens: constant(20),
      outputTokens: constant(30),
      thinkTime: constant(10),
      answerTimePerToken: 0,
      systemPromptTokens: 0,
      ...overrides,
    },
  };
}

interface Turn {
  timeS: number;
  input: number;
  output: number;
  hashes: number[];
  ends: number[];
}

function turns(arrivals: Arrivals, durationS: number | null, seed = 7, extra: Partial<ArrivalContext> = {}) {
  const streams = createStreams(seed);
  const source = createArrivalSource(arrivals, {
    uniform: streams.stream('arrivals'),
    sessionStream: (name) => streams.stream(name),
    durationS,
    ...extra,
  });
  const record = createArrivalRecord();
  const out: Turn[] = [];
  while (source.next(record)) {
    const { segments, hashes, ends } = record.prefix;
    out.push({
      timeS: record.timeS,
      input: record.input_tokens,
      output: record.output_tokens,
      hashes: Array.from(hashes.subarray(0, segments)),
      ends: Array.from(ends.subarray(0, segments)),
    });
  }
  source.close();
  return out;
}

/** Turns grouped by session: a session's first message is its own segment, named by a hash no other session has. */
function bySession(all: Turn[], systemParts: number): Map<number, Turn[]> {
  const groups = new Map<number, Turn[]>();
  for (const turn of all) {
    const key = turn.hashes[systemParts];
    const group = groups.get(key);
    if (group) group.push(turn);
    else groups.set(key, [turn]);
  }
  return groups;
}

describe('sessions: counts', () => {
  // Sessions start at 2/s for 20,000 s; turns are round(U(1, 9)), at least 1: 1 and 9 with
  // probability 1/16 each, 2..8 with 1/8 each, so mean 5 and variance E[X^2] - 25 = 30.5 - 25 = 5.5.
  const rate = 2;
  const horizonS = 20_000;
  const all = turns(
    sessions({
      rate: { kind: 'constant', value: rate },
      turns: { kind: 'uniform', min: 1, max: 9 },
      thinkTime: { kind: 'exponential', mean: 3 },
      systemPromptTokens: 100,
    }),
    horizonS,
  );
  const groups = bySession(all, 1);

  it('starts a Poisson number of sessions: within 4 standard deviations of rate * duration', () => {
    const expected = rate * horizonS;
    expect(Math.abs(groups.size - expected)).toBeLessThan(4 * Math.sqrt(expected));
  });

  it('gives sessions their drawn turns: mean within 4 standard errors of 5', () => {
    // Sessions starting 300 s before the end or earlier are never cut: 8 exponential gaps of mean
    // 3 s exceed 300 s with a probability far below 1e-30.
    const whole = [...groups.values()].filter((g) => g[0].timeS < horizonS - 300);
    const mean = whole.reduce((sum, g) => sum + g.length, 0) / whole.length;
    expect(whole.length).toBeGreaterThan(35_000);
    expect(Math.abs(mean - 5)).toBeLessThan(4 * Math.sqrt(5.5 / whole.length));
    const sizes = new Set(whole.map((g) => g.length));
    expect([...sizes].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('turns send the conversation so far: mean prompt as the closed form gives it', () => {
    // Lognormal messages and answers: E = median * e^(sigma^2 / 2). Turn t of a session carries
    // 100 + first + t (message + answer), so over whole sessions the mean prompt is
    // 100 + E[first] + (E[N^2] - E[N]) / (2 E[N]) * (E[message] + E[answer]), E[N^2] = 30.5.
    const spec = sessions({
      rate: { kind: 'constant', value: rate },
      turns: { kind: 'uniform', min: 1, max: 9 },
      firstMessageTokens: { kind: 'lognormal', mu: Math.log(300), sigma: 0.5 },
      messageTokens: { kind: 'lognormal', mu: Math.log(60), sigma: 0.5 },
      outputTokens: { kind: 'lognormal', mu: Math.log(250), sigma: 0.5 },
      thinkTime: { kind: 'exponential', mean: 3 },
      systemPromptTokens: 100,
    });
    const whole = [...bySession(turns(spec, horizonS), 1).values()].filter(
      (g) => g[0].timeS < horizonS - 300,
    );
    const requests = whole.flat();
    const mean = requests.reduce((sum, t) => sum + t.input, 0) / requests.length;
    const e = Math.exp(0.125);
    const expected = 100 + 300 * e + ((30.5 - 5) / 10) * (60 * e + 250 * e);
    // Whole-token rounding moves each draw by less than 0.5 tokens, and no draw here is near 1.
    expect(Math.abs(mean / expected - 1)).toBeLessThan(0.015);
  });

  it('comes out in time order while sessions overlap, every turn before the end', () => {
    expect(all.every((t, i) => t.timeS < horizonS && (i === 0 || t.timeS >= all[i - 1].timeS))).toBe(true);
    // They do overlap: turns of other sessions come between the first and last turn of most sessions.
    const positions = new Map<number, number[]>();
    all.forEach((t, i) => {
      const list = positions.get(t.hashes[1]);
      if (list) list.push(i);
      else positions.set(t.hashes[1], [i]);
    });
    const interleaved = [...positions.values()].filter((p) => p[p.length - 1] - p[0] + 1 > p.length);
    expect(interleaved.length).toBeGreaterThan(positions.size / 2);
  });

  it('turn t of a session comes a think time after turn t - 1: gaps average 3 s', () => {
    let sum = 0;
    let n = 0;
    for (const g of groups.values()) {
      for (let i = 1; i < g.length; i++) {
        sum += g[i].timeS - g[i - 1].timeS;
        n++;
      }
    }
    // Exponential gaps: standard deviation 3 s, so the mean's standard error is 3 / sqrt(n).
    expect(Math.abs(sum / n - 3)).toBeLessThan((4 * 3) / Math.sqrt(n));
  });

  it('reports the sessions waiting for their next turn, and the turns they drew, as the turns still to come show', () => {
    // After the i-th record a session waits when it sent a turn at or before i and sends another
    // after, and it drew as many turns as it sends unless the end cut it: at 2,000 s, which no
    // session waiting in the first 1,000 s reaches (8 exponential gaps of 3 s exceed 1,000 s with a
    // probability far below 1e-100).
    const spec = sessions({
      rate: { kind: 'constant', value: 5 },
      turns: { kind: 'uniform', min: 1, max: 9 },
      thinkTime: { kind: 'exponential', mean: 3 },
      systemPromptTokens: 100,
    });
    const streams = createStreams(3);
    const source = createArrivalSource(spec, {
      uniform: streams.stream('arrivals'),
      sessionStream: (name) => streams.stream(name),
      durationS: 2000,
    });
    const record = createArrivalRecord();
    const keys: number[] = [];
    const reported: { sessions: number; turns: number }[] = [];
    let checked = 0;
    while (source.next(record)) {
      keys.push(record.prefix.hashes[1]);
      reported.push(source.waiting?.() ?? { sessions: -1, turns: -1 });
      if (record.timeS < 1000) checked++;
    }
    source.close();
    const first = new Map<number, number>();
    const last = new Map<number, number>();
    const count = new Map<number, number>();
    keys.forEach((key, i) => {
      if (!first.has(key)) first.set(key, i);
      last.set(key, i);
      count.set(key, (count.get(key) ?? 0) + 1);
    });
    // Waiting after record i: sessions with first <= i < last, by a sweep over their spans.
    const sessionsDelta = new Float64Array(keys.length + 1);
    const turnsDelta = new Float64Array(keys.length + 1);
    for (const [key, from] of first) {
      const to = last.get(key) ?? from;
      sessionsDelta[from] += 1;
      sessionsDelta[to] -= 1;
      turnsDelta[from] += count.get(key) ?? 0;
      turnsDelta[to] -= count.get(key) ?? 0;
    }
    let sessionsNow = 0;
    let turnsNow = 0;
    let most = 0;
    for (let i = 0; i < checked; i++) {
      sessionsNow += sessionsDelta[i];
      turnsNow += turnsDelta[i];
      most = Math.max(most, sessionsNow);
      expect(reported[i]).toEqual({ sessions: sessionsNow, turns: turnsNow });
    }
    // Little's law: 5 sessions a second, waiting some 4 gaps of 3 s each on average.
    expect(checked).toBeGreaterThan(20_000);
    expect(most).toBeGreaterThan(30);
    expect(reported[reported.length - 1]).toEqual({ sessions: 0, turns: 0 });
  });
});

describe('sessions: the prompt of each turn', () => {
  // System prompt 100, first message 50, later messages 20, answers 30, 4 turns, a turn every 10 s.
  const all = turns(sessions({ turns: constant(4), systemPromptTokens: 100 }), 1000);
  const groups = [...bySession(all, 1).values()];
  const session = groups.find((g) => g.length === 4) as Turn[];

  it('turn t carries the previous prompt, its answer and a new message', () => {
    // 100 + 50; then + 30 + 20 per turn.
    expect(session.map((t) => t.input)).toEqual([150, 200, 250, 300]);
    expect(session.map((t) => t.output)).toEqual([30, 30, 30, 30]);
    expect(session[2].ends).toEqual([100, 150, 180, 200, 230, 250]);
    expect(session.map((t) => t.timeS - session[0].timeS)).toEqual([0, 10, 20, 30]);
  });

  it('a later turn names its earlier parts with the hashes the earlier turns used', () => {
    for (let t = 1; t < 4; t++) {
      expect(session[t].hashes.slice(0, session[t - 1].hashes.length)).toEqual(session[t - 1].hashes);
      expect(session[t].hashes).toHaveLength(1 + 2 * t + 1);
    }
  });

  it('two sessions share the system prompt and nothing else', () => {
    const other = groups.find((g) => g !== session) as Turn[];
    const last = (g: Turn[]) => g[g.length - 1].hashes;
    expect(last(other)[0]).toBe(last(session)[0]);
    const shared = last(other).filter((h) => last(session).includes(h));
    expect(shared).toEqual([last(session)[0]]);
    // Across the whole run: every part but the system prompt has a hash of its own.
    const parts = new Set(all.flatMap((t) => t.hashes.slice(1)));
    const partCount = groups.reduce((sum, g) => sum + g[g.length - 1].hashes.length - 1, 0);
    expect(parts.size).toBe(partCount);
    expect([...parts].every((h) => Number.isInteger(h) && h >= 0 && h < 2 ** 53)).toBe(true);
  });

  it('without a system prompt, sessions share no segment', () => {
    const plain = turns(sessions({}), 100);
    const groupsPlain = [...bySession(plain, 0).values()];
    expect(groupsPlain[0][0].hashes).toHaveLength(1);
    expect(groupsPlain[0][0].input).toBe(50);
    const first = new Set(groupsPlain[0].flatMap((t) => t.hashes));
    expect(groupsPlain[1].flatMap((t) => t.hashes).some((h) => first.has(h))).toBe(false);
  });

  it('a session longer than the record holds gets longer arrays: 30 turns, 60 segments', () => {
    const long = turns(sessions({ turns: constant(30), thinkTime: constant(1) }), 40);
    const session30 = [...bySession(long, 0).values()].find((g) => g.length === 30) as Turn[];
    expect(session30[29].hashes).toHaveLength(59);
    expect(session30[29].input).toBe(50 + 29 * 50);
  });

  it('answer_time_per_token adds the previous answer to the gap', () => {
    // 10 s + 30 tokens * 0.1 s.
    const paced = turns(sessions({ answerTimePerToken: 0.1 }), 1000);
    const g = [...bySession(paced, 0).values()][0];
    expect(g.map((t) => t.timeS - g[0].timeS)).toEqual([0, 13, 26]);
  });

  it('rounds drawn tokens and turns to whole numbers, at least 1', () => {
    const rounded = turns(
      sessions({ turns: constant(2.4), firstMessageTokens: constant(0.2), outputTokens: constant(7.6) }),
      1000,
    );
    const g = [...bySession(rounded, 0).values()][0];
    expect(g.map((t) => [t.input, t.output])).toEqual([
      [1, 8],
      [1 + 8 + 20, 8],
    ]);
  });
});

describe('sessions: duration and random numbers', () => {
  it('no turn arrives at or after the duration: sessions running then are cut', () => {
    // A session every ~1 s with 3 turns 10 s apart: those starting in the last 20 s lose turns.
    const all = turns(sessions({}), 200);
    const groups = [...bySession(all, 0).values()];
    expect(all.every((t) => t.timeS < 200)).toBe(true);
    for (const g of groups) expect(g.length).toBe(Math.min(3, Math.floor((200 - g[0].timeS) / 10) + 1));
    expect(groups.some((g) => g.length < 3)).toBe(true);
  });

  it('the same seed gives the same turns, another seed others', () => {
    const spec = sessions({
      turns: { kind: 'exponential', mean: 4 },
      outputTokens: { kind: 'lognormal', mu: 5, sigma: 0.5 },
      thinkTime: { kind: 'exponential', mean: 5 },
      systemPromptTokens: 10,
    });
    expect(turns(spec, 500)).toEqual(turns(spec, 500));
    expect(turns(spec, 500, 8).map((t) => t.timeS)).not.toEqual(turns(spec, 500).map((t) => t.timeS));
  });

  it('a busier variant starts the same sessions sooner: the k-th session is the same session', () => {
    const spec = (rate: number) =>
      sessions({
        rate: { kind: 'constant', value: rate },
        turns: { kind: 'exponential', mean: 4 },
        messageTokens: { kind: 'lognormal', mu: 4, sigma: 1 },
        outputTokens: { kind: 'lognormal', mu: 5, sigma: 0.5 },
        thinkTime: { kind: 'exponential', mean: 5 },
      });
    // No duration cut within the sessions compared: both runs are long against them.
    const content = (all: Turn[]) =>
      [...bySession(all, 0).values()].slice(0, 200).map((g) => g.map((t) => [t.input, t.output]));
    const slow = turns(spec(1), 2000);
    const fast = turns(spec(2), 2000);
    expect(content(fast)).toEqual(content(slow));
    const startsSlow = [...bySession(slow, 0).values()].slice(0, 200).map((g) => g[0].timeS);
    const startsFast = [...bySession(fast, 0).values()].slice(0, 200).map((g) => g[0].timeS);
    expect(startsFast.every((t, k) => Math.abs(t - startsSlow[k] / 2) < 1e-9)).toBe(true);
  });

  it('a rate expression starts sessions by thinning: about its integral', () => {
    // 1 + sin(2 pi t / 100) over 10,000 s integrates to 10,000.
    const all = turns(
      sessions({ rate: { kind: 'expression', source: '1 + sin(2 * pi * t / 100)' }, turns: constant(1) }),
      10_000,
      7,
      { rateAt: (t) => 1 + Math.sin((2 * Math.PI * t) / 100) },
    );
    expect(Math.abs(all.length - 10_000)).toBeLessThan(4 * Math.sqrt(10_000));
  });
});

describe('permute53', () => {
  it('maps distinct counters to distinct integers below 2^53, spread over the range', () => {
    const hashes = Array.from({ length: 100_000 }, (_, n) => permute53(n));
    expect(hashes.every((h) => Number.isInteger(h) && h >= 0 && h < 2 ** 53)).toBe(true);
    expect(new Set(hashes).size).toBe(100_000);
    const high = hashes.filter((h) => h >= 2 ** 52).length;
    // Half of a uniform spread lies above 2^52: 50,000 with standard deviation 158.
    expect(Math.abs(high - 50_000)).toBeLessThan(4 * 158);
  });

  it('is a bijection: its Feistel rounds undone in reverse give the counter back', () => {
    const keys = [0x9e3779b9, 0x7f4a7c15, 0x85ebca6b, 0xc2b2ae35];
    const mix32 = (x: number, key: number) => {
      let h = (x ^ key) >>> 0;
      h ^= h >>> 16;
      h = Math.imul(h, 0x85ebca6b);
      h ^= h >>> 13;
      h = Math.imul(h, 0xc2b2ae35);
      h ^= h >>> 16;
      return h >>> 0;
    };
    const invert = (h: number) => {
      let high = Math.floor(h / 2 ** 32);
      let low = h >>> 0;
      for (let r = keys.length - 2; r >= 0; r -= 2) {
        high = (high ^ mix32(low, keys[r + 1])) & 0x1fffff;
        low = (low ^ mix32(high, keys[r])) >>> 0;
      }
      return high * 2 ** 32 + low;
    };
    for (const n of [0, 1, 2, 12_345, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 7, 2 ** 53 - 1]) {
      expect(invert(permute53(n))).toBe(n);
    }
  });
});
