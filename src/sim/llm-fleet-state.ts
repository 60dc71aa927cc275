import type { HostTierStats, LlmFleetStats, PrefixCacheStats } from '../metrics/index.js';
import { ContinuousScheduler } from '../policies/batching/continuous.js';
import type { IterationScheduler } from '../policies/batching/iteration-scheduler.js';
import type { ContinuousBatching } from '../scenario/types.js';
import type { LlmFleetModel, StepTiming } from '../serving/llm-fleet.js';

/** Iteration time of a fleet by what it did, microseconds. */
export interface IterationTime {
  /** Prompt chunks computed for the first time. */
  prefillUs: number;
  decodeUs: number;
  /** Prompt chunks recomputing what a KV-cache preemption evicted. */
  recomputeUs: number;
}

/** A continuous-batching fleet during a run: one scheduler per replica and the fleet's LLM counters. */
export class LlmFleetState {
  readonly schedulers: IterationScheduler[];
  /** Schedulers of replicas reclaimed mid-run, for the preemption count and the prefix cache's. */
  private preemptionsOfReclaimed = 0;
  private priorityPreemptionsOfReclaimed = 0;
  private readonly prefixOfReclaimed: PrefixCacheStats = emptyPrefixStats();
  private readonly hostOfReclaimed: HostTierStats = emptyHostStats();
  iterations = 0;
  sequencesRun = 0;
  admitted = 0;
  rejected = 0;
  peakBlocks = 0;
  /** Integrals over iteration time, all replicas: KV blocks in use (block-us) and token-budget share used (us). */
  private blockUs = 0;
  private budgetUs = 0;
  /** Iteration time over the whole run, and from warmup on (the measured window, for cost per token). */
  readonly total: IterationTime = { prefillUs: 0, decodeUs: 0, recomputeUs: 0 };
  readonly measured: IterationTime = { prefillUs: 0, decodeUs: 0, recomputeUs: 0 };
  /**
   * Per replica, the running iteration: blocks in use, share of the token budget, and the shares
   * of its time spent on fresh prefill and on recompute (the rest is decode). Charged as its
   * time passes, so an iteration cut short by a reclaim or the end of the run counts what ran.
   */
  private readonly current: Float64Array;
  private readonly budget: number;

  constructor(
    readonly model: LlmFleetModel,
    private readonly batching: ContinuousBatching,
    readonly firstReplica: number,
    replicas: number,
    private readonly warmupUs: number,
    levels = 1,
  ) {
    this.newScheduler = () =>
      new ContinuousScheduler({
        maxNumSeqs: batching.maxNumSeqs,
        maxNumBatchedTokens: batching.maxNumBatchedTokens,
        chunkedPrefill: batching.chunkedPrefill,
        blockSize: batching.blockSize,
        kvCacheTokens: model.kvCacheTokens,
        prefixCaching: batching.prefixCaching,
        ...(model.hostTier !== null && { hostTier: model.hostTier }),
        levels,
        preemptForPriority: batching.preemptForPriority,
      });
    this.schedulers = Array.from({ length: replicas }, this.newScheduler);
    this.current = new Float64Array(replicas * 4);
    this.budget = batching.maxNumBatchedTokens;
  }

  /** Today every continuous-batching fleet runs vLLM's scheduler; another policy plugs in here. */
  private readonly newScheduler: () => IterationScheduler;

  /** A reclaimed replica loses its KV cache and every sequence on it. */
  resetReplica(replica: number): void {
    const index = replica - this.firstReplica;
    this.preemptionsOfReclaimed += this.schedulers[index].preemptions;
    this.priorityPreemptionsOfReclaimed += this.schedulers[index].priorityPreemptions;
    if (this.batching.prefixCaching) addPrefixStats(this.prefixOfReclaimed, this.schedulers[index]);
    // Its host memory goes with it: the blocks there count no longer.
    if (this.model.hostTier !== null) addHostStats(this.hostOfReclaimed, this.schedulers[index], false);
    this.schedulers[index] = this.newScheduler();
  }

  scheduler(replica: number): IterationScheduler {
    return this.schedulers[replica - this.firstReplica];
  }

  /**
   * The iteration `replica`'s scheduler planned starts, timed by `timing`. The step model splits
   * its time between prefill and decode; the prefill part is split again between fresh and
   * recomputed prompt tokens in proportion to their counts.
   */
  begin(replica: number, timing: StepTiming): void {
    const scheduler = this.scheduler(replica);
    const size = scheduler.scheduled.length;
    this.iterations++;
    this.sequencesRun += size;
    this.admitted += scheduler.newlyAdmitted.length;
    const used = scheduler.usedBlocks;
    if (used > this.peakBlocks) this.peakBlocks = used;
    const recompute =
      scheduler.recomputeTokens > 0
        ? (timing.prefillShare * scheduler.recomputeTokens) / scheduler.prefillTokens
        : 0;
    const at = (replica - this.firstReplica) * 4;
    this.current[at] = used;
    this.current[at + 1] = scheduler.scheduledTokens / this.budget;
    this.current[at + 2] = timing.prefillShare - recompute;
    this.current[at + 3] = recompute;
  }

  /** Share of the running iteration of `replica` spent on prompt chunks, fresh or recomputed. */
  prefillShare(replica: number): number {
    const at = (replica - this.firstReplica) * 4;
    return this.current[at + 2] + this.current[at + 3];
  }

  /** Charges the running iteration of `replica` for its time from `fromUs` to `toUs`. */
  charge(replica: number, fromUs: number, toUs: number): void {
    const at = (replica - this.firstReplica) * 4;
    const current = this.current;
    const us = toUs - fromUs;
    this.blockUs += current[at] * us;
    this.budgetUs += current[at + 1] * us;
    addTime(this.total, us, current[at + 2], current[at + 3]);
    const measuredUs = toUs - Math.max(fromUs, this.warmupUs);
    if (measuredUs > 0) addTime(this.measured, measuredUs, current[at + 2], current[at + 3]);
  }

  /**
   * `replicaUs`: the fleet's live replica time, over which every share is averaged (time without
   * an iteration counts as unused); `busySlotUs`: sequence-slot time of its iterations.
   */
  stats(replicaUs: number, busySlotUs: number, recomputeCostUsd: number): LlmFleetStats {
    const totalBlocks = this.schedulers[0].totalBlocks;
    const capacityBlockUs = totalBlocks * replicaUs;
    const share = (us: number) => (replicaUs > 0 ? us / replicaUs : 0);
    const busyUs = iterationUs(this.total);
    const kvMean = capacityBlockUs > 0 ? this.blockUs / capacityBlockUs : 0;
    const slots = share(busySlotUs) / this.batching.maxNumSeqs;
    const budget = share(this.budgetUs);
    return {
      tensor_parallel: this.model.tensorParallel,
      kv_cache_tokens: this.model.kvCacheTokens,
      iterations: this.iterations,
      mean_batch_seqs: this.iterations > 0 ? this.sequencesRun / this.iterations : null,
      admitted: this.admitted,
      preemptions: this.schedulers.reduce((sum, s) => sum + s.preemptions, this.preemptionsOfReclaimed),
      ...(this.batching.preemptForPriority && {
        priority_preemptions: this.schedulers.reduce(
          (sum, s) => sum + s.priorityPreemptions,
          this.priorityPreemptionsOfReclaimed,
        ),
      }),
      rejected: this.rejected,
      busy_share: share(busyUs),
      kv_utilization: {
        mean: kvMean,
        peak: totalBlocks > 0 ? this.peakBlocks / totalBlocks : 0,
      },
      batch_slot_occupancy: slots,
      token_budget_use: budget,
      binding:
        kvMean >= slots && kvMean >= budget ? 'kv_cache' : slots >= budget ? 'batch_slots' : 'token_budget',
      recompute_share: busyUs > 0 ? this.total.recomputeUs / busyUs : 0,
      recompute_cost_usd: recomputeCostUsd,
      ...(this.batching.prefixCaching && { prefix_cache: this.prefixStats() }),
    };
  }

  private prefixStats(): PrefixCacheStats {
    const stats = { ...this.prefixOfReclaimed, cached_blocks: 0 };
    for (const scheduler of this.schedulers) addPrefixStats(stats, scheduler);
    stats.hit_rate = stats.prompt_tokens > 0 ? stats.cached_prompt_tokens / stats.prompt_tokens : null;
    if (this.model.hostTier === null) return stats;
    const host = { ...this.hostOfReclaimed };
    for (const scheduler of this.schedulers) addHostStats(host, scheduler, true);
    return { ...stats, host_tier: host };
  }
}

function emptyPrefixStats(): PrefixCacheStats {
  return {
    hit_rate: null,
    prompt_tokens: 0,
    cached_prompt_tokens: 0,
    prefill_tokens_saved: 0,
    evictions: 0,
    cached_blocks: 0,
  };
}

function addPrefixStats(into: PrefixCacheStats, scheduler: IterationScheduler): void {
  into.prompt_tokens += scheduler.promptTokens;
  into.cached_prompt_tokens += scheduler.cachedPromptTokens;
  into.prefill_tokens_saved += scheduler.savedPrefillTokens;
  into.evictions += scheduler.cacheEvictions;
  into.cached_blocks += scheduler.cachedBlocks;
}

function emptyHostStats(): HostTierStats {
  return {
    cached_prompt_tokens: 0,
    loaded_tokens: 0,
    transfer_bytes: 0,
    transfer_s: 0,
    evictions: 0,
    blocks: 0,
  };
}

/** `live`: the scheduler's replica is still up, so the blocks in its host memory count. */
function addHostStats(into: HostTierStats, scheduler: IterationScheduler, live: boolean): void {
  const host = scheduler.hostTier;
  if (host === null) return;
  into.cached_prompt_tokens += host.cachedPromptTokens;
  into.loaded_tokens += host.loadedTokens;
  into.transfer_bytes += host.loadedBytes;
  into.transfer_s += host.loadSeconds;
  into.evictions += host.evictions;
  if (live) into.blocks += host.blocks;
}

function addTime(into: IterationTime, us: number, prefillShare: number, recomputeShare: number): void {
  into.prefillUs += us * prefillShare;
  into.recomputeUs += us * recomputeShare;
  into.decodeUs += us * (1 - prefillShare - recomputeShare);
}

/** Replica time with an iteration running. */
export function iterationUs(time: IterationTime): number {
  return time.prefillUs + time.decodeUs + time.recomputeUs;
}
