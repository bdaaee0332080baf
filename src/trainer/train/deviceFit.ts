/**
 * A GPU holds no tensor larger than its largest storage binding (WebGPU's
 * maxStorageBufferBindingSize): a batch whose attention scores or feed-forward activations would
 * be larger is trained as several micro-batches of one step (gradient accumulation), which
 * computes the same update. Only the sizes of single tensors are known in advance: WebGPU does
 * not say how much memory a device has, so running out of it is reported when it happens.
 */
import type { ModelConfig } from '../model/config';

/** The word-embedding table's floats: XLM-R's 250,002 × 768 alone is 732 MiB. */
function wordEmbeddingFloats(c: ModelConfig): number {
  return c.vocabSize * c.embeddingSize;
}

/** Bytes of the largest float32 tensor one forward and backward pass over rows × tokens makes. */
export function largestStepTensorBytes(c: ModelConfig, rows: number, tokens: number): number {
  return (
    4 *
    Math.max(
      rows * c.numAttentionHeads * tokens * tokens, // attention scores, probabilities and their gradients
      rows * tokens * c.intermediateSize, // the feed-forward's inner activations
      wordEmbeddingFloats(c), // the word embeddings and their gradient
    )
  );
}

export interface BatchFit {
  /** Rows of each micro-batch. */
  batchSize: number;
  gradientAccumulation: number;
  /** Set when the batch was split: what to tell the user. */
  notice?: string;
}

/** The batch as asked for, or split into the fewest micro-batches whose tensors fit in `maxTensorBytes`. */
export function fitBatchToDevice(
  c: ModelConfig,
  batchSize: number,
  gradientAccumulation: number,
  tokens: number,
  maxTensorBytes: number,
  device: string,
): BatchFit {
  if (largestStepTensorBytes(c, batchSize, tokens) <= maxTensorBytes) return { batchSize, gradientAccumulation };
  const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
  if (4 * wordEmbeddingFloats(c) > maxTensorBytes) {
    throw new Error(
      `${device} holds at most ${mib(maxTensorBytes)} MiB in one buffer; this model's word-embedding table (${c.vocabSize.toLocaleString('en-US')} tokens × ${c.embeddingSize}) needs ${mib(4 * wordEmbeddingFloats(c))} MiB, whatever the batch or the max length. Train it on the CPU (setting bertTune.backend: wasm), or choose a model with a smaller vocabulary.`,
    );
  }
  if (largestStepTensorBytes(c, 1, tokens) > maxTensorBytes) {
    const mib = (largestStepTensorBytes(c, 1, tokens) / 2 ** 20).toFixed(0);
    throw new Error(
      `${device} holds at most ${(maxTensorBytes / 2 ** 20).toFixed(0)} MiB in one buffer; this model needs ${mib} MiB for a single row of ${tokens} tokens. Lower the max length, or train on the CPU (setting bertTune.backend: wasm).`,
    );
  }
  let parts = 2;
  while (largestStepTensorBytes(c, Math.ceil(batchSize / parts), tokens) > maxTensorBytes) parts++;
  const micro = Math.ceil(batchSize / parts);
  return {
    batchSize: micro,
    gradientAccumulation: gradientAccumulation * parts,
    notice: `A batch of ${batchSize} rows × ${tokens} tokens does not fit ${device}'s largest buffer (${(maxTensorBytes / 2 ** 20).toFixed(0)} MiB): each step trains ${parts} micro-batches of ${micro} rows and sums their gradients, the same update.`,
  };
}
