import type { LlmFleetStats } from '../metrics/index.js';
import { ContinuousScheduler } from '../policies/batching/continuous.js';
import type { ContinuousBatching } from '../scenario/types.js';
import type { LlmFleetModel } from '../serving/llm-fleet.js';

/** A continuous-batching fleet during a run: one scheduler per replica and the fleet's LLM counters. */
export class LlmFleetState {
  readonly schedulers: ContinuousScheduler[];
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
    this.schedulers = Array.from(
      { length: replicas },
      () =>
        new ContinuousScheduler({
          maxNumSeqs: batching.maxNumSeqs,
          maxNumBatchedTokens: batching.maxNumBatchedTokens,
          chunkedPrefill: batching.chunkedPrefill,
          blockSize: batching.blockSize,
          kvCacheTokens: model.kvCacheTokens,
        }),
    );
  }

  scheduler(replica: number): ContinuousScheduler {
    return this.schedulers[replica - this.firstReplica];
  }

  /** Share of this fleet's iteration time spent on prefill; null before any iteration. */
  prefillShare(): number | null {
    const total = this.prefillUs + this.decodeUs;
    return total > 0 ? this.prefillUs / total : null;
  }

  stats(endUs: number): LlmFleetStats {
    const totalBlocks = this.schedulers[0].totalBlocks;
    const capacityBlockUs = totalBlocks * this.schedulers.length * endUs;
    return {
      tensor_parallel: this.model.tensorParallel,
      kv_cache_tokens: this.model.kvCacheTokens,
      iterations: this.iterations,
      mean_batch_seqs: this.iterations > 0 ? this.sequencesRun / this.iterations : null,
      preemptions: this.schedulers.reduce((sum, s) => sum + s.preemptions, 0),
      rejected: this.rejected,
      kv_utilization: {
        mean: capacityBlockUs > 0 ? this.blockUs / capacityBlockUs : 0,
        peak: totalBlocks > 0 ? this.peakBlocks / totalBlocks : 0,
      },
    };
  }
}
