"""torch's side of bench/profile-step.ts: where one training step of transformers' own
BertForSequenceClassification goes on the CPU (torch.profiler, self time of each op, grouped as
our table groups them): GEMM by shape and transpose case, attention, LayerNorm, GELU, dropout,
element-wise, the optimizer, clipping, and what is left. The same step as bench/gpu/torch_gpu.py
(AdamW with decay groups, clipping at 1), random weights, batch × tokens of fixed length.
   python profile_step_torch.py [--layers 12 --hidden 768 --heads 12 --intermediate 3072]
                                [--batch 16] [--tokens 128] [--steps 3]
Prints a Markdown table.
"""
import argparse, time
from collections import defaultdict

import torch
from torch.profiler import ProfilerActivity, profile, record_function
from transformers import BertConfig, BertForSequenceClassification


def group_of(name, shapes):
    if name in ('aten::addmm', 'aten::mm'):
        dims = [s for s in shapes if len(s) == 2]
        if name == 'aten::addmm' and len(dims) >= 3:
            (m, k), (_, n) = dims[1], dims[2]
        elif len(dims) >= 2:
            (m, k), (_, n) = dims[0], dims[1]
        else:
            return f'GEMM ({name})'
        return f'GEMM {m}×{n}×{k}'
    if name in ('aten::bmm', 'aten::baddbmm') or 'scaled_dot_product' in name or 'flash_attention' in name:
        return 'attention (batched products, fused SDPA)'
    if 'softmax' in name:
        return 'softmax'
    if 'layer_norm' in name:
        return 'LayerNorm'
    if 'gelu' in name:
        return 'GELU and its gradient'
    if 'dropout' in name or 'bernoulli' in name or name == 'aten::native_dropout':
        return 'dropout'
    if name in ('aten::copy_', 'aten::clone', 'aten::contiguous', 'aten::t', 'aten::transpose', 'aten::view', 'aten::reshape',
                'aten::permute', 'aten::expand', 'aten::as_strided', 'aten::empty', 'aten::empty_strided', 'aten::zeros', 'aten::zero_', 'aten::fill_'):
        return f'copies, layout and allocation ({name})'
    if name in ('aten::sum', 'aten::mean', 'aten::norm', 'aten::linalg_vector_norm', 'aten::max'):
        return f'reductions ({name})'
    if 'embedding' in name or 'index' in name or 'gather' in name or 'scatter' in name:
        return 'embeddings (gather, scatter)'
    return f'element-wise ({name})'


def main():
    p = argparse.ArgumentParser()
    for name, default in (('layers', 12), ('hidden', 768), ('heads', 12), ('intermediate', 3072), ('batch', 16), ('tokens', 128), ('steps', 3)):
        p.add_argument(f'--{name}', type=int, default=default)
    a = p.parse_args()
    torch.manual_seed(0)
    config = BertConfig(vocab_size=30522, hidden_size=a.hidden, num_hidden_layers=a.layers, num_attention_heads=a.heads,
                        intermediate_size=a.intermediate, num_labels=2)
    model = BertForSequenceClassification(config).train()
    decay = [p for n, p in model.named_parameters() if not n.endswith('bias') and 'LayerNorm' not in n]
    rest = [p for n, p in model.named_parameters() if n.endswith('bias') or 'LayerNorm' in n]
    opt = torch.optim.AdamW([{'params': decay, 'weight_decay': 0.01}, {'params': rest, 'weight_decay': 0.0}], lr=1e-4)
    batch = {'input_ids': torch.randint(1000, 20000, (a.batch, a.tokens)), 'attention_mask': torch.ones(a.batch, a.tokens, dtype=torch.long),
             'labels': torch.randint(0, 2, (a.batch,))}

    def step():
        with record_function('## forward and backward'):
            loss = model(**batch).loss
            loss.backward()
        with record_function('## clipping'):
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        with record_function('## optimizer'):
            opt.step()
            opt.zero_grad(set_to_none=True)

    for _ in range(2):  # warm-up
        step()
    t0 = time.perf_counter()
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        for _ in range(a.steps):
            step()
    wall_ms = (time.perf_counter() - t0) * 1000 / a.steps

    totals = defaultdict(lambda: [0.0, 0])
    phases = {}
    for e in prof.key_averages(group_by_input_shape=True):
        if e.key.startswith('## '):
            phases[e.key[3:]] = e.cpu_time_total / 1000 / a.steps
            continue
        if e.key.startswith('Optimizer.') or e.key.startswith('ProfilerStep'):
            continue
        group = group_of(e.key, [s for s in e.input_shapes if s])
        totals[group][0] += e.self_cpu_time_total / 1000 / a.steps
        totals[group][1] += e.count / a.steps
    # The optimizer's and clipping's ops are counted apart from the pass's.
    print(f'transformers BertForSequenceClassification L{a.layers} H{a.hidden}, batch {a.batch} × {a.tokens} tokens, '
          f'torch {torch.__version__} on {torch.get_num_threads()} threads; self time per step, mean of {a.steps} (under the profiler)')
    print('| where | calls | ms | share of the step |')
    print('|---|---|---|---|')
    kernel_ms, small_ms, small_calls, small_groups = 0.0, 0.0, 0, 0
    for group, (ms, calls) in sorted(totals.items(), key=lambda kv: -kv[1][0]):
        kernel_ms += ms
        if ms < wall_ms / 200:  # under half a percent: summed into one row
            small_ms, small_calls, small_groups = small_ms + ms, small_calls + calls, small_groups + 1
            continue
        print(f'| {group} | {calls:.0f} | {ms:.1f} | {100 * ms / wall_ms:.1f} % |')
    print(f'| {small_groups} smaller groups (each under 0.5 %) | {small_calls:.0f} | {small_ms:.1f} | {100 * small_ms / wall_ms:.1f} % |')
    print(f'| Python, autograd, dispatch (the step less its ops) | | {wall_ms - kernel_ms:.1f} | {100 * (wall_ms - kernel_ms) / wall_ms:.1f} % |')
    print(f'| **the step** | | **{wall_ms:.1f}** | 100 % |')
    print('\nPhases (wall time, inclusive): ' + ', '.join(f'{k} {v:.0f} ms' for k, v in phases.items()))


if __name__ == '__main__':
    main()
