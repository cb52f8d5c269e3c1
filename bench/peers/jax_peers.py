"""JAX peer on this machine's GPU (run by the GPU kit; skips cleanly without jax or a GPU backend):
the empirical NTK of the two-layer ReLU network (common.py) by jax.jacrev + jax.vmap, then J J^T,
at widenet's bench-ntk shapes; checked on 8 sampled rows against the structured formula in float64
(jax_enable_x64; the timed path is float32) before timing (median of 3, block_until_ready).
With --case: on widenet's shared small case, against widenet's eNTK.

    python3 jax_peers.py --out jax.json [--preset quick|gpu] [--case entk-case.json]
"""
import math
import os
import sys
import time

os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")  # share the GPU with the other stages
sys.dont_write_bytecode = True  # no __pycache__ beside the scripts (the kit's folder may be read-only)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import NTK_RTOL_OF_MAX, NTK_SHAPES, Report, load_case, median, ntk_max_rel_diff, parse_args, structured_ntk  # noqa: E402


def main():
    args = parse_args(__doc__)
    rep = Report("jax", args.out)
    try:
        import jax
    except ImportError as e:
        rep.skip(f"JAX is not installed ({e})")
    rep.data["versions"]["jax"] = jax.__version__
    try:
        gpus = jax.devices("gpu")
    except RuntimeError as e:
        gpus = []
        reason = str(e).splitlines()[0]
    if not gpus:
        rep.skip(f"JAX {jax.__version__} has no GPU backend ({reason if 'reason' in locals() else 'no GPU devices'})")
    try:
        run(jax, gpus[0], args, rep)
    except Exception as e:
        rep.fail(e)
        raise
    rep.write()


def run(jax, gpu, args, rep):
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import numpy as np

    rep.data["device"] = {"name": gpu.device_kind, "platform": gpu.platform}

    def f(params, xi):
        d = xi.shape[0]
        m = params["W1"].shape[0]
        h = params["W1"] @ xi / math.sqrt(d)
        return jnp.maximum(h, 0) @ params["w2"] / math.sqrt(m)

    @jax.jit
    def jacobian_ntk(x, w1, w2):
        jac = jax.vmap(jax.jacrev(f), (None, 0))({"W1": w1, "w2": w2}, x)
        return sum(j.reshape(j.shape[0], -1) @ j.reshape(j.shape[0], -1).T for j in jax.tree_util.tree_leaves(jac))

    if args.case:
        _, x, w1, w2, wn = load_case(args.case)
        t = lambda v: jnp.asarray(v, dtype=jnp.float32)  # noqa: E731
        diff = ntk_max_rel_diff(np.asarray(jacobian_ntk(t(x), t(w1), t(w2))), wn)
        rep.add(kind="ntk-shared-case", impl="jax jacrev+vmap", shape=[x.shape[0], x.shape[1], w1.shape[0]], maxRelDiffToWidenet=diff, agrees=diff <= NTK_RTOL_OF_MAX)

    stats = gpu.memory_stats() or {}
    limit = stats.get("bytes_limit")
    budget = (args.budget_gib * 2 ** 30) if args.budget_gib else (limit / 2 if limit else 40 * 2 ** 30)
    key = jax.random.PRNGKey(0)
    for n, d, m in NTK_SHAPES[args.preset]:
        k1, k2, k3, key = jax.random.split(key, 4)
        x = jax.random.normal(k1, (n, d), dtype=jnp.float32)
        w1 = jax.random.normal(k2, (m, d), dtype=jnp.float32)
        w2 = jax.random.normal(k3, (m,), dtype=jnp.float32)
        entry = dict(kind="ntk", impl="jax jacrev+vmap", shape=[n, d, m])
        jac_bytes = 4 * n * m * (d + 1)
        if jac_bytes * 2.5 > budget:
            rep.add(**entry, ms=None, skipped=f"the Jacobian ({jac_bytes / 2 ** 30:.1f} GiB, n x m(d+1) floats) and its copies exceed the budget of {budget / 2 ** 30:.1f} GiB")
            continue
        rows = np.round(np.linspace(0, n - 1, 8)).astype(int)
        x64, w164, w264 = x.astype(jnp.float64), w1.astype(jnp.float64), w2.astype(jnp.float64)
        ref = np.asarray(structured_ntk(x64, w164, w264))[rows]
        del x64, w164, w264
        try:
            theta = np.asarray(jacobian_ntk(x, w1, w2))  # compiles, and the result that is checked
        except Exception as e:  # XLA's resource exhaustion
            rep.add(**entry, ms=None, skipped=f"failed: {str(e).splitlines()[0][:200]}")
            continue
        err = ntk_max_rel_diff(theta[rows], ref)
        if not err <= NTK_RTOL_OF_MAX:
            rep.add(**entry, ms=None, checked=f"max rel err {err:.1e}", mismatch=f"over {NTK_RTOL_OF_MAX}")
            continue
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            jacobian_ntk(x, w1, w2).block_until_ready()
            times.append((time.perf_counter() - t0) * 1000)
        rep.add(**entry, ms=median(times), checked=f"max rel err {err:.1e} of max (8 rows, float64)")


if __name__ == "__main__":
    main()
