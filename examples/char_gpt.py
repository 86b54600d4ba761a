"""A small character-level GPT trained on the Python standard library's own source code.

The corpus is the concatenated source of a few stdlib modules (read from the directory of
``os.__file__``), so it is available offline on every machine. The script prints the corpus's
unigram entropy ``H = -sum_c p(c) log p(c)`` in nats: the validation loss of the best model that
ignores context. A model that learns anything about the context gets well below it.

Architecture (GPT-2 style, pre-LayerNorm): token + position embeddings, ``--layers`` blocks of
causal multi-head self-attention (``F.scaled_dot_product_attention(..., is_causal=True)``) and a
GELU MLP, each in a residual branch, a final LayerNorm and a linear head over the vocabulary.

    python examples/char_gpt.py               # 2.3 min on a 2-core AMD EPYC, ~5 on slower
    python examples/char_gpt.py --tiny        # a few steps, for CI
    python examples/char_gpt.py --device cuda # on the GPU (needs CuPy)
"""

from __future__ import annotations

import argparse
import math
import os
import time
from collections import Counter

import tensorgrad as tg
import tensorgrad.nn.functional as F
from tensorgrad import nn
from tensorgrad.data import DataLoader, Subset
from tensorgrad.datasets import CharDataset

#: stdlib modules whose source forms the corpus (those missing on a machine are skipped).
MODULES = (
    "textwrap.py",
    "shlex.py",
    "fnmatch.py",
    "bisect.py",
    "heapq.py",
    "glob.py",
    "queue.py",
    "contextlib.py",
    "functools.py",
    "string.py",
    "tokenize.py",
    "argparse.py",
    "configparser.py",
    "pathlib.py",
    "dataclasses.py",
)


def stdlib_corpus(max_chars: int | None = None) -> str:
    """The concatenated source of :data:`MODULES` from the running Python's standard library."""
    root = os.path.dirname(os.__file__)
    parts = []
    for name in MODULES:
        path = os.path.join(root, name)
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as f:
                parts.append(f.read())
    if not parts:
        raise FileNotFoundError(f"char_gpt: none of {MODULES} found under {root!r}")
    text = "\n".join(parts)
    return text[:max_chars] if max_chars else text


def unigram_entropy(text: str) -> float:
    """``-sum_c p(c) log p(c)`` over the characters of ``text``, in nats."""
    n = len(text)
    return -sum(k / n * math.log(k / n) for k in Counter(text).values())


class Block(nn.Module):
    """x + attn(ln1(x)), then x + mlp(ln2(x)): causal self-attention over (B, T, C)."""

    def __init__(self, dim: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.ln2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(
            nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim), nn.Dropout(dropout)
        )
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(c, dim=2)
        # (B, T, C) -> (B, heads, T, C // heads)
        q, k, v = (z.reshape(b, t, self.heads, c // self.heads).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.drop(self.proj(y.transpose(1, 2).reshape(b, t, c)))
        return x + self.mlp(self.ln2(x))


class GPT(nn.Module):
    """Token ids (B, T) -> next-token logits (B, T, vocab_size), T <= block_size."""

    def __init__(self, vocab_size, block_size, dim=64, heads=4, layers=2, dropout=0.0) -> None:
        super().__init__()
        self.block_size = block_size
        self.tok = nn.Embedding(vocab_size, dim)
        self.pos = nn.Embedding(block_size, dim)
        self.blocks = nn.Sequential(*[Block(dim, heads, dropout) for _ in range(layers)])
        self.ln = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, vocab_size)

    def forward(self, idx):
        t = idx.shape[1]
        if t > self.block_size:
            raise ValueError(f"GPT: sequence length {t} exceeds block_size {self.block_size}")
        x = self.tok(idx) + self.pos(tg.arange(t, device=idx.device))
        return self.head(self.ln(self.blocks(x)))


def lm_loss(logits, targets):
    """Mean next-character cross-entropy of logits (B, T, V) against targets (B, T)."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


@tg.no_grad()
def sample(model, dataset, prompt: str, length: int, temperature: float = 0.8) -> str:
    """Continue ``prompt`` by ``length`` characters, drawing each from softmax(logits / T)
    (greedy argmax when ``temperature == 0``) with tensorgrad's default generator."""
    model.eval()
    ids = [dataset.stoi[c] for c in prompt if c in dataset.stoi] or [0]
    for _ in range(length):
        context = tg.tensor([ids[-model.block_size :]], device=model.tok.weight.device)
        logits = model(context)[0, -1]
        if temperature == 0:
            ids.append(int(logits.argmax().item()))
            continue
        probs = F.softmax(logits / temperature, dim=-1)
        # inverse-CDF draw: the first index whose cumulative probability exceeds u
        u = tg.rand(()).item()
        ids.append(min(int((probs.cumsum(0) < u).sum().item()), len(probs) - 1))
    model.train()
    return dataset.decode(ids)


@tg.no_grad()
def estimate_loss(model, loader, batches: int) -> float:
    """Mean loss over the first ``batches`` batches of ``loader``, in eval mode."""
    model.eval()
    losses = []
    for i, (x, y) in enumerate(loader):
        if i == batches:
            break
        losses.append(lm_loss(model(x), y).item())
    model.train()
    return sum(losses) / len(losses)


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=1500, help="optimizer steps")
    p.add_argument("--eval-every", type=int, default=250)
    p.add_argument("--block-size", type=int, default=64)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--dim", type=int, default=64)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--tiny", action="store_true", help="a few steps on a small corpus (CI)")
    p.add_argument("--device", default="cpu", help="'cpu' or 'cuda' (needs CuPy and a GPU)")
    p.add_argument("--compile", action="store_true", help="replay each step (tg.compile)")
    p.add_argument(
        "--amp",
        action="store_true",
        help="mixed precision: autocast float16 + GradScaler (for the GPU: NumPy has no "
        "float16 BLAS, so on the CPU it is slow)",
    )
    return p.parse_args(argv)


def main(argv=None) -> dict:
    """Train, printing the unigram entropy, validation losses and samples; returns
    ``{'unigram_entropy', 'val_losses', 'sample'}``."""
    args = parse_args(argv)
    if args.tiny:
        args.steps, args.eval_every, args.block_size = 6, 3, 16
        args.dim, args.layers, args.batch_size = 16, 1, 8
    tg.manual_seed(args.seed)
    text = stdlib_corpus(20_000 if args.tiny else None)
    entropy = unigram_entropy(text)
    dataset = CharDataset(text, args.block_size)
    # windows starting before `split - block_size` train, those from `split` on validate: the
    # two sets never share a target character
    split = int(0.9 * len(text))
    train_set = Subset(dataset, range(split - args.block_size))
    val_set = Subset(dataset, range(split, len(dataset)))
    print(
        f"corpus: {len(text):,} characters of stdlib source, vocabulary {dataset.vocab_size}, "
        f"unigram entropy {entropy:.3f} nats"
    )

    device = args.device
    train_loader = DataLoader(
        train_set, batch_size=args.batch_size, shuffle=True, drop_last=True, device=device
    )
    val_loader = DataLoader(val_set, batch_size=64, shuffle=True, device=device)
    model = GPT(dataset.vocab_size, args.block_size, args.dim, args.heads, args.layers)
    model.to(device)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"model: {args.layers} layers, dim {args.dim}, {n_params:,} parameters")
    optimizer = tg.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    scheduler = tg.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.steps, eta_min=args.lr / 10)

    # --amp: matmuls in float16 under autocast, the loss scaled so that small float16
    # gradients do not flush to zero, unscaled before clipping; the weights stay float32
    scaler = tg.amp.GradScaler(device.split(":")[0], enabled=args.amp)

    def train_step(x, y):
        with tg.autocast(device_type=device.split(":")[0], dtype=tg.float16, enabled=args.amp):
            loss = lm_loss(model(x), y)
        optimizer.zero_grad()
        scaler.scale(loss).backward()
        scaler.unscale_(optimizer)
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        scaler.step(optimizer)
        scaler.update()
        scheduler.step()
        return loss

    if args.compile:  # recorded on its second call, replayed from the third (docs/compile.md)
        train_step = tg.compile(train_step)
    val_losses = []
    step, start = 0, time.perf_counter()
    while step < args.steps:
        for x, y in train_loader:
            loss = train_step(x, y)
            step += 1
            if step % args.eval_every == 0 or step == args.steps:
                val = estimate_loss(model, val_loader, 2 if args.tiny else 10)
                val_losses.append(val)
                print(
                    f"step {step:5d}/{args.steps}  train loss {loss.item():.3f}  "
                    f"val loss {val:.3f}  (unigram entropy {entropy:.3f})  "
                    f"{time.perf_counter() - start:.0f}s",
                    flush=True,
                )
            if step == args.steps:
                break

    text_out = sample(model, dataset, "def ", 40 if args.tiny else 300)
    print("sample (temperature 0.8):\n" + text_out)
    return {"unigram_entropy": entropy, "val_losses": val_losses, "sample": text_out}


if __name__ == "__main__":
    main()
