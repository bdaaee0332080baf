"""The Hugging Face side of the interop tests (test/interop/interop.test.ts), on the real library.

    hf_side.py make OUT        writes model folders as transformers and torch write them, each
                               with reference.json: the texts, transformers' token ids, logits
    hf_side.py check DIR TEXTS loads a folder BERT Tune wrote with AutoTokenizer and
                               AutoModelForSequenceClassification and prints, as JSON, the ids,
                               the logits, id2label and the text-classification pipeline's labels

Every model is a small random BERT; nothing is downloaded.
"""
import json, os, shutil, sys
import torch
import transformers
from transformers import AutoModelForSequenceClassification, AutoTokenizer, BertConfig, BertForSequenceClassification, BertTokenizer, pipeline

HERE = os.path.dirname(os.path.abspath(__file__))
VOCABS = os.path.join(HERE, "..", "fixtures", "reference", "vocab")
LABELS = {0: "negative", 1: "positive", 2: "mixed"}
ENGLISH = ["Héllo World, it's GREAT!", "the year's best and most unpredictable comedy.", "naïve café crème brûlée",
           "a " * 80 + "very long text", "The"]
CHINESE = ["这家酒店的服务很好，房间也干净。", "不推荐！", "位置不错 but the breakfast was cold"]


def words(name):
    with open(os.path.join(VOCABS, name), encoding="utf-8") as f:
        return f.read().split("\n")


def cased_words():
    # No cased vocabulary is in this repository: the uncased one plus capitalised and upper-case
    # forms of its commonest words, read without lower-casing, exercise the same code paths.
    base = [w for w in words("bert-base-uncased-vocab.txt") if w]
    seen = set(base)
    extra = [v for w in base[1996:6000] if w.isalpha() for v in (w.capitalize(), w.upper()) if v not in seen]
    return base + sorted(set(extra), key=extra.index)


def config(vocab_size):
    return BertConfig(vocab_size=vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
                      max_position_embeddings=64, id2label=LABELS, label2id={v: k for k, v in LABELS.items()})


def write_vocab(d, vocab):
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "vocab.txt")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(w for w in vocab if w != "") + "\n")
    return path


def reference(d, tok, model, texts, pair=None):
    model.eval()
    out = {"torch": torch.__version__, "transformers": transformers.__version__, "cases": []}
    for i, text in enumerate(texts):
        second = pair if (pair and i == 0) else None
        enc = tok(text, second, truncation=True, max_length=64, return_tensors="pt")
        with torch.no_grad():
            logits = model(**enc).logits[0].tolist()
        out["cases"].append({"text": text, "pair": second, "input_ids": enc["input_ids"][0].tolist(),
                             "token_type_ids": enc["token_type_ids"][0].tolist(), "logits": logits})
    with open(os.path.join(d, "reference.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)


def make(out):
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    uncased = words("bert-base-uncased-vocab.txt")

    def variant(name, vocab=uncased, lower=True, texts=ENGLISH, save=None, dtype=None, drop=()):
        torch.manual_seed(len(name))
        d = os.path.join(out, name)
        tok = BertTokenizer(write_vocab(d, vocab), do_lower_case=lower, model_max_length=64)
        model = BertForSequenceClassification(config(len([w for w in vocab if w != ""])))
        if dtype is not None:
            model = model.to(dtype)  # what is saved; the reference runs the same weights in float32
        (save or (lambda m: m.save_pretrained(d)))(model)
        tok.save_pretrained(d)
        for f in drop:
            os.remove(os.path.join(d, f))
        reference(d, AutoTokenizer.from_pretrained(d), model.float(), texts, pair="and a second sentence" if texts is ENGLISH else None)

    variant("safetensors")
    variant("sharded", save=lambda m: m.save_pretrained(os.path.join(out, "sharded"), max_shard_size="200KB"))
    variant("float16", dtype=torch.float16)
    variant("bfloat16", dtype=torch.bfloat16)
    variant("tokenizer-json-only", drop=("vocab.txt",))
    variant("vocab-txt-only", drop=("tokenizer.json",))
    variant("cased", vocab=cased_words(), lower=False)
    variant("chinese", vocab=words("bert-base-chinese-vocab.txt"), texts=CHINESE)

    def torch_save(m):
        d = os.path.join(out, "torch-save-bin")
        m.config.save_pretrained(d)
        torch.save(m.state_dict(), os.path.join(d, "pytorch_model.bin"))
    variant("torch-save-bin", save=torch_save)
    print(json.dumps(sorted(os.listdir(out))))


def check(d, texts_file):
    with open(texts_file, encoding="utf-8") as f:
        texts = json.load(f)
    tok = AutoTokenizer.from_pretrained(d)
    model = AutoModelForSequenceClassification.from_pretrained(d).eval()
    result = {"id2label": {str(k): v for k, v in model.config.id2label.items()}, "cases": []}
    for text in texts:
        enc = tok(text, truncation=True, max_length=64, return_tensors="pt")
        with torch.no_grad():
            logits = model(**enc).logits[0].tolist()
        result["cases"].append({"input_ids": enc["input_ids"][0].tolist(), "logits": logits})
    classify = pipeline("text-classification", model=model, tokenizer=tok, device="cpu")
    result["pipeline"] = [r["label"] for r in classify(texts, truncation=True, max_length=64)]
    print(json.dumps(result))


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    elif sys.argv[1] == "check":
        check(sys.argv[2], sys.argv[3])
    else:
        sys.exit(f"usage: {sys.argv[0]} make OUT | check DIR TEXTS_JSON")
