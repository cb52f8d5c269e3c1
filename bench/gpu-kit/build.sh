#!/usr/bin/env bash
# `npm run gpu-kit`: writes .gpu-kit/, everything a lent GPU machine without Node, Chromium or a
# Vulkan loader needs to run widenet's checks and benchmarks there (docs/kernels-and-benchmarks.md,
# "On a real GPU"): this machine's Node binary and the webgpu package's Dawn binary (gzip), Debian's
# libvulkan1 .deb, the C++ runtime Dawn links (only used where the far side lacks it), the built
# CLI, the Python peers (bench/peers), the report writer and run.sh. At most 60 MiB.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
KIT="$ROOT/.gpu-kit"
CACHE="$ROOT/.widenet-cache/gpu-kit"
LIMIT_MIB=60
mkdir -p "$CACHE"
cd "$ROOT"

echo "gpu-kit: building the CLI (dist/cli)" >&2
npx vite build --config vite.config.ts --mode cli --logLevel warn

rm -rf "$KIT"
mkdir -p "$KIT/widenet/node_modules/webgpu/dist/linux-x64" "$KIT/lib" "$KIT/peers"

# ---- Node: this machine's binary, gzip-compressed once per version and size (cached)
NODE_BIN="$(node -p process.execPath)"
NODE_VERSION="$(node -p process.version)"
NODE_KEY="$CACHE/node-$NODE_VERSION-$(stat -c %s "$NODE_BIN").gz"
if [ ! -s "$NODE_KEY" ]; then
  echo "gpu-kit: compressing $NODE_BIN ($NODE_VERSION)" >&2
  gzip -6 -c "$NODE_BIN" > "$NODE_KEY.tmp" && mv "$NODE_KEY.tmp" "$NODE_KEY"
fi
cp "$NODE_KEY" "$KIT/node.gz"

# ---- Dawn: the webgpu package's Linux x86-64 binary, its loader (index.js) and package.json
WEBGPU="$ROOT/node_modules/webgpu"
DAWN="$WEBGPU/dist/linux-x64/dawn.node"
[ -f "$DAWN" ] || { echo "gpu-kit: $DAWN is missing (is the webgpu package installed?)" >&2; exit 1; }
DAWN_KEY="$CACHE/dawn-$(node -p "require('$WEBGPU/package.json').version")-$(stat -c %s "$DAWN").gz"
[ -s "$DAWN_KEY" ] || { gzip -6 -c "$DAWN" > "$DAWN_KEY.tmp" && mv "$DAWN_KEY.tmp" "$DAWN_KEY"; }
cp "$DAWN_KEY" "$KIT/dawn.node.gz"
cp "$WEBGPU/index.js" "$WEBGPU/package.json" "$KIT/widenet/node_modules/webgpu/"

# ---- the Vulkan loader: Debian's libvulkan1 (apt-get download, cached; else apt's own cache)
DEB="$(ls "$CACHE"/libvulkan1_*_amd64.deb 2>/dev/null | head -1 || true)"
if [ -z "$DEB" ]; then
  (cd "$CACHE" && apt-get download libvulkan1 >/dev/null 2>&1) || true
  DEB="$(ls "$CACHE"/libvulkan1_*_amd64.deb 2>/dev/null | head -1 || true)"
fi
if [ -z "$DEB" ]; then
  DEB="$(ls /var/cache/apt/archives/libvulkan1_*_amd64.deb 2>/dev/null | head -1 || true)"
  [ -n "$DEB" ] && cp "$DEB" "$CACHE/"
fi
[ -n "$DEB" ] || { echo "gpu-kit: could not get Debian's libvulkan1 .deb (apt-get download libvulkan1 failed and apt's cache has none)" >&2; exit 1; }
cp "$DEB" "$KIT/"

# ---- what else Dawn and Node link (ldd): the C++ runtime, used on the far side only where it is missing there
for lib in $(ldd "$DAWN" "$NODE_BIN" | awk '/=>/ {print $3}' | sort -u); do
  case "$(basename "$lib")" in libstdc++.so.*|libgcc_s.so.*) cp -L "$lib" "$KIT/lib/" ;; esac
done
ldd "$DAWN" | grep -q 'not found' && { echo "gpu-kit: dawn.node has unresolved libraries here: $(ldd "$DAWN" | grep 'not found')" >&2; exit 1; }

# ---- the built CLI: dist/cli/widenet.js and the chunks it imports (dist/assets), no source maps
node --input-type=module - "$ROOT/dist" "$KIT/widenet" <<'JS'
import { readFileSync, mkdirSync, copyFileSync } from 'node:fs';
import { dirname, join, resolve, relative } from 'node:path';
const [dist, dest] = process.argv.slice(2);
const todo = [join(dist, 'cli/widenet.js')];
const seen = new Set();
while (todo.length) {
  const file = todo.pop();
  if (seen.has(file)) continue;
  seen.add(file);
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(/["'](\.\.?\/[^"'\s]+\.js)["']/g)) todo.push(resolve(dirname(file), m[1]));
}
for (const file of seen) {
  const to = join(dest, relative(dist, file));
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(file, to);
}
console.error(`gpu-kit: the CLI, ${seen.size} file(s)`);
JS
printf '{ "type": "module", "private": true }\n' > "$KIT/widenet/package.json"

# ---- the GPU-side scripts
cp "$ROOT"/bench/peers/*.py "$KIT/peers/"
cp "$ROOT/bench/gpu-kit/report.mjs" "$ROOT/bench/gpu-kit/run.sh" "$KIT/"
cat > "$KIT/MANIFEST.json" <<JSON
{ "built": "$(date -u +%Y-%m-%dT%H:%M:%SZ)", "node": "$NODE_VERSION", "webgpu": "$(node -p "require('$WEBGPU/package.json').version")", "libvulkan1": "$(basename "$DEB")", "commit": "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet 2>/dev/null || echo '+changes')" }
JSON

SIZE_MIB=$(( $(du -sb "$KIT" | cut -f1) / 1048576 ))
if [ "$SIZE_MIB" -gt "$LIMIT_MIB" ]; then echo "gpu-kit: .gpu-kit is $SIZE_MIB MiB, over the $LIMIT_MIB MiB limit" >&2; exit 1; fi
echo "gpu-kit: wrote $KIT ($SIZE_MIB MiB). On the GPU machine: bash .gpu-kit/run.sh   (reports in \$OUT, else ./gpu-results)" >&2
