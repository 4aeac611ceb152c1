#!/usr/bin/env python3
"""Compare swift-rnn's training throughput with the PyTorch tutorial model, in one run.

1. Builds the Swift bench (release) and asks it for the resolved configurations
   (`bench --list --json`), so both sides train the same shapes, token counts, epochs,
   learning rates and clipping.
2. For each thread count and configuration, back to back (the machine may be shared):
   scripts/pytorch_rnn_bench.py with a Python that has torch (nn.RNN(V, H, L), or nn.GRU /
   nn.LSTM with --cells, on one-hot input + nn.Linear, CrossEntropyLoss, Adam, clip_grad_norm_(..., 5),
   torch.set_num_threads(n), time-major), then the Swift bench with the same
   configuration, epochs and threads.
3. Prints both side by side with the tokens/s ratio (Swift / PyTorch) and the share of
   the OpenBLAS sgemm peak that the Swift bench measured at that thread count. With
   --rounds N each row's pair runs N times and each side's median run is kept, with the
   range of the rounds' own ratios beside it: on a shared machine a row's ratio moves by
   10-20% from one pair to the next.
   Standard output holds only that table; progress and the Swift bench's own tables
   (with its per-phase breakdown) go to standard error.

It installs nothing. Without torch it says how to get it:
    python3 -m venv ~/.venvs/torch && ~/.venvs/torch/bin/pip install torch numpy

Example:
    scripts/compare-pytorch.py --threads 1,2
    scripts/compare-pytorch.py --configs small,ref --epochs 3 --markdown
    scripts/compare-pytorch.py --cells gru,lstm --threads 2
    scripts/compare-pytorch.py --configs deep --cells lstm --threads 1 --precision bf16 --rounds 5
    scripts/compare-pytorch.py --configs bidir --cells gru,lstm --threads 1,2

`--configs bidir` (alone) compares the bidirectional classifier instead: `bench --config
bidir` against scripts/pytorch_bidir_bench.py (nn.GRU/nn.LSTM(bidirectional=True) over
pack_padded_sequence + nn.Linear on cat(h_n[-2], h_n[-1])), per cell and thread count.

`--configs series` (alone) compares the forecaster on the two worked examples of
docs/series.md: `series train` + `series eval --json` against
scripts/pytorch_series_bench.py (nn.LSTM + nn.Linear, the same preparation, batches,
epochs, Adam and clipping), per thread count: training seconds and MASE.

`--configs seq2seq` (alone) compares the encoder-decoder with Luong `general` attention:
`bench --config seq2seq` against scripts/pytorch_seq2seq_bench.py (the same shapes: H 256,
B 64, sources of 15-30 of 40 tokens, targets of 12 of 14, one-hot inputs; Adam, clipping),
per cell and thread count: training target tokens/s, and beam-5 decoding sources/s with
every hypothesis running 12 steps (--ignore-end; the Swift side pushes the end token down).
With --checkpoint F --pairs TEST it instead decodes a test set with a model trained by
`seq2seq train` (one direction, GRU or LSTM, general attention, character sources): the
PyTorch script's test-set mode against `seq2seq eval --json`, sources/s and exact match.
With --precision bf16, the Swift side runs in bf16 and PyTorch both in fp32 and under
torch.autocast; each figure is divided by PyTorch's faster mode, which the table names.
"""

import argparse
import json
import os
import platform
import resource
import shutil
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_rnn_bench import parse_threads_and_epochs  # noqa: E402  (imports torch lazily)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TORCH_BENCH = os.path.join(ROOT, "scripts", "pytorch_rnn_bench.py")
TORCH_BIDIR_BENCH = os.path.join(ROOT, "scripts", "pytorch_bidir_bench.py")
TORCH_SERIES_BENCH = os.path.join(ROOT, "scripts", "pytorch_series_bench.py")
TORCH_SEQ2SEQ_BENCH = os.path.join(ROOT, "scripts", "pytorch_seq2seq_bench.py")
# The worked examples of docs/series.md: the CSV, its time column, and the options both sides take.
SERIES_EXAMPLES = [
    ("elnino", "docs/data/elnino-nino12.csv", "month", [], "sst",
     ["--window", "24", "--horizon", "12", "--seasonality", "12", "--hidden-size", "64", "--epochs", "60"]),
    ("co2", "docs/data/co2-mauna-loa-weekly.csv", "date", ["--fill", "linear"], "co2",
     ["--difference", "1", "--window", "104", "--horizon", "26", "--seasonality", "52", "--hidden-size", "64",
      "--epochs", "20"]),
]
DEFAULT_VENV_PYTHON = os.path.expanduser("~/.venvs/torch/bin/python")
INSTALL_HINT = (
    "PyTorch is not available (tried: {tried}).\n"
    "This script installs nothing. To install PyTorch into a virtual environment:\n"
    "    python3 -m venv ~/.venvs/torch && ~/.venvs/torch/bin/pip install torch numpy\n"
    "It is then found at ~/.venvs/torch/bin/python (or pass --python PATH)."
)


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def has_torch(python):
    try:
        return subprocess.run([python, "-c", "import torch, numpy"], capture_output=True, timeout=300).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def find_torch_python(explicit):
    candidates = [explicit] if explicit else [sys.executable, DEFAULT_VENV_PYTHON]
    tried = []
    for python in candidates:
        if python and (os.path.exists(python) or shutil.which(python)):
            tried.append(python)
            if has_torch(python):
                return python, tried
        elif python:
            tried.append(python + " (missing)")
    return None, tried


def swift_bench_binary(args):
    return args.bench or swift_binary(args, "bench")


def busy_fraction(seconds=0.5):
    """Share of all CPUs other processes kept busy over `seconds` (from /proc/stat), or None."""
    def sample():
        with open("/proc/stat") as f:
            v = [float(x) for x in f.readline().split()[1:]]
        return v[3] + v[4], sum(v)
    try:
        i0, t0 = sample()
        time.sleep(seconds)
        i1, t1 = sample()
    except (OSError, ValueError, IndexError):
        return None
    return max(0.0, 1 - (i1 - i0) / (t1 - t0)) if t1 > t0 else None


def machine_busy_seconds():
    """All CPUs' busy seconds so far (/proc/stat, idle and iowait excluded), or None."""
    try:
        with open("/proc/stat") as f:
            v = [float(x) for x in f.readline().split()[1:]]
        return (sum(v) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def run(cmd):
    """Runs `cmd` with its output on our standard error (standard output is the comparison).
    Returns the share of all CPUs that *other* processes used meanwhile (machine busy time
    minus the child's CPU time), or None where /proc/stat is missing."""
    sys.stdout.flush()
    log("$ " + " ".join(cmd))
    busy0, child0, t0 = machine_busy_seconds(), resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic()
    r = subprocess.run(cmd, cwd=ROOT, stdout=sys.stderr)
    busy1, child1, t1 = machine_busy_seconds(), resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic()
    if r.returncode != 0:
        sys.exit(f"compare-pytorch: command failed with status {r.returncode}: {' '.join(cmd)}")
    if busy0 is None or busy1 is None or t1 - t0 < 1:
        return None
    own = (child1.ru_utime + child1.ru_stime) - (child0.ru_utime + child0.ru_stime)
    return min(1.0, max(0.0, (busy1 - busy0 - own) / ((t1 - t0) * (os.cpu_count() or 1))))


def wait_until_quiet(limit, threshold=0.15):
    """Waits (at most `limit` seconds) until other processes use under `threshold` of the CPUs."""
    start = time.monotonic()
    while time.monotonic() - start < limit:
        b = busy_fraction(2.0)
        if b is None or b < threshold:
            return True
        log(f"waiting for a quiet machine: other processes use {100 * b:.0f}% of the CPUs")
    return False


def override_args(cfg):
    """Bench options that reproduce a resolved configuration (not needed for the defaults)."""
    return ["--vocab", str(cfg["vocab"]), "--hidden", str(cfg["hidden"]), "--layers", str(cfg["layers"]),
            "--batch", str(cfg["batch"]), "--seq-length", str(cfg["seq_length"])] + (
        [] if cfg["mode"] == "full-batch" else ["--tokens", str(cfg["corpus_tokens"])])


def cell_of(cfg):
    return cfg.get("cell", "rnn")   # results saved before --cells existed are vanilla


def label(cfg):
    """The configuration's name, with its cell when that is not the vanilla RNN: ref, ref/gru."""
    return cfg["name"] if cell_of(cfg) == "rnn" else f"{cfg['name']}/{cell_of(cfg)}"


def run_pair(args, bench, torch_python, tmp, cfg, n):
    """PyTorch and then Swift on one configuration at `n` threads, back to back."""
    name = f"{cfg['name']}-{cell_of(cfg)}"
    out = {"torch": [], "swift": [], "others": [None, None]}
    if not args.swift_only:
        one_path, out_path = os.path.join(tmp, f"{name}.json"), os.path.join(tmp, f"torch-{name}-{n}.json")
        with open(one_path, "w") as f:
            json.dump([cfg], f)
        autocast = ["--autocast"] if args.precision == "bf16" else []
        out["others"][0] = run([torch_python, TORCH_BENCH, "--configs-json", one_path, "--threads", str(n),
                                "--epochs", str(args.epochs), "--json", out_path] + autocast)
        with open(out_path) as f:
            out["torch"] = json.load(f)
    if not args.python_only:
        out_path = os.path.join(tmp, f"swift-{name}-{n}.json")
        gemm = ["--gemm", args.gemm] if args.gemm else []
        out["others"][1] = run([bench, "--config", cfg["name"], "--cell", cell_of(cfg), "--threads", str(n),
                                "--epochs", str(args.epochs), "--json", out_path, "--precision", args.precision]
                               + gemm + override_args(cfg))
        with open(out_path) as f:
            out["swift"] = json.load(f)
    return out


def median_rounds(pairs):
    """Of a row's rounds (each a `run_pair` result), each side's run with the median tokens/s
    (the lower middle one of an even count), and the rounds' own Swift/PyTorch ratios."""
    def median_run(side):
        runs = [p[side] for p in pairs if p[side]]
        if not runs:
            return []
        runs.sort(key=lambda r: r[0]["tokens_per_second"])
        return runs[(len(runs) - 1) // 2]
    ratios = [p["swift"][0]["tokens_per_second"] / p["torch"][0]["tokens_per_second"]
              for p in pairs if p["swift"] and p["torch"]]
    return {"torch": median_run("torch"), "swift": median_run("swift"), "ratios": ratios}


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def fmt_int(x):
    return f"{x:,.0f}"


def table(header, rows, markdown):
    if markdown:
        out = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|"]
        out += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(out)
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows)]
    line = lambda cells: "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))
    return "\n".join([line(header), "-" * (sum(widths) + 2 * (len(widths) - 1))] + [line(r) for r in rows])


def report(args, saved, torch_version, description, header, rows):
    """The end of a side-by-side comparison: both sides' results to --json, then the
    machine, what was compared, and the table."""
    if args.json:
        with open(args.json, "w") as f:
            json.dump(saved, f, indent=2)
    print()
    print(f"Machine: {cpu_model()}, {os.cpu_count()} logical CPUs; PyTorch {torch_version}.")
    print(description)
    print(table(header, rows, args.markdown))
    return 0


def split_of(swift_result):
    """How the Swift run used its threads: "batch/2", "blas", or "-" (no run; older JSON: "blas")."""
    if not swift_result:
        return "-"
    workers = swift_result.get("workers", 1)
    return f"batch/{workers}" if workers > 1 else "blas"


def print_comparison(torch_results, swift_results, busy, busy_before, markdown):
    """The side-by-side table (standard output)."""
    key = lambda r: (label(r["configuration"]), r["threads"])
    torch_by, swift_by = {key(r): r for r in torch_results}, {key(r): r for r in swift_results}
    seen = []
    for r in torch_results + swift_results:
        if key(r) not in seen:
            seen.append(key(r))
    order = sorted(seen, key=lambda k: (k[1], seen.index(k)))

    torch_version = torch_results[0]["torch_version"] if torch_results else "-"
    print()
    print(f"Machine: {cpu_model()}, {os.cpu_count()} logical CPUs, {platform.system()} {platform.release()}; "
          f"PyTorch {torch_version}; swift-rnn bench {swift_results[0]['build'] if swift_results else '-'} build.")
    precisions = sorted({r.get("precision", "fp32") for r in swift_results})
    isa = next((r["onednn_isa"] for r in swift_results if r.get("onednn_isa")), None)
    if swift_results:
        print(f"swift-rnn precision: {', '.join(precisions)}" + (f"; oneDNN ISA {isa}" if isa else "")
              + " (avx512_core_amx: AMX tiles; avx512_core_bf16: AVX-512 BF16 dot products).")
    if busy_before is not None and busy_before > 0.2:
        print(f"NOTE: other processes kept {100 * busy_before:.0f}% of the CPUs busy when the comparison started; "
              "figures are noisy, PyTorch's OpenMP threads especially.")
    print("Same configurations, token counts, epochs and threads on both sides; medians of the timed epochs.")
    print("others: share of all CPUs that other processes used during the PyTorch / Swift run; "
          "above ~20% that run was disturbed (see --retries, --wait-quiet).")
    print("% FMA: model FLOPs (G(6H^2 + 12H^2(L-1)) + 6HV per token; G = 1 rnn, 3 gru, 4 lstm) x tokens/s "
          "over the FMA peak the Swift bench measured at that thread count (independent FMAs at the CPU's widest "
          "vector ISA; older results without it: the sgemm peak, marked *).")
    print("Swift split: batch/N = each batch split across N worker threads (DataParallelModel), "
          "blas = the GEMM library's threads inside each GEMM (bench --parallelism). "
          "GEMM / kernels: the Swift side's GEMM backend and C kernel variant.")
    header = ["config", "cell", "threads", "V", "H", "L", "B", "T", "Swift split", "GEMM", "kernels",
              "PyTorch tok/s", "Swift tok/s", "Swift/PyTorch",
              "PyTorch % FMA", "Swift % FMA", "Swift GFLOP/s", "FMA peak", "others (torch/swift)"]
    with_rounds = any(len(v.get("ratios", [])) > 1 for v in busy.values())
    if with_rounds:
        header.insert(header.index("Swift/PyTorch") + 1, "rounds' ratios")
    rows = []
    for k in order:
        t, s = torch_by.get(k), swift_by.get(k)
        c = (s or t)["configuration"]
        peak = (s.get("fma_peak_gflops") or s["sgemm_peak_gflops"]) if s else None
        mark = "" if not s or s.get("fma_peak_gflops") else "*"
        ratios = busy.get(k, {}).get("ratios", [])
        rounds_cell = [f"{min(ratios):.2f}–{max(ratios):.2f} ({len(ratios)})" if ratios else "-"] if with_rounds else []
        rows.append([
            c["name"], cell_of(c), str(k[1]), str(c["vocab"]), str(c["hidden"]), str(c["layers"]), str(c["batch"]),
            str(c["seq_length"]),
            split_of(s),
            s.get("gemm_backend", "openblas") if s else "-",
            s.get("kernel_variant", "-") if s else "-",
            fmt_int(t["tokens_per_second"]) if t else "-",
            fmt_int(s["tokens_per_second"]) if s else "-",
            f"{s['tokens_per_second'] / t['tokens_per_second']:.2f}x" if s and t else "-",
            *rounds_cell,
            f"{100 * t['achieved_gflops'] / peak:.1f}{mark}" if t and peak else "-",
            f"{100 * s['achieved_gflops'] / peak:.1f}{mark}" if s else "-",
            f"{s['achieved_gflops']:.1f}" if s else "-",
            f"{peak:.1f}{mark}" if peak else "-",
            "/".join("-" if x is None else f"{100 * x:.0f}%" for x in busy[k]["others"]) if k in busy else "-",
        ])
    print(table(header, rows, markdown))


def compare_bidirectional(args, bench, torch_python, threads, cells):
    """`--configs bidir`: PyTorch and then Swift per thread count and cell, back to back."""
    if cells in (["rnn"], ["all"]):   # --cells' default and "all": the gated cells the target names
        cells = ["gru", "lstm"]
    rows, saved = [], []
    with tempfile.TemporaryDirectory(prefix="compare-bidir-") as tmp:
        for n in threads:
            for cell in cells:
                torch_path, swift_path = os.path.join(tmp, f"t-{cell}-{n}.json"), os.path.join(tmp, f"s-{cell}-{n}.json")
                run([torch_python, TORCH_BIDIR_BENCH, "--cells", cell, "--threads", str(n), "--epochs", str(args.epochs),
                     "--json", torch_path])
                run([bench, "--config", "bidir", "--cell", cell, "--threads", str(n), "--epochs", str(args.epochs),
                     "--json", swift_path] + (["--gemm", args.gemm] if args.gemm else []))
                with open(torch_path) as f:
                    t = json.load(f)[0]
                with open(swift_path) as f:
                    s = json.load(f)[0]
                saved.append({"pytorch": t, "swift": s})
                rows.append([f"bidir/{cell}", str(n), f"batch/{s['workers']}" if s["workers"] > 1 else "blas", s["gemm"],
                             fmt_int(t["tokensPerSecond"]), fmt_int(s["tokensPerSecond"]),
                             f"{s['tokensPerSecond'] / t['tokensPerSecond']:.2f}x",
                             f"{100 * s['gflops'] / s['fmaPeak']:.1f}", f"{s['fmaPeak']:.1f}"])
    return report(args, saved, saved[0]['pytorch']['torch_version'],
                  "Bidirectional classifier: dense 64-wide input, 2 bidirectional layers x H 256, B 32, T 64 "
                  "(lengths T/2...T, packed in PyTorch), 10 classes, Adam, clipping at 5; medians of the timed "
                  "epochs; tokens = sequences x padded steps.",
                  ["config", "threads", "Swift split", "GEMM", "PyTorch tok/s", "Swift tok/s", "Swift/PyTorch",
                   "Swift % FMA", "FMA peak"], rows)


def compare_seq2seq_test_set(args, torch_python, threads):
    """`--configs seq2seq --checkpoint F --pairs TEST`: beam-5 decoding of a test set with a
    trained model, PyTorch (pytorch_seq2seq_bench.py's test-set mode, best of 3 passes)
    against `seq2seq eval --json` (the best of 3 runs' decode_seconds), per thread count;
    both sides' exact match, which agree when both decode the same model the same way."""
    seq2seq = swift_binary(args, "seq2seq")
    rows, saved = [], []
    with tempfile.TemporaryDirectory(prefix="compare-seq2seq-test-") as tmp:
        for n in threads:
            t = faster_torch_mode(args, tmp, f"torch-{n}", "decode_sequences_per_second",
                                  [torch_python, TORCH_SEQ2SEQ_BENCH, "--mode", "decode", "--checkpoint",
                                   args.checkpoint, "--pairs", args.pairs, "--threads", str(n), "--beam", "5"])
            evals = []
            for _ in range(3):
                out = subprocess.run([seq2seq, "eval", "--checkpoint", args.checkpoint, "--pairs", args.pairs,
                                      "--beam", "5", "--threads", str(n), "--json", "--precision", args.precision],
                                     capture_output=True, text=True, check=True)
                evals.append(json.loads(out.stdout))
            s = min(evals, key=lambda e: e["decode_seconds"])
            swift_rate = s["pairs"] / s["decode_seconds"]
            saved.append({"pytorch": t, "swift": s, "swift_decode_seconds": [e["decode_seconds"] for e in evals]})
            rows.append([f"{t['cell']} {t['hidden']}x{t['layers']}", str(n), s.get("precision", "fp32"),
                         t.get("precision", "fp32"), fmt_int(t["decode_sequences_per_second"]),
                         fmt_int(swift_rate), f"{swift_rate / t['decode_sequences_per_second']:.2f}x",
                         f"{100 * t['exact_match']:.2f}%", f"{100 * s['exact_match']:.2f}%"])
    return report(args, saved, saved[0]['pytorch']['torch'],
                  f"Beam 5 (GNMT alpha 0.6), batches of 64 sources sorted by length, of the "
                  f"{saved[0]['pytorch']['pairs']} pairs of {args.pairs} with {args.checkpoint}.",
                  ["model", "threads", "Swift precision", "PyTorch mode", "PyTorch src/s", "Swift src/s",
                   "Swift/PyTorch", "PyTorch exact",
                   "Swift exact"], rows)


def faster_torch_mode(args, tmp, name, rate, command):
    """The result of `command` (a pytorch_seq2seq_bench.py run, given --json here): in fp32,
    and with --precision bf16 also under --autocast, the faster of the two by `rate`."""
    results = []
    for extra in [[]] + ([["--autocast"]] if args.precision == "bf16" else []):
        path = os.path.join(tmp, f"{name}{'-autocast' if extra else ''}.json")
        run(command + extra + ["--json", path])
        with open(path) as f:
            results.append(json.load(f))
    return max(results, key=lambda r: r[rate])


def compare_seq2seq(args, bench, torch_python, threads, cells):
    """`--configs seq2seq`: PyTorch (train, then decode) and then Swift per thread count and cell."""
    if cells in (["rnn"], ["all"]):
        cells = ["gru", "lstm"]
    rows, saved = [], []
    with tempfile.TemporaryDirectory(prefix="compare-seq2seq-") as tmp:
        for n in threads:
            for cell in cells:
                swift_path = os.path.join(tmp, f"swift-{cell}-{n}.json")
                common = [torch_python, TORCH_SEQ2SEQ_BENCH, "--cell", cell, "--threads", str(n)]
                t = faster_torch_mode(args, tmp, f"train-{cell}-{n}", "tokens_per_second", common + ["--mode", "train"])
                d = faster_torch_mode(args, tmp, f"decode-{cell}-{n}", "decode_sequences_per_second",
                                      common + ["--mode", "decode", "--ignore-end"])
                run([bench, "--config", "seq2seq", "--cell", cell, "--threads", str(n), "--json", swift_path,
                     "--precision", args.precision] + (["--gemm", args.gemm] if args.gemm else []))
                with open(swift_path) as f:
                    s = json.load(f)[0]
                saved.append({"pytorch_train": t, "pytorch_decode": d, "swift": s})
                rows.append([f"seq2seq/{cell}", str(n), s["gemm"], s.get("precision", "fp32"),
                             f"{t.get('precision', 'fp32')} / {d.get('precision', 'fp32')}",
                             fmt_int(t["tokens_per_second"]), fmt_int(s["trainTokensPerSecond"]),
                             f"{s['trainTokensPerSecond'] / t['tokens_per_second']:.2f}x",
                             fmt_int(d["decode_sequences_per_second"]), fmt_int(s["decodeSequencesPerSecond"]),
                             f"{s['decodeSequencesPerSecond'] / d['decode_sequences_per_second']:.2f}x"])
    return report(args, saved, saved[0]['pytorch_train']['torch'],
                  "Encoder-decoder, general attention: H 256 x 1 layer each side, B 64, sources 15-30 of 40 tokens "
                  "(packed in PyTorch), targets 12 of 14 tokens, one-hot inputs, Adam, clipping at 5; best of 3 runs of 20 steps. "
                  "Decoding: beam 5 (GNMT alpha 0.6) over 512 sources in batches of 64, 12 steps each.",
                  ["config", "threads", "GEMM", "Swift precision", "PyTorch mode (train / beam)", "PyTorch train tok/s",
                   "Swift train tok/s", "train Swift/PyTorch",
                   "PyTorch beam src/s", "Swift beam src/s", "beam Swift/PyTorch"], rows)


def swift_binary(args, product):
    """`swift build -c release --product PRODUCT` and its path."""
    scratch = ["--scratch-path", args.scratch_path] if args.scratch_path else []
    log(f"building {product} (release) ...")
    build = ["swift", "build", "-c", "release", "--product", product] + scratch
    if subprocess.run(build, cwd=ROOT, stdout=sys.stderr).returncode != 0:
        sys.exit("compare-pytorch: `%s` failed" % " ".join(build))
    path = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"] + scratch, cwd=ROOT,
                          capture_output=True, text=True, check=True).stdout.strip()
    return os.path.join(path, product)


def compare_series(args, torch_python, threads):
    """`--configs series`: PyTorch and then `series`, per example and thread count, back to back."""
    series = swift_binary(args, "series")
    rows, saved = [], []
    with tempfile.TemporaryDirectory(prefix="compare-series-") as tmp:
        for n in threads:
            for name, csv, time_column, fill, target, options in SERIES_EXAMPLES:
                torch_path = os.path.join(tmp, f"t-{name}-{n}.json")
                run([torch_python, TORCH_SERIES_BENCH, "--csv", os.path.join(ROOT, csv), "--target", target,
                     "--threads", str(n), "--json", torch_path] + options)
                with open(torch_path) as f:
                    t = json.load(f)
                checkpoint = os.path.join(tmp, f"s-{name}-{n}.safetensors")
                train = subprocess.run([series, "train", "--csv", os.path.join(ROOT, csv), "--target", target, "--time",
                                        time_column, "--threads", str(n), "--checkpoint", checkpoint] + fill + options,
                                       capture_output=True, text=True)
                if train.returncode != 0:
                    sys.exit(f"compare-pytorch: series train failed:\n{train.stderr}")
                seconds = float(re.search(r"training: \d+ epochs in ([0-9.]+) s", train.stderr).group(1))
                evaluation = subprocess.run([series, "eval", "--checkpoint", checkpoint, "--csv", os.path.join(ROOT, csv),
                                             "--json"], capture_output=True, text=True, check=True)
                e = json.loads(evaluation.stdout)
                saved.append({"example": name, "threads": n, "pytorch": t,
                              "swift": {"train_seconds": seconds, "mase": e["model"]["mase"],
                                        "seasonal_naive_mase": e["seasonal_naive"]["mase"]}})
                rows.append([name, str(n), f"{t['train_seconds']:.2f}", f"{seconds:.2f}",
                             f"{t['train_seconds'] / seconds:.2f}x", f"{t['mase']:.3f}", f"{e['model']['mase']:.3f}",
                             f"{e['seasonal_naive']['mase']:.3f}"])
    return report(args, saved, saved[0]['pytorch']['torch_version'],
                  "Forecasters of docs/series.md: a 1-layer LSTM (H 64) + Linear over windows, MSE, Adam, clipping "
                  "at 5, batches of 32; training seconds of each side's loop (validation after every epoch included); "
                  "MASE over every test origin, beside the seasonal-naive forecast's.",
                  ["example", "threads", "PyTorch s", "Swift s", "PyTorch/Swift", "PyTorch MASE", "Swift MASE",
                   "seasonal naive MASE"], rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--configs", default="", help="comma-separated configurations (default: the bench's default suite)")
    ap.add_argument("--cells", default="rnn",
                    help="comma-separated cells: rnn, gru, lstm or all (default: rnn); each configuration runs with each")
    ap.add_argument("--threads", default=str(os.cpu_count() or 1),
                    help="comma-separated thread counts for both sides, e.g. 1,2 (default: all cores)")
    ap.add_argument("--epochs", type=int, default=5, help="timed epochs per configuration (default: 5)")
    side = ap.add_mutually_exclusive_group()
    side.add_argument("--python-only", action="store_true", help="run only PyTorch (still uses the bench's configurations)")
    side.add_argument("--swift-only", action="store_true", help="run only the Swift bench")
    ap.add_argument("--python", help="Python interpreter with torch (default: this one, else ~/.venvs/torch/bin/python)")
    ap.add_argument("--bench", help="a prebuilt bench binary (default: build it with swift build -c release)")
    ap.add_argument("--gemm", choices=["openblas", "onednn", "auto"],
                    help="the Swift bench's GEMM backend (bench --gemm; default: its own, SWIFT_RNN_GEMM or auto)")
    ap.add_argument("--scratch-path", help="swift build --scratch-path for building the bench")
    ap.add_argument("--json", help="write both sides' results here as {\"pytorch\": [...], \"swift\": [...]}")
    ap.add_argument("--precision", choices=["fp32", "bf16"], default="fp32",
                    help="bf16: the bench with --precision bf16 against PyTorch under torch.autocast(\"cpu\", dtype=torch.bfloat16)")
    ap.add_argument("--markdown", action="store_true", help="print the comparison as a Markdown table")
    ap.add_argument("--checkpoint", help="with --configs seq2seq and --pairs: decode a test set with this seq2seq "
                                         "train checkpoint (a one-direction GRU/LSTM with general attention) instead")
    ap.add_argument("--pairs", help="the test pairs for --checkpoint")
    ap.add_argument("--from-json", metavar="FILE",
                    help="print the comparison saved by an earlier --json FILE instead of running anything")
    ap.add_argument("--wait-quiet", type=float, default=0, metavar="SECONDS",
                    help="before each pair of runs, wait up to SECONDS for other processes to use under 15%% of the CPUs")
    ap.add_argument("--retries", type=int, default=0, metavar="N",
                    help="rerun a pair up to N times when other processes used over 20%% of the CPUs during it; "
                         "the least disturbed pair is kept")
    ap.add_argument("--rounds", type=int, default=1, metavar="N",
                    help="run each row's pair N times, back to back, and keep each side's median run: on a shared "
                         "machine one pair can land on a slow minute for either side (the table adds the range of "
                         "the rounds' own ratios)")
    args = ap.parse_args()

    threads = parse_threads_and_epochs(ap, args)
    cells = [c.strip() for c in args.cells.split(",") if c.strip()]
    if not cells or any(c not in ("rnn", "gru", "lstm", "all") for c in cells):
        ap.error(f"--cells takes comma-separated rnn, gru, lstm or all, got {args.cells!r}")
    if args.retries < 0 or args.wait_quiet < 0:
        ap.error("--retries and --wait-quiet must not be negative")
    if args.rounds < 1:
        ap.error(f"--rounds must be at least 1, got {args.rounds}")

    if args.from_json:
        with open(args.from_json) as f:
            saved = json.load(f)
        busy = {}
        for k, v in saved.get("others_cpu_percent", {}).items():
            name, n = k.rsplit("@", 1)
            busy[(name, int(n))] = {"others": [None if v.get(side) is None else v[side] / 100 for side in ("pytorch", "swift")],
                                    "attempts": v.get("attempts", 1), "ratios": v.get("rounds_ratios", [])}
        print_comparison(saved["pytorch"], saved["swift"], busy, None, args.markdown)
        return 0

    torch_python = None
    if not args.swift_only:
        torch_python, tried = find_torch_python(args.python)
        if torch_python is None:
            log(INSTALL_HINT.format(tried=", ".join(tried)))
            return 2

    if "series" in [c.strip() for c in args.configs.split(",")]:
        if args.configs.strip() != "series" or args.swift_only or args.python_only:
            ap.error("--configs series runs alone, with both sides")
        return compare_series(args, torch_python, threads)
    if (args.checkpoint is None) != (args.pairs is None) or (args.checkpoint and args.configs.strip() != "seq2seq"):
        ap.error("--checkpoint and --pairs go together, with --configs seq2seq")
    if args.checkpoint:
        if args.swift_only or args.python_only:
            ap.error("--checkpoint runs both sides")
        return compare_seq2seq_test_set(args, torch_python, threads)
    bench = swift_bench_binary(args)
    if "bidir" in [c.strip() for c in args.configs.split(",")]:
        if args.configs.strip() != "bidir" or args.swift_only or args.python_only:
            ap.error("--configs bidir runs alone, with both sides")
        return compare_bidirectional(args, bench, torch_python, threads, cells)
    if "seq2seq" in [c.strip() for c in args.configs.split(",")]:
        if args.configs.strip() != "seq2seq" or args.swift_only or args.python_only:
            ap.error("--configs seq2seq runs alone, with both sides")
        return compare_seq2seq(args, bench, torch_python, threads, cells)
    busy_before = busy_fraction()
    config_args = [a for c in args.configs.split(",") if c.strip() for a in ("--config", c.strip())]
    config_args += ["--cell", args.cells]
    torch_results, swift_results, busy = [], [], {}
    with tempfile.TemporaryDirectory(prefix="compare-pytorch-") as tmp:
        configs_path = os.path.join(tmp, "configs.json")
        run([bench, "--list", "--json", configs_path] + config_args)
        with open(configs_path) as f:
            configs = json.load(f)
        # Paired runs: for each thread count and configuration, PyTorch and then Swift back
        # to back, so that both see the same state of a shared, noisy machine.
        for n in threads:
            for cfg in configs:
                name = label(cfg)
                best = None
                for attempt in range(args.retries + 1):
                    if args.wait_quiet:
                        wait_until_quiet(args.wait_quiet)
                    pair = run_pair(args, bench, torch_python, tmp, cfg, n)
                    worst = max([x for x in pair["others"] if x is not None], default=0.0)
                    if best is None or worst < best["worst"]:
                        best = dict(pair, worst=worst)
                    if worst <= 0.2:
                        break
                    log(f"note: other processes used {100 * worst:.0f}% of the CPUs during {name} at {n} thread{'s' if n != 1 else ''}"
                        + (" (retrying)" if attempt < args.retries else ""))
                best["attempts"] = attempt + 1
                pairs = [best]
                for r in range(1, args.rounds):
                    log(f"round {r + 1}/{args.rounds}: {name} at {n} thread{'s' if n != 1 else ''}")
                    pairs.append(run_pair(args, bench, torch_python, tmp, cfg, n))
                chosen = median_rounds(pairs)
                torch_results += chosen["torch"]
                swift_results += chosen["swift"]
                busy[(name, n)] = dict(best, ratios=chosen["ratios"])
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"pytorch": torch_results, "swift": swift_results,
                           "others_cpu_percent": {f"{k[0]}@{k[1]}": {
                               "pytorch": None if v["others"][0] is None else 100 * v["others"][0],
                               "swift": None if v["others"][1] is None else 100 * v["others"][1],
                               "attempts": v["attempts"], "rounds_ratios": v.get("ratios", [])}
                               for k, v in busy.items()}}, f, indent=2)

    print_comparison(torch_results, swift_results, busy, busy_before, args.markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
