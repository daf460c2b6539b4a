#!/usr/bin/env python3
"""Side-by-side timing of `darts bench` and tools/bench/torch_darts.py.

For every configuration (presets x orders x threads in search mode, and
presets x threads in train mode when `darts bench` supports `--mode train
--genotype FILE`), runs both sides alternately, --rounds times each, on this
machine; writes every run as one JSON line to --out and prints a Markdown
table of medians of the per-run median step times, minima, peak RSS and the
ratios darts-go/PyTorch.

    python3 tools/bench/compare.py                       # builds ./cmd/darts, 3 rounds
    python3 tools/bench/compare.py --darts /tmp/darts-bench-bin --rounds 5 --out bench.jsonl
    python3 tools/bench/compare.py --report bench.jsonl  # the table again, from the file

Results of different machines are never combined: every line records the
CPU model and the hostname, and --report/--append refuse files whose lines
disagree with each other (or, for --append, with this machine).

This script needs only the standard library; it runs torch_darts.py with
--python (default /usr/bin/python3, the interpreter with PyTorch here).
"""

import argparse
import datetime
import json
import os
import platform
import shlex
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
TORCH_SCRIPT = os.path.join(HERE, "torch_darts.py")
# Settings of the environment that change either side's speed; recorded.
ENV_KEYS = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "OMP_PROC_BIND", "KMP_BLOCKTIME", "GOGC", "GOMEMLIMIT",
            "GOMAXPROCS", "GODEBUG", "DNNL_MAX_CPU_ISA", "ONEDNN_MAX_CPU_ISA")


def cpu_model():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True,
                             env=dict(os.environ, LC_ALL="C")).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine():
    return {"cpu_model": cpu_model(), "hostname": socket.gethostname()}


def csv(s, conv=str):
    return [conv(v.strip()) for v in s.split(",") if v.strip()]


def git_commit(path):
    try:
        c = subprocess.run(["git", "-C", path, "rev-parse", "HEAD"], capture_output=True, text=True,
                           check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", path, "status", "--porcelain", "--", ".", ":!tools/bench"],
                               capture_output=True, text=True).stdout.strip()
        return c + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def build_darts(out_dir):
    binary = os.path.join(out_dir, "darts")
    print("building %s/cmd/darts -> %s" % (REPO, binary), file=sys.stderr)
    subprocess.run(["go", "build", "-o", binary, "./cmd/darts"], cwd=REPO, check=True)
    return binary


def torch_version(python):
    try:
        return subprocess.run([python, "-c", "import torch; print(torch.__version__)"],
                              capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unavailable"


def darts_flags(darts):
    """The flags `darts bench --help` lists."""
    out = subprocess.run([darts, "bench", "--help"], capture_output=True, text=True)
    text = out.stdout + out.stderr
    flags = set()
    for tok in text.replace("=", " ").replace("[", " ").split():
        if tok.startswith("--") and len(tok) > 2:
            flags.add(tok.rstrip(",.:;)"))
    return flags


def configs(a, train_ok):
    out = []
    for mode in a.modes:
        for preset in a.presets:
            for threads in a.threads:
                if mode == "search":
                    for order in a.orders:
                        out.append({"mode": "search", "preset": preset, "order": order, "threads": threads})
                elif train_ok:
                    out.append({"mode": "train", "preset": preset, "order": 0, "threads": threads})
    return out


def commands(cfg, a, flags):
    common = ["--preset", cfg["preset"], "--steps", str(a.steps), "--warmup", str(a.warmup),
              "--threads", str(cfg["threads"]), "--json"]
    if cfg["mode"] == "search":
        d = [a.darts, "bench"] + common + ["--order", str(cfg["order"])]
        if "--mode" in flags:
            d += ["--mode", "search"]
        t = [a.python, TORCH_SCRIPT] + common + ["--order", str(cfg["order"])]
    else:
        d = [a.darts, "bench"] + common + ["--mode", "train", "--genotype", a.genotype]
        t = [a.python, TORCH_SCRIPT] + common + ["--mode", "train", "--genotype", a.genotype,
                                                 "--drop-path", str(a.drop_path)]
        if "--drop-path" in flags:
            d += ["--drop-path", str(a.drop_path)]
        if "--auxiliary" in flags:
            d += ["--auxiliary"]
    return {"darts": d, "torch": t}


def run_one(cmd, timeout):
    t0 = time.time()
    load = os.getloadavg()[0]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, "timeout after %g s" % timeout, load, time.time() - t0
    if p.returncode != 0:
        return None, "exit %d: %s" % (p.returncode, p.stderr.strip()[-500:]), load, time.time() - t0
    for line in reversed(p.stdout.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line), None, load, time.time() - t0
            except ValueError:
                break
    return None, "no JSON in output: %s" % p.stdout.strip()[-300:], load, time.time() - t0


def read_lines(paths):
    lines = []
    for path in paths:
        with open(path) as f:
            for i, line in enumerate(f, 1):
                line = line.strip()
                if line:
                    try:
                        lines.append(json.loads(line))
                    except ValueError:
                        sys.exit("%s:%d: not a JSON line" % (path, i))
    return lines


def check_one_machine(lines, here=None):
    """The single (cpu_model, hostname) of lines (and here), or exits."""
    seen = {(l.get("cpu_model"), l.get("hostname")) for l in lines}
    if here is not None:
        seen.add((here["cpu_model"], here["hostname"]))
    if len(seen) != 1:
        sys.exit("refusing to combine results of different machines:\n  " +
                 "\n  ".join("CPU %r on host %r" % m for m in sorted(seen, key=str)))
    return seen.pop()


def key(l):
    return (l["mode"], l["preset"], l.get("order", 0), l["threads"])


def fmt_s(v):
    return "—" if v is None else ("%.3f s" % v if v < 10 else "%.1f s" % v)


def fmt_mib(v):
    return "—" if v is None else "%.0f MiB" % v


def fmt_ratio(a, b):
    return "—" if a is None or b is None or b == 0 else "%.2f" % (a / b)


def table(lines):
    cpu, host = check_one_machine(lines)
    meta = [l for l in lines if l.get("kind") == "meta"]
    runs = [l for l in lines if l.get("kind") == "run"]
    order = []
    by = {}
    for r in runs:
        k = key(r)
        if k not in by:
            by[k] = {"darts": [], "torch": [], "errors": []}
            order.append(k)
        if r.get("result"):
            by[k][r["impl"]].append(r)
        else:
            by[k]["errors"].append("%s %s %s%s, %d thread(s), round %s: %s" % (
                r["impl"], r["mode"], r["preset"], " order %d" % r["order"] if r["mode"] == "search" else "",
                r["threads"], r.get("round"), r.get("error")))
    out = []
    out.append("CPU: **%s**, host `%s`" % (cpu, host))
    for m in meta:
        out.append("Run started %s: %d CPUs, darts binary %s (repository at %s), PyTorch %s (%s), "
                   "%s timed steps after %s warm-up per run, %s rounds%s" % (
            m.get("started"), m.get("nproc", 0), m.get("darts"), m.get("darts_commit"), m.get("torch_version"),
            m.get("python"), m.get("steps"), m.get("warmup"), m.get("rounds"),
            "" if not m.get("notes") else "; " + "; ".join(m["notes"])))
        if m.get("env"):
            out.append("Environment: " + ", ".join("%s=%s" % kv for kv in sorted(m["env"].items())))
    loads = [r.get("loadavg_1m") for r in runs if r.get("loadavg_1m") is not None]
    if loads:
        out.append("1-minute load average before the runs: %.2f to %.2f" % (min(loads), max(loads)))
    out.append("")
    out.append("| mode | preset | order | threads | darts-go median | PyTorch median | darts-go min | PyTorch min "
               "| darts-go peak RSS | PyTorch peak RSS | time darts/torch | RSS darts/torch | darts-go CPU/step "
               "| PyTorch CPU/step | params | rounds |")
    out.append("|" + "---|" * 16)
    notes = []
    for k in order:
        g = by[k]
        stat = {}
        for impl in ("darts", "torch"):
            res = [r["result"] for r in g[impl]]
            if not res:
                stat[impl] = dict(med=None, mn=None, rss=None, cpu=None, params=None, n=0)
                continue
            stat[impl] = dict(
                med=statistics.median(x["median_step_s"] for x in res),
                mn=min(x["min_step_s"] for x in res),
                rss=max(x["peak_rss_mib"] for x in res),
                cpu=statistics.median(x["cpu_s_per_step"] for x in res),
                params={x["params"] for x in res},
                n=len(res))
        d, t = stat["darts"], stat["torch"]
        if d["params"] and t["params"]:
            params = ("%d" % next(iter(d["params"]))) if d["params"] == t["params"] and len(d["params"]) == 1 \
                else "MISMATCH darts %s torch %s" % (sorted(d["params"]), sorted(t["params"]))
        else:
            params = "—"
        mode, preset, order_, threads = k
        out.append("| %s | %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %d+%d |" % (
            mode, preset, order_ if mode == "search" else "—", threads,
            fmt_s(d["med"]), fmt_s(t["med"]), fmt_s(d["mn"]), fmt_s(t["mn"]),
            fmt_mib(d["rss"]), fmt_mib(t["rss"]), fmt_ratio(d["med"], t["med"]), fmt_ratio(d["rss"], t["rss"]),
            fmt_s(d["cpu"]), fmt_s(t["cpu"]), params, d["n"], t["n"]))
        notes += g["errors"]
    out.append("")
    out.append("Medians are the median over rounds of each run's median step; minima the minimum over all "
               "timed steps; peak RSS the largest over rounds; ratios below 1 mean darts-go is faster/smaller. "
               "CPU/step near threads x median means the cores were the benchmark's alone.")
    if notes:
        out.append("")
        out.append("Failed runs:")
        out += ["- " + n for n in notes]
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n\n".join(__doc__.split("\n\n")[1:]))
    ap.add_argument("--darts", default="", help="darts binary (default: go build ./cmd/darts of this repository)")
    ap.add_argument("--python", default="/usr/bin/python3", help="interpreter with PyTorch")
    ap.add_argument("--rounds", type=int, default=3, help="runs of each side per configuration")
    ap.add_argument("--presets", type=csv, default=["mnist-small", "cifar-small"],
                    help="comma-separated presets (default mnist-small,cifar-small)")
    ap.add_argument("--orders", type=lambda s: csv(s, int), default=[1, 2],
                    help="comma-separated search orders (default 1,2)")
    ap.add_argument("--threads", type=lambda s: csv(s, int), default=[1, 2],
                    help="comma-separated thread counts (default 1,2)")
    ap.add_argument("--modes", type=csv, default=["search", "train"],
                    help="comma-separated modes, search and/or train (default both; train only if "
                         "darts bench has --mode train --genotype)")
    ap.add_argument("--genotype", default=os.path.join(REPO, "genotypes", "darts-v2.json"),
                    help="genotype of the train-mode configurations")
    ap.add_argument("--drop-path", type=float, default=0.2, help="drop-path probability of train mode")
    ap.add_argument("--steps", type=int, default=5, help="timed steps per run")
    ap.add_argument("--warmup", type=int, default=1, help="untimed steps per run")
    ap.add_argument("--timeout", type=float, default=0, help="seconds before a run is abandoned (0: none)")
    ap.add_argument("--out", default="", help="JSON lines file (default bench-<host>-<time>.jsonl)")
    ap.add_argument("--append", action="store_true", help="append to --out (same machine only)")
    ap.add_argument("--table", default="", help="also write the Markdown table to this file")
    ap.add_argument("--report", nargs="+", metavar="FILE", help="print the table of existing JSON lines files")
    ap.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")
    a = ap.parse_args()

    if a.report:
        print(table(read_lines(a.report)))
        return 0
    for m in a.modes:
        if m not in ("search", "train"):
            ap.error("--modes: %r is not search or train" % m)
    here = machine()
    started = datetime.datetime.now(datetime.timezone.utc)
    if not a.out:
        a.out = "bench-%s-%s.jsonl" % (here["hostname"], started.strftime("%Y%m%dT%H%M%SZ"))
    if os.path.exists(a.out):
        if not a.append:
            ap.error("--out %s exists: use --append (same machine only) or another file" % a.out)
        check_one_machine(read_lines([a.out]), here)

    if a.darts:
        return run(a, here, started)
    with tempfile.TemporaryDirectory(prefix="darts-bench-") as tmp:
        a.darts = build_darts(tmp)
        return run(a, here, started)


def run(a, here, started):
    flags = darts_flags(a.darts)
    if "--json" not in flags:
        sys.exit("%s bench --help lists no --json: not a darts binary with bench?" % a.darts)
    notes = []
    train_ok = {"--mode", "--genotype"} <= flags
    if "train" in a.modes and not train_ok:
        notes.append("train mode skipped: `darts bench --help` has no --mode/--genotype")
        print("note: " + notes[-1], file=sys.stderr)
    cfgs = configs(a, train_ok)
    plan = []
    for r in range(a.rounds):
        for cfg in cfgs:
            sides = ("darts", "torch") if r % 2 == 0 else ("torch", "darts")
            for impl in sides:
                plan.append((r + 1, cfg, impl, commands(cfg, a, flags)[impl]))
    if a.dry_run:
        for r, cfg, impl, cmd in plan:
            print("round %d %-5s %s" % (r, impl, " ".join(shlex.quote(c) for c in cmd)))
        return 0

    meta = dict(kind="meta", started=started.isoformat(timespec="seconds"), nproc=os.cpu_count(),
                kernel=platform.release(), darts=a.darts, darts_commit=git_commit(REPO),
                python=a.python, torch_version=torch_version(a.python), rounds=a.rounds, steps=a.steps,
                warmup=a.warmup, genotype=a.genotype if train_ok else None, notes=notes,
                env={k: v for k, v in os.environ.items() if k in ENV_KEYS}, **here)
    with open(a.out, "a") as f:
        f.write(json.dumps(meta) + "\n")
        for i, (r, cfg, impl, cmd) in enumerate(plan, 1):
            res, err, load, wall = run_one(cmd, a.timeout or None)
            line = dict(kind="run", impl=impl, round=r, loadavg_1m=load, wall_s=wall,
                        command=" ".join(shlex.quote(c) for c in cmd), result=res, error=err, **cfg, **here)
            f.write(json.dumps(line) + "\n")
            f.flush()
            what = "%s %s%s t%d" % (cfg["mode"], cfg["preset"],
                                    " o%d" % cfg["order"] if cfg["mode"] == "search" else "", cfg["threads"])
            print("[%d/%d] round %d %-5s %-26s %s" % (
                i, len(plan), r, impl, what,
                "median %.3f s, peak RSS %.0f MiB, params %d" % (res["median_step_s"], res["peak_rss_mib"],
                                                                 res["params"]) if res else "FAILED: " + err),
                file=sys.stderr)
    print("raw results: %s" % a.out, file=sys.stderr)
    t = table(read_lines([a.out]))
    print(t)
    if a.table:
        with open(a.table, "w") as f:
            f.write(t + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
