#!/usr/bin/env python3
"""The classic PyTorch RNN tutorial, as a whole program: the reference `charrnn train` is
compared with (the `seed` row of the README's performance section).

One-hot characters of the three padded sentences, ``nn.RNN(17, 12, 1, batch_first=True)``
+ ``nn.Linear(12, 17)``, ``CrossEntropyLoss``, Adam (lr 0.01), 100 full-batch epochs with
the loss printed every 10, then ``good`` completed greedily to 15 characters, as
``charrnn train`` does with no arguments. Timing the whole process (interpreter start,
``import torch``, training, prediction) is the comparison:

    time ~/.venvs/torch/bin/python scripts/tutorial_pytorch.py
    time .build/release/charrnn train

``--threads N`` sets ``torch.set_num_threads`` (default: PyTorch's choice).
"""

import argparse
import sys

SENTENCES = ["hey how are you", "good i am fine", "have a nice day"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, help="torch.set_num_threads (default: PyTorch's choice)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    try:
        import torch
        from torch import nn
    except ImportError:
        print("PyTorch is not installed for " + sys.executable + "; use ~/.venvs/torch/bin/python "
              "(python3 -m venv ~/.venvs/torch && ~/.venvs/torch/bin/pip install torch)", file=sys.stderr)
        return 2
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    chars = sorted(set("".join(SENTENCES)))
    index = {c: i for i, c in enumerate(chars)}
    width = max(len(s) for s in SENTENCES)
    text = [s.ljust(width) for s in SENTENCES]
    V = len(chars)
    inputs = torch.zeros(len(text), width - 1, V)
    for b, s in enumerate(text):
        for t, c in enumerate(s[:-1]):
            inputs[b, t, index[c]] = 1
    targets = torch.tensor([[index[c] for c in s[1:]] for s in text])

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.RNN(V, 12, 1, batch_first=True)
            self.fc = nn.Linear(12, V)

        def forward(self, x):
            out, hidden = self.rnn(x)
            return self.fc(out.contiguous().view(-1, 12)), hidden

    model = Model()
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    for epoch in range(1, 101):
        optimizer.zero_grad()
        output, _ = model(inputs)
        loss = criterion(output, targets.view(-1))
        loss.backward()
        optimizer.step()
        if epoch % 10 == 0:
            print(f"Epoch: {epoch}/100............. Loss: {loss.item():.4f}")

    def predict(start, size=15):
        model.eval()
        out = start
        with torch.no_grad():
            while len(out) < size:
                x = torch.zeros(1, len(out), V)
                for t, c in enumerate(out):
                    x[0, t, index[c]] = 1
                logits, _ = model(x)
                out += chars[int(logits[-1].argmax())]
        return out

    print(repr(predict("good")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
