"""The Python side of bench/tokenizer-parity.ts: transformers 5's ids for N texts and pairs from
every dataset of ../shared/data, for each tokenizer folder given. Writes one JSON file:
{"texts": [...], "ids": {folder: [[...], ...]}}."""
import csv, json, os, random, sys
from transformers import AutoTokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "shared", "data")


def lines(path, enc="utf-8"):
    with open(os.path.join(DATA, path), encoding=enc, errors="replace") as f:
        return [l.rstrip("\r\n") for l in f]


def texts(n, seed=30):
    rng = random.Random(seed)
    pools = [
        [l.split("\t")[0] for l in lines("sst2/train.tsv")[1:]],
        [l.rsplit(";", 1)[0] for l in lines("emotion/train.txt")[1:]],
        [l.split(" ", 1)[1] for l in lines("trec/TREC.train", "latin-1") if " " in l],
        [l.split("\t", 1)[1] for l in lines("sms-spam/SMSSpamCollection.tsv")[1:] if "\t" in l],
    ]
    with open(os.path.join(DATA, "chnsenticorp", "ChnSentiCorp_htl_all.csv"), encoding="utf-8") as f:
        pools.append([r[-1] for r in csv.reader(f) if r])
    mrpc = [l.split("\t") for l in lines("mrpc/msr_paraphrase_train.txt")[1:]]
    mrpc = [r for r in mrpc if len(r) == 5]
    out = []
    per = n * 4 // 5 // len(pools)
    for pool in pools:
        out += [{"text": t} for t in rng.sample([t for t in pool if t.strip()], min(per, len(pool)))]
    out += [{"text": r[3], "pair": r[4]} for r in rng.sample(mrpc, min(n - len(out), len(mrpc)))]
    return out


def main():
    n, out, folders = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    cases = texts(n)
    ids = {}
    for d in folders:
        tok = AutoTokenizer.from_pretrained(d)
        ids[d] = [tok(c["text"], c.get("pair"), truncation=True, max_length=128)["input_ids"] for c in cases]
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"texts": cases, "ids": ids}, f)


if __name__ == "__main__":
    main()
