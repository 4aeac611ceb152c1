#!/usr/bin/env python3
"""PyTorch side of `bench --config bidir`: a bidirectional sequence classifier.

``nn.GRU`` / ``nn.LSTM(I, H, L, bidirectional=True)`` over ``pack_padded_sequence`` of
padded time-major batches (lengths T/2 ... T), ``nn.Linear(2H, classes)`` on
``cat(h_n[-2], h_n[-1])``, ``nn.CrossEntropyLoss``, ``torch.optim.Adam(lr=2e-3)``,
``clip_grad_norm_(..., 5)``, ``torch.set_num_threads(n)``: the Swift bench's
``BidirectionalBench``, with the same shapes, batches per epoch and epochs. Timing mirrors
it: one untimed step, then ``--epochs`` timed epochs; tokens/s counts sequences x padded
steps per second.

Normally run by ``scripts/compare-pytorch.py --configs bidir``; standalone:

    ~/.venvs/torch/bin/python scripts/pytorch_bidir_bench.py --cells gru,lstm --threads 1,2 --json /tmp/t.json
"""

import argparse
import json
import os
import statistics
import sys
import time


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def run(torch, cell, threads, epochs, I=64, H=256, L=2, classes=10, B=32, T=64, batches_per_epoch=8, seed=0):
    nn = torch.nn
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    recurrent = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}[cell]

    class Classifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = recurrent(I, H, L, bidirectional=True)
            self.fc = nn.Linear(2 * H, classes)

        def forward(self, x, lengths):
            packed = nn.utils.rnn.pack_padded_sequence(x, lengths, enforce_sorted=False)
            _, state = self.rnn(packed)
            h_n = state[0] if cell == "lstm" else state
            return self.fc(torch.cat([h_n[-2], h_n[-1]], dim=1))

    model = Classifier()
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    criterion = nn.CrossEntropyLoss()
    batches = []
    for _ in range(batches_per_epoch):
        lengths = torch.randint(T // 2, T + 1, (B,))
        x = torch.rand(T, B, I) * 2 - 1
        x = x * (torch.arange(T)[:, None, None] < lengths[None, :, None])
        batches.append((x, lengths, torch.randint(0, classes, (B,))))

    def step(x, lengths, y):
        optimizer.zero_grad()
        loss = criterion(model(x, lengths), y)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5)
        optimizer.step()
        return loss.item()

    step(*batches[0])
    seconds, loss = [], 0.0
    for e in range(epochs):
        t0 = time.perf_counter()
        loss = sum(step(*b) for b in batches) / len(batches)
        seconds.append(time.perf_counter() - t0)
        log(f"[torch {threads} thread{'s' if threads != 1 else ''}] bidir/{cell} epoch {e + 1}: {seconds[-1]:.3f} s, loss {loss:.4f}")
    return {"implementation": "pytorch", "config": "bidir", "cell": cell, "threads": threads, "epochs": epochs,
            "inputSize": I, "hidden": H, "layers": L, "classes": classes, "batch": B, "steps": T,
            "epochSeconds": seconds, "tokensPerSecond": batches_per_epoch * B * T / statistics.median(seconds),
            "finalLoss": loss, "torch_version": torch.__version__}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cells", default="gru,lstm")
    ap.add_argument("--threads", default=str(os.cpu_count() or 1))
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seq-length", type=int, default=64)
    ap.add_argument("--json")
    args = ap.parse_args()
    import torch
    results = [run(torch, cell.strip(), int(n), args.epochs, H=args.hidden, L=args.layers, B=args.batch, T=args.seq_length)
               for n in args.threads.split(",") for cell in args.cells.split(",")]
    text = json.dumps(results, indent=2)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text)
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
