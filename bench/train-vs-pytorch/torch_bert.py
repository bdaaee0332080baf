"""A plain PyTorch BERT classifier of a given shape, trained on batches read from a JSON file:
the baseline of bench/train-vs-pytorch/run.mjs. Same math as transformers' BertForSequenceClassification
(no transformers needed). Prints {"samples_per_second": ..., "peak_rss_mb": ...} as JSON.
"""
import json, math, resource, sys, time
import torch
from torch import nn


class Layer(nn.Module):
    def __init__(self, h, heads, inter):
        super().__init__()
        self.heads = heads
        self.q, self.k, self.v, self.o = (nn.Linear(h, h) for _ in range(4))
        self.ln1, self.ln2 = nn.LayerNorm(h, eps=1e-12), nn.LayerNorm(h, eps=1e-12)
        self.i, self.out = nn.Linear(h, inter), nn.Linear(inter, h)
        self.drop = nn.Dropout(0.1)

    def forward(self, x, mask):
        b, s, h = x.shape
        split = lambda t: t.view(b, s, self.heads, h // self.heads).transpose(1, 2)
        q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
        scores = q @ k.transpose(-1, -2) / math.sqrt(h // self.heads) + mask
        ctx = (self.drop(scores.softmax(-1)) @ v).transpose(1, 2).reshape(b, s, h)
        x = self.ln1(x + self.drop(self.o(ctx)))
        return self.ln2(x + self.drop(self.out(nn.functional.gelu(self.i(x)))))


class Bert(nn.Module):
    def __init__(self, layers, h, heads, inter, vocab=30522, labels=2):
        super().__init__()
        self.word, self.pos, self.token_type = nn.Embedding(vocab, h), nn.Embedding(512, h), nn.Embedding(2, h)
        self.ln = nn.LayerNorm(h, eps=1e-12)
        self.layers = nn.ModuleList(Layer(h, heads, inter) for _ in range(layers))
        self.pool, self.cls, self.drop = nn.Linear(h, h), nn.Linear(h, labels), nn.Dropout(0.1)

    def forward(self, ids, mask):
        s = ids.shape[1]
        x = self.drop(self.ln(self.word(ids) + self.pos.weight[:s] + self.token_type.weight[0]))
        m = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        for layer in self.layers:
            x = layer(x, m)
        return self.cls(self.drop(torch.tanh(self.pool(x[:, 0]))))


def gemm(m, k, n, seconds=3.0):
    """GFLOP/s of torch.mm on [m, k] x [k, n], per thread count: the bound under everything else."""
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


def main():
    if sys.argv[1] == '--gemm':
        print(json.dumps(gemm(*map(int, sys.argv[2:5]))))
        return
    spec = json.load(open(sys.argv[1]))
    torch.manual_seed(0)
    model = Bert(spec['layers'], spec['hidden'], spec['heads'], spec['intermediate'])
    decay = [p for n, p in model.named_parameters() if not n.endswith('bias') and 'ln' not in n]
    rest = [p for n, p in model.named_parameters() if n.endswith('bias') or 'ln' in n]
    opt = torch.optim.AdamW([{'params': decay, 'weight_decay': 0.01}, {'params': rest, 'weight_decay': 0.0}], lr=1e-4)
    batches = [(torch.tensor(b['input_ids']), torch.tensor(b['attention_mask']), torch.tensor(b['labels'])) for b in spec['batches']]

    def step(b):
        ids, mask, labels = b
        loss = nn.functional.cross_entropy(model(ids, mask), labels)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad()

    model.train()
    step(batches[0])  # warm-up
    samples, steps, t0 = 0, 0, time.perf_counter()
    while time.perf_counter() - t0 < spec['seconds'] or steps < 2:
        b = batches[(steps + 1) % len(batches)]
        step(b)
        samples += b[0].shape[0]
        steps += 1
    elapsed = time.perf_counter() - t0
    print(json.dumps({'samples_per_second': samples / elapsed, 'steps': steps, 'threads': torch.get_num_threads(),
                      'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


if __name__ == '__main__':
    main()
