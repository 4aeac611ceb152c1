#!/usr/bin/env python3
"""PyTorch side of the encoder-decoder speed comparison: a GRU/LSTM encoder-decoder with
Luong attention, timed training (teacher forcing) or batched beam search.

    ~/.venvs/torch/bin/python scripts/pytorch_seq2seq_bench.py --mode train --cell gru \\
        --batch 64 --hidden 256 --layers 1 --source-len 30 --target-len 12 \\
        --source-vocab 40 --target-vocab 14 --threads 2 --steps 20 --warmup 3
    ~/.venvs/torch/bin/python scripts/pytorch_seq2seq_bench.py --mode decode --cell gru \\
        --batch 64 --hidden 256 --source-len 30 --source-vocab 40 --target-vocab 14 \\
        --threads 2 --beam 5 --decode-sequences 512 --max-length 12
    ~/.venvs/torch/bin/python scripts/pytorch_seq2seq_bench.py --mode decode \\
        --checkpoint numbers.safetensors --pairs numbers-test.tsv --threads 1 --beam 5

The model, the same shapes and work as the Swift encoder-decoder with attention:
- one-hot token inputs (``F.one_hot(x, V).float()``, as scripts/pytorch_rnn_bench.py feeds
  its RNN), source vocabulary Vs, target vocabulary Vt; start token Vt-2, end token Vt-1;
- encoder ``nn.GRU(Vs, H, L)`` / ``nn.LSTM`` (one direction, time-major) over the padded
  sources through ``pack_padded_sequence(lengths, enforce_sorted=False)``, so it runs each
  sequence for its own length only (the Swift stack runs the padded batch with lengths);
  its final state (each sequence's after its own last step) is the decoder's initial state;
  its outputs are unpacked to E [Ts, B, H] (zeros past a length);
- decoder ``nn.GRU(Vt, H, L)`` (the same cell), teacher forcing: inputs the start token,
  then the targets shifted by one; top-layer outputs D [Tt, B, H];
- Luong global attention, ``general`` score, all decoder steps at once with ``torch.bmm``:
  score[b,t,s] = D[t,b] . (W_a E[s,b]) (``attention.weight`` W_a [H, H], no bias), positions
  s >= length[b] masked to -inf, alpha = softmax over s, context c = sum_s alpha E[s],
  h~ = tanh(W_c [c; h]) (``combine.weight`` W_c [H, 2H], no bias, context first),
  logits = ``fc`` = ``nn.Linear(H, Vt)`` of h~;
- ``nn.CrossEntropyLoss(ignore_index=-1)`` over the target tokens, ``torch.optim.Adam``
  (lr 1e-3), ``clip_grad_norm_(..., 5)``.

Data: random tokens from seeded generators; each sequence's source length is drawn once,
uniformly in [max(1, Ts // 2), Ts], and kept for every batch; targets are Tt - 1 random
tokens below the start token, then the end token (no padding, all B*Tt counted). Four
batches are made (one-hot included) before timing and cycled.

--autocast runs the forward passes (and the beam search's steps) under
``torch.autocast("cpu", dtype=torch.bfloat16)``: PyTorch's bf16 mixed precision, its
answer to `seq2seq --precision bf16`; ``precision`` in the JSON says which ran.

--mode train: torch threads set, --warmup untimed steps, then --repeats runs of --steps
steps each; the best run counts: tokens_per_second = B * Tt * steps / seconds.

--mode decode: batched beam search of width K = --beam over --decode-sequences sources in
batches of --batch, under ``torch.inference_mode()``, with the rules of the Swift
``BeamSearchRun`` (Sources/RNN/Inference/BeamSearchRun.swift, n-best 1). All K hypotheses
of all sequences of a batch advance as one batch of B*K rows per step: the decoder called
with sequence length 1, that step's attention with bmm over the encoder outputs (and
W_a E, computed once) expanded to B*K rows, log_softmax, one topk of the 2K best of the
K*Vt candidates (cumulative log-probabilities) per sequence, then the states and the
histories reordered with index_select. An end token (Vt-1) among a sequence's K best
candidates finishes that hypothesis, scored log P / lp with the GNMT length penalty
lp = ((5 + len) / 6) ** --alpha (len counts the end token); the K best that do not end
live on. At the first step one hypothesis per sequence is live. A sequence stops when its
best candidate of a step is an end token, or after --max-length steps (the Swift search
with maxLengthRatio 0, maxLengthExtra M); its translation is its best finished hypothesis,
or its best live one if none finished. Stopped sequences are dropped from the batch
(index_select; --keep-stopped runs their rows on to the batch's last step, as the Swift
search does). The sources are made one-hot before timing. Timed like training (--warmup untimed batches, then the best of --repeats
passes over all sources): decode_sequences_per_second = N / seconds. With untrained
weights the lengths of the outputs are arbitrary (mean_decoder_steps says how many steps
the sequences took); --ignore-end never lets the end token be chosen, so every sequence
takes exactly --max-length steps and the work is fixed by the shape alone.

--mode decode --checkpoint F --pairs TEST (test-set mode): the same beam search with a
model trained by ``seq2seq train`` (a one-direction GRU/LSTM, general attention, character
sources; its safetensors names map one to one, ``attention.combine.weight`` being
``combine.weight``), over the sources of TEST sorted by length in batches of --batch, each
stopped at ceil(--max-length-ratio x length) + --max-length-extra tokens as ``seq2seq
eval`` stops it, the start and end tokens the checkpoint's. It prints
``decode_sequences_per_second`` (best of --repeats passes) and ``exact_match`` against the
targets, which ``seq2seq eval --json`` of the same checkpoint should match.

Standard output holds one JSON object: train {"tokens_per_second", "seconds_per_step",
...}, decode {"decode_sequences_per_second", "seconds", ...}, both with "mode", "config",
"torch" (version), "threads" and "repeat_seconds" (every timed run); train adds
"last_loss", decode "mean_output_length", "mean_decoder_steps" and "ended_share". --json
writes the object to a file as well; progress goes to standard error.
"""

import argparse
import json
import math
import sys
import time

INSTALL_HINT = (
    "PyTorch is not installed for {python}.\n"
    "Install it into a virtual environment (nothing is installed by this script):\n"
    "    python3 -m venv ~/.venvs/torch && ~/.venvs/torch/bin/pip install torch numpy\n"
    "then run with ~/.venvs/torch/bin/python."
)
BATCHES = 4


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def build_model(torch, cell, Vs, Vt, H, L):
    nn, F = torch.nn, torch.nn.functional
    recurrent = {"gru": nn.GRU, "lstm": nn.LSTM}[cell]

    class Seq2Seq(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = recurrent(Vs, H, L)
            self.decoder = recurrent(Vt, H, L)
            self.attention = nn.Linear(H, H, bias=False)        # W_a
            self.combine = nn.Linear(2 * H, H, bias=False)      # W_c on [context; decoder output]
            self.fc = nn.Linear(H, Vt)

        def encode(self, x, lengths):
            """x [Ts, B, Vs] one-hot, lengths [B] (CPU int64) -> E [B, Ts, H], W_a E [B, Ts, H], state."""
            packed = nn.utils.rnn.pack_padded_sequence(x, lengths, enforce_sorted=False)
            out, state = self.encoder(packed)     # state in the batch's own order
            E, _ = nn.utils.rnn.pad_packed_sequence(out, total_length=x.shape[0])
            E = E.transpose(0, 1)                 # [B, Ts, H]
            return E, self.attention(E), state

        def attend(self, D, E, keys, valid):
            """D [B, T, H] decoder outputs, E and keys [B, Ts, H], valid [B, 1, Ts] -> h~ [B, T, H]."""
            score = torch.bmm(D, keys.transpose(1, 2)).masked_fill(~valid, float("-inf"))   # [B, T, Ts]
            context = torch.bmm(torch.softmax(score, dim=-1), E)                              # [B, T, H]
            return torch.tanh(self.combine(torch.cat([context, D], dim=-1)))

        def forward(self, x, lengths, valid, y):
            """Teacher forcing: y [Tt, B, Vt] one-hot decoder inputs -> logits [B, Tt, Vt]."""
            E, keys, state = self.encode(x, lengths)
            D, _ = self.decoder(y, state)
            return self.fc(self.attend(D.transpose(0, 1), E, keys, valid))

    return Seq2Seq()


def make_data(torch, args, batches, source_generator, target_generator, lengths):
    """Per batch: one-hot sources [Ts, B, Vs], one-hot decoder inputs [Tt, B, Vt], targets
    [B * Tt] (batch-major, the logits' order)."""
    F = torch.nn.functional
    B, Ts, Tt, Vs, Vt = args.batch, args.source_len, args.target_len, args.source_vocab, args.target_vocab
    start, end = Vt - 2, Vt - 1
    data = []
    for _ in range(batches):
        source = torch.randint(0, Vs, (Ts, B), generator=source_generator)
        source = source.masked_fill(torch.arange(Ts)[:, None] >= lengths[None, :], 0)   # padding (never read)
        x = F.one_hot(source, Vs).float()
        targets = torch.randint(0, start, (Tt, B), generator=target_generator)
        targets[-1] = end
        inputs = torch.cat([torch.full((1, B), start), targets[:-1]])
        y = F.one_hot(inputs, Vt).float()
        data.append((x, y, targets.t().contiguous().view(-1)))
    return data


def source_lengths(torch, count, Ts, generator):
    return torch.randint(max(1, Ts // 2), Ts + 1, (count,), generator=generator)


def valid_mask(torch, lengths, Ts):
    return (torch.arange(Ts)[None, :] < lengths[:, None]).unsqueeze(1)        # [B, 1, Ts]


def run_train(torch, args, model):
    nn = torch.nn
    g = torch.Generator().manual_seed(args.seed + 1)
    lengths = source_lengths(torch, args.batch, args.source_len, g)
    data = make_data(torch, args, BATCHES, g, g, lengths)
    valid = valid_mask(torch, lengths, args.source_len)
    criterion = nn.CrossEntropyLoss(ignore_index=-1)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.learning_rate)

    def step(i):
        x, y, t = data[i % BATCHES]
        optimizer.zero_grad()
        with precision(torch, args):
            logits = model(x, lengths, valid, y)
            loss = criterion(logits.reshape(-1, args.target_vocab), t)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()
        return loss.item()

    for i in range(args.warmup):
        step(i)
    runs, loss = [], float("nan")
    for r in range(args.repeats):
        t0 = time.perf_counter()
        for i in range(args.steps):
            loss = step(i)
        runs.append(time.perf_counter() - t0)
        if not math.isfinite(loss):
            raise RuntimeError(f"non-finite loss {loss}")
        log(f"[torch {args.threads} threads] train run {r + 1}: {runs[-1]:.3f} s, "
            f"{args.batch * args.target_len * args.steps / runs[-1]:.0f} tokens/s, loss {loss:.3f}")
    best = min(runs)
    return {"tokens_per_second": args.batch * args.target_len * args.steps / best,
            "seconds_per_step": best / args.steps, "repeat_seconds": runs, "last_loss": loss}


def beam_search(torch, model, x, lengths, valid, K, max_length, alpha, Vt, ignore_end=False, compact=True,
                limits=None, start=None, end=None):
    """Batched beam search over one batch (x [Ts, B, Vs] one-hot). Returns per sequence the
    tokens of its best translation (without the end token), the decoder steps it took and
    whether that translation ended (False: cut at its maximum length: max_length, or
    limits[b] when limits [B] is given). start and end default to Vt-2 and Vt-1."""
    F = torch.nn.functional
    B = lengths.numel()
    start = Vt - 2 if start is None else start
    end = Vt - 1 if end is None else end
    if limits is None:
        limits = torch.full((B,), max_length, dtype=torch.long)
    max_length = int(limits.max())
    C = min(2 * K, K * Vt)                                       # candidates looked at per sequence
    E, keys, state = model.encode(x, lengths)
    rows = torch.arange(B).repeat_interleave(K)                  # row b*K + k reads sequence b
    E, keys, valid = E.index_select(0, rows), keys.index_select(0, rows), valid.index_select(0, rows)
    lstm = isinstance(state, tuple)

    def select(state, index):
        return tuple(s.index_select(1, index) for s in state) if lstm else state.index_select(1, index)

    state = select(state, rows)
    inf = float("inf")
    scores = torch.full((B, K), -inf, dtype=x.dtype)             # log P of the live hypotheses
    scores[:, 0] = 0.0                                           # one live hypothesis to start
    tokens = torch.full((B * K,), start, dtype=torch.long)
    history = torch.empty(B * K, 0, dtype=torch.long)            # the live hypotheses' tokens
    best_score = torch.full((B,), -inf, dtype=x.dtype)           # the best finished: log P / lp
    best_tokens = torch.full((B, max_length), end, dtype=torch.long)
    best_length = torch.zeros(B, dtype=torch.long)
    alive = torch.arange(B)                                      # row i of the above is sequence alive[i]
    done = torch.zeros(B, dtype=torch.bool)
    results, steps, ended = [None] * B, [max_length] * B, [False] * B

    for step in range(1, max_length + 1):
        b = alive.numel()
        D, state = model.decoder(F.one_hot(tokens, Vt).to(x.dtype).unsqueeze(0), state)   # [1, b*K, H]
        h = model.attend(D.transpose(0, 1), E, keys, valid).squeeze(1)                     # [b*K, H]
        logp = torch.log_softmax(model.fc(h), dim=-1)                                       # [b*K, Vt]
        if ignore_end:
            logp[:, end] = -inf
        candidate, best = (scores.view(-1, 1) + logp).view(b, K * Vt).topk(C, dim=1)       # best first
        beam, token = best // Vt, best % Vt
        offset = torch.arange(b)[:, None] * K
        is_end = (token == end) & torch.isfinite(candidate)
        # End candidates among the best K finish, scored log P / lp(step) (the end token counted).
        finishing = is_end & (torch.arange(C) < K)
        finished_score, which = torch.where(finishing, candidate / ((5.0 + step) / 6.0) ** alpha, -inf).max(dim=1)
        improved = (finished_score > best_score).nonzero().view(-1)
        if improved.numel():
            parents = (beam.gather(1, which[:, None]).squeeze(1) + offset.view(-1))[improved]
            best_tokens[improved, :step - 1] = history.index_select(0, parents)
            best_length[improved] = step - 1
            best_score[improved] = finished_score[improved]
        # The best K candidates that do not end live on (there are at least K of them).
        live = torch.sort(is_end.to(torch.uint8), dim=1, stable=True)[1][:, :K]
        source = (beam.gather(1, live) + offset).view(-1)
        scores, tokens = candidate.gather(1, live), token.gather(1, live).view(-1)
        state = select(state, source)
        history = torch.cat([history.index_select(0, source), tokens.view(-1, 1)], dim=1)
        # A sequence stops when its best candidate ends, or at max_length.
        stopping = (is_end[:, 0] | (step >= limits[alive])) & ~done
        for i in stopping.nonzero().view(-1).tolist():
            sequence = int(alive[i])
            steps[sequence] = step
            if torch.isfinite(best_score[i]):
                results[sequence], ended[sequence] = best_tokens[i, :int(best_length[i])].tolist(), True
            else:
                results[sequence] = history[i * K].tolist()
        done |= stopping
        if bool(done.all()):
            break
        if compact and bool(stopping.any()):
            keep = (~done).nonzero().view(-1)
            keep_rows = (keep[:, None] * K + torch.arange(K)).view(-1)
            E, keys, valid = E.index_select(0, keep_rows), keys.index_select(0, keep_rows), valid.index_select(0, keep_rows)
            state = select(state, keep_rows)
            history, tokens = history.index_select(0, keep_rows), tokens.index_select(0, keep_rows)
            scores, alive, done = scores[keep], alive[keep], done[keep]
            best_score, best_tokens, best_length = best_score[keep], best_tokens[keep], best_length[keep]
    return results, steps, ended


def precision(torch, args):
    """The context the model runs in: torch.autocast to bf16 with --autocast, else fp32."""
    return torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.autocast)


def timed_passes(args, batches, decode, what, count):
    """--warmup untimed batches, then --repeats timed passes over all of them. Returns the
    best pass's seconds, every pass's seconds, and the last pass's results (one per batch)."""
    for i in range(args.warmup):
        decode(batches[i % len(batches)])
    runs, results = [], []
    for r in range(args.repeats):
        t0 = time.perf_counter()
        results = [decode(batch) for batch in batches]
        runs.append(time.perf_counter() - t0)
        log(f"[torch {args.threads} threads] {what} run {r + 1}: {runs[-1]:.3f} s, {count / runs[-1]:.1f} sources/s")
    return min(runs), runs, results


def run_decode(torch, args, model):
    F = torch.nn.functional
    N, B, Ts = args.decode_sequences, args.batch, args.source_len
    g = torch.Generator().manual_seed(args.seed + 2)
    lengths = source_lengths(torch, N, Ts, g)
    source = torch.randint(0, args.source_vocab, (Ts, N), generator=g)
    source = source.masked_fill(torch.arange(Ts)[:, None] >= lengths[None, :], 0)
    batches = []
    for i in range(0, N, B):
        ls = lengths[i:i + B]
        batches.append((F.one_hot(source[:, i:i + B], args.source_vocab).float(), ls, valid_mask(torch, ls, Ts)))

    def decode(batch):
        with torch.inference_mode(), precision(torch, args):
            return beam_search(torch, model, *batch, args.beam, args.max_length, args.alpha, args.target_vocab,
                               args.ignore_end, compact=not args.keep_stopped)

    best, runs, results = timed_passes(args, batches, decode, "decode", N)
    outputs = [tokens for out, _, _ in results for tokens in out]
    steps = [n for _, st, _ in results for n in st]
    ended = [e for _, _, en in results for e in en]
    return {"decode_sequences_per_second": N / best, "seconds": best, "repeat_seconds": runs,
            "mean_output_length": sum(map(len, outputs)) / N, "mean_decoder_steps": sum(steps) / N,
            "ended_share": sum(ended) / N}


def load_checkpoint(torch, path):
    """A `seq2seq train` checkpoint as this script's model: its configuration must be a
    one-direction GRU/LSTM encoder-decoder with `general` attention, without input feeding
    or a bridge (the names map one to one: attention.combine.weight is combine.weight).
    Returns the model, its configuration and its vocabularies (metadata JSON)."""
    from safetensors import safe_open
    with safe_open(path, "pt") as f:
        meta = f.metadata() or {}
        tensors = {k: f.get_tensor(k) for k in f.keys() if not k.startswith("optimizer.")}
    if meta.get("architecture") != "encoder_decoder" or "seq2seq_vocabularies" not in meta:
        raise SystemExit(f"error: {path} is not a checkpoint written by seq2seq train")
    config, vocabularies = json.loads(meta["configuration"]), json.loads(meta["seq2seq_vocabularies"])
    recurrent = config["recurrent"]
    if (config.get("attention") != "general" or config.get("bidirectionalEncoder") or config.get("inputFeeding")
            or recurrent["cell"] not in ("gru", "lstm") or any(k.startswith("bridge.") for k in tensors)):
        raise SystemExit(f"error: {path}: this comparison takes a one-direction GRU or LSTM model with general "
                         "attention, no input feeding and no bridge")
    if vocabularies["source"]["unit"] != "char":
        raise SystemExit(f"error: {path}: this comparison reads character sources only")
    model = build_model(torch, recurrent["cell"], config["sourceVocabularySize"], config["targetVocabularySize"],
                        recurrent["hiddenSize"], recurrent["numLayers"])
    state = {("combine.weight" if k == "attention.combine.weight" else k): v for k, v in tensors.items()}
    model.load_state_dict(state, strict=True)
    return model, config, vocabularies


def run_decode_test(torch, args):
    """--checkpoint and --pairs: beam search of a test set with a trained model, the sources
    sorted by length and cut into batches of --batch (as the Swift ParallelDecoder does),
    each source's maximum length ceil(--max-length-ratio x its length) + --max-length-extra
    (seq2seq eval's defaults). Returns the timing and the exact match against the targets."""
    F = torch.nn.functional
    model, config, vocabularies = load_checkpoint(torch, args.checkpoint)
    model.eval()
    source_side, target_side = vocabularies["source"], vocabularies["target"]
    index = {symbol: i for i, symbol in enumerate(source_side["symbols"])}
    pairs = []
    with open(args.pairs, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\r\n")
            if line:
                source, target = line.split("\t")
                pairs.append(([index.get(c, 0) for c in source], target))
    Vs, Vt = config["sourceVocabularySize"], config["targetVocabularySize"]
    order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]))
    batches = []
    for i in range(0, len(order), args.batch):
        chunk = order[i:i + args.batch]
        lengths = torch.tensor([len(pairs[j][0]) for j in chunk])
        Ts = int(lengths.max())
        source = torch.zeros(Ts, len(chunk), dtype=torch.long)
        for b, j in enumerate(chunk):
            source[:len(pairs[j][0]), b] = torch.tensor(pairs[j][0])
        limits = torch.tensor([math.ceil(args.max_length_ratio * len(pairs[j][0])) + args.max_length_extra
                               for j in chunk])
        batches.append((chunk, F.one_hot(source, Vs).float(), lengths, valid_mask(torch, lengths, Ts), limits))

    def decode(batch):
        _, x, lengths, valid, limits = batch
        with torch.inference_mode(), precision(torch, args):
            return beam_search(torch, model, x, lengths, valid, args.beam, 0, args.alpha, Vt, limits=limits,
                               start=config["startToken"], end=config["endToken"])

    best, runs, results = timed_passes(args, batches, decode, "test-set decode", len(pairs))
    outputs = [None] * len(pairs)
    for batch, (out, _, _) in zip(batches, results):
        for j, tokens in zip(batch[0], out):
            outputs[j] = tokens
    symbols = target_side["symbols"]
    text = ["".join(symbols[t] for t in tokens) for tokens in outputs]
    return {"decode_sequences_per_second": len(pairs) / best, "seconds": best, "repeat_seconds": runs,
            "pairs": len(pairs), "exact_match": sum(t == p[1] for t, p in zip(text, pairs)) / len(pairs),
            "mean_output_length": sum(map(len, outputs)) / len(pairs),
            "checkpoint": args.checkpoint, "cell": config["recurrent"]["cell"],
            "hidden": config["recurrent"]["hiddenSize"], "layers": config["recurrent"]["numLayers"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=__doc__.split("\n\n", 1)[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mode", choices=["train", "decode"], default="train")
    ap.add_argument("--cell", choices=["gru", "lstm"], default="gru")
    ap.add_argument("--batch", type=int, default=64, help="sequences per batch (B), training and decoding")
    ap.add_argument("--hidden", type=int, default=256, help="hidden size H")
    ap.add_argument("--layers", type=int, default=1, help="layers L of each stack")
    ap.add_argument("--source-len", type=int, default=30, help="padded source length Ts (lengths Ts//2 ... Ts)")
    ap.add_argument("--target-len", type=int, default=12, help="target length Tt (training)")
    ap.add_argument("--source-vocab", type=int, default=40, help="source vocabulary Vs")
    ap.add_argument("--target-vocab", type=int, default=14, help="target vocabulary Vt (start Vt-2, end Vt-1)")
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (default: 1)")
    ap.add_argument("--steps", type=int, default=20, help="timed training steps per run (default: 20)")
    ap.add_argument("--warmup", type=int, default=3, help="untimed training steps / decoded batches first (default: 3)")
    ap.add_argument("--repeats", type=int, default=3, help="timed runs, the best counts (default: 3)")
    ap.add_argument("--learning-rate", type=float, default=1e-3)
    ap.add_argument("--beam", type=int, default=5, help="beam width K (decode)")
    ap.add_argument("--decode-sequences", type=int, default=512, help="sources to decode per run (decode)")
    ap.add_argument("--max-length", type=int, default=12, help="most decoder steps (decode)")
    ap.add_argument("--alpha", type=float, default=0.6, help="GNMT length penalty exponent (decode)")
    ap.add_argument("--ignore-end", action="store_true",
                    help="never choose the end token: every sequence takes --max-length steps (decode)")
    ap.add_argument("--keep-stopped", action="store_true",
                    help="keep stopped sequences' rows in the batch (they still run) instead of dropping them (decode)")
    ap.add_argument("--checkpoint", help="decode: a seq2seq train checkpoint to decode --pairs with (test-set mode)")
    ap.add_argument("--pairs", help="decode: the test pairs (SOURCE<TAB>TARGET) for --checkpoint")
    ap.add_argument("--max-length-ratio", type=float, default=2.0, help="test-set mode: as seq2seq's (default 2)")
    ap.add_argument("--max-length-extra", type=int, default=10, help="test-set mode: as seq2seq's (default 10)")
    ap.add_argument("--autocast", action="store_true",
                    help="run the model under torch.autocast(\"cpu\", dtype=torch.bfloat16)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", help="write the result here too")
    args = ap.parse_args()
    for name in ["batch", "hidden", "layers", "source_len", "target_len", "source_vocab", "threads", "steps",
                 "repeats", "beam", "decode_sequences", "max_length"]:
        if getattr(args, name) < 1:
            ap.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.target_vocab < 3:
        ap.error("--target-vocab must be at least 3 (the start and end tokens and one more)")
    if args.warmup < 0:
        ap.error("--warmup must not be negative")
    try:
        import torch
    except ImportError:
        print(INSTALL_HINT.format(python=sys.executable), file=sys.stderr)
        return 2
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    if (args.checkpoint is None) != (args.pairs is None) or (args.checkpoint and args.mode != "decode"):
        ap.error("--checkpoint and --pairs go together, with --mode decode")
    if args.checkpoint:
        result = run_decode_test(torch, args)
        result.update(mode="decode-test", torch=torch.__version__, threads=args.threads, beam=args.beam,
                      alpha=args.alpha, batch=args.batch, precision="bf16-autocast" if args.autocast else "fp32")
        print(json.dumps(result))
        if args.json:
            with open(args.json, "w") as f:
                json.dump(result, f, indent=2)
        return 0
    model = build_model(torch, args.cell, args.source_vocab, args.target_vocab, args.hidden, args.layers)

    config = {k: getattr(args, k) for k in ["mode", "cell", "batch", "hidden", "layers", "source_len",
                                            "source_vocab", "target_vocab", "warmup", "repeats", "seed"]}
    config.update(start_token=args.target_vocab - 2, end_token=args.target_vocab - 1,
                  source_lengths=[max(1, args.source_len // 2), args.source_len],
                  encoder_input="pack_padded_sequence(enforce_sorted=False)",
                  parameters=sum(p.numel() for p in model.parameters()))
    if args.mode == "train":
        config.update(target_len=args.target_len, steps=args.steps, learning_rate=args.learning_rate, clip_norm=5.0)
        result = run_train(torch, args, model)
    else:
        config.update(beam=args.beam, decode_sequences=args.decode_sequences, max_length=args.max_length,
                      alpha=args.alpha, ignore_end=args.ignore_end,
                      stopped_sequences="kept" if args.keep_stopped else "dropped")
        model.eval()
        result = run_decode(torch, args, model)
    result.update(mode=args.mode, config=config, torch=torch.__version__, threads=args.threads,
                  precision="bf16-autocast" if args.autocast else "fp32")
    print(json.dumps(result))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
