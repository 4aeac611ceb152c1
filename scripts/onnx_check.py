#!/usr/bin/env python3
"""Checks ONNX files written by swift-rnn against ONNX's checker and ONNX Runtime.

    python scripts/onnx_check.py cases.json

`cases.json` (written by the tests) is a list of cases:

    {"name": "many_to_many lstm L2 bidirectional",
     "runs": [{"file": "m.onnx",
               "inputs":   {"tokens": {"dtype": "int64", "shape": [T, B], "data": [...]}, ...},
               "expected": {"logits": {"shape": [T, B, O], "data": [...]}, "hn": {...}}}],
     "greedy": {"kind": "many_to_many", "file": "m.onnx", "prime": [...], "count": 20,
                "expected": [...]}}

For every file of a case: `onnx.checker.check_model(full_check=True)`; for every run: ONNX
Runtime's outputs against the expected ones (max |difference| <= --tolerance, 1e-5 by
default); for `greedy`: the model stepped one token at a time, its state outputs fed back
as inputs, against the tokens swift-rnn's greedy decoding produced. Kinds: `many_to_many`
(prime, then count tokens), `one_to_many` (features; initial_state and decoder files),
`encoder_decoder` (source; encoder and decoder files, the decoder fed the encoder's `memory`
at every step when it has attention; stops before the end token). A run with `valid_lengths`
compares a `[T, B, ...]` output only at steps t < valid_lengths[b] (ONNX Runtime leaves
zeros after a sequence's length where the library computes on over the padding).
Prints one line per case and OK at the end; exits 1 on any difference.
"""
import argparse
import json
import sys

import numpy as np
import onnx
import onnxruntime as ort

# An optional input (h0, c0, lengths) is an input with a default initializer; ONNX Runtime
# warns that it cannot fold such a constant. Expected here, so only errors are shown.
ort.set_default_logger_severity(3)


def tensor(spec):
    dtype = {"int64": np.int64, "int32": np.int32, "float32": np.float32}[spec.get("dtype", "float32")]
    return np.asarray(spec["data"], dtype=dtype).reshape(spec["shape"])


sessions = {}


def session(path):
    if path not in sessions:
        onnx.checker.check_model(onnx.load(path), full_check=True)
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        sessions[path] = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    return sessions[path]


def step_names(s):
    """The state inputs and outputs; an optional input is one of ONNX Runtime's overridable
    initializers, not among `get_inputs()`."""
    names = [i.name for i in s.get_inputs() + s.get_overridable_initializers()]
    return [n for n in ("h0", "c0") if n in names], [o.name for o in s.get_outputs() if o.name in ("hn", "cn")]


def greedy_steps(s, first_inputs, first_token_logits, count, stop=None, state=None, extra=None):
    """Greedy decoding: feeds each argmax back as the next token with the state outputs
    (and `extra`, the same at every step: an attention decoder's memory)."""
    inputs, outputs = step_names(s)
    feed = dict(first_inputs, **(extra or {}))
    if state is not None:
        feed.update(dict(zip(inputs, state)))
    tokens = []
    for _ in range(count):
        result = dict(zip([o.name for o in s.get_outputs()], s.run(None, feed)))
        token = int(np.argmax(result["logits"][-1, 0]))
        if stop is not None and token == stop:
            break
        tokens.append(token)
        feed = {"tokens": np.array([[token]], dtype=np.int64), **(extra or {})}
        feed.update({i: result[o] for i, o in zip(inputs, outputs)})
    return tokens


def greedy(spec):
    kind = spec["kind"]
    if kind == "many_to_many":
        s = session(spec["file"])
        prime = np.array(spec["prime"], dtype=np.int64).reshape(-1, 1)
        return greedy_steps(s, {"tokens": prime}, None, spec["count"])
    if kind == "one_to_many":
        init, decoder = session(spec["files"][0]), session(spec["files"][1])
        state = init.run(None, {"features": tensor(spec["features"])})
        start = np.array([[spec["start"]]], dtype=np.int64)
        return greedy_steps(decoder, {"tokens": start}, None, spec["count"], state=state)
    if kind == "encoder_decoder":
        encoder, decoder = session(spec["files"][0]), session(spec["files"][1])
        source = np.array(spec["source"], dtype=np.int64).reshape(-1, 1)
        encoded = dict(zip([o.name for o in encoder.get_outputs()], encoder.run(None, {"tokens": source})))
        state = [encoded[name] for name in ("hn", "cn") if name in encoded]
        extra = {"memory": encoded["memory"]} if "memory" in encoded else None
        start = np.array([[spec["start"]]], dtype=np.int64)
        return greedy_steps(decoder, {"tokens": start}, None, spec["count"], stop=spec["stop"], state=state, extra=extra)
    raise ValueError(f"unknown greedy kind {kind}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases")
    parser.add_argument("--tolerance", type=float, default=1e-5)
    args = parser.parse_args()
    with open(args.cases) as f:
        cases = json.load(f)
    print(f"onnx {onnx.__version__}, onnxruntime {ort.__version__}")
    failures = 0
    for case in cases:
        worst, notes = 0.0, []
        for run in case.get("runs", []):
            s = session(run["file"])
            names = [o.name for o in s.get_outputs()]
            results = dict(zip(names, s.run(None, {k: tensor(v) for k, v in run["inputs"].items()})))
            for name, spec in run["expected"].items():
                expected = tensor(spec)
                got = results[name]
                if got.shape != expected.shape:
                    notes.append(f"{name}: shape {list(got.shape)}, expected {list(expected.shape)}")
                    worst = float("inf")
                    continue
                difference = np.abs(got - expected)
                if "valid_lengths" in run and name in ("logits", "probabilities", "memory") and got.ndim == 3:
                    steps = np.arange(got.shape[0]).reshape(-1, 1)
                    difference = difference[steps < np.array(run["valid_lengths"]).reshape(1, -1)]
                worst = max(worst, float(np.max(difference)) if difference.size else 0.0)
        if "greedy" in case:
            tokens = greedy(case["greedy"])
            if tokens != case["greedy"]["expected"]:
                notes.append(f"greedy tokens {tokens}, expected {case['greedy']['expected']}")
            else:
                notes.append(f"greedy: {len(tokens)} tokens identical")
        ok = worst <= args.tolerance and not any("expected" in n for n in notes)
        failures += 0 if ok else 1
        print(f"{'ok  ' if ok else 'FAIL'} {case['name']}: max |difference| {worst:.2e}" + "".join(f"; {n}" for n in notes))
    print("OK" if failures == 0 else f"{failures} of {len(cases)} cases FAILED")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
