#!/usr/bin/env python3
"""PyTorch side of the swift-rnn benchmark: the classic tutorial's model on the bench's shapes.

The model is the tutorial's: ``nn.RNN(V, H, L)`` (tanh) on one-hot input, or ``nn.GRU`` /
``nn.LSTM`` for the configuration's ``cell``, ``nn.Linear(H, V)`` on every step, ``nn.CrossEntropyLoss``, ``torch.optim.Adam``, ``clip_grad_norm_(..., 5)``.
It is run time-major (``batch_first=False``, the layout swift-rnn uses) with the
configurations that ``bench --list --json FILE`` writes, so shapes, token counts, epochs and
learning rates are the Swift bench's. The corpus is a synthetic Markov chain of the same kind
and size (not the identical stream); ``seed`` uses the tutorial's three sentences.

Timing mirrors the Swift bench: torch threads set, a matmul warm-up, one untimed training
step, then ``--epochs`` timed epochs (one-hot inputs are made before timing).

Normally run by ``scripts/compare-pytorch.py``; standalone:

    swift run -c release bench --list --json /tmp/configs.json
    ~/.venvs/torch/bin/python scripts/pytorch_rnn_bench.py --configs-json /tmp/configs.json \
        --threads 2 --epochs 5 --json /tmp/torch.json
"""

import argparse
import json
import math
import os
import statistics
import sys
import time

INSTALL_HINT = (
    "PyTorch is not installed for {python}.\n"
    "Install it into a virtual environment (nothing is installed by this script):\n"
    "    python3 -m venv ~/.venvs/torch && ~/.venvs/torch/bin/pip install torch numpy\n"
    "then run with ~/.venvs/torch/bin/python (compare-pytorch.py finds it there by itself)."
)

SENTENCES = ["hey how are you", "good i am fine", "have a nice day"]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def parse_threads_and_epochs(ap, args):
    """The --threads list (comma-separated, each >= 1) after checking --epochs >= 1;
    argument errors exit through `ap.error`. Shared with compare-pytorch.py."""
    try:
        threads = [int(t) for t in args.threads.split(",") if t.strip()]
    except ValueError:
        ap.error(f"--threads takes comma-separated whole numbers, got {args.threads!r}")
    if not threads or min(threads) < 1:
        ap.error("--threads values must be at least 1")
    if args.epochs < 1:
        ap.error("--epochs must be at least 1")
    return threads


GATES = {"rnn": 1, "gru": 3, "lstm": 4}


def flops_per_token(V, H, L, cell="rnn"):
    """Training FLOPs/token as the Swift bench counts them: G(6H^2 + 12H^2(L-1)) + 6HV,
    G = 1 (rnn), 3 (gru), 4 (lstm) gate blocks."""
    return GATES[cell] * (6 * H * H + 12 * H * H * (L - 1)) + 6 * H * V


def markov_corpus(np, V, n, seed):
    """A seeded first-order Markov chain: four favoured successors per symbol (85%), else uniform."""
    rng = np.random.default_rng(seed)
    succ = rng.integers(0, V, size=(V, 4))
    favoured = rng.random(n) < 0.85
    pick = rng.integers(0, 4, size=n)
    uniform = rng.integers(0, V, size=n)
    out = np.empty(n, dtype=np.int64)
    s = int(rng.integers(0, V))
    for i in range(n):
        out[i] = s
        s = int(succ[s, pick[i]]) if favoured[i] else int(uniform[i])
    return out


def make_batches(torch, np, cfg, seed):
    """Per step: one-hot inputs [T, B, V] (float32) and targets [T*B] (int64), time-major."""
    V, B, T = cfg["vocab"], cfg["batch"], cfg["seq_length"]
    if cfg["mode"] == "full-batch":
        if cfg["data"].startswith("tutorial"):
            chars = sorted(set("".join(SENTENCES)))
            width = max(len(s) for s in SENTENCES)
            rows = [[chars.index(c) for c in s.ljust(width)] for s in SENTENCES]
            stream = np.array(rows, dtype=np.int64)                       # [B, T+1]
            assert stream.shape == (B, T + 1) and len(chars) == V, "tutorial shape mismatch"
        else:
            stream = markov_corpus(np, V, B * (T + 1), seed).reshape(B, T + 1)
        chunks = 1
    else:
        corpus = markov_corpus(np, V, cfg["corpus_tokens"], seed)
        length = len(corpus) // B
        stream = corpus[: B * length].reshape(B, length)
        chunks = (length - 1) // T
        assert chunks == cfg["steps_per_epoch"], "chunk count differs from the Swift bench"
    eye = torch.eye(V, dtype=torch.float32)
    batches = []
    for c in range(chunks):
        x = torch.from_numpy(np.ascontiguousarray(stream[:, c * T:(c + 1) * T].T))          # [T, B]
        y = torch.from_numpy(np.ascontiguousarray(stream[:, c * T + 1:(c + 1) * T + 1].T))  # [T, B]
        batches.append((eye[x].contiguous(), y.reshape(-1).contiguous()))
    return batches


def measure_matmul_peak(torch, size=1024, repeats=5):
    a = torch.rand(size, size)
    b = torch.rand(size, size)
    for _ in range(3):
        torch.mm(a, b)
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - t0)
    return 2 * size ** 3 / best / 1e9


def run_config(torch, np, cfg, threads, epochs, seed, autocast=False):
    nn = torch.nn
    V, H, L, B = cfg["vocab"], cfg["hidden"], cfg["layers"], cfg["batch"]
    cell = cfg.get("cell", "rnn")
    recurrent = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}[cell]

    class Model(nn.Module):  # the tutorial's model, time-major
        def __init__(self):
            super().__init__()
            self.hidden_dim, self.n_layers = H, L
            self.rnn = recurrent(V, H, L, batch_first=False)
            self.fc = nn.Linear(H, V)

        def forward(self, x, hidden):
            out, hidden = self.rnn(x, hidden)
            out = out.contiguous().view(-1, self.hidden_dim)
            return self.fc(out), hidden

    torch.manual_seed(seed)
    model = Model()
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg["learning_rate"])
    batches = make_batches(torch, np, cfg, seed + 1)
    full_batch = cfg["mode"] == "full-batch"
    steps = cfg["steps_per_epoch"]

    def zero_state():  # LSTM: (h, c)
        h = torch.zeros(L, B, H)
        return (h, torch.zeros(L, B, H)) if cell == "lstm" else h

    def detached(state):
        return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()

    def step(x, y, hidden):
        optimizer.zero_grad()
        # --autocast: PyTorch's bf16 mixed precision on the CPU around the forward and the
        # loss (its LSTM/GRU then run oneDNN's bf16 RNN primitive), fp32 master weights.
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
            out, hidden = model(x, hidden)
            loss = criterion(out, y)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), cfg["clip_norm"])
        optimizer.step()
        return loss.item(), detached(hidden)

    def epoch():
        hidden = zero_state()
        total = 0.0
        for s in range(steps):
            x, y = batches[0 if full_batch else s]
            loss, h = step(x, y, zero_state() if full_batch else hidden)
            if not math.isfinite(loss):
                raise RuntimeError(f"{cfg['name']}: non-finite loss {loss}")
            total += loss
            hidden = h
        return total / steps

    step(*batches[0], zero_state())                  # untimed warm-up step
    seconds, losses = [], []
    for e in range(epochs):
        t0 = time.perf_counter()
        loss = epoch()
        seconds.append(time.perf_counter() - t0)
        losses.append(loss)
        label = cfg["name"] if cell == "rnn" else f"{cfg['name']}/{cell}"
        log(f"[torch {threads} thread{'s' if threads != 1 else ''}] {label} epoch {e + 1}: "
            f"{seconds[-1]:.3f} s, loss {loss:.3f}")
    median = statistics.median(seconds)
    tps = cfg["tokens_per_epoch"] / median
    fpt = flops_per_token(V, H, L, cell)
    return {
        "implementation": "pytorch",
        "precision": "bf16-autocast" if autocast else "fp32",
        "configuration": cfg,
        "threads": threads,
        "epochs": epochs,
        "epoch_seconds": seconds,
        "median_epoch_seconds": median,
        "tokens_per_second": tps,
        "flops_per_token": fpt,
        "flops_formula": "G(6H^2 + 12H^2(L-1)) + 6HV (the Swift bench's model FLOPs; PyTorch also multiplies the one-hot input)",
        "achieved_gflops": fpt * tps / 1e9,
        "epoch_losses": losses,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--configs-json", required=True, help="configurations written by `bench --list --json FILE`")
    ap.add_argument("--threads", default=str(os.cpu_count() or 1), help="comma-separated thread counts (default: all cores)")
    ap.add_argument("--epochs", type=int, default=5, help="timed epochs per configuration (default: 5)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", help="write the results (a JSON array) here")
    ap.add_argument("--autocast", action="store_true", help="train under torch.autocast(\"cpu\", dtype=torch.bfloat16)")
    args = ap.parse_args()
    try:
        import numpy as np
        import torch
    except ImportError:
        print(INSTALL_HINT.format(python=sys.executable), file=sys.stderr)
        return 2
    threads = parse_threads_and_epochs(ap, args)
    with open(args.configs_json) as f:
        configs = json.load(f)

    results = []
    for n in threads:
        torch.set_num_threads(n)
        peak = measure_matmul_peak(torch)
        log(f"[torch {n} thread{'s' if n != 1 else ''}] torch.mm 1024^3 peak {peak:.1f} GFLOP/s")
        for cfg in configs:
            r = run_config(torch, np, cfg, n, args.epochs, args.seed, autocast=args.autocast)
            r["torch_version"] = torch.__version__
            r["torch_matmul_peak_gflops"] = peak
            results.append(r)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    else:
        json.dump(results, sys.stdout, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
