import { describe, expect, it } from 'vitest';
import { Kind, PRIORITIES } from './events.js';

describe('the event table', () => {
  it('numbers every kind once, with a priority each', () => {
    const numbers = Object.values(Kind).sort((a, b) => a - b);
    expect(numbers).toEqual(numbers.map((_, i) => i));
    expect(PRIORITIES).toHaveLength(numbers.length);
  });

  it('orders same-instant events as causality needs', () => {
    const precedes = (a: keyof typeof Kind, b: keyof typeof Kind) =>
      expect(PRIORITIES[Kind[a]], `${a} before ${b}`).toBeLessThan(PRIORITIES[Kind[b]]);
    // A completion frees its slot before a waiting request gives up, both before an arrival looks for one.
    for (const done of ['ServiceDone', 'BatchDone', 'IterationDone'] as const) precedes(done, 'QueueTimeout');
    precedes('QueueTimeout', 'Arrival');
    // Replicas come and go before the instant's arrivals; outages too.
    for (const change of ['ReplicaReady', 'SpotReclaim', 'CapacityOut', 'CapacityIn'] as const)
      precedes(change, 'Arrival');
    // A batcher's deadline and an idle LLM replica's next iteration see every arrival of the instant.
    precedes('Arrival', 'BatchTimer');
    precedes('Arrival', 'IterationStart');
    // An autoscaler scrapes after the instant's requests have moved, and decides after scraping.
    precedes('IterationStart', 'Scrape');
    precedes('Scrape', 'Evaluate');
  });
});
