#!/usr/bin/env bash
# Mesa's software Vulkan driver (lavapipe), so that WebGPU (Dawn) has an adapter on a machine
# without a GPU: the webgpu backend's tests run on it. Debian bookworm's own mesa-vulkan-drivers
# (22.3) is too old for Dawn; bookworm-backports' (25.x) works. The backports suite is derived
# from the machine's own Debian apt source (same address and keyring), so no host is named here.
# As root; idempotent. Exit 0 with a message when it cannot install (the tests then skip).
set -euo pipefail

if [[ $(id -u) != 0 ]]; then echo "install-software-vulkan: not root, skipped"; exit 0; fi
if ! grep -qs bookworm /etc/os-release; then echo "install-software-vulkan: not Debian bookworm, skipped"; exit 0; fi

installed() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || true; }
case "$(installed mesa-vulkan-drivers)" in
  2[5-9].*|[3-9][0-9].*) echo "install-software-vulkan: mesa-vulkan-drivers $(installed mesa-vulkan-drivers) already installed"; exit 0 ;;
esac

list=/etc/apt/sources.list.d/bert-tune-backports.sources
if [[ ! -e $list ]]; then
  src=/etc/apt/sources.list.d/debian.sources
  if [[ ! -e $src ]]; then echo "install-software-vulkan: no $src to derive bookworm-backports from, skipped"; exit 0; fi
  # The first stanza (Debian's main archive), with its suites replaced by bookworm-backports.
  awk 'BEGIN{RS=""; ORS="\n\n"} NR==1{print; exit}' "$src" \
    | sed -E 's/^Suites:.*/Suites: bookworm-backports/; /^#/d' > "$list"
fi
apt-get update -qq -o Dir::Etc::sourcelist=/dev/null -o Dir::Etc::sourceparts=/etc/apt/sources.list.d
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 -t bookworm-backports mesa-vulkan-drivers libvulkan1 >/dev/null
echo "install-software-vulkan: mesa-vulkan-drivers $(installed mesa-vulkan-drivers)"
