#!/usr/bin/env bash
# widenet's GPU kit (built by `npm run gpu-kit`; docs/kernels-and-benchmarks.md, "On a real GPU").
#
#   bash .gpu-kit/run.sh [--quick] [--allow-software] [--selftest-only NAME]...
#
# Unpacks Node, Dawn and the Vulkan loader into /tmp, points the loader at the NVIDIA driver,
# checks that `widenet info` reports a hardware NVIDIA adapter (stops if it reports SwiftShader,
# unless --quick or --allow-software), then runs every stage within its time budget (8 minutes in
# all; a failed or timed-out stage is recorded and the next one runs): selftest, bench-kernels,
# bench-ntk, bench-train, the Python peers (numpy check, PyTorch, JAX), and writes every report
# (JSON, logs, summary.md and summary.json side by side) to $OUT, else ./gpu-results.
#   --quick            tiny sizes (selftest --quick, benchmarks --preset tiny, peers --preset quick);
#                      also allows a software adapter (a machine without a GPU)
#   --allow-software   the full sizes on a software adapter too
#   --selftest-only N  only these selftest cases (repeatable; widenet selftest --only)
set -u # (empty arrays are expanded as ${A[@]+"${A[@]}"}: bash before 4.4 calls a bare one unbound)
KIT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
QUICK=0
ALLOW_SOFTWARE=0
SELFTEST_ONLY=()
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1; ALLOW_SOFTWARE=1 ;;
    --allow-software) ALLOW_SOFTWARE=1 ;;
    --selftest-only) [ $# -ge 2 ] || { echo "run.sh: --selftest-only needs a NAME" >&2; exit 2; }; SELFTEST_ONLY+=(--only "$2"); shift ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown option $1 (expected --quick, --allow-software, --selftest-only NAME)" >&2; exit 2 ;;
  esac
  shift
done
OUT="${OUT:-$PWD/gpu-results}"
mkdir -p "$OUT" || { echo "run.sh: cannot create the report folder $OUT" >&2; exit 1; }
OUT="$(cd "$OUT" && pwd)"
T_START=$(date +%s)
TOTAL_BUDGET=480 # 8 minutes, every stage included
STAGES="$OUT/stages.jsonl"
: > "$STAGES"
say() { echo "gpu-kit: $*" | tee -a "$OUT/run.log" >&2; }

# ---- unpack into /tmp
WORK="$(mktemp -d /tmp/widenet-gpu-kit.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
gzip -dc "$KIT/node.gz" > "$WORK/node" && chmod +x "$WORK/node" || { say "cannot unpack Node into $WORK"; exit 1; }
cp -r "$KIT/widenet" "$WORK/widenet"
gzip -dc "$KIT/dawn.node.gz" > "$WORK/widenet/node_modules/webgpu/dist/linux-x64/dawn.node" || { say "cannot unpack Dawn"; exit 1; }
NODE="$WORK/node"
CLI="$WORK/widenet/cli/widenet.js"

# the C++ runtime and the Vulkan loader: the machine's own where it has them, else the kit's
LIBS=""
if ! "$NODE" --version >/dev/null 2>&1; then LIBS="$KIT/lib"; fi
# (WIDENET_KIT_OWN_LOADER=1: the kit's even where the machine has one; the kit's test uses it)
if [ "${WIDENET_KIT_OWN_LOADER:-0}" = 1 ] || ! /sbin/ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1 '; then
  DEB="$(ls "$KIT"/libvulkan1_*.deb | head -1)"
  if command -v dpkg >/dev/null 2>&1; then dpkg -x "$DEB" "$WORK/vulkan"
  else mkdir -p "$WORK/vulkan" && (cd "$WORK/vulkan" && ar x "$DEB" && tar -xf data.tar.* ); fi
  LIBS="${LIBS:+$LIBS:}$WORK/vulkan/usr/lib/x86_64-linux-gnu"
  say "Vulkan loader: the kit's $(basename "$DEB")"
else
  say "Vulkan loader: the machine's own"
fi
[ -n "$LIBS" ] && export LD_LIBRARY_PATH="$LIBS${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

# the NVIDIA driver: where the loader's standard folders hold no NVIDIA driver file, the lent machine's
NVIDIA_ICD=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ]; then
  if ! ls /etc/vulkan/icd.d/nvidia*.json /usr/share/vulkan/icd.d/nvidia*.json /usr/local/share/vulkan/icd.d/nvidia*.json >/dev/null 2>&1 && [ -f "$NVIDIA_ICD" ]; then
    export VK_DRIVER_FILES="$NVIDIA_ICD"
    say "Vulkan driver: VK_DRIVER_FILES=$NVIDIA_ICD"
  fi
fi
# the driver's own libraries (libGLX_nvidia.so.0, which the driver file names) where the lent machine keeps them
if [ -d /usr/local/nvidia/lib64 ] && [[ ":${LD_LIBRARY_PATH:-}:" != *":/usr/local/nvidia/lib64:"* ]]; then
  export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}/usr/local/nvidia/lib64"
fi
export WIDENET_AUTOTUNE_CACHE="$WORK/autotune.json" # no cache of another run

command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv > "$OUT/nvidia-smi.csv" 2>&1

# ---- one stage: its budget (capped by what is left of the 8 minutes), its log, its exit status
remaining() { echo $(( TOTAL_BUDGET - ($(date +%s) - T_START) )); }
stage() {
  local name="$1" budget="$2"; shift 2
  local left; left=$(remaining)
  [ "$budget" -gt "$left" ] && budget=$left
  if [ "$budget" -le 5 ]; then
    printf '{"stage":"%s","status":"skipped","reason":"the 8-minute budget is spent","seconds":0}\n' "$name" >> "$STAGES"
    say "$name: skipped (time budget spent)"
    return
  fi
  say "$name: running (budget ${budget} s)"
  local t0; t0=$(date +%s.%N)
  timeout -k 10 "$budget" "$@" > "$OUT/$name.stdout" 2> "$OUT/$name.log"
  local rc=$?
  local secs; secs=$(awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $t0 }")
  local status=ok
  if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then status=timeout; elif [ $rc -ne 0 ]; then status=failed; fi
  printf '{"stage":"%s","status":"%s","exitCode":%d,"seconds":%s,"budget":%d}\n' "$name" "$status" "$rc" "$secs" "$budget" >> "$STAGES"
  say "$name: $status (exit $rc, $secs s)"
}

# ---- the adapter: a hardware NVIDIA one, or stop (unless a software run was asked for)
stage info 60 "$NODE" "$CLI" info
cp "$OUT/info.stdout" "$OUT/info.json" 2>/dev/null
VERDICT="$("$NODE" -e '
  const fs = require("fs");
  let a; try { a = JSON.parse(fs.readFileSync(process.argv[1], "utf8")); } catch { console.log("none"); process.exit(0); }
  const text = `${a.vendor} ${a.architecture} ${a.description}`.toLowerCase();
  console.log(a.software ? "software" : /nvidia/.test(text) ? "nvidia" : "other");
' "$OUT/info.json")"
case "$VERDICT" in
  none)
    say "widenet info found no WebGPU adapter (see $OUT/info.log); stopping"
    "$NODE" "$KIT/report.mjs" "$OUT" "$([ $QUICK = 1 ] && echo quick || echo gpu)" "no adapter: widenet info failed" >/dev/null 2>&1
    exit 3 ;;
  software)
    if [ $ALLOW_SOFTWARE = 0 ]; then
      say "widenet info reports a SOFTWARE adapter ($(grep -o '"description": "[^"]*"' "$OUT/info.json")): the NVIDIA Vulkan driver was not found or not usable, so these would not be GPU numbers. Stopping. Check the driver file (VK_DRIVER_FILES, now '${VK_DRIVER_FILES:-unset}'; the lent machine's is $NVIDIA_ICD) and $OUT/info.log; run with --allow-software to measure the software adapter anyway."
      "$NODE" "$KIT/report.mjs" "$OUT" gpu "stopped: the adapter is SwiftShader (software), not the NVIDIA GPU" >/dev/null 2>&1
      exit 3
    fi
    say "software adapter (allowed: --quick / --allow-software): CPU numbers, not GPU ones" ;;
  other) say "warning: a hardware adapter, but not NVIDIA: $(grep -o '"description": "[^"]*"' "$OUT/info.json")" ;;
  nvidia) say "adapter: $(grep -o '"description": "[^"]*"' "$OUT/info.json")" ;;
esac

if [ $QUICK = 1 ]; then SIZES=(--preset tiny); ST=(--quick); PEERS=quick; else SIZES=(--preset gpu); ST=(); PEERS=gpu; fi

# ---- the stages (budgets in seconds; 8 minutes in all)
stage selftest 90 "$NODE" "$CLI" selftest ${ST[@]+"${ST[@]}"} ${SELFTEST_ONLY[@]+"${SELFTEST_ONLY[@]}"} --json "$OUT/selftest.json" --export-entk "$OUT/entk-case.json"
stage bench-kernels 100 "$NODE" "$CLI" bench-kernels "${SIZES[@]}" --json "$OUT/bench-kernels.json"
stage bench-ntk 70 "$NODE" "$CLI" bench-ntk "${SIZES[@]}" --json "$OUT/bench-ntk.json"
stage bench-train 45 "$NODE" "$CLI" bench-train "${SIZES[@]}" --json "$OUT/bench-train.json"
PY="$(command -v python3 || command -v python || echo python3)"
CASE=()
[ -s "$OUT/entk-case.json" ] && CASE=(--case "$OUT/entk-case.json")
stage peer-numpy 20 "$PY" "$KIT/peers/structured_check.py" --out "$OUT/peer-numpy.json" ${CASE[@]+"${CASE[@]}"}
stage peer-torch 60 "$PY" "$KIT/peers/torch_peers.py" --preset $PEERS --out "$OUT/peer-torch.json" ${CASE[@]+"${CASE[@]}"}
stage peer-jax 45 "$PY" "$KIT/peers/jax_peers.py" --preset $PEERS --out "$OUT/peer-jax.json" ${CASE[@]+"${CASE[@]}"}

# ---- the side-by-side report
"$NODE" "$KIT/report.mjs" "$OUT" "$PEERS" || say "the report writer failed"
say "done in $(( $(date +%s) - T_START )) s; reports in $OUT (summary.md, summary.json)"
