"""GPT training step: a 2-layer decoder-only transformer LM, forward + backward + AdamW, float32.

vocab 65, context 64, batch 16, d_model 128, 4 heads, MLP 4x with tanh-GELU, pre-norm blocks,
causal attention written with matmuls (q kᵀ, a masked_fill, softmax, times v), token and
position embeddings, cross-entropy over every position. The model is one class written once
for both libraries (``build(lib)``), so PyTorch's initial weights copy into tensorgrad through
``load_state_dict``; one iteration is what training does: zero_grad, forward, loss, backward
and an AdamW step (lr 3e-4, weight decay 0.1).

Matmuls are a minority of the time here: the elementwise tails (softmax, LayerNorm, GELU,
masking, the optimizer update) and per-op overhead decide the ratio. Target: PyTorch's speed.
"""

import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness

VOCAB, CONTEXT, BATCH, LAYERS, D_MODEL, HEADS = 65, 64, 16, 2, 128, 4
LR = 3e-4


def build(lib, vocab=VOCAB, context=CONTEXT, layers=LAYERS, d_model=D_MODEL, heads=HEADS):
    """The model class in ``lib`` (tensorgrad or torch): the same code, the same names."""
    nn, F = lib.nn, lib.nn.functional

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1 = nn.LayerNorm(d_model)
            self.c_attn = nn.Linear(d_model, 3 * d_model)
            self.c_proj = nn.Linear(d_model, d_model)
            self.ln_2 = nn.LayerNorm(d_model)
            self.c_fc = nn.Linear(d_model, 4 * d_model)
            self.mlp_proj = nn.Linear(4 * d_model, d_model)

        def forward(self, x, future):
            B, T, C = x.shape
            hd = C // heads
            q, k, v = self.c_attn(self.ln_1(x)).split(C, dim=2)
            q = q.reshape(B, T, heads, hd).transpose(1, 2)  # (B, heads, T, hd)
            k = k.reshape(B, T, heads, hd).transpose(1, 2)
            v = v.reshape(B, T, heads, hd).transpose(1, 2)
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hd))
            att = att.masked_fill(future, float("-inf"))
            att = F.softmax(att, dim=-1)
            y = (att @ v).transpose(1, 2).reshape(B, T, C)
            x = x + self.c_proj(y)
            h = F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh")
            return x + self.mlp_proj(h)

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.wte = nn.Embedding(vocab, d_model)
            self.wpe = nn.Embedding(context, d_model)
            self.blocks = nn.ModuleList([Block() for _ in range(layers)])
            self.ln_f = nn.LayerNorm(d_model)
            self.lm_head = nn.Linear(d_model, vocab, bias=False)

        def forward(self, idx, pos, future, targets):
            x = self.wte(idx) + self.wpe(pos)
            for block in self.blocks:
                x = block(x, future)
            logits = self.lm_head(self.ln_f(x))
            # .float(): under autocast the logits are float16; the loss is taken in float32
            return F.cross_entropy(logits.reshape(-1, vocab).float(), targets.reshape(-1))

    return GPT


def _data():
    rng = np.random.default_rng(0)
    idx = rng.integers(0, VOCAB, (BATCH, CONTEXT)).astype(np.int64)
    targets = rng.integers(0, VOCAB, (BATCH, CONTEXT)).astype(np.int64)
    future = np.triu(np.ones((CONTEXT, CONTEXT), dtype=bool), 1)  # True: may not attend
    return idx, np.arange(CONTEXT, dtype=np.int64), future, targets


def _torch_weights() -> dict:
    import torch

    torch.manual_seed(0)
    model = build(torch)()
    return {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}


def setup_tg(compile_model: bool = False):
    """The step; ``compile_model``: with ``tg.compile(model)`` (bench_compile.py)."""
    import tensorgrad as tg

    model = build(tg)()
    model.load_state_dict(_torch_weights())
    if compile_model:
        tg.compile(model)
    inputs = [tg.tensor(a) for a in _data()]
    opt = tg.optim.AdamW(model.parameters(), lr=LR, weight_decay=0.1)

    def step():
        opt.zero_grad()
        model(*inputs).backward()
        opt.step()

    def check():  # the loss after one step from the shared initial weights
        step()
        with tg.no_grad():
            return float(model(*inputs).item())

    return step, check


def setup_torch():
    import torch

    torch.manual_seed(0)
    model = build(torch)()
    inputs = [torch.from_numpy(a) for a in _data()]
    opt = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=0.1)

    def step():
        opt.zero_grad()
        model(*inputs).backward()
        opt.step()

    def check():
        step()
        with torch.no_grad():
            return float(model(*inputs))

    return step, check


BENCH = _harness.Benchmark(
    name="gpt",
    description=__doc__.splitlines()[0],
    script=__file__,
    setup_tg=setup_tg,
    setup_torch=setup_torch,
    target=1.0,
    full=_harness.Settings(iters=5, warmup=10, repeats=3, rounds=15),
    quick=_harness.Settings(iters=2, warmup=1, repeats=2, rounds=2),
)

if __name__ == "__main__":
    sys.exit(_harness.main(BENCH))
