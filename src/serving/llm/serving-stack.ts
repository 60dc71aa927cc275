/**
 * Time a serving engine spends per iteration outside the matmuls and the KV reads: CPU work
 * (scheduling, input preparation, sampling), small per-layer kernels that never reach the
 * bandwidth or compute roof, and coordination of tensor-parallel workers. These are properties
 * of the software, not of the accelerator, so they are named stacks rather than fitted constants.
 */
export interface ServingStack {
  /** CPU work per iteration: schedule, prepare inputs, sample, process outputs. */
  stepS: number;
  /**
   * Latency floor of the small kernels of one layer (norms, rotary, activation, attention): what
   * they cost at one token. The bytes they move on top of it are counted by the roofline.
   */
  perLayerS: number;
  /** Per additional tensor-parallel worker that must be told to run each step. */
  perRemoteWorkerS: number;
  /**
   * The stack's own all-reduce kernel for small messages between NVLink-connected accelerators,
   * which replaces NCCL's fixed latency (the interconnect's `allReduceLatencyUs`) up to
   * `maxBytes`; larger messages, and PCIe links, go through NCCL.
   */
  nvlinkSmallAllReduce?: { latencyUs: number; maxBytes: number };
}

export const SERVING_STACKS = {
  /**
   * vLLM from v0.6 on: CUDA graphs, workers driven through shared memory instead of Ray RPCs.
   * stepS: Vidur `cpu_overheads.csv` (vLLM, Llama-2-70B, batch 8, TP 4) schedule 0.20 + prepare
   * inputs 0.81 + sampler 0.61 + model launch 0.24 + process outputs 0.24 ms ≈ 2.1 ms.
   * perLayerS: LLMServingSim profile (vLLM 0.19, RTX PRO 6000, Llama-3.1-8B, one token) act_fn
   * 2.7 + 2 x layernorm 2.4 + rotary 2.7 + decode attention (1 x 1024 KV) 14.6 µs ≈ 25 µs.
   * nvlinkSmallAllReduce: vLLM's custom all-reduce (github.com/vllm-project/vllm/pull/2192) serves
   * messages up to its 8 MiB buffer. On H100 it takes 9.5, 9.1 and 10.1 µs for 512 bytes
   * at TP 2, 4 and 8 (measured in github.com/sgl-project/sglang/pull/2904) and 10 µs for 0.5 MB at
   * TP 4 (github.com/vllm-project/vllm/pull/24532), against NCCL's 21-38 µs: 9 µs.
   */
  vllm: {
    stepS: 2.1e-3,
    perLayerS: 25e-6,
    perRemoteWorkerS: 0,
    nvlinkSmallAllReduce: { latencyUs: 9, maxBytes: 8 * 2 ** 20 },
  },
  /**
   * vLLM of 2023 (eager mode, Ray workers), the stack behind the Splitwise and Vidur profiles.
   * perLayerS: Vidur A100 Llama-2-70B `mlp.csv` at one token, 2 x layernorm 16 + rotary 4 +
   * act 12 + 2 x add 4 µs, plus decode attention 17 µs from Vidur's A100 `attention.csv` ≈ 53 µs.
   * perRemoteWorkerS: Vidur `ray_comm_time_mean` 6.6 ms at TP 4, i.e. 2.2 ms per remote worker.
   */
  'vllm-2023-ray': { stepS: 2.1e-3, perLayerS: 53e-6, perRemoteWorkerS: 2.2e-3 },
} as const satisfies Record<string, ServingStack>;

export type ServingStackName = keyof typeof SERVING_STACKS;
