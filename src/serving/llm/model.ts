/**
 * Decoder-only transformer shapes: enough to count bytes moved and FLOPs done per token. Attention
 * is grouped-query (kvHeads <= heads); multi-head attention is the case kvHeads === heads.
 */

/** Weight and compute number formats, widest first. */
export const PRECISIONS = ['fp32', 'bf16', 'fp16', 'fp8', 'int8', 'int4'] as const;
export type Precision = (typeof PRECISIONS)[number];

export const BYTES_PER_WEIGHT: Readonly<Record<Precision, number>> = {
  fp32: 4,
  bf16: 2,
  fp16: 2,
  fp8: 1,
  int8: 1,
  int4: 0.5,
};

export interface LlmModel {
  name: string;
  /** All parameters, embeddings included. */
  params: number;
  layers: number;
  hidden: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  vocab: number;
  /** The output projection shares the input embedding matrix (no separate lm_head weights). */
  tiedEmbeddings: boolean;
  bytesPerWeight: number;
  /** Precision the matmuls run in; weight-only int4 still computes in bf16. */
  computePrecision: Precision;
  kvBytesPerElement: number;
  /** Weights are 2:4 structured-sparse: half the matmul values, hardware permitting. */
  sparse24: boolean;
}

export interface LlmSpec {
  name?: string;
  params: number;
  layers: number;
  hidden: number;
  heads: number;
  kvHeads?: number;
  headDim?: number;
  vocab?: number;
  tiedEmbeddings?: boolean;
  precision?: Precision;
}

type Preset = Required<Omit<LlmSpec, 'precision' | 'name'>>;

/**
 * Shapes from each model's Hugging Face `config.json` (hidden_size, num_hidden_layers,
 * num_attention_heads, num_key_value_heads, vocab_size, tie_word_embeddings); params are the
 * safetensors totals reported on the model cards.
 */
export const LLM_PRESETS: Readonly<Record<string, Preset>> = {
  // meta-llama/Llama-3.1-8B: 32 layers, 4096 hidden, 32/8 heads, vocab 128256; 8.03 B params.
  'Llama-3.1-8B': {
    params: 8.03e9,
    layers: 32,
    hidden: 4096,
    heads: 32,
    kvHeads: 8,
    headDim: 128,
    vocab: 128_256,
    tiedEmbeddings: false,
  },
  // meta-llama/Llama-3.1-70B: 80 layers, 8192 hidden, 64/8 heads, vocab 128256; 70.6 B params.
  'Llama-3.1-70B': {
    params: 70.6e9,
    layers: 80,
    hidden: 8192,
    heads: 64,
    kvHeads: 8,
    headDim: 128,
    vocab: 128_256,
    tiedEmbeddings: false,
  },
  // meta-llama/Llama-2-7b-hf: 32 layers, 4096 hidden, 32 heads (MHA), vocab 32000; 6.74 B params.
  'Llama-2-7B': {
    params: 6.74e9,
    layers: 32,
    hidden: 4096,
    heads: 32,
    kvHeads: 32,
    headDim: 128,
    vocab: 32_000,
    tiedEmbeddings: false,
  },
  // meta-llama/Llama-2-70b-hf: 80 layers, 8192 hidden, 64/8 heads, vocab 32000; 68.98 B params.
  'Llama-2-70B': {
    params: 68.98e9,
    layers: 80,
    hidden: 8192,
    heads: 64,
    kvHeads: 8,
    headDim: 128,
    vocab: 32_000,
    tiedEmbeddings: false,
  },
  // codellama/CodeLlama-34b-hf: 48 layers, 8192 hidden, 64/8 heads, vocab 32000; params
  // summed from those shapes with its 22016-wide gated MLP and untied lm_head (33.7 B on the card).
  'CodeLlama-34B': {
    params: 33_743_970_304,
    layers: 48,
    hidden: 8192,
    heads: 64,
    kvHeads: 8,
    headDim: 128,
    vocab: 32_000,
    tiedEmbeddings: false,
  },
  // mistralai/Mistral-7B-v0.1: 32 layers, 4096 hidden, 32/8 heads, vocab 32000; 7.24 B params.
  'Mistral-7B': {
    params: 7.24e9,
    layers: 32,
    hidden: 4096,
    heads: 32,
    kvHeads: 8,
    headDim: 128,
    vocab: 32_000,
    tiedEmbeddings: false,
  },
  // Qwen/Qwen2.5-7B: 28 layers, 3584 hidden, 28/4 heads, vocab 152064, untied; 7.61 B params.
  'Qwen2.5-7B': {
    params: 7.61e9,
    layers: 28,
    hidden: 3584,
    heads: 28,
    kvHeads: 4,
    headDim: 128,
    vocab: 152_064,
    tiedEmbeddings: false,
  },
};

export function buildLlmModel(spec: LlmSpec): LlmModel {
  const precision = spec.precision ?? 'bf16';
  const kvHeads = spec.kvHeads ?? spec.heads;
  if (spec.heads % kvHeads !== 0)
    throw new RangeError(`heads ${spec.heads} not a multiple of kvHeads ${kvHeads}`);
  return {
    name: spec.name ?? `custom-${(spec.params / 1e9).toFixed(1)}B`,
    params: spec.params,
    layers: spec.layers,
    hidden: spec.hidden,
    heads: spec.heads,
    kvHeads,
    headDim: spec.headDim ?? spec.hidden / spec.heads,
    vocab: spec.vocab ?? 32_000,
    tiedEmbeddings: spec.tiedEmbeddings ?? false,
    bytesPerWeight: BYTES_PER_WEIGHT[precision],
    // int4 is weight-only in practice (AWQ/GPTQ/Marlin): activations and matmuls stay 16-bit.
    computePrecision: precision === 'int4' ? 'bf16' : precision,
    // KV cache stays 16-bit unless a quantization says otherwise (optimizations.ts).
    kvBytesPerElement: precision === 'fp32' ? 4 : 2,
    sparse24: false,
  };
}

export function presetModel(name: string, precision: Precision = 'bf16'): LlmModel {
  const preset = LLM_PRESETS[name];
  if (!preset)
    throw new RangeError(`unknown LLM preset "${name}"; known: ${Object.keys(LLM_PRESETS).join(', ')}`);
  return buildLlmModel({ ...preset, name, precision });
}

/** Parameters multiplied in a matmul for every token: all but the input embedding table (a lookup). */
export function perTokenMatmulParams(model: LlmModel): number {
  return model.params - model.vocab * model.hidden * (model.tiedEmbeddings ? 0 : 1) - lmHeadParams(model);
}

/** The output projection runs only for sequences that sample a token this step. */
export function lmHeadParams(model: LlmModel): number {
  return model.vocab * model.hidden;
}

/**
 * Bytes per value of the embedding table and the output projection. Quantization leaves them
 * 16-bit: AutoAWQ and GPTQ checkpoints keep both unquantized, as do vLLM's FP8 and int8 schemes
 * and the default quantization configs of TensorRT Model Optimizer; fp32 models keep 4 bytes.
 */
function vocabBytesPerWeight(model: LlmModel): number {
  return Math.max(model.bytesPerWeight, ACTIVATION_BYTES);
}

/** Weights read from memory once per step: the embedding table is gathered row by row, not streamed. */
export function streamedWeightBytes(model: LlmModel): number {
  return (
    perTokenMatmulParams(model) * model.bytesPerWeight + lmHeadParams(model) * vocabBytesPerWeight(model)
  );
}

/**
 * Width of the MLP's hidden layer, from the parameters that are not attention: every preset is a
 * gated MLP (gate, up and down projections, 3 x hidden x width per layer), and this lands within
 * 0.2 % of each preset's config.json intermediate_size. Pruning shrinks it, never below 0.
 */
export function mlpIntermediateSize(model: LlmModel): number {
  const attentionParams =
    model.hidden * (model.heads + 2 * model.kvHeads) * model.headDim +
    model.heads * model.headDim * model.hidden;
  const mlpParams = perTokenMatmulParams(model) / model.layers - attentionParams;
  return Math.max(0, mlpParams / (3 * model.hidden));
}

/** Bytes held in accelerator memory for the weights. */
export function weightBytes(model: LlmModel): number {
  const vocabParams = model.vocab * model.hidden * (model.tiedEmbeddings ? 1 : 2);
  return (model.params - vocabParams) * model.bytesPerWeight + vocabParams * vocabBytesPerWeight(model);
}

/** K and V for one token across all layers. */
export function kvBytesPerToken(model: LlmModel): number {
  return 2 * model.layers * model.kvHeads * model.headDim * model.kvBytesPerElement;
}

/** Activations between kernels and in all-reduces are 16-bit in every stack we model. */
export const ACTIVATION_BYTES = 2;

/** KV heads are split across tensor-parallel ranks; beyond kvHeads ranks they are replicated. */
export function kvShards(model: LlmModel, tp: number): number {
  return Math.min(tp, model.kvHeads);
}
