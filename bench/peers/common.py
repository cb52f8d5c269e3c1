"""Shared by the same-machine peers (bench/peers/*.py), run by the GPU kit (.gpu-kit/run.sh).

Each peer writes one JSON report: {"peer", "available", "reason"?, "device"?, "versions", "date",
"results": [...]}; a peer whose package or CUDA is missing writes available=false with the reason
and exits 0, so that the kit's other stages still run.

The empirical NTK of the two-layer ReLU network in the NTK parameterization (DESIGN.md §4),
f(x) = w2 · relu(W1 x / sqrt(d)) / sqrt(m), W1 [m, d], w2 [m], over the parameters (W1, w2):

    Theta(x, x') = (x.x'/d) * (1/m) sum_p w2_p^2 relu'(h_p) relu'(h'_p) + (1/m) sum_p relu(h_p) relu(h'_p)

with h = W1 x / sqrt(d) (Jacot et al. 2018, arXiv:1806.07572; the sum over layers of
(Gram of back-propagated signals) * (Gram of layer inputs), as widenet's structured eNTK and
src/check/reference.ts ntkRows compute it).
"""
import datetime
import json
import math
import os
import sys
import time
import traceback

# the sizes of widenet's bench-ntk (bench/ntk.ts): two-layer ReLU, d = 64
NTK_SHAPES = {
    "gpu": [(n, 64, m) for n in (256, 1024) for m in (2 ** 14, 2 ** 17, 2 ** 20)],
    "quick": [(32, 8, 256), (64, 8, 1024)],
}
# widenet's bench-kernels matmul sizes (bench/kernels.ts, preset gpu)
MATMUL_SIZES = {"gpu": [1024, 2048, 4096, 8192], "quick": [64, 128]}
# widenet's tolerance of an eNTK against float64 (src/check/tolerance.ts ntkTolerance): 1e-3 of its largest entry
NTK_RTOL_OF_MAX = 1e-3


def structured_ntk(x, w1, w2):
    """Theta (n x n) by the structured formula; x [n, d], w1 [m, d], w2 [m]; numpy or torch arrays alike."""
    n, d = x.shape
    m = w1.shape[0]
    h = (x @ w1.T) / math.sqrt(d)                 # [n, m] pre-activations
    act = h * (h > 0)                             # relu(h)
    back = w2 * (h > 0)                           # w2_p relu'(h_p): the back-propagated signal times sqrt(m)
    return ((x @ x.T) / d) * ((back @ back.T) / m) + (act @ act.T) / m


def ntk_max_rel_diff(a, b):
    """max |a - b| / max |b| (both n x n, as Python floats)."""
    import numpy as np

    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(b))), 1e-300))


def load_case(path):
    """widenet's shared small case (`widenet selftest --export-entk PATH`): inputs, weights and its eNTK."""
    with open(path) as f:
        case = json.load(f)
    import numpy as np

    n, d, m = case["n"], case["d"], case["m"]
    x = np.asarray(case["x"], dtype=np.float64).reshape(n, d)
    w1 = np.asarray(case["W1"], dtype=np.float64).reshape(m, d)
    w2 = np.asarray(case["w2"], dtype=np.float64).reshape(m)
    ntk = np.asarray(case["ntk"], dtype=np.float64).reshape(n, n)
    return case, x, w1, w2, ntk


def now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat()


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


class Report:
    """One peer's JSON report, written on every exit path (a crash records its traceback)."""

    def __init__(self, peer, out):
        self.out = out
        self.data = {"peer": peer, "available": True, "date": now(), "versions": {"python": sys.version.split()[0]}, "results": []}
        self.t0 = time.time()

    def skip(self, reason):
        self.data["available"] = False
        self.data["reason"] = reason
        self.write()
        print(f"{self.data['peer']}: skipped: {reason}", file=sys.stderr)
        sys.exit(0)

    def add(self, **result):
        self.data["results"].append(result)
        print(f"{self.data['peer']}: {json.dumps(result)}", file=sys.stderr)
        self.write()

    def write(self):
        self.data["seconds"] = time.time() - self.t0
        os.makedirs(os.path.dirname(os.path.abspath(self.out)), exist_ok=True)
        with open(self.out, "w") as f:
            json.dump(self.data, f, indent=2)
            f.write("\n")

    def fail(self, error):
        self.data["error"] = "".join(traceback.format_exception_only(type(error), error)).strip()
        self.write()


def parse_args(description):
    import argparse

    p = argparse.ArgumentParser(description=description)
    p.add_argument("--out", required=True, help="the JSON report")
    p.add_argument("--preset", choices=["quick", "gpu"], default="gpu")
    p.add_argument("--case", help="widenet's shared small eNTK case (JSON from `widenet selftest --export-entk`)")
    p.add_argument("--budget-gib", type=float, default=None, help="GPU memory for the Jacobian-based eNTK, 2.5x the Jacobian (default: half the free GPU memory)")
    return p.parse_args()
