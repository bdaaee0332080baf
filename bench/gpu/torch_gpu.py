"""The peer of bench/gpu/bench.ts and bench/train-vs-pytorch/run.ts: Hugging Face transformers'
own BertForSequenceClassification (random weights, the given shape, its default attention
implementation) trained with torch.optim.AdamW and gradient clipping, as its Trainer does, on the
same batches, on CUDA where there is one (else the CPU). fp32 (no TF32), or bf16 autocast. Prints
one JSON line: samples/s, peak GPU memory, the process's peak RSS, versions.
"""
import argparse, inspect, json, resource, time

import torch
import transformers
from transformers import AutoConfig, AutoModelForSequenceClassification, BertConfig, BertForSequenceClassification


def main():
    p = argparse.ArgumentParser()
    for name in ('layers', 'hidden', 'heads', 'intermediate'):
        p.add_argument(f'--{name}', type=int, required=True)
    p.add_argument('--config', help="another family's config.json keys (model_type included), as a JSON file")
    p.add_argument('--batches', required=True)
    p.add_argument('--setting', required=True)
    p.add_argument('--dtype', choices=('fp32', 'bf16'), default='fp32')
    p.add_argument('--seconds', type=float, default=10)
    a = p.parse_args()

    cuda = torch.cuda.is_available()
    device = torch.device('cuda' if cuda else 'cpu')
    # Full fp32 matrix products, as ours are: no TF32.
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.manual_seed(0)
    if a.config:
        raw = json.load(open(a.config))
        config = AutoConfig.for_model(raw.pop('model_type'), num_labels=2, **raw)
        model = AutoModelForSequenceClassification.from_config(config).to(device).train()
    else:
        config = BertConfig(vocab_size=30522, hidden_size=a.hidden, num_hidden_layers=a.layers, num_attention_heads=a.heads,
                            intermediate_size=a.intermediate, num_labels=2)
        model = BertForSequenceClassification(config).to(device).train()
    accepted = set(inspect.signature(model.forward).parameters)
    decay = [p for n, p in model.named_parameters() if not n.endswith('bias') and 'LayerNorm' not in n]
    rest = [p for n, p in model.named_parameters() if n.endswith('bias') or 'LayerNorm' in n]
    opt = torch.optim.AdamW([{'params': decay, 'weight_decay': 0.01}, {'params': rest, 'weight_decay': 0.0}], lr=1e-4)
    batches = [{k: torch.tensor(b[src], device=device) for k, src in
                (('input_ids', 'inputIds'), ('token_type_ids', 'tokenTypeIds'), ('attention_mask', 'attentionMask'), ('labels', 'labels'))
                if k in accepted} for b in json.load(open(a.batches))[a.setting]]

    def step(b):
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=a.dtype == 'bf16'):
            loss = model(**b).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)

    sync = torch.cuda.synchronize if cuda else (lambda: None)
    for b in batches[:4]:  # warm-up: kernels picked and compiled for the lengths seen first
        step(b)
    sync()
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    samples, steps, t0 = 0, 0, time.perf_counter()
    while time.perf_counter() - t0 < a.seconds or steps < 3:
        b = batches[steps % len(batches)]
        step(b)
        samples += b['input_ids'].shape[0]
        steps += 1
        if steps % 8 == 0:
            sync()
    sync()
    elapsed = time.perf_counter() - t0
    print(json.dumps({
        'samples_per_second': samples / elapsed, 'steps': steps,
        'peak_gpu_bytes': torch.cuda.max_memory_allocated() if cuda else None,
        'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        'device': torch.cuda.get_device_name() if cuda else f'CPU ({torch.get_num_threads()} threads)',
        'torch': torch.__version__, 'transformers': transformers.__version__,
    }))


if __name__ == '__main__':
    main()
