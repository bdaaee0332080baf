"""What the interop scripts share of transformers' Trainer: its AdamW with decay groups and the
linear schedule with warmup, on a model with dropout off, for steps taken one by one."""
import torch
from torch import nn
from transformers import get_linear_schedule_with_warmup
from transformers.trainer_pt_utils import get_parameter_names


def trainer_optimizer(model, steps, lr=1e-3, warmup=2, weight_decay=0.01):
    """Dropout off, training mode; AdamW over Trainer's decay groups (no decay on biases and norms) and its linear schedule.
    Returns the optimizer, the scheduler and the decayed parameters' names."""
    for m in model.modules():
        if isinstance(m, nn.Dropout):
            m.p = 0.0
    model.train()
    decay = set(get_parameter_names(model, [nn.LayerNorm], [r"bias", r"layernorm", r"rmsnorm", r"(?:^|\.)norm(?:$|\.)", r"_norm(?:$|\.)"]))
    params = dict(model.named_parameters())
    groups = [{"params": [p for n, p in params.items() if n in decay], "weight_decay": weight_decay},
              {"params": [p for n, p in params.items() if n not in decay], "weight_decay": 0.0}]
    opt = torch.optim.AdamW(groups, lr=lr, betas=(0.9, 0.999), eps=1e-8)
    return opt, get_linear_schedule_with_warmup(opt, warmup, steps), decay


def step(loss, model, opt, sched, max_grad_norm=1.0):
    """Backward, clip, update, schedule: one optimizer step as Trainer takes it. Returns the gradient norm before clipping."""
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
    opt.step()
    sched.step()
    opt.zero_grad()
    return norm.item()
