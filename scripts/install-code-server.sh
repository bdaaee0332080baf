#!/usr/bin/env bash
# Installs code-server (the real VS Code workbench and extension host) into a cache folder, from
# the npm registry and Debian packages only, so the integration and UI tests run offline.
# Idempotent: a second run with code-server already there returns at once.
#   usage: scripts/install-code-server.sh [PREFIX]   (default: .cache/code-server)
set -euo pipefail
CS_VERSION="${CS_VERSION:-4.100.3}"          # the last code-server that runs on Node 20 (VS Code 1.100.3)
RG_NPM_VERSION="${RG_NPM_VERSION:-1.15.11}"  # @vscode/ripgrep as pinned by code-server's lib/vscode
RG_TAG="${RG_TAG:-v13.0.0-10}"               # VERSION in @vscode/ripgrep/lib/postinstall.js
PREFIX="${1:-$(cd "$(dirname "$0")/.." && pwd)/.cache/code-server}"
BIN="$PREFIX/node_modules/.bin/code-server"

if [ -x "$BIN" ] && [ -f "$PREFIX/.installed-$CS_VERSION" ]; then
  exit 0
fi

# 1. Debian packages: ripgrep (seeded below), Kerberos headers for code-server's kerberos addon,
#    chromium for the tests. Installing them needs root; say what to do otherwise.
need=()
command -v rg >/dev/null || need+=(ripgrep)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need+=(libkrb5-dev)
command -v chromium >/dev/null || need+=(chromium)
if ((${#need[@]})); then
  if [ "$(id -u)" != 0 ]; then
    echo "install-code-server: missing Debian packages: ${need[*]}; run: sudo apt-get install -y ${need[*]}" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 "${need[@]}" >/dev/null
fi

# 2. @vscode/ripgrep's postinstall downloads rg from GitHub unless its cache holds the tarball:
#    seed that cache with Debian's rg.
export TMPDIR="${TMPDIR:-/tmp}"
rgcache="$TMPDIR/vscode-ripgrep-cache-$RG_NPM_VERSION"
mkdir -p "$rgcache"
tar czf "$rgcache/ripgrep-$RG_TAG-x86_64-unknown-linux-musl.tar.gz" -C "$(dirname "$(command -v rg)")" rg

# 3. code-server's own install scripts must run (node-pty, argon2, its postinstall); as root npm
#    needs unsafe-perm, and node-pty's postinstall calls `npx node-gyp`.
#    npm >= 11.19 skips dependencies' install scripts until they are approved in package.json, so
#    install, approve code-server's tree (it is what we came for), then rebuild to run them.
export npm_config_yes=true
[ "$(id -u)" = 0 ] && export npm_config_unsafe_perm=true
mkdir -p "$PREFIX"
echo '{"private":true}' > "$PREFIX/package.json"
cd "$PREFIX"
npm install --no-audit --no-fund "code-server@$CS_VERSION"
if npm help install-scripts >/dev/null 2>&1; then
  npm install-scripts approve --all >/dev/null
  npm rebuild --no-audit --no-fund
fi

test -x "$PREFIX/node_modules/code-server/lib/vscode/node_modules/@vscode/ripgrep/bin/rg"
XDG_CONFIG_HOME="$PREFIX/.xdg/config" XDG_DATA_HOME="$PREFIX/.xdg/data" "$BIN" --version
touch "$PREFIX/.installed-$CS_VERSION"
