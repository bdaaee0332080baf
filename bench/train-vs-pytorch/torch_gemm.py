"""GFLOP/s of torch.mm on [m, k] x [k, n], on one thread and on all: the bound under the
training bench (bench/train-vs-pytorch/run.ts). Prints {"1": ..., "<threads>": ...} as JSON.
   python torch_gemm.py M K N
"""
import json, sys, time
import torch


def gemm(m, k, n, seconds=3.0):
    a, b = torch.randn(m, k), torch.randn(k, n)
    out = {}
    for threads in (1, torch.get_num_threads()):
        torch.set_num_threads(threads)
        torch.mm(a, b)
        count, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            torch.mm(a, b)
            count += 1
        out[str(threads)] = 2 * m * k * n * count / (time.perf_counter() - t0) / 1e9
    return out


if __name__ == '__main__':
    print(json.dumps(gemm(*map(int, sys.argv[1:4]))))
