#!/usr/bin/env bash
# ensure-system-deps.sh [test|run]: installs what the tests (default) or the `widenet` command
# (`run`: the first two only) need beyond npm, when it is missing:
#   chromium   - Debian's package: the headless browser for the browser tests, and SwiftShader,
#                the CPU Vulkan driver (/usr/lib/chromium/vk_swiftshader_icd.json) that gives
#                WebGPU an adapter on a machine without a GPU;
#   libvulkan1 - the Vulkan loader that Dawn (the `webgpu` npm package) opens in Node;
#   slurm-wlm, munge - a real job engine for the test of array-job shards (tests/cli/slurm.test.ts
#                starts a one-node cluster with tests/setup/slurm-cluster.sh).
# As root it installs them with apt-get; otherwise it prints the exact command and fails (for
# Slurm alone it only says so: that test needs root anyway and is skipped outside CI).
set -euo pipefail
purpose="${1:-test}"
case "$purpose" in test) needer="the tests" ;; run) needer="the widenet command" ;; *) echo "ensure-system-deps.sh: expected 'test' or 'run', received '$purpose'" >&2; exit 2 ;; esac

missing=()
[ -x /usr/bin/chromium ] && [ -f /usr/lib/chromium/vk_swiftshader_icd.json ] || missing+=(chromium)
ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1' || missing+=(libvulkan1)
slurm=()
if [ "$purpose" = test ]; then
  for tool in slurmctld slurmd sbatch; do command -v "$tool" >/dev/null || { slurm=(slurm-wlm); break; }; done
  command -v munged >/dev/null || slurm+=(munge)
fi

if [ "$(id -u)" -ne 0 ] && [ ${#slurm[@]} -gt 0 ]; then
  echo "widenet: ${slurm[*]} missing: the Slurm test (tests/cli/slurm.test.ts) needs them and root; as root: apt-get install -y --no-install-recommends ${slurm[*]}" >&2
elif [ ${#slurm[@]} -gt 0 ]; then
  missing+=("${slurm[@]}")
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

command="apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  echo "widenet: installing ${missing[*]} (needed by $needer) ..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  echo "widenet: installed ${missing[*]}" >&2
else
  echo "widenet: $needer needs ${missing[*]}. Run as root:" >&2
  echo "  sudo sh -c '$command'" >&2
  exit 1
fi
