"""GFLOP/s of torch.mm on each of BERT's products, the transposes as views (no copies, as the
model's backward pass takes them), on one thread and on all. The peer of bench/gemm-shapes.ts
and of the one matmul bench/train-vs-pytorch/run.ts prints.
   python gemm_shapes_torch.py '[{"m":2048,"n":768,"k":768,"ta":0,"tb":0}, ...]' SECONDS
Prints one JSON list: [{"1": ..., "<threads>": ...}, ...] in the order given.
"""
import json, sys, time
import torch


def operands(m, n, k, ta, tb):
    a = torch.randn(k, m).t() if ta else torch.randn(m, k)
    b = torch.randn(n, k).t() if tb else torch.randn(k, n)
    return a, b


def gflops(case, threads, seconds):
    torch.set_num_threads(threads)
    a, b = operands(case['m'], case['n'], case['k'], case['ta'], case['tb'])
    out = torch.empty(case['m'], case['n'])
    torch.mm(a, b, out=out)
    count, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        torch.mm(a, b, out=out)
        count += 1
    return 2 * case['m'] * case['n'] * case['k'] * count / (time.perf_counter() - t0) / 1e9


if __name__ == '__main__':
    cases, seconds = json.loads(sys.argv[1]), float(sys.argv[2])
    every = torch.get_num_threads()
    print(json.dumps([{str(t): gflops(c, t, seconds) for t in sorted({1, every})} for c in cases]))
