#!/usr/bin/env python3
"""PyTorch's side of `bench --inference`: the same character model (V 76, H 256, L 2 by
default) per cell, on the same number of threads (--threads, for both), measured the way PyTorch users run it:

- eval: one `nn.RNN/GRU/LSTM` call over a text of N tokens as one stream (batch 1, one-hot
  input), then the `nn.Linear` over all steps, under `torch.no_grad()`;
- 1 sample: a Python loop of single steps (the module called with T = 1 and the carried
  state, the Linear, a softmax and `torch.multinomial`), under `torch.no_grad()`;
- 32 samples: the same loop with batch 32.

With `--bench BIN` it also runs `BIN --inference --json` and prints the ratios (swift-rnn
tokens/s over PyTorch's). With `--precision bf16` the bench runs in bf16 and PyTorch both
in fp32 and under `torch.autocast("cpu", dtype=torch.bfloat16)`; the ratio is over
PyTorch's faster mode. Usage:

    scripts/compare-pytorch-inference.py --bench .build/release/bench [--threads 1] [--precision bf16]
"""
import contextlib
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import torch
import torch.nn.functional as F

MODULES = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}


def best_of(n, body):
    times = []
    for _ in range(n):
        start = time.perf_counter()
        body()
        times.append(time.perf_counter() - start)
    return sorted(times)[n // 2]


def measure(cell, vocab, hidden, layers, tokens, steps, batch, autocast=False):
    torch.manual_seed(0)
    rnn = MODULES[cell](vocab, hidden, layers)
    fc = torch.nn.Linear(hidden, vocab)
    text = torch.randint(0, vocab, (tokens, 1))
    mixed = torch.autocast("cpu", dtype=torch.bfloat16) if autocast else contextlib.nullcontext()
    with torch.no_grad(), mixed:
        def evaluate():
            out, _ = rnn(F.one_hot(text, vocab).float())
            fc(out)
        evaluate()
        eval_seconds = best_of(3, evaluate)

        def sample(b, n):
            token = torch.zeros(1, b, dtype=torch.long)
            state = None
            for _ in range(n):
                out, state = rnn(F.one_hot(token, vocab).float(), state)
                probs = torch.softmax(fc(out[0]).float(), dim=-1)
                token = torch.multinomial(probs, 1).view(1, b)
        sample(1, 100)
        single_seconds = best_of(3, lambda: sample(1, steps))
        batch_steps = max(steps // batch * 4, 100)
        batch_seconds = best_of(3, lambda: sample(batch, batch_steps))
    return {"cell": cell, "evalTokensPerSecond": tokens / eval_seconds,
            "singleTokensPerSecond": steps / single_seconds,
            "batchTokensPerSecond": batch * batch_steps / batch_seconds}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cells", default="rnn,gru,lstm")
    ap.add_argument("--vocab", type=int, default=76)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--tokens", type=int, default=100_000, help="eval text length (the bench's)")
    ap.add_argument("--steps", type=int, default=20_000, help="single-sample steps (the bench's)")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads, and the bench's --threads")
    ap.add_argument("--bench", help="a release bench binary: also run it and print the ratios")
    ap.add_argument("--precision", choices=["fp32", "bf16"], default="fp32",
                    help="bf16: the bench in bf16, PyTorch also under autocast bf16")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    swift = {}
    if args.bench:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "inference.json")
            subprocess.run([args.bench, "--inference", "--cell", args.cells, "--vocab", str(args.vocab),
                            "--hidden", str(args.hidden), "--layers", str(args.layers), "--threads", str(args.threads),
                            "--precision", args.precision, "--json", path],
                           check=True, stdout=sys.stderr)
            swift = {r["cell"]: r for r in json.load(open(path)) if r["threads"] == args.threads}
    bf16 = args.precision == "bf16"
    print(f"torch {torch.__version__}, {args.threads} thread(s); V {args.vocab}, H {args.hidden}, L {args.layers}; "
          f"swift-rnn in {args.precision}")
    header = ["cell", "what", "pytorch tok/s"] + (["autocast bf16"] if bf16 else []) + ["swift-rnn tok/s", "ratio"]
    print("  ".join(f"{h:>16}" for h in header))
    for cell in args.cells.split(","):
        sizes = (cell, args.vocab, args.hidden, args.layers, args.tokens, args.steps, args.batch)
        t = measure(*sizes)
        a = measure(*sizes, autocast=True) if bf16 else {}
        for key, what in [("evalTokensPerSecond", "eval, 1 stream"), ("singleTokensPerSecond", "1 sample"),
                          ("batchTokensPerSecond", f"{args.batch} samples")]:
            s = swift.get(cell, {}).get(key)
            best = max(t[key], a.get(key, 0))
            cells = [cell, what, f"{t[key]:,.0f}"] + ([f"{a[key]:,.0f}"] if bf16 else []) + [
                f"{s:,.0f}" if s else "-", f"{s / best:.2f}x" if s else "-"]
            print("  ".join(f"{c:>16}" for c in cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
