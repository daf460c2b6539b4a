#!/usr/bin/env python3
"""How darts-go's search step grows with batch, channels, layers and ops.

Runs `darts bench --json` on one preset (default mnist-small, first order)
with one setting changed at a time: --batch-size, --init-channels,
--layers, --ops (the number of candidate ops per edge, a prefix-free subset
of DARTS's 8 keeping the parametric ones last) and the thread count, and
prints a Markdown table of the median step time, the CPU time per step
(user+system of all threads, which a busy machine disturbs less than wall
time), the peak RSS, the heap allocations per step and the weight count,
each also as a ratio to the preset's own run (the first row).

    python3 tools/bench/scaling.py --darts /tmp/darts --out scaling.jsonl
    python3 tools/bench/scaling.py --report scaling.jsonl

Every JSON line records the CPU model and the hostname; --report refuses
files of several machines. Needs only the standard library and a darts
binary (built from the repository when --darts is not given).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import compare  # noqa: E402  (cpu_model, machine, build_darts, run_one, read_lines, check_one_machine)

# Candidate-op sets of growing size: DARTS's 8, and smaller sets with the
# same kinds of op (parameter-free, separable, dilated).
OPS = {
    2: "none,sep_conv_3x3",
    4: "none,max_pool_3x3,skip_connect,sep_conv_3x3",
    8: "",  # DARTS's 8: the preset's default
}


def sweeps(a):
    """(axis, value, extra flags) rows; the first is the preset itself."""
    rows = [("preset", "-", [])]
    for b in a.batches:
        rows.append(("batch", str(b), ["--batch-size", str(b)]))
    for c in a.channels:
        rows.append(("init channels", str(c), ["--init-channels", str(c)]))
    for n in a.layers:
        rows.append(("layers", str(n), ["--layers", str(n)]))
    for k in a.nops:
        if k not in OPS:
            sys.exit("--nops %d: choose from %s" % (k, sorted(OPS)))
        rows.append(("ops", str(k), ["--ops", OPS[k]] if OPS[k] else []))
    for t in a.threads:
        rows.append(("threads", str(t), []))
    return rows


def table(lines):
    compare.check_one_machine(lines)
    runs = [l for l in lines if l.get("kind") == "run" and l.get("result")]
    if not runs:
        return "no successful runs"
    base = runs[0]["result"]
    out = ["CPU: %s (%s)" % (runs[0]["cpu_model"], runs[0]["hostname"]), "",
           "| axis | value | median step s | CPU s/step | × preset | peak RSS MiB | × preset | allocs/step | params |",
           "|---|---|---|---|---|---|---|---|---|"]
    for l in runs:
        r = l["result"]
        out.append("| %s | %s | %.3f | %.3f | %.2f | %.0f | %.2f | %.0f | %d |" % (
            l["axis"], l["value"], r["median_step_s"], r["cpu_s_per_step"],
            r["cpu_s_per_step"] / base["cpu_s_per_step"], r["peak_rss_mib"],
            r["peak_rss_mib"] / base["peak_rss_mib"], r["allocs_per_step"], r["params"]))
    failed = [l for l in lines if l.get("kind") == "run" and not l.get("result")]
    for l in failed:
        out.append("")
        out.append("failed: %s %s: %s" % (l["axis"], l["value"], l.get("error")))
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--darts", default="", help="darts binary (default: build ./cmd/darts)")
    ap.add_argument("--preset", default="mnist-small")
    ap.add_argument("--order", type=int, default=1, choices=[1, 2])
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--base-threads", type=int, default=1, help="threads of every row but the thread rows")
    ap.add_argument("--batches", type=lambda s: compare.csv(s, int), default=[16, 64])
    ap.add_argument("--channels", type=lambda s: compare.csv(s, int), default=[16])
    ap.add_argument("--layers", type=lambda s: compare.csv(s, int), default=[8])
    ap.add_argument("--nops", type=lambda s: compare.csv(s, int), default=[2, 4])
    ap.add_argument("--threads", type=lambda s: compare.csv(s, int), default=[2])
    ap.add_argument("--timeout", type=float, default=0, help="seconds before a run is abandoned (0: none)")
    ap.add_argument("--out", default="scaling.jsonl")
    ap.add_argument("--report", nargs="+", metavar="FILE", help="print the table of existing files")
    ap.add_argument("--dry-run", action="store_true")
    a = ap.parse_args()
    if a.report:
        print(table(compare.read_lines(a.report)))
        return 0
    if os.path.exists(a.out) and not a.dry_run:
        ap.error("--out %s exists" % a.out)
    with tempfile.TemporaryDirectory(prefix="darts-scaling-") as tmp:
        darts = a.darts or (None if a.dry_run else compare.build_darts(tmp)) or "darts"
        here = compare.machine()
        lines = []
        for axis, value, extra in sweeps(a):
            threads = int(value) if axis == "threads" else a.base_threads
            cmd = [darts, "bench", "--preset", a.preset, "--order", str(a.order), "--steps", str(a.steps),
                   "--warmup", str(a.warmup), "--threads", str(threads), "--json"] + extra
            if a.dry_run:
                print(" ".join(cmd))
                continue
            res, err, load, wall = compare.run_one(cmd, a.timeout or None)
            line = dict(here, kind="run", axis=axis, value=value, cmd=cmd, load1=load, wall_s=wall,
                        result=res, error=err)
            lines.append(line)
            with open(a.out, "a") as f:
                f.write(json.dumps(line) + "\n")
            print("%s %s: %s" % (axis, value, err or "%.3f s, %.3f CPU-s" % (res["median_step_s"],
                                                                            res["cpu_s_per_step"])),
                  file=sys.stderr)
        if not a.dry_run:
            print(table(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
