"""Save a whole model (pickled by class), re-load it with weights_only=True inside
torch.serialization.safe_globals, and a checkpoint dict of state_dicts."""

import argparse
import os
import tempfile

import numpy as np
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Linear(16, 16))
        self.norm = nn.LayerNorm(16)
        self.head = nn.Linear(16, 3)

    def forward(self, x):
        return self.head(self.norm(self.body(x)).relu())


SAFE = [Net, nn.Sequential, nn.Linear, nn.ReLU, nn.LayerNorm]


def make():
    rng = np.random.default_rng(5)
    data = {
        "x": torch.from_numpy(rng.standard_normal((7, 5)).astype(np.float32)),
        "y": torch.from_numpy(rng.integers(0, 3, 7)),
    }
    return {"net": Net()}, data


def train(models, data, steps, folder=None):
    model = models["net"]
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for _ in range(steps):
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(data["x"]), data["y"])
        loss.backward()
        optimizer.step()
    folder = folder or tempfile.mkdtemp()
    whole = os.path.join(folder, "model.pt")
    torch.save(model, whole)
    with torch.serialization.safe_globals(SAFE):
        loaded = torch.load(whole)  # weights_only=True, PyTorch's default
    assert type(loaded) is Net and loaded is not model
    ckpt = os.path.join(folder, "ckpt.pt")
    torch.save(
        {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": steps}, ckpt
    )
    state = torch.load(ckpt, weights_only=True)
    fresh = Net()
    fresh.load_state_dict(state["model"])
    optimizer2 = torch.optim.SGD(fresh.parameters(), lr=0.1, momentum=0.9)
    optimizer2.load_state_dict(state["optimizer"])
    out = {
        "out": model(data["x"]),
        "loaded_out": loaded(data["x"]),
        "fresh_out": fresh(data["x"]),
        "epoch": state["epoch"],
    }
    out.update({f"param.{n}": p for n, p in loaded.named_parameters()})
    # one more step from the re-loaded optimizer matches one more step from the original
    for net, opt in ((model, optimizer), (fresh, optimizer2)):
        opt.zero_grad()
        nn.functional.cross_entropy(net(data["x"]), data["y"]).backward()
        opt.step()
    out["after"], out["fresh_after"] = model(data["x"]), fresh(data["x"])
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="save and re-load a whole model")
    parser.add_argument("--steps", type=int, default=3)
    args = parser.parse_args()
    torch.manual_seed(0)
    models, data = make()
    out = train(models, data, args.steps)
    print("re-loaded model agrees:", torch.allclose(out["out"], out["loaded_out"]))
