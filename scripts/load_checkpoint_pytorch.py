#!/usr/bin/env python3
"""Load a charrnn checkpoint into PyTorch and check it against the Swift side.

The model part of a charrnn checkpoint is the state_dict of one of

    rnn = torch.nn.RNN(V, H, num_layers, nonlinearity=...)  # cell rnn:  rnn.weight_ih_l0 [H, V], ...
    rnn = torch.nn.GRU(V, H, num_layers)                    # cell gru:  rnn.weight_ih_l0 [3H, V] (r, z, n)
    rnn = torch.nn.LSTM(V, H, num_layers)                   # cell lstm: rnn.weight_ih_l0 [4H, V] (i, f, g, o)
    fc  = torch.nn.Linear(H, V)                             # fc.weight [V, H], fc.bias [V]

with the settings in the `configuration` metadata (one JSON object; files of format
versions 1-3 have separate `cell`, `hidden_size`, `num_layers`, ... keys instead), so
`safetensors.torch.load_file` + `load_state_dict(strict=True)` on the `rnn.*` and `fc.*`
tensors loads it as is (no transposes).

A model trained with `--embedding-size E` (`embeddingSize` in the configuration) has pytorch/examples'
word_language_model layout instead: `embedding = nn.Embedding(V, E)` (`embedding.weight`
[V, E]) feeds the recurrent module (`rnn.weight_ih_l0` [G*H, E]); `--dropout p`
(`dropout`) is `nn.Dropout(p)` on the embedding's and the top layer's outputs and the
module's own `dropout=p` between layers — all inactive in `model.eval()`, as in charrnn's
eval and sampling. With `--tie-weights` (`tiedWeights` true) the output
layer's weight *is* the embedding: tie it in the module (`fc.weight = embedding.weight`)
and load with `load_state_dict(tensors, strict=False)`, which leaves `fc.weight` as the
only missing key (the file stores the shared tensor once, as `embedding.weight`, which is
also what `safetensors.torch.save_model` writes for a tied module), or with
`safetensors.torch.load_model(model, path)` for a file holding only the model. The file's other tensors are not part of the
model: the optimizer state (`optimizer.*`), the loss history (`history.*`) and the state
carried between truncated-BPTT chunks, `training.hidden_state` — PyTorch's `h_0`
[num_layers, batch, H] for rnn and gru, and `(h_0, c_0)` stacked as [2, num_layers, batch, H]
for lstm. The vocabulary and the hyperparameters are in the safetensors `__metadata__`.

Usage (needs `pip install torch safetensors`):

    # 1. Train, then let charrnn write the logits of a greedy sample:
    charrnn train --data input.txt --cell lstm --checkpoint model.safetensors
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
from safetensors.torch import load_file, save_file, save_model


CELLS = {"rnn": "nn.RNN", "gru": "nn.GRU", "lstm": "nn.LSTM"}


class CharRNN(torch.nn.Module):
    """nn.RNN, nn.GRU or nn.LSTM over one-hot characters, then nn.Linear at every step
    (time-major)."""

    def __init__(self, cell, vocab_size, hidden_size, num_layers, nonlinearity="tanh",
                 embedding_size=0, tie_weights=False, dropout=0.0):
        super().__init__()
        self.cell = cell
        self.vocab_size = vocab_size
        self.embedding = torch.nn.Embedding(vocab_size, embedding_size) if embedding_size > 0 else None
        self.drop = torch.nn.Dropout(dropout)
        width = embedding_size or vocab_size
        if cell == "rnn":
            self.rnn = torch.nn.RNN(width, hidden_size, num_layers, nonlinearity=nonlinearity, dropout=dropout)
        elif cell == "gru":
            self.rnn = torch.nn.GRU(width, hidden_size, num_layers, dropout=dropout)
        else:
            self.rnn = torch.nn.LSTM(width, hidden_size, num_layers, dropout=dropout)
        self.fc = torch.nn.Linear(hidden_size, vocab_size)
        if tie_weights:
            self.fc.weight = self.embedding.weight  # word_language_model's --tied

    @property
    def tied(self):
        return self.embedding is not None and self.fc.weight is self.embedding.weight

    def forward(self, tokens, state=None):
        """tokens: [T, B] int64 -> logits [T, B, V] and the final state (h_n [L, B, H],
        or (h_n, c_n) for the LSTM)."""
        if self.embedding is None:
            x = F.one_hot(tokens, self.vocab_size).float()  # [T, B, V]
        else:
            x = self.drop(self.embedding(tokens))  # [T, B, E]
        out, state = self.rnn(x, state)
        return self.fc(self.drop(out)), state

    def describe(self):
        r = self.rnn
        extra = f", nonlinearity='{r.nonlinearity}'" if self.cell == "rnn" else ""
        extra += f", dropout={r.dropout:g}" if r.dropout > 0 else ""
        front = f"nn.Embedding({self.vocab_size}, {self.embedding.embedding_dim}) + " if self.embedding is not None else ""
        back = " (weight tied to the embedding)" if self.tied else ""
        return f"{front}{CELLS[self.cell]}({r.input_size}, {r.hidden_size}, num_layers={r.num_layers}{extra}) + nn.Linear{back}"

    def carried_state(self, tensor):
        """`training.hidden_state` as the state argument of the recurrent module:
        [L, B, H] for nn.RNN and nn.GRU, (h_0, c_0) from [2, L, B, H] for nn.LSTM."""
        r = self.rnn
        layers = [r.num_layers, tensor.shape[-2], r.hidden_size]
        expected = [2] + layers if self.cell == "lstm" else layers
        if list(tensor.shape) != expected:
            sys.exit(f"error: training.hidden_state has shape {list(tensor.shape)}, expected {expected} for {CELLS[self.cell]}")
        return (tensor[0].contiguous(), tensor[1].contiguous()) if self.cell == "lstm" else tensor


def settings(path, metadata):
    """The model's settings: from the `configuration` JSON (format version 4), or from the
    separate keys of versions 1-3 (`cell`, `hidden_size`, `num_layers`, ...)."""
    if "configuration" in metadata:
        c = json.loads(metadata["configuration"])
        r = c["recurrent"]
        return {"cell": r["cell"], "hidden_size": r["hiddenSize"], "num_layers": r["numLayers"],
                "nonlinearity": r["nonlinearity"], "embedding_size": c["embeddingSize"], "tie": c["tiedWeights"],
                "dropout": c["dropout"]}
    cell = metadata.get("cell", "rnn")  # files from before GRU and LSTM have no 'cell' key
    required = ("hidden_size", "num_layers") + (("nonlinearity",) if cell == "rnn" else ())
    for key in required:
        if key not in metadata:
            sys.exit(f"error: {path} has no '{key}' metadata; it is not a charrnn checkpoint")
    return {"cell": cell, "hidden_size": int(metadata["hidden_size"]), "num_layers": int(metadata["num_layers"]),
            "nonlinearity": metadata.get("nonlinearity", "tanh"), "embedding_size": int(metadata.get("embedding_size", "0")),
            "tie": metadata.get("tie_weights") == "true", "dropout": float(metadata.get("dropout", "0"))}


def load(path):
    with safe_open(path, framework="pt") as f:
        metadata = f.metadata() or {}
    if "vocabulary" not in metadata:
        sys.exit(f"error: {path} has no 'vocabulary' metadata; it is not a charrnn checkpoint")
    s = settings(path, metadata)
    cell = s["cell"]
    if cell not in CELLS:
        sys.exit(f"error: {path} has cell '{cell}'; expected one of {', '.join(CELLS)}")
    vocabulary = list(metadata["vocabulary"])  # code points = charrnn's Unicode scalars
    tie = s["tie"]
    model = CharRNN(cell, len(vocabulary), s["hidden_size"], s["num_layers"], s["nonlinearity"], s["embedding_size"],
                    tie, s["dropout"])
    tensors = load_file(path)
    weights = {k: v for k, v in tensors.items() if k.startswith(("embedding.", "rnn.", "fc."))}
    try:
        if tie:
            # The shared tensor is stored once, as embedding.weight: fc.weight is the one missing key.
            result = model.load_state_dict(weights, strict=False)
            if list(result.missing_keys) != ["fc.weight"] or result.unexpected_keys:
                sys.exit(f"error: {path} does not load into {model.describe()}: missing {result.missing_keys}, "
                         f"unexpected {result.unexpected_keys}")
            if not model.tied:
                sys.exit("error: loading broke the tie of fc.weight and embedding.weight")
        else:
            model.load_state_dict(weights, strict=True)
    except RuntimeError as error:
        sys.exit(f"error: {path} does not load into {model.describe()}: {error}")
    model.eval()
    others = {k: v for k, v in tensors.items() if k not in weights}
    return model, vocabulary, metadata, others


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
    parser.add_argument("--carried-logits", metavar="FILE",
                        help="run every stream of the checkpoint's training.hidden_state through the prime "
                             "and write the logits of its last character as JSON ({\"logits\": [B][V]})")
    args = parser.parse_args()

    model, vocabulary, metadata, others = load(args.checkpoint)
    index = {c: i for i, c in enumerate(vocabulary)}
    print(f"loaded {args.checkpoint} (cell {model.cell}) into torch {torch.__version__}: {model.describe()}")
    groups = sorted({k.split(".")[0] for k in others})
    prefixes = ("embedding.*, " if model.embedding is not None else "") + "rnn.*, fc.*"
    how = "strict=False, fc.weight tied to embedding.weight" if model.tied else "strict=True"
    print(f"load_state_dict({how}): {len(model.state_dict())} tensors ({prefixes}); "
          f"{len(others)} other tensors not part of the model ({', '.join(groups) or 'none'})")

    unknown = [c for c in args.prime if c not in index]
    if unknown:
        sys.exit(f"error: the prime has characters outside the vocabulary: {unknown!r}")

    carried = others.get("training.hidden_state")
    if carried is not None:
        state = model.carried_state(carried)
        parts = "(h_0, c_0)" if model.cell == "lstm" else "h_0"
        print(f"training.hidden_state {list(carried.shape)}: the carried {parts} of {CELLS[model.cell]} "
              f"for {carried.shape[-2]} streams")
        if args.carried_logits:
            with torch.no_grad():
                tokens = torch.tensor([[index[c]] * carried.shape[-2] for c in args.prime], dtype=torch.long)
                logits, _ = model(tokens, state)
            with open(args.carried_logits, "w", encoding="utf-8") as f:
                json.dump({"logits": logits[-1].tolist()}, f)
            print(f"wrote the logits after the prime from the carried state to {args.carried_logits}")
    elif args.carried_logits:
        sys.exit(f"error: {args.checkpoint} has no training.hidden_state (it was saved at an epoch boundary, or without training state)")

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
        prime = torch.tensor([[index[c]] for c in args.prime], dtype=torch.long)
        logits, state = model(prime)
        last = logits[-1, 0]
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
            logits, state = model(torch.tensor([[fed]], dtype=torch.long), state)
            last = logits[-1, 0]

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
        keep = ("format", "format_version", "configuration", "cell", "vocabulary", "vocab_size", "hidden_size",
                "num_layers", "nonlinearity", "embedding_size", "tie_weights", "dropout", "dropout_seed")
        kept = {k: metadata[k] for k in keep if k in metadata}
        if model.tied:
            # save_file refuses shared tensors; save_model stores the tied one once (embedding.weight).
            save_model(model, args.export, metadata=kept)
            print(f"wrote {args.export} with safetensors.torch.save_model (model only, the tie stored once)")
        else:
            save_file({k: v.contiguous() for k, v in model.state_dict().items()}, args.export, metadata=kept)
            print(f"wrote {args.export} with safetensors.torch.save_file (model only)")

    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
