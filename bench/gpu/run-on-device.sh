#!/usr/bin/env bash
# The GPU benchmark as one command, for a machine with a GPU but without Node or a network (the
# lent GPU machine: `run` with carry [".gpubench", ".gl"]); bench/gpu/prepare.sh makes both here.
#   bash bench/gpu/run-on-device.sh [--seconds 10]
#   bash bench/gpu/run-on-device.sh --rehearse      (here, on Mesa's software adapter, bert-tiny)
# Prints the table; the JSON and the log land in $OUT (default .gpubench/out).
set -uo pipefail
cd "$(dirname "$0")/../.."
B=.gpubench
[[ -f $B/bench.js ]] || { echo "run-on-device: no $B/bench.js; run bench/gpu/prepare.sh first" >&2; exit 2; }
unxz() { python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"; }
NODE=$(command -v node || true)
if [[ -z $NODE ]]; then NODE=/tmp/bert-tune-node; unxz "$B/node.xz" "$NODE"; chmod +x "$NODE"; fi
[[ -f $B/dawn-linux-x64.node ]] || unxz "$B/dawn-linux-x64.node.xz" "$B/dawn-linux-x64.node"
if ! ldconfig -p | grep -q 'libvulkan\.so\.1 ' && [[ -d .gl ]]; then
  for f in .gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
# The NVIDIA driver's Vulkan and EGL files where the device's README says they are.
if [[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]]; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
fi
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$(mktemp -d)}
export OUT=${OUT:-$B/out}
mkdir -p "$OUT"
PYTHON=python3
[[ -x .cache/venv/bin/python ]] && PYTHON=.cache/venv/bin/python
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | sed 's/^/GPU: /'
"$NODE" "$B/bench.js" all --python "$PYTHON" --out "$OUT" "$@" 2>&1 | tee "$OUT/gpu-bench.log"
