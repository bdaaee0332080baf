/**
 * Whether a run fits the machine's memory, said before it starts: the trainer measures its
 * memory while it times a step for the estimate, adds what training holds later, and the
 * extension (at the estimate) and the CLI (a warning) say which setting to lower.
 */

/**
 * The run's peak: the process's resident memory after a timed forward and backward pass (the
 * model, its gradients, a batch's activations, the workers' heaps), plus what comes later:
 * AdamW's two moments (allocated, but untouched pages are not resident until the first update)
 * and a checkpoint save's buffers (the weights' 4 bytes and the optimizer state's 8 bytes per
 * parameter, serialised at once).
 */
export function estimatePeakMemory(measuredRssBytes: number, parameters: number): number {
  // The resident memory after the timed step grows by about a quarter once training runs (the
  // workers' heaps after real updates, evaluation batches): measured here on the WASM backend,
  // batch 16 × 128 tokens, 10 steps with 2 evaluations, the peak polled every 20 ms, the
  // figure without the factor was 0.81–0.84 of the real peak (L2/H128 0.64 vs 0.79 GB,
  // L4/H256 1.15 vs 1.37, L4/H512 2.21 vs 2.63); with it, within a few percent.
  return RSS_GROWTH * measuredRssBytes + 8 * parameters + 12 * parameters;
}

const RSS_GROWTH = 1.25;

const gb = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)} GB`;

/**
 * A warning when the peak is over what the machine has for the trainer (its own memory now plus
 * the free memory), naming the settings that lower it; undefined when it fits.
 */
export function describeMemoryShortfall(peakBytes: number, availableBytes: number): string | undefined {
  if (peakBytes <= availableBytes) return undefined;
  return (
    `This run needs about ${gb(peakBytes)} of memory at its peak, and ${gb(availableBytes)} are available: it would swap or be killed. ` +
    'Lower the batch size (with gradient accumulation to keep the effective batch), the max length, or freeze layers / train only the head; or close other programs.'
  );
}
