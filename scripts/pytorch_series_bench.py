#!/usr/bin/env python3
"""The PyTorch twin of `series train` + `series eval` for a forecast (one target, no
covariates): the same CSV, preparation, model shape, optimizer, batches and epochs.

    pytorch_series_bench.py --csv docs/data/elnino-nino12.csv --target sst --window 24 \
        --horizon 12 --seasonality 12 --hidden-size 64 --epochs 60 --threads 2 --json out.json

Preparation as series: missing values filled linearly (`--fill linear`) or refused, the
target differenced at `--difference` (0: none), the last `--test` and `--validation`
shares held out by time, standard scaling fitted on the training rows, windows of
`--window` rows forecasting `--horizon` (origins whose targets lie in the training rows).
Model: nn.LSTM(1, H) (or nn.GRU) time-major + nn.Linear(H, horizon) on the last step,
MSELoss, Adam(lr), clip_grad_norm_(5), shuffled batches of `--batch-size`, the validation
loss after every epoch. Timed: the training loop (not the imports or the CSV). Evaluated
as `series eval`: every origin from the first test row to the end, forecasts integrated
and unscaled, MASE scaled by the seasonal-naive in-sample error before the first test row.
"""
import argparse
import csv
import json
import time

import numpy as np
import torch
from torch import nn


def read(path, target):
    with open(path) as f:
        rows = list(csv.DictReader(f))
    values = np.array([float(r[target]) if r[target].strip() not in ("", "NA", "NaN", "nan") else np.nan for r in rows])
    idx = np.arange(len(values))
    good = ~np.isnan(values)
    values[~good] = np.interp(idx[~good], idx[good], values[good])   # --fill linear
    return values.astype(np.float32)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--csv", required=True)
    ap.add_argument("--target", required=True)
    ap.add_argument("--window", type=int, required=True)
    ap.add_argument("--horizon", type=int, required=True)
    ap.add_argument("--seasonality", type=int, default=1)
    ap.add_argument("--difference", type=int, default=0)
    ap.add_argument("--cell", default="lstm")
    ap.add_argument("--hidden-size", type=int, default=64)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--learning-rate", type=float, default=0.005)
    ap.add_argument("--validation", type=float, default=0.1)
    ap.add_argument("--test", type=float, default=0.1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)

    y = read(args.csv, args.target)
    n, L, H, d = len(y), args.window, args.horizon, args.difference
    test_rows, validation_rows = int(n * args.test), int(n * args.validation)
    train_end, validation_end = n - test_rows - validation_rows, n - test_rows
    z = np.concatenate([np.zeros(d, np.float32), y[d:] - y[:-d]]) if d else y.copy()
    part = z[d:train_end].astype(np.float64)
    mean, std = part.mean(), part.std()
    std = std if std > 0 else 1.0
    s = ((z - mean) / std).astype(np.float32)
    first = L + d

    def origins(lo, hi):
        return [o for o in range(max(lo, L), hi - H + 1) if o >= first]

    def batch(os_):
        x = np.stack([s[o - L:o] for o in os_], axis=1)[:, :, None]          # [T, B, 1]
        t = np.stack([s[o:o + H] for o in os_], axis=0)                       # [B, H]
        return torch.from_numpy(x), torch.from_numpy(t)

    rnn = (nn.LSTM if args.cell == "lstm" else nn.GRU)(1, args.hidden_size)
    fc = nn.Linear(args.hidden_size, H)
    params = list(rnn.parameters()) + list(fc.parameters())
    opt = torch.optim.Adam(params, lr=args.learning_rate)
    loss_fn = nn.MSELoss()

    def forward(x):
        out, _ = rnn(x)
        return fc(out[-1])

    train, validation = origins(0, train_end), origins(train_end, validation_end)
    started = time.perf_counter()
    for _ in range(args.epochs):
        order = rng.permutation(train)
        for i in range(0, len(order), args.batch_size):
            x, t = batch(order[i:i + args.batch_size])
            opt.zero_grad()
            loss = loss_fn(forward(x), t)
            loss.backward()
            nn.utils.clip_grad_norm_(params, 5.0)
            opt.step()
        if validation:
            with torch.no_grad():
                x, t = batch(validation)
                loss_fn(forward(x), t).item()
    seconds = time.perf_counter() - started

    test = [o for o in range(validation_end, n - H + 1) if o >= first]
    with torch.no_grad():
        x, _ = batch(test)
        out = forward(x).numpy() * std + mean                                 # [B, H] changes (or levels)
    forecasts, seasonal, actual = [], [], []
    m = args.seasonality
    for b, o in enumerate(test):
        if d:
            series = list(y[:o])
            for h in range(H):
                series.append(out[b, h] + series[-d])
            forecasts += series[o:]
        else:
            forecasts += list(out[b])
        seasonal += [y[o + h - m * (h // m + 1)] for h in range(H)]
        actual += list(y[o:o + H])
    forecasts, seasonal, actual = map(np.array, (forecasts, seasonal, actual))
    train_part = y[:validation_end].astype(np.float64)
    scale = np.mean(np.abs(train_part[m:] - train_part[:-m]))
    result = {"train_seconds": seconds, "mase": float(np.mean(np.abs(forecasts - actual)) / scale),
              "seasonal_naive_mase": float(np.mean(np.abs(seasonal - actual)) / scale), "origins": len(test),
              "torch_version": torch.__version__, "threads": args.threads}
    print(json.dumps(result))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f)


if __name__ == "__main__":
    main()
