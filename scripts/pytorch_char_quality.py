#!/usr/bin/env python3
"""PyTorch's side of the bf16 quality check: a character model trained on a text file as
`charrnn train` trains it, in fp32 or under ``torch.autocast("cpu", dtype=torch.bfloat16)``,
printing the validation loss after every epoch.

What it mirrors (charrnn's defaults): one-hot input over the text's distinct characters,
``nn.LSTM`` / ``nn.GRU`` / ``nn.RNN`` (``--cell``, ``--hidden-size``, ``--num-layers``),
``nn.Linear`` on every step, cross-entropy, Adam (lr 2e-3), ``clip_grad_norm_(..., 5)``;
the last 5% of the text held out; the rest cut into 32 streams read 64 characters at a
time with the state carried between chunks (a partial last chunk is dropped in training,
kept in validation, which reads min(32, (n − 1) / 64) streams of the held-out text).
PyTorch's initial weights are its own, so a seed here is not charrnn's seed.

The question it answers: how far does PyTorch's own bf16 mixed precision move a run's
validation loss from its fp32 run of the same seed? ``docs/performance.md`` sets the
answer beside charrnn's ``--precision bf16``.

    ~/.venvs/torch/bin/python scripts/pytorch_char_quality.py --data english.txt \
        --epochs 10 --seed 1 [--autocast] --json out.json
"""

import argparse
import json
import sys
import time


def streams(ids, batch, torch):
    """`ids` cut into `batch` contiguous streams: `[L + 1, batch]`, time-major, with
    L = (len(ids) - 1) // batch inputs each (the last one's target included)."""
    L = (len(ids) - 1) // batch
    cols = [ids[b * L : b * L + L + 1] for b in range(batch)]
    return torch.tensor(cols, dtype=torch.long).t().contiguous(), L


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="UTF-8 text file")
    ap.add_argument("--cell", default="lstm", choices=["rnn", "gru", "lstm"])
    ap.add_argument("--hidden-size", type=int, default=256)
    ap.add_argument("--num-layers", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--autocast", action="store_true", help="train and validate under torch.autocast bf16")
    ap.add_argument("--json", help="also write the per-epoch validation losses here")
    args = ap.parse_args()
    try:
        import torch
        import torch.nn.functional as F
    except ImportError:
        sys.exit(f"error: PyTorch is not installed for {sys.executable}; "
                 "python3 -m venv ~/.venvs/torch && ~/.venvs/torch/bin/pip install torch")
    if args.epochs < 1 or args.hidden_size < 1 or args.num_layers < 1 or args.threads < 1:
        ap.error("--epochs, --hidden-size, --num-layers and --threads must be at least 1")
    try:
        text = open(args.data, encoding="utf-8").read()
    except (OSError, UnicodeDecodeError) as e:
        sys.exit(f"error: cannot read {args.data}: {e}")
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    vocab = sorted(set(text))
    index = {c: i for i, c in enumerate(vocab)}
    ids = [index[c] for c in text]
    held = int(len(ids) * 0.05)
    if len(ids) - held < 32 * 64 + 1 or held < 2:
        sys.exit(f"error: {args.data} is too short for 32 streams of 64 characters and a held-out 5%")
    V, H, T, B = len(vocab), args.hidden_size, 64, 32
    train, L = streams(ids[: len(ids) - held], B, torch)
    vb = min(B, max(1, (held - 1) // T))
    val, VL = streams(ids[len(ids) - held :], vb, torch)
    rnn = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[args.cell](V, H, args.num_layers)
    out = torch.nn.Linear(H, V)
    params = list(rnn.parameters()) + list(out.parameters())
    opt = torch.optim.Adam(params, lr=2e-3)

    def detach(s):
        return tuple(x.detach() for x in s) if isinstance(s, tuple) else s.detach()

    def chunk_loss(x, y, state):
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.autocast):
            h, state = rnn(F.one_hot(x, V).float(), state)
            logits = out(h)
        return F.cross_entropy(logits.float().reshape(-1, V), y.reshape(-1), reduction="sum"), state

    losses = []
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        state = None
        for s in range(L // T):
            x, y = train[s * T : (s + 1) * T], train[s * T + 1 : (s + 1) * T + 1]
            loss, state = chunk_loss(x, y, state)
            if not torch.isfinite(loss):
                sys.exit(f"error: a non-finite loss at epoch {epoch}, step {s + 1}")
            opt.zero_grad()
            (loss / y.numel()).backward()
            torch.nn.utils.clip_grad_norm_(params, 5.0)
            opt.step()
            state = detach(state)
        with torch.no_grad():
            total, count, state = 0.0, 0, None
            for s in range(0, VL, T):
                n = min(T, VL - s)
                loss, state = chunk_loss(val[s : s + n], val[s + 1 : s + n + 1], state)
                total, count = total + loss.item(), count + n * vb
        losses.append(total / count)
        print(f"epoch {epoch}/{args.epochs}: val loss {losses[-1]:.4f} ({time.perf_counter() - start:.0f} s)", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"validation_losses": losses, "precision": "bf16-autocast" if args.autocast else "fp32",
                       "seed": args.seed, "cell": args.cell, "hidden": H, "layers": args.num_layers,
                       "torch": torch.__version__, "data": args.data}, f)


if __name__ == "__main__":
    main()
