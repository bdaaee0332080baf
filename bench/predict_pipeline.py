"""The peer of bench/predict-latency.ts: transformers' own `pipeline('text-classification')` on
the same model folder, the same selection and the same CSV rows, on the CPU with every core.
Prints one JSON line: p50 and p99 of one selection (ms, warm), and rows/s over the CSV's texts
(batch 32, truncated at the model's 512 positions as ours are at max length).
   python predict_pipeline.py MODEL_DIR SELECTION CSV_FILE TEXT_COLUMN [CALLS]
"""
import csv, json, sys, time

import torch
from transformers import pipeline


def main():
    model, selection, file, column = sys.argv[1:5]
    calls = int(sys.argv[5]) if len(sys.argv) > 5 else 300
    classify = pipeline('text-classification', model=model, device='cpu')
    for _ in range(20):  # warm: first calls allocate and pick kernels
        classify(selection)
    times = []
    for _ in range(calls):
        t0 = time.perf_counter()
        classify(selection)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    pct = lambda p: times[min(len(times) - 1, int(p / 100 * len(times)))]  # as bench/shapes.ts percentile()
    delimiter = '\t' if file.endswith('.tsv') else ','
    with open(file, newline='', encoding='utf-8') as f:
        texts = [row[column] for row in csv.DictReader(f, delimiter=delimiter)]
    t0 = time.perf_counter()
    classify(texts, batch_size=32, truncation=True)
    rows_per_second = len(texts) / (time.perf_counter() - t0)
    print(json.dumps({'p50': pct(50), 'p99': pct(99), 'rows_per_second': rows_per_second, 'threads': torch.get_num_threads()}))


if __name__ == '__main__':
    main()
