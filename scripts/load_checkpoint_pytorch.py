#!/usr/bin/env python3
"""Load a charrnn checkpoint into PyTorch and check it against the Swift side.

The model part of a charrnn checkpoint is the state_dict of

    rnn = torch.nn.RNN(V, H, num_layers, nonlinearity=...)   # rnn.weight_ih_l0 [H, V], ...
    fc  = torch.nn.Linear(H, V)                              # fc.weight [V, H], fc.bias [V]

so `safetensors.torch.load_file` + `load_state_dict(strict=False)` loads it as is (no
transposes). strict=False because the file also holds the optimizer state
(`optimizer.*`), the carried hidden state (`training.*`) and the loss history
(`history.*`), which the model does not use. The vocabulary and the hyperparameters are
in the safetensors `__metadata__`.

Usage (needs `pip install torch safetensors`):

    # 1. Train, then let charrnn write the logits of a greedy sample:
    charrnn train --data input.txt --checkpoint model.safetensors
    charrnn sample --checkpoint model.safetensors --prime "The " --length 40 \\
        --temperature 0 --dump-logits logits.jsonl > sample.txt
    # 2. Load the checkpoint in PyTorch, run the same greedy sample, compare:
    python scripts/load_checkpoint_pytorch.py model.safetensors --prime "The " --length 40 \\
        --logits logits.jsonl --expect-file sample.txt
    # 3. Optionally write a checkpoint from PyTorch (model only) that charrnn can read:
    python scripts/load_checkpoint_pytorch.py model.safetensors --export from_torch.safetensors
    charrnn sample --checkpoint from_torch.safetensors --prime "The " --temperature 0

Exits with status 0 when everything matches, 1 otherwise.
"""

import argparse
import json
import sys

import torch
import torch.nn.functional as F
from safetensors import safe_open
from safetensors.torch import load_file, save_file


class CharRNN(torch.nn.Module):
    """nn.RNN over one-hot characters, then nn.Linear at every step (time-major)."""

    def __init__(self, vocab_size, hidden_size, num_layers, nonlinearity):
        super().__init__()
        self.vocab_size = vocab_size
        self.rnn = torch.nn.RNN(vocab_size, hidden_size, num_layers, nonlinearity=nonlinearity)
        self.fc = torch.nn.Linear(hidden_size, vocab_size)

    def forward(self, tokens, state=None):
        """tokens: [T] int64 -> logits [T, V], state [num_layers, 1, H]."""
        x = F.one_hot(tokens, self.vocab_size).float().unsqueeze(1)  # [T, 1, V]
        out, state = self.rnn(x, state)
        return self.fc(out.squeeze(1)), state


def load(path):
    with safe_open(path, framework="pt") as f:
        metadata = f.metadata() or {}
    for key in ("vocabulary", "hidden_size", "num_layers", "nonlinearity"):
        if key not in metadata:
            sys.exit(f"error: {path} has no '{key}' metadata; it is not a charrnn checkpoint")
    vocabulary = list(metadata["vocabulary"])  # code points = charrnn's Unicode scalars
    model = CharRNN(len(vocabulary), int(metadata["hidden_size"]), int(metadata["num_layers"]),
                    metadata["nonlinearity"])
    state = load_file(path)
    result = model.load_state_dict(state, strict=False)
    if result.missing_keys:
        sys.exit(f"error: the checkpoint lacks {result.missing_keys}")
    model.eval()
    return model, vocabulary, metadata, result.unexpected_keys


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkpoint")
    parser.add_argument("--prime", default="\n", help="text to read before sampling (default: a newline)")
    parser.add_argument("--length", type=int, default=40, help="characters to generate greedily")
    parser.add_argument("--logits", help="JSON lines from `charrnn sample --dump-logits` to compare with")
    parser.add_argument("--expect", help="the text `charrnn sample --temperature 0` printed (prime + sample)")
    parser.add_argument("--expect-file", help="a file holding that text (a trailing newline is ignored)")
    parser.add_argument("--tolerance", type=float, default=1e-4, help="largest accepted |logit difference|")
    parser.add_argument("--export", help="also write the model (only) with safetensors.torch.save_file here")
    args = parser.parse_args()

    model, vocabulary, metadata, unexpected = load(args.checkpoint)
    index = {c: i for i, c in enumerate(vocabulary)}
    print(f"loaded {args.checkpoint} into torch {torch.__version__}: nn.RNN({len(vocabulary)}, "
          f"{metadata['hidden_size']}, num_layers={metadata['num_layers']}, "
          f"nonlinearity='{metadata['nonlinearity']}') + nn.Linear")
    groups = sorted({k.split(".")[0] for k in unexpected})
    print(f"load_state_dict(strict=False): no missing keys; {len(unexpected)} unexpected keys ignored "
          f"({', '.join(groups) or 'none'})")

    unknown = [c for c in args.prime if c not in index]
    if unknown:
        sys.exit(f"error: the prime has characters outside the vocabulary: {unknown!r}")

    swift_steps = None
    if args.logits:
        with open(args.logits, encoding="utf-8") as f:
            swift_steps = [json.loads(line) for line in f if line.strip()]
        args.length = len(swift_steps)

    # Greedy sampling, one step at a time, carrying the hidden state.
    ok = True
    worst = 0.0
    generated = []
    with torch.no_grad():
        prime = torch.tensor([index[c] for c in args.prime], dtype=torch.long)
        logits, state = model(prime)
        last = logits[-1]
        for step in range(args.length):
            choice = int(torch.argmax(last))
            fed = choice
            if swift_steps is not None:
                swift = torch.tensor(swift_steps[step]["logits"], dtype=torch.float32)
                worst = max(worst, float((swift - last).abs().max()))
                fed = int(swift_steps[step]["token"])  # follow charrnn's choices
                if fed != choice:
                    print(f"step {step}: torch's argmax {vocabulary[choice]!r} differs from charrnn's "
                          f"{vocabulary[fed]!r} (a near tie?)")
            generated.append(fed)
            logits, state = model(torch.tensor([fed], dtype=torch.long), state)
            last = logits[-1]

    text = args.prime + "".join(vocabulary[t] for t in generated)
    print(f"greedy sample: {text!r}")
    if swift_steps is not None:
        status = "OK" if worst <= args.tolerance else "MISMATCH"
        ok &= worst <= args.tolerance
        print(f"logits vs charrnn ({args.logits}): {len(swift_steps)} steps, "
              f"max |difference| {worst:.3g} (tolerance {args.tolerance:g}): {status}")
    expected = args.expect
    if args.expect_file:
        with open(args.expect_file, encoding="utf-8") as f:
            expected = f.read()
        if expected.endswith("\n"):
            expected = expected[:-1]
    if expected is not None:
        same = expected == text
        ok &= same
        print(f"text vs charrnn: {'identical' if same else 'DIFFERENT: ' + repr(expected)}")

    if args.export:
        keep = ("format", "format_version", "vocabulary", "vocab_size", "hidden_size", "num_layers",
                "nonlinearity")
        save_file({k: v.contiguous() for k, v in model.state_dict().items()}, args.export,
                  metadata={k: metadata[k] for k in keep if k in metadata})
        print(f"wrote {args.export} with safetensors.torch.save_file (model only)")

    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
