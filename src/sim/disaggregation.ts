import { toUs } from '../core/time.js';
import type { DisaggregationResult } from '../metrics/index.js';
import { type ReplicaLoadView, ReplicaPool, type Router } from '../policies/routing/index.js';
import { lessLoaded } from '../policies/routing/types.js';
import type { Fleet, Scenario } from '../scenario/types.js';
import { kvBytesPerToken } from '../serving/llm/index.js';
import type { FleetLayout } from './layout.js';

/** A fleet's part in serving a request (`Fleet.role`). */
export const Role = { Both: 0, Prefill: 1, Decode: 2 } as const;

export function roleOf(fleet: Fleet): number {
  return fleet.role === 'prefill' ? Role.Prefill : fleet.role === 'decode' ? Role.Decode : Role.Both;
}

/**
 * Prefill/decode disaggregation in a run: which replicas decode (routing never sees them; the
 * decode side picks among them), the link a KV cache crosses, and the transfers in flight.
 * A transfer is a row of typed columns, its index the payload of its `KvTransferDone` event.
 */
export class Disaggregation {
  /** Per fleet: its `Role`. */
  readonly role: Uint8Array;
  /** Decode fleets, in scenario order, and the ready replicas of each. */
  readonly decodeFleets: number[] = [];
  private readonly pools: ReplicaPool[] = [];
  /** Bytes of K and V per prompt token, the whole model (all tensor-parallel shards). */
  readonly bytesPerToken: number;
  private readonly bytesPerS: number;
  private readonly latencyS: number;
  /** Per transfer: the request (slot, generation), its source replica and that replica's epoch, the blocks it holds there. */
  slot = new Int32Array(16);
  gen = new Int32Array(16);
  source = new Int32Array(16);
  sourceEpoch = new Int32Array(16);
  blocks = new Int32Array(16);
  private free: number[] = [];
  private next = 0;
  /** Whole run, warmup included, like the LLM fleet counters. */
  transfers = 0;
  transferBytes = 0;
  transferUs = 0;
  /** Per prefill fleet: requests whose output it decoded itself, no decode replica being ready. */
  readonly localDecodes: Float64Array;
  /** Per prefill fleet: requests dropped after their prefill, no decode replica being ready and its own KV cache too small. */
  readonly undecoded: Float64Array;

  constructor(
    scenario: Scenario,
    private readonly layout: FleetLayout,
    private readonly load: ReplicaLoadView,
  ) {
    const { fleets } = scenario;
    this.role = Uint8Array.from(fleets, roleOf);
    for (const [f, role] of this.role.entries()) {
      if (role !== Role.Decode) continue;
      this.decodeFleets.push(f);
      this.pools.push(new ReplicaPool(layout.first[f], layout.slots[f], false));
    }
    const link = scenario.disaggregation?.kvLink;
    if (scenario.model === null || link === undefined)
      throw new TypeError('a disaggregated scenario needs a model and a KV link');
    this.bytesPerToken = kvBytesPerToken(scenario.model.llm);
    this.bytesPerS = link.bytesPerS;
    this.latencyS = link.latencyS;
    this.localDecodes = new Float64Array(fleets.length);
    this.undecoded = new Float64Array(fleets.length);
  }

  /** Whether `replica` decodes; if so, its readiness is recorded here rather than by the router. */
  setReady(replica: number, ready: boolean): boolean {
    if (this.role[this.layout.fleetOf[replica]] !== Role.Decode) return false;
    for (const pool of this.pools) if (pool.contains(replica)) pool.setReady(replica, ready);
    return true;
  }

  /**
   * The ready decode replica with the fewest requests outstanding relative to its slots, among
   * the decode fleets `accepts` (those whose KV cache can hold the request); -1 when none is ready.
   */
  pickDecode(accepts: (fleet: number) => boolean): number {
    let best = -1;
    for (let i = 0; i < this.pools.length; i++) {
      const pool = this.pools[i];
      if (pool.size === 0 || !accepts(this.decodeFleets[i])) continue;
      for (let k = 0; k < pool.size; k++) {
        const replica = pool.members[k];
        if (best < 0 || lessLoaded(this.load, replica, best)) best = replica;
      }
    }
    return best;
  }

  /** Time a prompt's KV cache takes over the link, microseconds (at least 1: the clock's tick). */
  transferTimeUs(promptTokens: number): number {
    return Math.max(1, toUs((promptTokens * this.bytesPerToken) / this.bytesPerS + this.latencyS));
  }

  /** Records a transfer starting; returns its index. */
  start(
    slot: number,
    gen: number,
    source: number,
    sourceEpoch: number,
    blocks: number,
    prompt: number,
  ): number {
    const id = this.free.length > 0 ? (this.free.pop() as number) : this.next++;
    if (id >= this.slot.length) this.grow();
    this.slot[id] = slot;
    this.gen[id] = gen;
    this.source[id] = source;
    this.sourceEpoch[id] = sourceEpoch;
    this.blocks[id] = blocks;
    this.transfers++;
    this.transferBytes += prompt * this.bytesPerToken;
    this.transferUs += this.transferTimeUs(prompt);
    return id;
  }

  finish(id: number): void {
    this.free.push(id);
  }

  result(fleets: readonly Fleet[]): DisaggregationResult {
    return {
      kv_link: { bandwidth_bytes_per_s: this.bytesPerS, latency_s: this.latencyS },
      kv_bytes_per_token: this.bytesPerToken,
      transfers: this.transfers,
      transfer_bytes: this.transferBytes,
      transfer_s: {
        total: this.transferUs / 1e6,
        mean: this.transfers > 0 ? this.transferUs / 1e6 / this.transfers : null,
      },
      local_decodes: this.byPrefillFleet(fleets, this.localDecodes),
      dropped_without_decode: this.byPrefillFleet(fleets, this.undecoded),
    };
  }

  private byPrefillFleet(fleets: readonly Fleet[], counts: Float64Array): Record<string, number> {
    return Object.fromEntries(
      fleets.flatMap((fleet, f) => (this.role[f] === Role.Prefill ? [[fleet.name, counts[f]]] : [])),
    );
  }

  private grow(): void {
    const grow = (array: Int32Array) => {
      const bigger = new Int32Array(array.length * 2);
      bigger.set(array);
      return bigger;
    };
    this.slot = grow(this.slot);
    this.gen = grow(this.gen);
    this.source = grow(this.source);
    this.sourceEpoch = grow(this.sourceEpoch);
    this.blocks = grow(this.blocks);
  }
}

/** The scenario's router over prefill-capable replicas; decode replicas' readiness goes to `Disaggregation`. */
export class DisaggregatedRouter implements Router {
  constructor(
    private readonly inner: Router,
    private readonly disaggregation: Disaggregation,
  ) {}

  pick(): number {
    return this.inner.pick();
  }

  setReady(replica: number, ready: boolean): void {
    if (!this.disaggregation.setReady(replica, ready)) this.inner.setReady(replica, ready);
  }

  holdingFleet(): number {
    return this.inner.holdingFleet();
  }

  get offloadCounts() {
    return this.inner.offloadCounts;
  }
}
