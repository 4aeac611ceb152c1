#!/usr/bin/env python3
"""Interleaved A/B of training throughput: two bench binaries, or two precisions of one.

On a shared machine the same binary's tokens/s moves by 10% or more from one minute to
the next, so a change of a few percent cannot be read from two runs made apart. This
runs the two sides alternately, configuration by configuration and round by round
(A, B, A, B, ...), each run a fresh `bench` process (`--no-profile --no-ceiling`, the
median of its timed epochs), and reports per row the median of each side over the
rounds, their ratio B/A, and the range of the rounds' own ratios.

Examples:
    # the binary before a change against the one after it (build each, copy it aside):
    scripts/bench-ab.py --a /tmp/bench-before --b .build/release/bench \\
        --configs ref,deep --cells gru,lstm --threads 1,2 --precision bf16
    # bf16 over fp32 with one binary:
    scripts/bench-ab.py --a .build/release/bench --precisions fp32,bf16 --configs ref --cells gru,lstm --threads 2

Time only release builds (`swift build -c release --product bench`). Standard output
holds only the table (with --json, nothing: the rows go to the file); progress goes to
standard error.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile


def parse_list(text, name):
    items = [x.strip() for x in text.split(",") if x.strip()]
    if not items:
        sys.exit(f"bench-ab: --{name} needs at least one value, got '{text}'")
    return items


def run_bench(binary, config, cell, threads, epochs, precision):
    """One bench process; returns its tokens/s for the row."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        path = handle.name
    try:
        command = [
            binary, "--config", config, "--cell", cell, "--threads", str(threads), "--epochs", str(epochs),
            "--precision", precision, "--no-profile", "--no-ceiling", "--json", path,
        ]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            tail = "\n".join(result.stderr.strip().splitlines()[-5:])
            sys.exit(f"bench-ab: {' '.join(command)} failed (exit {result.returncode}):\n{tail}")
        with open(path) as f:
            rows = json.load(f)
        if len(rows) != 1:
            sys.exit(f"bench-ab: expected one result from {' '.join(command)}, got {len(rows)}")
        return float(rows[0]["tokens_per_second"])
    finally:
        os.unlink(path)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--a", required=True, help="side A's bench binary")
    parser.add_argument("--b", help="side B's bench binary (default: A's, with --precisions)")
    parser.add_argument("--precision", default="fp32", choices=["fp32", "bf16"],
                        help="the precision both binaries run in (default fp32)")
    parser.add_argument("--precisions", help="A,B: one binary in two precisions instead, e.g. fp32,bf16")
    parser.add_argument("--configs", default="ref", help="bench configurations, comma-separated (default ref)")
    parser.add_argument("--cells", default="lstm", help="cells, comma-separated (default lstm)")
    parser.add_argument("--threads", default="1", help="thread counts, comma-separated (default 1)")
    parser.add_argument("--rounds", type=int, default=4, help="runs of each side per row (default 4)")
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs per run (default 3)")
    parser.add_argument("--json", help="write the rows as a JSON array to this file")
    args = parser.parse_args()

    if args.rounds < 1 or args.epochs < 1:
        sys.exit("bench-ab: --rounds and --epochs must be at least 1")
    binary_b = args.b or args.a
    if args.precisions:
        precisions = parse_list(args.precisions, "precisions")
        if len(precisions) != 2 or any(p not in ("fp32", "bf16") for p in precisions):
            sys.exit(f"bench-ab: --precisions takes two of fp32 and bf16, got '{args.precisions}'")
        if args.b and args.b != args.a:
            sys.exit("bench-ab: give --b or --precisions, not both (--precisions compares one binary)")
    else:
        if not args.b:
            sys.exit("bench-ab: give --b (a second binary) or --precisions A,B (one binary in two precisions)")
        precisions = [args.precision, args.precision]
    for binary in {args.a, binary_b}:
        if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
            sys.exit(f"bench-ab: '{binary}' is not an executable file: build it with "
                     "`swift build -c release --product bench` and give its path")
    configs = parse_list(args.configs, "configs")
    cells = parse_list(args.cells, "cells")
    try:
        threads = [int(t) for t in parse_list(args.threads, "threads")]
    except ValueError:
        sys.exit(f"bench-ab: --threads takes whole numbers, got '{args.threads}'")

    sides = [(args.a, precisions[0]), (binary_b, precisions[1])]
    rows = [(c, cell, t) for t in threads for c in configs for cell in cells]
    samples = {row: ([], []) for row in rows}
    for r in range(args.rounds):
        for row in rows:
            for side, (binary, precision) in enumerate(sides):
                value = run_bench(binary, *row, args.epochs, precision)
                samples[row][side].append(value)
                print(f"[round {r + 1}/{args.rounds}] {row[0]}/{row[1]} {row[2]}t side {'AB'[side]}: "
                      f"{value:,.0f} tok/s", file=sys.stderr)

    results = []
    for row in rows:
        a, b = samples[row]
        ratios = [y / x for x, y in zip(a, b)]
        results.append({
            "config": row[0], "cell": row[1], "threads": row[2],
            "a": {"binary": sides[0][0], "precision": sides[0][1], "tokens_per_second": a},
            "b": {"binary": sides[1][0], "precision": sides[1][1], "tokens_per_second": b},
            "median_a": statistics.median(a), "median_b": statistics.median(b),
            "ratio_of_medians": statistics.median(b) / statistics.median(a),
            "round_ratios": ratios,
        })
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
        return
    label_a = f"A ({sides[0][1]})" if args.precisions else "A"
    label_b = f"B ({sides[1][1]})" if args.precisions else "B"
    print(f"A: {sides[0][0]}  B: {sides[1][0]}  ({args.rounds} interleaved rounds, medians)")
    print(f"{'row':<18} {label_a + ' tok/s':>16} {label_b + ' tok/s':>16} {'B/A':>7}  rounds' B/A")
    for x in results:
        name = f"{x['config']}/{x['cell']} {x['threads']}t"
        spread = f"{min(x['round_ratios']):.3f}–{max(x['round_ratios']):.3f}"
        print(f"{name:<18} {x['median_a']:>16,.0f} {x['median_b']:>16,.0f} {x['ratio_of_medians']:>6.3f}x  {spread}")


if __name__ == "__main__":
    main()
