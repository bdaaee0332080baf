"""The Hugging Face side of the task interop tests (test/interop/tasks.test.ts).

    tasks.py make OUT        one folder per task variant, as transformers 5 writes it (random
                             weights, problem_type in config.json), and reference.json: a 5-step
                             trajectory as Trainer takes it (dropout 0, rows in file order), the
                             loss of transformers' own *ForSequenceClassification (BCEWithLogits
                             or MSE), or BCEWithLogitsLoss(pos_weight) for the weighted variant
    tasks.py metrics FILE    scikit-learn's and scipy's metrics of the predictions in FILE
    tasks.py check DIR       loads a folder BERT Tune saved; prints its class, problem_type,
                             num_labels and the logits of the reference texts

Nothing is downloaded.
"""
import inspect, json, os, shutil, sys
import torch
import transformers
from torch import nn
from transformers import (AutoModelForSequenceClassification, AutoTokenizer, BertConfig, BertTokenizer, DistilBertConfig, ElectraConfig)
from trainer_like import step, trainer_optimizer

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "fixtures")
VOCAB = os.path.join(FIXTURES, "reference", "vocab", "bert-base-uncased-vocab.txt")
MULTI_LABELS = {0: "toxic", 1: "insult", 2: "threat"}
MAX_LENGTH = 64
STEPS, BATCH = 5, 8
POS_WEIGHT = [3.0, 0.5, 1.5]


def texts():
    with open(os.path.join(FIXTURES, "families", "texts.jsonl"), encoding="utf-8") as f:
        rows = [json.loads(l) for l in f if l.strip()]
    return [r for r in rows if r["text"].strip()]


def targets(task, i):
    """Row i's target, the same rule as tasks.test.ts's."""
    if task == "regression":
        return (i % 7) / 3.0 - 1.0
    return [float(i % 2), float((i // 2) % 2), float(i % 3 == 0)]


def labelled(problem_type, num_labels):
    labels = MULTI_LABELS if num_labels == 3 else {0: "score"}
    return dict(problem_type=problem_type, id2label=labels, label2id={v: k for k, v in labels.items()}, initializer_range=0.2)


def bert(problem_type, num_labels):
    return BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
                      max_position_embeddings=MAX_LENGTH, **labelled(problem_type, num_labels))


VARIANTS = {
    "bert-multi-label": ("multi_label_classification", lambda: bert("multi_label_classification", 3), None),
    "bert-multi-label-pos-weight": ("multi_label_classification", lambda: bert("multi_label_classification", 3), POS_WEIGHT),
    "bert-regression": ("regression", lambda: bert("regression", 1), None),
    # Other families' heads (DistilBERT's pre_classifier + ReLU, ELECTRA's dense + GELU + out_proj): the task's loss is the family's too.
    "distilbert-multi-label": ("multi_label_classification", lambda: DistilBertConfig(
        vocab_size=30522, dim=32, n_layers=2, n_heads=4, hidden_dim=64, max_position_embeddings=MAX_LENGTH,
        **labelled("multi_label_classification", 3)), None),
    "electra-regression": ("regression", lambda: ElectraConfig(
        vocab_size=30522, embedding_size=16, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
        max_position_embeddings=MAX_LENGTH, **labelled("regression", 1)), None),
}


def trajectory(model, tok, rows, task, pos_weight):
    opt, sched, _ = trainer_optimizer(model, STEPS)
    batches, steps = [], []
    for s in range(STEPS):
        chunk = rows[s * BATCH:(s + 1) * BATCH]
        enc = tok([r["text"] for r in chunk], truncation=True, max_length=MAX_LENGTH, padding=True, return_tensors="pt")
        labels = torch.tensor([targets(task, i) for i in range(s * BATCH, (s + 1) * BATCH)], dtype=torch.float32)
        batches.append({"input_ids": enc["input_ids"].tolist(), "attention_mask": enc["attention_mask"].tolist(),
                        "token_type_ids": enc["token_type_ids"].tolist() if "token_type_ids" in enc else [[0] * enc["input_ids"].shape[1]] * len(chunk),
                        "targets": labels.tolist()})
        lr = sched.get_last_lr()[0]
        enc = {k: v for k, v in enc.items() if k in inspect.signature(model.forward).parameters}
        if pos_weight is None:
            loss = model(**enc, labels=labels).loss  # transformers' own loss for the config's problem_type
        else:
            logits = model(**enc).logits
            loss = nn.BCEWithLogitsLoss(pos_weight=torch.tensor(pos_weight))(logits, labels)
        steps.append({"lr": lr, "loss": loss.item(), "grad_norm": step(loss, model, opt, sched)})
    model.eval()
    with torch.no_grad():
        first = {k: torch.tensor(v) for k, v in batches[0].items() if k in inspect.signature(model.forward).parameters and k != "labels"}
        after = model(**first).logits.tolist()
    return {"batches": batches, "steps": steps, "batch0_logits_after": after}


def make(out):
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    rows = texts()[:STEPS * BATCH]
    for name, (task, make_config, pos_weight) in VARIANTS.items():
        torch.manual_seed(27)
        d = os.path.join(out, name)
        os.makedirs(d)
        BertTokenizer(VOCAB, do_lower_case=True, model_max_length=MAX_LENGTH).save_pretrained(d)
        tok = AutoTokenizer.from_pretrained(d)
        AutoModelForSequenceClassification.from_config(make_config()).save_pretrained(d)
        model = AutoModelForSequenceClassification.from_pretrained(d)
        ref = {"transformers": transformers.__version__, "task": task, "pos_weight": pos_weight,
               "problem_type": model.config.problem_type, "trajectory": trajectory(model, tok, rows, task, pos_weight)}
        with open(os.path.join(d, "reference.json"), "w", encoding="utf-8") as f:
            json.dump(ref, f)
    print(json.dumps(sorted(VARIANTS)))


def metrics(file):
    import numpy as np
    from scipy.stats import pearsonr, spearmanr
    from sklearn import metrics as m
    with open(file, encoding="utf-8") as f:
        cases = json.load(f)
    out = []
    for c in cases:
        if c["task"] == "multi_label_classification":
            y = np.array(c["truth"], dtype=int)
            p = np.array(c["probs"])
            pred = (p >= np.array(c["thresholds"])).astype(int)
            kw = dict(zero_division=0)
            per = m.precision_recall_fscore_support(y, pred, average=None, **kw)
            auc = [float(m.roc_auc_score(y[:, j], p[:, j])) if 0 < y[:, j].sum() < len(y) else None for j in range(y.shape[1])]
            out.append({"microF1": m.f1_score(y, pred, average="micro", **kw), "macroF1": m.f1_score(y, pred, average="macro", **kw),
                        "weightedF1": m.f1_score(y, pred, average="weighted", **kw), "subsetAccuracy": m.accuracy_score(y, pred),
                        "hammingLoss": m.hamming_loss(y, pred), "precision": per[0].tolist(), "recall": per[1].tolist(),
                        "f1": per[2].tolist(), "support": per[3].tolist(), "rocAuc": auc})
        else:
            y = np.array(c["truth"])
            p = np.array(c["predicted"])
            out.append({"mse": m.mean_squared_error(y, p), "rmse": float(np.sqrt(m.mean_squared_error(y, p))), "mae": m.mean_absolute_error(y, p),
                        "r2": m.r2_score(y, p), "pearson": float(pearsonr(y, p)[0]), "spearman": float(spearmanr(y, p)[0])})
    print(json.dumps(out))


def check(d):
    tok = AutoTokenizer.from_pretrained(d)
    model = AutoModelForSequenceClassification.from_pretrained(d).eval()
    cases = [t["text"] for t in texts()[:16]]
    with torch.no_grad():
        params = inspect.signature(model.forward).parameters
        logits = [model(**{k: v for k, v in tok(t, truncation=True, max_length=MAX_LENGTH, return_tensors="pt").items() if k in params}).logits[0].tolist()
                  for t in cases]
    print(json.dumps({"class": type(model).__name__, "problem_type": model.config.problem_type, "num_labels": model.config.num_labels,
                      "texts": cases, "logits": logits}))


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    elif sys.argv[1] == "metrics":
        metrics(sys.argv[2])
    elif sys.argv[1] == "check":
        check(sys.argv[2])
    else:
        sys.exit(f"usage: {sys.argv[0]} make OUT | metrics FILE | check DIR")
