#!/usr/bin/env python3
"""Load a bidirectional swift-rnn classifier into PyTorch and check it against the Swift side.

A `ModelCheckpoint` of a `ManyToOneModel` whose `configuration` (JSON) has a bidirectional
stack (and no embedding: dense input of `inputSize`) is the state_dict of

    rnn = torch.nn.RNN|GRU|LSTM(inputSize, H, numLayers, bidirectional=True)   # rnn.*_reverse too
    fc  = torch.nn.Linear(2 * H, outputSize)      # on cat(h_n[-2], h_n[-1])

so `load_state_dict(strict=True)` loads its `rnn.*` and `fc.*` tensors as they are. The batch
file holds what the Swift model computed on a padded batch: `input` [T*B, I] (time-major),
`lengths` [B] (as floats), the top layer's `outputs` [T*B, 2H], the final state `h_n`
[L*2, B, H] (and `c_n` for the LSTM) and the `logits` [B, O]. This script runs the same
batch through `pack_padded_sequence(..., enforce_sorted=False)` and through each sequence
alone, and compares (|difference| <= 1e-5).

With `--export OUT`, it also writes a fresh PyTorch model of the same shape (seeded) as a
file swift-rnn reads (`safetensors.torch.save_file` with the checkpoint's configuration
metadata), and its logits on the same batch to OUT's name with `.logits` before the suffix.

Usage (needs `pip install torch safetensors`):

    python scripts/bidirectional_pytorch.py classifier.safetensors batch.safetensors --export torch.safetensors

Exits with status 0 when everything matches, 1 otherwise.
"""

import argparse
import json
import sys

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

MODULES = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}
TOLERANCE = 1e-5


class Classifier(torch.nn.Module):
    """`rnn` (bidirectional) and `fc` on both final states of the top layer."""

    def __init__(self, c):
        """`c`: the checkpoint's `configuration` (JSON of format version 4)."""
        super().__init__()
        r = c["recurrent"]
        cell, hidden = r["cell"], r["hiddenSize"]
        options = {"num_layers": r["numLayers"], "bidirectional": True}
        if cell == "rnn":
            options["nonlinearity"] = r["nonlinearity"]
        self.cell = cell
        self.rnn = MODULES[cell](c["inputSize"], hidden, **options)
        self.fc = torch.nn.Linear(2 * hidden, c["outputSize"])

    def forward(self, x, lengths):
        packed = torch.nn.utils.rnn.pack_padded_sequence(x, lengths, enforce_sorted=False)
        output, state = self.rnn(packed)
        output, _ = torch.nn.utils.rnn.pad_packed_sequence(output, total_length=x.shape[0])
        h_n = state[0] if self.cell == "lstm" else state
        logits = self.fc(torch.cat([h_n[-2], h_n[-1]], dim=1))
        return output, state, logits


def worst(a, b):
    return (a - b).abs().max().item() if a.numel() else 0.0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("checkpoint")
    parser.add_argument("batch")
    parser.add_argument("--export")
    args = parser.parse_args()

    with safe_open(args.checkpoint, "pt") as f:
        metadata = f.metadata()
    configuration = json.loads(metadata.get("configuration", "{}"))
    if metadata.get("architecture") != "many_to_one" or not configuration.get("recurrent", {}).get("bidirectional"):
        print(f"{args.checkpoint}: not a bidirectional many_to_one checkpoint (format version 4)")
        return 1
    if configuration["embeddingSize"] != 0:
        print(f"{args.checkpoint}: has an embedding; this script feeds dense inputs")
        return 1
    tensors = load_file(args.checkpoint)
    model = Classifier(configuration).eval()
    state_dict = {k: v for k, v in tensors.items() if k.startswith(("rnn.", "fc."))}
    model.load_state_dict(state_dict, strict=True)
    print(f"{model.rnn} + {model.fc}: load_state_dict(strict=True): {len(state_dict)} tensors")

    batch = load_file(args.batch)
    lengths = batch["lengths"].long()
    B, T = lengths.numel(), batch["input"].shape[0] // lengths.numel()
    x = batch["input"].view(T, B, -1)
    ok = True
    with torch.no_grad():
        output, state, logits = model(x, lengths)
        valid = (torch.arange(T)[:, None] < lengths[None, :])[:, :, None]
        swift_outputs = batch["outputs"].view(T, B, -1)
        checks = [("outputs (valid steps)", worst(output * valid, swift_outputs * valid)),
                  ("logits", worst(logits, batch["logits"]))]
        if model.cell == "lstm":
            checks += [("h_n", worst(state[0], batch["h_n"])), ("c_n", worst(state[1], batch["c_n"]))]
        else:
            checks += [("h_n", worst(state, batch["h_n"]))]
        # Each sequence alone, unpacked, against the packed batch.
        alone = 0.0
        for b in range(B):
            n = int(lengths[b])
            out_b, state_b = model.rnn(x[:n, b:b + 1])
            alone = max(alone, worst(out_b[:, 0], output[:n, b]))
            h_b = state_b[0] if model.cell == "lstm" else state_b
            h_all = state[0] if model.cell == "lstm" else state
            alone = max(alone, worst(h_b[:, 0], h_all[:, b]))
        checks.append(("each sequence alone vs pack_padded_sequence", alone))
    for name, difference in checks:
        good = difference <= TOLERANCE
        ok &= good
        print(f"{name}: max |difference| {difference:.2e} {'<=' if good else '>'} {TOLERANCE}")

    if args.export:
        torch.manual_seed(0)
        fresh = Classifier(configuration).eval()
        keep = {k: v for k, v in metadata.items() if k in ("format", "format_version", "architecture", "configuration")}
        save_file({k: v.contiguous() for k, v in fresh.state_dict().items()}, args.export, metadata=keep)
        with torch.no_grad():
            _, _, fresh_logits = fresh(x, lengths)
        logits_path = args.export.rsplit(".", 1)[0] + ".logits.safetensors"
        save_file({"logits": fresh_logits.contiguous()}, logits_path)
        print(f"exported a fresh model with safetensors.torch.save_file to {args.export}, its logits to {logits_path}")

    print("OK" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
