"""The Hugging Face side of the encoder-family interop tests (test/interop/families.test.ts).

    families.py make OUT         one folder per family and config form, as transformers 5 writes
                                 them: random weights, a tokenizer made the way the Hub's were
                                 (WordPiece vocab.txt; byte-level BPE trained by `tokenizers`;
                                 Unigram from a trained `sentencepiece` model through
                                 transformers' converter), and reference.json: transformers' ids
                                 for every text of test/fixtures/families/texts.jsonl, logits,
                                 and a 5-step training trajectory
    families.py check DIR        loads a folder BERT Tune saved with AutoTokenizer and
                                 AutoModelForSequenceClassification; prints the logits of the
                                 reference texts as JSON

Nothing is downloaded.
"""
import json, os, shutil, sys, tempfile
import torch
import transformers
from transformers import (AutoModelForSequenceClassification, AutoTokenizer, BertTokenizer, DebertaV2Config, DistilBertConfig, ElectraConfig, ModernBertConfig,
                          RobertaConfig, RobertaTokenizer, XLMRobertaConfig, XLMRobertaTokenizer)
from trainer_like import step, trainer_optimizer

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "fixtures")
VOCAB = os.path.join(FIXTURES, "reference", "vocab", "bert-base-uncased-vocab.txt")
LABELS = {0: "negative", 1: "positive", 2: "mixed"}
MAX_LENGTH = 64
LOGIT_TEXTS = 48  # the first texts and the first pairs whose logits are compared
STEPS, BATCH = 5, 8


def texts():
    with open(os.path.join(FIXTURES, "families", "texts.jsonl"), encoding="utf-8") as f:
        return [json.loads(l) for l in f if l.strip()]


def corpus():
    return [t["text"] for t in texts()] + [t["pair"] for t in texts() if "pair" in t]


def wordpiece(d):
    tok = BertTokenizer(VOCAB, do_lower_case=True, model_max_length=MAX_LENGTH)
    tok.save_pretrained(d)
    return AutoTokenizer.from_pretrained(d)


def byte_level_bpe(d):
    from tokenizers import ByteLevelBPETokenizer
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(corpus(), vocab_size=1200, min_frequency=2, special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"])
    with tempfile.TemporaryDirectory() as tmp:
        bpe.save_model(tmp)
        tok = RobertaTokenizer(os.path.join(tmp, "vocab.json"), os.path.join(tmp, "merges.txt"), model_max_length=MAX_LENGTH)
        tok.save_pretrained(d)
    return AutoTokenizer.from_pretrained(d)


def train_sentencepiece(to, **ids):
    """A Unigram SentencePiece model of 3,000 pieces trained on the texts, written to `to`."""
    import sentencepiece as spm
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "corpus.txt")
        with open(src, "w", encoding="utf-8") as f:
            f.write("\n".join(t.replace("\n", " ") for t in corpus() if t.strip()))
        spm.SentencePieceTrainer.train(input=src, model_prefix=os.path.join(tmp, "spm"), vocab_size=3000, model_type="unigram",
                                       character_coverage=0.9995, **ids)
        shutil.copy(os.path.join(tmp, "spm.model"), to)


def unigram(d):
    # As an XLM-R repository on the Hub ships it; transformers converts it (SpmConverter) when it loads.
    train_sentencepiece(os.path.join(d, "sentencepiece.bpe.model"), normalization_rule_name="nmt_nfkc", bos_id=0, pad_id=1, eos_id=2, unk_id=3)
    XLMRobertaTokenizer.from_pretrained(d, model_max_length=MAX_LENGTH).save_pretrained(d)
    return AutoTokenizer.from_pretrained(d)


def deberta_unigram(d):
    """DeBERTa-v3's tokenizer as its Hub repository ships it (spm.model: [PAD] 0, [CLS] 1, [SEP] 2, [UNK] 3), converted by transformers."""
    from transformers import DebertaV2Tokenizer
    train_sentencepiece(os.path.join(d, "spm.model"), pad_id=0, bos_id=1, eos_id=2, unk_id=3, pad_piece="[PAD]", bos_piece="[CLS]",
                        eos_piece="[SEP]", unk_piece="[UNK]", user_defined_symbols=["[MASK]"])
    tok = DebertaV2Tokenizer.from_pretrained(d, model_max_length=MAX_LENGTH)
    tok.save_pretrained(d)
    return AutoTokenizer.from_pretrained(d)


def modernbert_bpe(d):
    """Byte-level BPE with ModernBERT's template ([CLS] A [SEP] B [SEP]), as its tokenizer.json has it."""
    from tokenizers import ByteLevelBPETokenizer, processors
    from transformers import PreTrainedTokenizerFast
    specials = ["[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]"]
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(corpus(), vocab_size=1200, min_frequency=2, special_tokens=specials)
    tok = bpe._tokenizer
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]",
                                                       special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", cls_token="[CLS]", sep_token="[SEP]", pad_token="[PAD]",
                                   mask_token="[MASK]", model_max_length=MAX_LENGTH, model_input_names=["input_ids", "attention_mask"])
    fast.save_pretrained(d)
    return AutoTokenizer.from_pretrained(d)


def modernbert_2024(n):
    """A config.json in the 2024 form (global_attn_every_n_layers, global/local_rope_theta), as the Hub's ModernBERT-base has it."""
    config = ModernBertConfig(vocab_size=n, hidden_size=32, num_hidden_layers=3, num_attention_heads=4, intermediate_size=48,
                              max_position_embeddings=MAX_LENGTH, local_attention=8, classifier_pooling="mean", pad_token_id=3,
                              bos_token_id=1, eos_token_id=2, cls_token_id=1, sep_token_id=2,
                              global_attn_every_n_layers=2, global_rope_theta=80_000.0, local_rope_theta=5_000.0, **common())
    return config


def common(initializer_range=0.2):
    return dict(id2label=LABELS, label2id={v: k for k, v in LABELS.items()}, initializer_range=initializer_range)


VARIANTS = {
    "distilbert": (wordpiece, lambda n: DistilBertConfig(vocab_size=n, dim=32, n_layers=2, n_heads=4, hidden_dim=64,
                                                          max_position_embeddings=MAX_LENGTH, **common())),
    "distilbert-sinusoidal": (wordpiece, lambda n: DistilBertConfig(vocab_size=n, dim=32, n_layers=2, n_heads=4, hidden_dim=64,
                                                                     max_position_embeddings=MAX_LENGTH, sinusoidal_pos_embds=True, **common())),
    "roberta": (byte_level_bpe, lambda n: RobertaConfig(vocab_size=n, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                                                         intermediate_size=64, max_position_embeddings=MAX_LENGTH + 2, type_vocab_size=1,
                                                         layer_norm_eps=1e-5, pad_token_id=1, bos_token_id=0, eos_token_id=2, **common())),
    "xlm-roberta": (unigram, lambda n: XLMRobertaConfig(vocab_size=n, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                                                         intermediate_size=64, max_position_embeddings=MAX_LENGTH + 2, type_vocab_size=1,
                                                         layer_norm_eps=1e-5, pad_token_id=1, bos_token_id=0, eos_token_id=2, **common())),
    # DeBERTa-v3 as microsoft/deberta-v3-base is (relative attention in 16 log buckets, shared keys,
    # no absolute positions, no token types), and a v2-style one (absolute positions, separate
    # position projections, pos_att_type as a string, no buckets, token types).
    "deberta-v3": (deberta_unigram, lambda n: DebertaV2Config(vocab_size=n, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                                                               intermediate_size=64, max_position_embeddings=MAX_LENGTH, relative_attention=True,
                                                               pos_att_type=["p2c", "c2p"], position_buckets=16, max_relative_positions=-1,
                                                               share_att_key=True, norm_rel_ebd="layer_norm", position_biased_input=False,
                                                               type_vocab_size=0, pooler_dropout=0, pooler_hidden_act="gelu", **common())),
    "deberta-v2": (wordpiece, lambda n: DebertaV2Config(vocab_size=n, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                                                         intermediate_size=64, max_position_embeddings=MAX_LENGTH, relative_attention=True,
                                                         pos_att_type="p2c|c2p", max_relative_positions=16, position_biased_input=True,
                                                         type_vocab_size=2, **common())),
    "modernbert": (modernbert_bpe, lambda n: ModernBertConfig(vocab_size=n, hidden_size=32, num_hidden_layers=3, num_attention_heads=4,
                                                              intermediate_size=48, max_position_embeddings=MAX_LENGTH, local_attention=8, bos_token_id=1, eos_token_id=2, cls_token_id=1, sep_token_id=2,
                                                              pad_token_id=3, classifier_pooling="cls", norm_bias=True, mlp_bias=True,
                                                              attention_bias=True, classifier_bias=True, **common())),
    "modernbert-2024": (modernbert_bpe, modernbert_2024),
    "electra": (wordpiece, lambda n: ElectraConfig(vocab_size=n, embedding_size=16, hidden_size=32, num_hidden_layers=2,
                                                    num_attention_heads=4, intermediate_size=64, max_position_embeddings=MAX_LENGTH, **common())),
}


def legacy_config(d):
    """config.json as ModernBERT's 2024 release wrote it: no layer_types or rope_parameters."""
    path = os.path.join(d, "config.json")
    with open(path, encoding="utf-8") as f:
        c = json.load(f)
    c.pop("layer_types"); c.pop("rope_parameters")
    c.update(global_attn_every_n_layers=2, global_rope_theta=80_000.0, local_rope_theta=5_000.0)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(c, f, indent=2)


def encode(tok, t):
    return tok(t["text"], t.get("pair"), truncation=True, max_length=MAX_LENGTH)


def trajectory(model, tok, rows):
    """5 steps as Trainer takes them: dropout 0, rows in file order, AdamW with Trainer's decay groups, linear warmup, clipping."""
    opt, sched, decay = trainer_optimizer(model, STEPS)
    batches, steps = [], []
    for s in range(STEPS):
        chunk = rows[s * BATCH:(s + 1) * BATCH]
        enc = tok([r["text"] for r in chunk], [r.get("pair") for r in chunk] if all("pair" in r for r in chunk) else None,
                  truncation=True, max_length=MAX_LENGTH, padding=True, return_tensors="pt")
        labels = torch.tensor([i % 3 for i in range(s * BATCH, (s + 1) * BATCH)])
        batches.append({"input_ids": enc["input_ids"].tolist(), "attention_mask": enc["attention_mask"].tolist(),
                        "token_type_ids": enc["token_type_ids"].tolist() if "token_type_ids" in enc else [[0] * enc["input_ids"].shape[1]] * len(chunk),
                        "labels": labels.tolist()})
        inputs = {k: v for k, v in enc.items() if k in ("input_ids", "attention_mask", "token_type_ids")}
        lr = sched.get_last_lr()[0]
        loss = model(**inputs, labels=labels).loss
        steps.append({"lr": lr, "loss": loss.item(), "grad_norm": step(loss, model, opt, sched)})
    model.eval()
    with torch.no_grad():
        first = {k: torch.tensor(v) for k, v in batches[0].items() if k in ("input_ids", "attention_mask")}
        after = model(**first).logits.tolist()
    return {"batches": batches, "steps": steps, "batch0_logits_after": after, "decayed": sorted(decay)}


def logits_of(model, tok, cases):
    model.eval()
    out = []
    with torch.no_grad():
        for t in cases:
            enc = tok(t["text"], t.get("pair"), truncation=True, max_length=MAX_LENGTH, return_tensors="pt")
            enc.pop("token_type_ids", None) if "token_type_ids" not in tok.model_input_names else None
            out.append(model(**enc).logits[0].tolist())
    return out


def logit_cases(all_texts):
    singles = [t for t in all_texts if "pair" not in t and t["text"].strip()]
    pairs = [t for t in all_texts if "pair" in t]
    return singles[:LOGIT_TEXTS] + pairs[:LOGIT_TEXTS // 4]


def make(out):
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    all_texts = texts()
    for name, (make_tokenizer, make_config) in VARIANTS.items():
        torch.manual_seed(29)
        d = os.path.join(out, name)
        os.makedirs(d)
        tok = make_tokenizer(d)
        model = AutoModelForSequenceClassification.from_config(make_config(len(tok)))
        model.save_pretrained(d)
        if name.endswith("-2024"):
            legacy_config(d)
        model = AutoModelForSequenceClassification.from_pretrained(d)
        cases = logit_cases(all_texts)
        ref = {"torch": torch.__version__, "transformers": transformers.__version__, "max_length": MAX_LENGTH,
               "ids": [encode(tok, t)["input_ids"] for t in all_texts],
               "logit_cases": cases, "logits": logits_of(model, tok, cases),
               "trajectory": trajectory(model, tok, [t for t in all_texts if "pair" not in t][:STEPS * BATCH])}
        with open(os.path.join(d, "reference.json"), "w", encoding="utf-8") as f:
            json.dump(ref, f, ensure_ascii=True)
    print(json.dumps(sorted(VARIANTS)))


def check(d):
    tok = AutoTokenizer.from_pretrained(d)
    model = AutoModelForSequenceClassification.from_pretrained(d).eval()
    cases = logit_cases(texts())
    print(json.dumps({"class": type(model).__name__, "ids": [encode(tok, t)["input_ids"] for t in cases], "logits": logits_of(model, tok, cases)}))


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    elif sys.argv[1] == "check":
        check(sys.argv[2])
    else:
        sys.exit(f"usage: {sys.argv[0]} make OUT | check DIR")
