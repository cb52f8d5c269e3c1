"""The structured eNTK formula (common.structured_ntk) in numpy float64 against widenet's eNTK on
its shared small case (`widenet selftest --export-entk PATH`): the same weights and inputs, so the
two must agree within widenet's eNTK tolerance (1e-3 of the largest entry; float32 on the GPU).
Runs wherever numpy is (no GPU); skips cleanly without numpy.

    python3 structured_check.py --case entk-case.json --out structured-check.json
"""
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts (the kit's folder may be read-only)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import NTK_RTOL_OF_MAX, Report, load_case, ntk_max_rel_diff, parse_args, structured_ntk  # noqa: E402


def main():
    args = parse_args(__doc__)
    rep = Report("numpy structured check", args.out)
    try:
        import numpy as np
    except ImportError as e:
        rep.skip(f"numpy is not installed ({e})")
    rep.data["versions"]["numpy"] = np.__version__
    if not args.case:
        rep.skip("no --case file (widenet selftest --export-entk)")
    case, x, w1, w2, wn = load_case(args.case)
    diff = ntk_max_rel_diff(structured_ntk(x, w1, w2), wn)
    rep.add(kind="ntk-shared-case", impl="numpy structured formula (float64)", shape=[x.shape[0], x.shape[1], w1.shape[0]], maxRelDiffToWidenet=diff, agrees=diff <= NTK_RTOL_OF_MAX, adapter=case.get("adapter", {}).get("description"))
    rep.write()
    sys.exit(0 if diff <= NTK_RTOL_OF_MAX else 1)


if __name__ == "__main__":
    main()
