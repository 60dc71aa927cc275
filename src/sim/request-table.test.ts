import { describe, expect, it } from 'vitest';
import { createArrivalRecord } from '../workload/index.js';
import { RequestTable } from './request-table.js';

describe('request table: prompt prefixes', () => {
  it('keeps a copy of what a prompt shares until its request leaves, and nothing for a prompt that shares nothing', () => {
    const requests = new RequestTable(2);
    const record = createArrivalRecord();
    const a = requests.allocate();
    requests.storePrefix(a, record.prefix);
    expect(requests.prefix(a)).toBeNull();

    record.prefix.segments = 2;
    record.prefix.hashes.set([11, 12]);
    record.prefix.ends.set([512, 700]);
    const b = requests.allocate();
    requests.storePrefix(b, record.prefix);
    // The record is refilled by the next arrival: the request keeps what it had.
    record.prefix.hashes[0] = 99;
    record.prefix.segments = 0;
    expect(requests.prefix(b)).toEqual({ hashes: Float64Array.of(11, 12), ends: Float64Array.of(512, 700) });
    expect(requests.prefix(a)).toBeNull();

    requests.release(b);
    const c = requests.allocate();
    expect(c).toBe(b);
    expect(requests.prefix(c)).toBeNull();
  });
});

describe('request table: class, model and adapter', () => {
  it('keeps the class, model and adapter of each request through the table growing', () => {
    const requests = new RequestTable(2);
    const slots = [0, 1, 2, 3, 4].map((i) => {
      const slot = requests.allocate();
      requests.storeClass(slot, { classIndex: i % 3, modelIndex: i, adapterIndex: 2 - i });
      return slot;
    });
    expect(slots.map((s) => [requests.requestClass[s], requests.model[s], requests.adapter[s]])).toEqual([
      [0, 0, 2],
      [1, 1, 1],
      [2, 2, 0],
      [0, 3, -1],
      [1, 4, -2],
    ]);
  });

  it('gives every slot, old and grown, the fixed class, and stores no other', () => {
    // Room for two: the other three slots come from the table growing.
    const requests = new RequestTable(2);
    requests.fixClass({ classIndex: 1, modelIndex: 3, adapterIndex: -1 });
    const slots = [0, 1, 2, 3, 4].map(() => {
      const slot = requests.allocate();
      requests.storeClass(slot, { classIndex: 0, modelIndex: 0, adapterIndex: 7 });
      return slot;
    });
    for (const s of slots)
      expect([requests.requestClass[s], requests.model[s], requests.adapter[s]]).toEqual([1, 3, -1]);
  });
});
