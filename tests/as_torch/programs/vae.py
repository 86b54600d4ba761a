"""The VAE of pytorch/examples' vae: 784-400-20 encoder, reparameterisation, binary
cross-entropy reconstruction plus the KL divergence, Adam."""

import argparse

import numpy as np
import torch
from torch import nn, optim
from torch.nn import functional as F


class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 400)
        self.fc21 = nn.Linear(400, 20)
        self.fc22 = nn.Linear(400, 20)
        self.fc3 = nn.Linear(20, 400)
        self.fc4 = nn.Linear(400, 784)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar, eps=None):
        std = torch.exp(0.5 * logvar)
        if eps is None:
            eps = torch.randn_like(std)
        return mu + eps * std

    def decode(self, z):
        h3 = F.relu(self.fc3(z))
        return torch.sigmoid(self.fc4(h3))

    def forward(self, x, eps=None):
        mu, logvar = self.encode(x.view(-1, 784))
        z = self.reparameterize(mu, logvar, eps)
        return self.decode(z), mu, logvar


# Reconstruction + KL divergence losses summed over all elements and batch
def loss_function(recon_x, x, mu, logvar):
    BCE = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction="sum")
    # 0.5 * sum(1 + log(sigma^2) - mu^2 - sigma^2)
    KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return BCE + KLD


def make():
    # Adam's first step is lr * sign(grad): a weight whose gradient cancels to ~1e-8 can step
    # either way in two correct float32 runs. This seed's data has no such weight.
    rng = np.random.default_rng(6)
    data = {
        "x": torch.from_numpy(rng.random((6, 1, 28, 28)).astype(np.float32)),
        "eps": torch.from_numpy(rng.standard_normal((3, 6, 20)).astype(np.float32)),
    }
    return {"vae": VAE()}, data


def train(models, data, steps):
    model = models["vae"]
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    losses = []
    for i in range(steps):
        optimizer.zero_grad()
        recon_batch, mu, logvar = model(data["x"], data["eps"][i % len(data["eps"])])
        loss = loss_function(recon_batch, data["x"], mu, logvar)
        loss.backward()
        losses.append(loss.item())
        optimizer.step()
    out = {"loss": losses, "recon": recon_batch, "mu": mu, "logvar": logvar}
    out.update({f"grad.{n}": p.grad for n, p in model.named_parameters()})
    out.update({f"param.{n}": p for n, p in model.named_parameters()})
    model.eval()
    with torch.no_grad():
        sample = model.decode(data["eps"][0])
    out["sample"] = sample.view(6, 1, 28, 28)
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="VAE on random images")
    parser.add_argument("--steps", type=int, default=5)
    args = parser.parse_args()
    torch.manual_seed(1)
    models, data = make()
    out = train(models, data, args.steps)
    print("losses:", [round(v / 6, 2) for v in out["loss"]])
    with torch.no_grad():
        print("sampled", tuple(models["vae"].decode(torch.randn(4, 20)).shape))
