#!/usr/bin/env bash
# Installs what the tests need beyond npm, when it is missing:
#   chromium   - Debian's package: the headless browser for the browser tests, and SwiftShader,
#                the CPU Vulkan driver (/usr/lib/chromium/vk_swiftshader_icd.json) that gives
#                WebGPU an adapter on a machine without a GPU;
#   libvulkan1 - the Vulkan loader that Dawn (the `webgpu` npm package) opens in Node.
# As root it installs them with apt-get; otherwise it prints the exact command and fails.
set -euo pipefail

missing=()
[ -x /usr/bin/chromium ] && [ -f /usr/lib/chromium/vk_swiftshader_icd.json ] || missing+=(chromium)
ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1' || missing+=(libvulkan1)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

command="apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  echo "widenet: installing ${missing[*]} (needed by the tests) ..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  echo "widenet: installed ${missing[*]}" >&2
else
  echo "widenet: the tests need ${missing[*]}. Run as root:" >&2
  echo "  sudo sh -c '$command'" >&2
  exit 1
fi
