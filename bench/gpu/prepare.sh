#!/usr/bin/env bash
# Prepares .gpubench/ (git-ignored) for bench/gpu/run-on-device.sh: the benchmark bundled with
# the trainer, the .wasm files, the native kernels, the gradient worker, Dawn's binary and this
# machine's node (both xz-compressed), the batches (from ../shared's SST-2), and the PyTorch
# script; and .gl/, the Vulkan loader packages a machine without them needs (the device
# library's README). Together well under the device's 64 MiB carry limit.
set -euo pipefail
cd "$(dirname "$0")/../.."
B=.gpubench
rm -rf "$B"
mkdir -p "$B"
node esbuild.mjs --production >/dev/null
npx esbuild bench/gpu/bench.ts --bundle --platform=node --target=node20 --format=cjs --main-fields=module,main --minify \
  --external:@tensorflow/tfjs-node --external:@tensorflow/tfjs-node-gpu --log-level=warning --outfile="$B/bench.js"
cp dist/gradientWorker.js dist/*.wasm "$B/"
cp dist/bert_tune_kernels-*.node "$B/" 2>/dev/null || echo "prepare: no native kernels built; the CPU row runs our WASM GEMM"
xz -6 -T2 -c dist/dawn-linux-x64.node > "$B/dawn-linux-x64.node.xz"
xz -6 -T2 -c "$(command -v node)" > "$B/node.xz"
cp bench/gpu/torch_gpu.py "$B/"
npx tsx bench/gpu/bench.ts prepare "$B/batches.json"
if [[ ! -d .gl ]]; then
  # amd64 packages whatever this machine is, in a list of their own (the device README's recipe).
  mkdir -p .gl /tmp/amd64/partial
  o=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64)
  apt-get "${o[@]}" update -qq
  (cd .gl && apt-get "${o[@]}" download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 >/dev/null)
fi
du -sh "$B" .gl
