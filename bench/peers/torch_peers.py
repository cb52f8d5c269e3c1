"""PyTorch peers on this machine's GPU (run by the GPU kit; skips cleanly without torch or CUDA).

- torch.matmul in fp32 with TF32 off (cuBLAS SGEMM: the practical fp32 ceiling) and with TF32 on,
  at widenet's bench-kernels sizes (n^3, n = 1024..8192), each checked on 256 sampled entries
  against float64 before it is timed (CUDA events, median of 5 after a warm-up).
- The empirical NTK of the two-layer ReLU network (common.py) at widenet's bench-ntk shapes:
  by torch.func (vmap over jacrev, then J J^T, as the torch.func "Neural Tangent Kernels" tutorial
  does) and by the hand-written structured formula (common.structured_ntk). Both are checked on 8
  sampled rows against the structured formula in float64, and against each other, before timing.
  A Jacobian (n x P floats, P = m(d + 1)) over the memory budget is skipped with the reason.
- With --case: both methods on widenet's shared small case (its weights and inputs), against
  widenet's eNTK.

    python3 torch_peers.py --out torch.json [--preset quick|gpu] [--case entk-case.json]
"""
import math
import sys
import os

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts (the kit's folder may be read-only)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import MATMUL_SIZES, NTK_RTOL_OF_MAX, NTK_SHAPES, Report, load_case, median, ntk_max_rel_diff, parse_args, structured_ntk  # noqa: E402

EPS32 = 2.0 ** -24


def main():
    args = parse_args(__doc__)
    rep = Report("pytorch", args.out)
    try:
        import torch
    except ImportError as e:
        rep.skip(f"PyTorch is not installed ({e})")
    rep.data["versions"]["torch"] = torch.__version__
    if not torch.cuda.is_available():
        rep.skip(f"CUDA is not available to PyTorch {torch.__version__} (torch.cuda.is_available() is False)")
    try:
        run(torch, args, rep)
    except Exception as e:  # recorded, and the kit goes on
        rep.fail(e)
        raise
    rep.write()


def timed(torch, fn, runs=5):
    """Median GPU time (ms) of fn() by CUDA events, after one warm-up call."""
    fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(runs):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        fn()
        b.record()
        torch.cuda.synchronize()
        times.append(a.elapsed_time(b))
    return median(times)


def run(torch, args, rep):
    dev = torch.device("cuda")
    props = torch.cuda.get_device_properties(0)
    rep.data["device"] = {"name": props.name, "memoryGiB": props.total_memory / 2 ** 30, "cuda": torch.version.cuda, "cudnn": torch.backends.cudnn.version()}
    g = torch.Generator(device=dev).manual_seed(0)

    # ---- matmul fp32, TF32 off and on
    for n in MATMUL_SIZES[args.preset]:
        a = torch.randn(n, n, device=dev, generator=g)
        b = torch.randn(n, n, device=dev, generator=g)
        rows = torch.randint(0, n, (256,), device=dev, generator=g)
        cols = torch.randint(0, n, (256,), device=dev, generator=g)
        ref = (a[rows].double() * b[:, cols].T.double()).sum(1)  # float64 entries C(i, j)
        scale = float(ref.pow(2).mean().sqrt())
        for tf32 in (False, True):
            torch.backends.cuda.matmul.allow_tf32 = tf32
            c = torch.matmul(a, b)
            err = float(((c[rows, cols].double() - ref).abs() / (ref.abs() + scale)).max())
            # fp32: widenet's tolerance(K) (8 u sqrt K); TF32 rounds the inputs to 10 mantissa bits: 8 * 2^-11 sqrt K
            tol = 8 * (2.0 ** -11 if tf32 else EPS32) * math.sqrt(n)
            name = f"torch.matmul fp32 (TF32 {'on' if tf32 else 'off'})"
            if not err <= tol:
                rep.add(kind="matmul", impl=name, shape=[n, n, n], ms=None, checked=f"max rel err {err:.1e} (256 sampled)", mismatch=f"over the tolerance {tol:.1e}")
                continue
            ms = timed(torch, lambda: torch.matmul(a, b))
            rep.add(kind="matmul", impl=name, shape=[n, n, n], ms=ms, tflops=2 * n ** 3 / ms / 1e9, checked=f"max rel err {err:.1e} (256 sampled)")
            del c
        torch.backends.cuda.matmul.allow_tf32 = False
        del a, b
        torch.cuda.empty_cache()

    # ---- eNTK of the two-layer ReLU network
    from torch.func import jacrev, vmap

    def jacobian_ntk(x, w1, w2):
        n, d = x.shape
        m = w1.shape[0]

        def f(params, xi):  # one example -> scalar output
            h = params["W1"] @ xi / math.sqrt(d)
            return torch.relu(h) @ params["w2"] / math.sqrt(m)

        jac = vmap(jacrev(f), (None, 0))({"W1": w1, "w2": w2}, x)  # {"W1": [n, m, d], "w2": [n, m]}
        return sum(j.flatten(1) @ j.flatten(1).T for j in jac.values())

    def check(theta, ref_rows, rows):
        return ntk_max_rel_diff(theta[rows].cpu().numpy(), ref_rows.cpu().numpy())

    if args.case:
        _, x, w1, w2, wn = load_case(args.case)
        t = lambda v: torch.tensor(v, dtype=torch.float32, device=dev)  # noqa: E731
        for impl, fn in (("torch.func jacrev+vmap", jacobian_ntk), ("torch structured formula", structured_ntk)):
            diff = ntk_max_rel_diff(fn(t(x), t(w1), t(w2)).cpu().numpy(), wn)
            rep.add(kind="ntk-shared-case", impl=impl, shape=[x.shape[0], x.shape[1], w1.shape[0]], maxRelDiffToWidenet=diff, agrees=diff <= NTK_RTOL_OF_MAX)

    free = torch.cuda.mem_get_info()[0]
    budget = (args.budget_gib * 2 ** 30) if args.budget_gib else free / 2
    for n, d, m in NTK_SHAPES[args.preset]:
        x = torch.randn(n, d, device=dev, generator=g)
        w1 = torch.randn(m, d, device=dev, generator=g)
        w2 = torch.randn(m, device=dev, generator=g)
        rows = torch.linspace(0, n - 1, 8, device=dev).round().long()
        # float64 reference rows: the structured formula, cross form Theta[rows, :]
        x64, w164, w264 = x.double(), w1.double(), w2.double()
        h_all = x64 @ w164.T / math.sqrt(d)
        h_r = h_all[rows]
        ref = ((x64[rows] @ x64.T) / d) * (((w264 * (h_r > 0)) @ (w264 * (h_all > 0)).T) / m) + ((h_r * (h_r > 0)) @ (h_all * (h_all > 0)).T) / m
        del x64, w164, w264, h_all, h_r
        torch.cuda.empty_cache()
        structured = structured_ntk(x, w1, w2)
        s_err = check(structured, ref, rows)
        entry = dict(kind="ntk", shape=[n, d, m])
        if s_err <= NTK_RTOL_OF_MAX:
            ms = timed(torch, lambda: structured_ntk(x, w1, w2), runs=3)
            rep.add(**entry, impl="torch structured formula", ms=ms, checked=f"max rel err {s_err:.1e} of max (8 rows, float64)")
        else:
            rep.add(**entry, impl="torch structured formula", ms=None, checked=f"max rel err {s_err:.1e}", mismatch=f"over {NTK_RTOL_OF_MAX}")
        jac_bytes = 4 * n * m * (d + 1)
        if jac_bytes * 2.5 > budget:  # the Jacobian, its flattened copy and the product's workspace
            rep.add(**entry, impl="torch.func jacrev+vmap", ms=None, skipped=f"the Jacobian ({jac_bytes / 2 ** 30:.1f} GiB, n x m(d+1) floats) and its copies exceed the budget of {budget / 2 ** 30:.1f} GiB")
        else:
            try:
                theta = jacobian_ntk(x, w1, w2)
                j_err = check(theta, ref, rows)
                agree = ntk_max_rel_diff(theta.cpu().numpy(), structured.cpu().numpy())
                del theta
                if j_err <= NTK_RTOL_OF_MAX:
                    ms = timed(torch, lambda: jacobian_ntk(x, w1, w2), runs=3)
                    rep.add(**entry, impl="torch.func jacrev+vmap", ms=ms, checked=f"max rel err {j_err:.1e} of max (8 rows, float64); {agree:.1e} from the structured formula")
                else:
                    rep.add(**entry, impl="torch.func jacrev+vmap", ms=None, checked=f"max rel err {j_err:.1e}", mismatch=f"over {NTK_RTOL_OF_MAX}")
            except torch.cuda.OutOfMemoryError as e:
                rep.add(**entry, impl="torch.func jacrev+vmap", ms=None, skipped=f"out of GPU memory: {str(e).splitlines()[0]}")
        del structured, x, w1, w2
        torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
