#!/usr/bin/env bash
# The Python peer of the interop tests (test/interop/): torch, transformers, accelerate and
# sentencepiece (the Unigram tokenizers of the family tests are trained with it), scikit-learn and
# scipy (the task metrics are held to them) in .cache/venv.
# Idempotent: a venv that already imports both is kept. Uses pip's own configuration; where this
# machine keeps a local package index (/opt/pypi/simple), pip is pointed at it first, so that no
# unreachable index is tried and retried.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.cache/venv
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import torch, transformers, accelerate, sentencepiece, google.protobuf, sklearn, scipy' 2>/dev/null; then
  "$venv/bin/python" -c 'import torch, transformers; print("python stack present: torch", torch.__version__, "transformers", transformers.__version__)'
  exit 0
fi
mkdir -p .cache
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
if [ -d /opt/pypi/simple ]; then export PIP_INDEX_URL=file:///opt/pypi/simple; fi
"$venv/bin/pip" install --quiet --disable-pip-version-check torch transformers accelerate sentencepiece protobuf scikit-learn scipy
"$venv/bin/python" -c 'import torch, transformers; print("installed torch", torch.__version__, "transformers", transformers.__version__)'
