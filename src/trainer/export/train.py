"""Fine-tunes a classifier (single-label, multi-label or regression: recipe.json's problem_type)
with Hugging Face transformers' Trainer, on the recipe BERT Tune exported beside this file
(recipe.json: model, columns, labels, split, schedule, everything) and its data (train.csv,
validation.csv: the very rows of the BERT Tune run's split).

One process (CPU or one GPU):   python train.py
Several GPUs on this machine:   torchrun --nproc_per_node 4 train.py
                                accelerate launch --multi_gpu --num_processes 4 train.py
Several processes on CPUs:      torchrun --nproc_per_node 2 train.py
(accelerate launch --cpu without a config file starts one process, whatever --num_processes says.)
Several machines:               see README.md beside this file.

The result, output/model/, is a Hugging Face model folder with its trainer_state.json:
BERT Tune's "Import run" (Runs view) or `bert-tune import-run` brings it back as a run.
Written by BERT Tune; recipe schema version 1.
"""
import csv, json, os, sys

import numpy as np
import torch
from transformers import (AutoConfig, AutoModelForSequenceClassification, AutoTokenizer, DataCollatorWithPadding,
                          EarlyStoppingCallback, Trainer, TrainerCallback, TrainingArguments, set_seed)

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "recipe.json"), encoding="utf-8") as f:
    RECIPE = json.load(f)
if RECIPE.get("schema_version") != 1:
    sys.exit(f"recipe.json has schema version {RECIPE.get('schema_version')}; this train.py reads version 1")

LABELS = RECIPE["labels"]
# What the head learns (older recipes: single-label). transformers computes its loss from it:
# cross-entropy, BCEWithLogitsLoss over the labels, or MSELoss on the one output.
TASK = RECIPE.get("problem_type") or "single_label_classification"
# Regression learnt standardised, as BERT Tune's --standardize-target: (y - mean) / std, folded back into the output layer when saved.
SCALE = RECIPE.get("target_scale")
# The base model's family by its parts' names, as BERT Tune applies them (older recipes: BERT's).
FAMILY = RECIPE.get("family") or {
    "model_type": "bert", "head": ["bert.pooler.", "classifier."], "embeddings": ["bert.embeddings."],
    "layer": "bert.encoder.layer.{l}.", "output_layer": "classifier",
    "dropout_keys": ["hidden_dropout_prob", "attention_probs_dropout_prob", "classifier_dropout"]}
LABEL2ID = {label: i for i, label in enumerate(LABELS)}
WORLD = int(os.environ.get("WORLD_SIZE", "1"))
RANK = int(os.environ.get("RANK", "0"))

if RECIPE.get("model_is_local_folder") and not os.path.isdir(RECIPE["model"]):
    # At once, rather than let transformers look for a folder's path on the Hub.
    sys.exit(f"The base model folder {RECIPE['model']} is not on this machine. Copy it here and set \"model\" "
             "in recipe.json to its path (or to a Hub id such as bert-base-uncased).")


def unescape(cell):
    """BERT Tune writes a cell that a spreadsheet would run as a formula (=, +, -, @, tab, CR), or
    that starts with ', with one more leading ': dropping it gives the text back exactly."""
    return cell[1:] if cell.startswith("'") else cell


def target(cell):
    """A label cell as the task reads it: a class id, 0/1 per label from a JSON array, or the value."""
    if TASK == "multi_label_classification":
        tags = set(json.loads(cell))
        return [1.0 if label in tags else 0.0 for label in LABELS]
    if TASK == "regression":
        return (float(cell) - SCALE["mean"]) / SCALE["std"] if SCALE else float(cell)
    return LABEL2ID[cell]


class Rows(torch.utils.data.Dataset):
    """A CSV with text, (text_pair,) label columns, tokenised once."""

    def __init__(self, path, tokenizer):
        with open(path, newline="", encoding="utf-8") as f:
            rows = [{k: unescape(v) for k, v in r.items()} for r in csv.DictReader(f)]
        pairs = [r["text_pair"] for r in rows] if RECIPE["pair_column"] else None
        self.encodings = tokenizer([r["text"] for r in rows], pairs, truncation=True, max_length=RECIPE["max_length"])
        self.labels = [target(r["label"]) for r in rows]

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        item = {k: v[i] for k, v in self.encodings.items()}
        item["labels"] = self.labels[i]
        return item


def f1s(predicted, truth):
    """Per column: F1 with an undefined ratio as 0, as scikit-learn's zero_division=0."""
    tp = np.sum(predicted & truth, axis=0)
    fp = np.sum(predicted & ~truth, axis=0)
    fn = np.sum(~predicted & truth, axis=0)
    return np.where(tp > 0, 2 * tp / np.maximum(2 * tp + fp + fn, 1), 0.0), tp, fp, fn


def ranks(x):
    """Average ranks, ties sharing the mean of theirs (scipy's rankdata)."""
    order = np.argsort(x, kind="mergesort")
    r = np.empty(len(x))
    r[order] = np.arange(1, len(x) + 1)
    for v in np.unique(x):
        tied = x == v
        r[tied] = r[tied].mean()
    return r


def pearson(a, b):
    a, b = a - a.mean(), b - b.mean()
    d = np.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / d) if d else 0.0


def metrics(prediction):
    """BERT Tune's metrics of the task, under its names (src/shared/metrics.ts)."""
    logits, truth = prediction
    if TASK == "regression":
        y, p = truth.reshape(-1).astype(np.float64), logits.reshape(-1).astype(np.float64)
        if SCALE:  # in the target's units
            y, p = y * SCALE["std"] + SCALE["mean"], p * SCALE["std"] + SCALE["mean"]
        mse = float(np.mean((p - y) ** 2))
        total = float(((y - y.mean()) ** 2).sum())
        r2 = 1 - mse * len(y) / total if total else (1.0 if mse == 0 else 0.0)
        return {"mse": mse, "rmse": mse ** 0.5, "mae": float(np.mean(np.abs(p - y))), "r2": r2,
                "pearson": pearson(y, p), "spearman": pearson(ranks(y), ranks(p))}
    if TASK == "multi_label_classification":
        y = truth >= 0.5
        p = 1 / (1 + np.exp(-logits)) >= 0.5
        per, tp, fp, fn = f1s(p, y)
        support = y.sum(axis=0)
        micro = 2 * tp.sum() / (2 * tp.sum() + fp.sum() + fn.sum()) if tp.sum() else 0.0
        return {"micro_f1": float(micro), "macro_f1": float(per.mean()),
                "weighted_f1": float((per * support).sum() / support.sum()) if support.sum() else 0.0,
                "subset_accuracy": float(np.mean(np.all(p == y, axis=1))), "hamming_loss": float(np.mean(p != y))}
    predicted = np.argmax(logits, axis=-1)
    k = np.arange(len(LABELS))
    per, _, _, _ = f1s(predicted[:, None] == k, truth[:, None] == k)
    return {"accuracy": float(np.mean(predicted == truth)), "macro_f1": float(per.mean())}


class RecipeTrainer(Trainer):
    """The Trainer as BERT Tune trains: the recipe's class weights (single-label) or pos_weight
    (multi-label) on the training loss only (the evaluation loss is unweighted, as BERT Tune
    reports it), and the rows in file order when the run did not shuffle."""

    def compute_loss(self, model, inputs, return_outputs=False, **kwargs):
        weights = RECIPE.get("class_weights") or RECIPE.get("pos_weight")
        if not weights or not model.training:
            return super().compute_loss(model, inputs, return_outputs=return_outputs, **kwargs)
        labels = inputs.pop("labels")
        outputs = model(**inputs)
        weight = torch.tensor(weights, dtype=outputs.logits.dtype, device=outputs.logits.device)
        if TASK == "multi_label_classification":
            loss = torch.nn.BCEWithLogitsLoss(pos_weight=weight)(outputs.logits, labels.to(outputs.logits.dtype))
        else:
            loss = torch.nn.functional.cross_entropy(outputs.logits, labels, weight=weight)
        return (loss, outputs) if return_outputs else loss

    def _get_train_sampler(self, *args, **kwargs):
        if RECIPE.get("shuffle", True):
            return super()._get_train_sampler(*args, **kwargs)
        return torch.utils.data.SequentialSampler(self.train_dataset)


class EvaluateEachEpoch(TrainerCallback):
    """BERT Tune evaluates (and may keep the best checkpoint) after each epoch as well as every
    eval_steps: so does this run."""

    def on_step_end(self, args, state, control, **kwargs):
        per_epoch = RECIPE.get("steps_per_epoch")
        if per_epoch and state.global_step % per_epoch == 0:
            control.should_evaluate = True
            control.should_save = True
        return control


def group_by_length():
    # transformers 5 names it train_sampling_strategy; 4.x had group_by_length.
    if not RECIPE.get("group_by_length"):
        return {}
    import inspect
    params = inspect.signature(TrainingArguments).parameters
    return {"train_sampling_strategy": "group_by_length"} if "train_sampling_strategy" in params else {"group_by_length": True}


def main():
    set_seed(RECIPE["seed"])
    tokenizer = AutoTokenizer.from_pretrained(RECIPE["model"])
    overrides = {}
    if RECIPE.get("dropout") is not None:
        d = RECIPE["dropout"]
        overrides = {key: d for key in FAMILY["dropout_keys"]}
    base = AutoConfig.from_pretrained(RECIPE["model"])
    base_labels = [label for _, label in sorted(base.id2label.items())]
    model = AutoModelForSequenceClassification.from_pretrained(
        RECIPE["model"], num_labels=len(LABELS), id2label=dict(enumerate(LABELS)), label2id=LABEL2ID, problem_type=TASK,
        ignore_mismatched_sizes=True, **overrides)
    if base_labels != LABELS or (base.problem_type and base.problem_type != TASK):
        # As BERT Tune: a head trained for other labels, or another task, starts afresh, even when their count matches.
        output = model.get_submodule(FAMILY["output_layer"])
        with torch.no_grad():
            torch.nn.init.normal_(output.weight, mean=0.0, std=model.config.initializer_range)
            torch.nn.init.zeros_(output.bias)
        print(f"note: the classifier is new: the base model's labels ({', '.join(map(str, base_labels))}) are not this run's", flush=True)
    if RECIPE.get("head_only"):
        head = tuple(FAMILY["head"])
        for name, p in model.named_parameters():
            p.requires_grad = name.startswith(head)
        # BERT Tune computes the frozen encoder's features once, without dropout: so does this run.
        encoder = tuple(FAMILY["embeddings"] + [FAMILY["layer"].split("{l}")[0]])
        for name, module in model.named_modules():
            if isinstance(module, torch.nn.Dropout) and (name + ".").startswith(encoder):
                module.p = 0.0
    elif RECIPE.get("freeze_layers"):
        frozen = FAMILY["embeddings"] + [FAMILY["layer"].replace("{l}", str(l)) for l in range(RECIPE["freeze_layers"])]
        for name, p in model.named_parameters():
            if any(name.startswith(f) for f in frozen):
                p.requires_grad = False

    # The run's global batch, shared among the processes.
    batch = RECIPE["batch_size"]
    per_device = max(1, batch // WORLD)
    if per_device * WORLD != batch:
        print(f"note: batch {batch} over {WORLD} processes: {per_device} each, {per_device * WORLD} in all", file=sys.stderr)
    accumulation = RECIPE["gradient_accumulation"]
    # Each process says what it trains on: a launcher that starts one process (accelerate --cpu
    # without a config) shows here as "1 process".
    print(f"rank {RANK} of {WORLD} process{'es' if WORLD > 1 else ''}: {per_device} rows a step on this process, "
          f"a global batch of {per_device * WORLD} x {accumulation} accumulated = {per_device * WORLD * accumulation} rows an optimizer step", flush=True)
    cpu = not torch.cuda.is_available()
    best = RECIPE["metric_for_best"]
    args = TrainingArguments(
        output_dir=os.path.join(HERE, "output", "checkpoints"),
        per_device_train_batch_size=per_device,
        per_device_eval_batch_size=2 * per_device,
        gradient_accumulation_steps=accumulation,
        learning_rate=RECIPE["learning_rate"],
        weight_decay=RECIPE["weight_decay"],
        adam_beta1=0.9, adam_beta2=0.999, adam_epsilon=1e-8,
        max_grad_norm=RECIPE["max_grad_norm"],
        max_steps=RECIPE["total_steps"],
        lr_scheduler_type={"linear": "linear", "cosine": "cosine", "constant": "constant_with_warmup"}[RECIPE["schedule"]],
        warmup_steps=RECIPE["warmup_steps"],
        seed=RECIPE["seed"],
        eval_strategy="steps", eval_steps=RECIPE["eval_steps"],
        save_strategy="steps", save_steps=RECIPE["eval_steps"], save_total_limit=2,
        load_best_model_at_end=True, metric_for_best_model=best, greater_is_better=RECIPE.get("greater_is_better", best != "loss"),
        **group_by_length(),
        logging_steps=1, report_to="none",
        use_cpu=cpu, ddp_backend="gloo" if cpu and WORLD > 1 else None,
    )
    callbacks = [EvaluateEachEpoch()]
    if RECIPE.get("early_stopping_patience"):
        callbacks.append(EarlyStoppingCallback(RECIPE["early_stopping_patience"]))
    trainer = RecipeTrainer(
        model=model, args=args, train_dataset=Rows(os.path.join(HERE, "train.csv"), tokenizer),
        eval_dataset=Rows(os.path.join(HERE, "validation.csv"), tokenizer),
        data_collator=DataCollatorWithPadding(tokenizer), compute_metrics=metrics, callbacks=callbacks)
    # BertForSequenceClassification.forward takes **kwargs, so the Trainer believes it uses
    # num_items_in_batch and skips its own scaling: the loss and the clipped gradient norm came out
    # multiplied by processes x accumulation. BERT averages its loss itself; let the Trainer scale.
    trainer.model_accepts_loss_kwargs = False
    trainer.train()
    out = os.path.join(HERE, "output", "model")
    if SCALE:
        # The saved model predicts in the target's units: W * std, b * std + mean.
        output = trainer.model.get_submodule(FAMILY["output_layer"])
        with torch.no_grad():
            output.weight.mul_(SCALE["std"])
            output.bias.mul_(SCALE["std"]).add_(SCALE["mean"])
    trainer.save_model(out)  # the best checkpoint (load_best_model_at_end); the main process writes
    if trainer.is_world_process_zero():
        tokenizer.save_pretrained(out)
        trainer.state.save_to_json(os.path.join(out, "trainer_state.json"))
        with open(os.path.join(out, "bert_tune_recipe.json"), "w", encoding="utf-8") as f:
            json.dump(RECIPE, f, indent=2)
        print(f"saved the model to {out}")


if __name__ == "__main__":
    main()
