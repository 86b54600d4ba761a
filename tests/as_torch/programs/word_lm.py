"""A word-level LSTM language model in the shape of pytorch/examples' word_language_model:
batchify, truncated BPTT with repackage_hidden, gradient clipping and the hand-written SGD step
``p.data.add_(p.grad, alpha=-lr)``."""

import argparse
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

NTOKENS = 23


class RNNModel(nn.Module):
    """Container module with an encoder, a recurrent module, and a decoder."""

    def __init__(self, rnn_type, ntoken, ninp, nhid, nlayers, dropout=0.5, tie_weights=False):
        super().__init__()
        self.ntoken = ntoken
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = getattr(nn, rnn_type)(ninp, nhid, nlayers, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        if tie_weights:
            if nhid != ninp:
                raise ValueError("When using the tied flag, nhid must be equal to emsize")
            self.decoder.weight = self.encoder.weight
        self.init_weights()
        self.rnn_type = rnn_type
        self.nhid = nhid
        self.nlayers = nlayers

    def init_weights(self):
        initrange = 0.1
        nn.init.uniform_(self.encoder.weight, -initrange, initrange)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -initrange, initrange)

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        decoded = self.decoder(output)
        decoded = decoded.view(-1, self.ntoken)
        return F.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        if self.rnn_type == "LSTM":
            return (
                weight.new_zeros(self.nlayers, bsz, self.nhid),
                weight.new_zeros(self.nlayers, bsz, self.nhid),
            )
        return weight.new_zeros(self.nlayers, bsz, self.nhid)


def batchify(data, bsz):
    nbatch = data.size(0) // bsz
    data = data.narrow(0, 0, nbatch * bsz)
    return data.view(bsz, -1).t().contiguous()


def get_batch(source, i, bptt):
    seq_len = min(bptt, len(source) - 1 - i)
    data = source[i : i + seq_len]
    target = source[i + 1 : i + 1 + seq_len].view(-1)
    return data, target


def repackage_hidden(h):
    """Wraps hidden states in new Tensors, to detach them from their history."""
    if isinstance(h, torch.Tensor):
        return h.detach()
    return tuple(repackage_hidden(v) for v in h)


def evaluate(model, data_source, bsz, bptt, criterion):
    model.eval()
    total_loss = 0.0
    hidden = model.init_hidden(bsz)
    with torch.no_grad():
        for i in range(0, data_source.size(0) - 1, bptt):
            data, targets = get_batch(data_source, i, bptt)
            output, hidden = model(data, hidden)
            hidden = repackage_hidden(hidden)
            total_loss += len(data) * criterion(output, targets).item()
    return total_loss / (len(data_source) - 1)


def make(dropout=0.0):
    rng = np.random.default_rng(1)
    corpus = torch.from_numpy(rng.integers(0, NTOKENS, 3 * 4 * 5 + 1))
    models = {"lm": RNNModel("LSTM", NTOKENS, 12, 12, 2, dropout=dropout, tie_weights=True)}
    return models, {"train": batchify(corpus, 4), "val": batchify(corpus[:25], 2)}


def train(models, data, steps, lr=20.0, clip=0.25, bptt=5):
    model = models["lm"]
    criterion = nn.NLLLoss()
    model.train()
    hidden = model.init_hidden(4)
    losses, norms = [], []
    train_data = data["train"]
    for batch, i in enumerate(range(0, train_data.size(0) - 1, bptt)):
        if batch == steps:
            break
        inputs, targets = get_batch(train_data, i, bptt)
        model.zero_grad()
        hidden = repackage_hidden(hidden)
        output, hidden = model(inputs, hidden)
        loss = criterion(output, targets)
        loss.backward()
        norms.append(torch.nn.utils.clip_grad_norm_(model.parameters(), clip).item())
        for p in model.parameters():
            p.data.add_(p.grad, alpha=-lr)
        losses.append(loss.item())
    out = {"loss": losses, "norm": norms, "output": output, "h": hidden[0], "c": hidden[1]}
    out.update({f"grad.{n}": p.grad for n, p in model.named_parameters()})
    out.update({f"param.{n}": p for n, p in model.named_parameters()})
    val_loss = evaluate(model, data["val"], 2, bptt, criterion)
    out["val_loss"], out["val_ppl"] = val_loss, math.exp(val_loss)
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="LSTM language model on random words")
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--dropout", type=float, default=0.2)
    args = parser.parse_args()
    torch.manual_seed(1111)
    models, data = make(args.dropout)
    out = train(models, data, args.steps)
    print(f"| end of training | valid loss {out['val_loss']:5.2f} | ppl {out['val_ppl']:8.2f}")
