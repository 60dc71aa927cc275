import type { LlmFleetStats } from '../metrics/index.js';
import { ContinuousScheduler } from '../policies/batching/continuous.js';
import type { ContinuousBatching } from '../scenario/types.js';
import type { LlmFleetModel } from '../serving/llm-fleet.js';

/** A continuous-batching fleet during a run: one scheduler per replica and the fleet's LLM counters. */
export class LlmFleetState {
  readonly schedulers: ContinuousScheduler[];
  /** Schedulers of replicas reclaimed mid-run, for the preemption count. */
  private preemptionsOfReclaimed = 0;
  iterations = 0;
  sequencesRun = 0;
  rejected = 0;
  /** Integral of KV blocks in use over time, all replicas, block-microseconds. */
  blockUs = 0;
  peakBlocks = 0;
  /** Iteration time caused by prefill and by decode work, microseconds. */
  prefillUs = 0;
  decodeUs = 0;

  constructor(
    readonly model: LlmFleetModel,
    batching: ContinuousBatching,
    readonly firstReplica: number,
    replicas: number,
  ) {
    this.newScheduler = () =>
      new ContinuousScheduler({
        maxNumSeqs: batching.maxNumSeqs,
        maxNumBatchedTokens: batching.maxNumBatchedTokens,
        chunkedPrefill: batching.chunkedPrefill,
        blockSize: batching.blockSize,
        kvCacheTokens: model.kvCacheTokens,
      });
    this.schedulers = Array.from({ length: replicas }, this.newScheduler);
  }

  private readonly newScheduler: () => ContinuousScheduler;

  /** A reclaimed replica loses its KV cache and every sequence on it. */
  resetReplica(replica: number): void {
    const index = replica - this.firstReplica;
    this.preemptionsOfReclaimed += this.schedulers[index].preemptions;
    this.schedulers[index] = this.newScheduler();
  }

  scheduler(replica: number): ContinuousScheduler {
    return this.schedulers[replica - this.firstReplica];
  }

  /** Share of this fleet's iteration time spent on prefill; null before any iteration. */
  prefillShare(): number | null {
    const total = this.prefillUs + this.decodeUs;
    return total > 0 ? this.prefillUs / total : null;
  }

  /** `replicaUs`: the fleet's live replica time, over which KV-cache utilization is averaged. */
  stats(replicaUs: number): LlmFleetStats {
    const totalBlocks = this.schedulers[0].totalBlocks;
    const capacityBlockUs = totalBlocks * replicaUs;
    return {
      tensor_parallel: this.model.tensorParallel,
      kv_cache_tokens: this.model.kvCacheTokens,
      iterations: this.iterations,
      mean_batch_seqs: this.iterations > 0 ? this.sequencesRun / this.iterations : null,
      preemptions: this.schedulers.reduce((sum, s) => sum + s.preemptions, this.preemptionsOfReclaimed),
      rejected: this.rejected,
      kv_utilization: {
        mean: capacityBlockUs > 0 ? this.blockUs / capacityBlockUs : 0,
        peak: totalBlocks > 0 ? this.peakBlocks / totalBlocks : 0,
      },
    };
  }
}
