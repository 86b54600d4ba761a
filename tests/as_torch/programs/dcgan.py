"""DCGAN in the shape of pytorch/examples' dcgan, at 16x16: ConvTranspose2d + BatchNorm2d
generator, Conv2d + LeakyReLU discriminator, BCELoss, Adam with betas (0.5, 0.999)."""

import argparse

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim

NZ, NGF, NDF, NC = 8, 8, 8, 3


def weights_init(m):
    classname = m.__class__.__name__
    if classname.find("Conv") != -1:
        torch.nn.init.normal_(m.weight, 0.0, 0.02)
    elif classname.find("BatchNorm") != -1:
        torch.nn.init.normal_(m.weight, 1.0, 0.02)
        torch.nn.init.zeros_(m.bias)


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(NZ, NGF * 4, 4, 1, 0, bias=False),  # 4x4
            nn.BatchNorm2d(NGF * 4),
            nn.ReLU(True),
            nn.ConvTranspose2d(NGF * 4, NGF * 2, 4, 2, 1, bias=False),  # 8x8
            nn.BatchNorm2d(NGF * 2),
            nn.ReLU(True),
            nn.ConvTranspose2d(NGF * 2, NC, 4, 2, 1, bias=False),  # 16x16
            nn.Tanh(),
        )

    def forward(self, input):
        return self.main(input)


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(NC, NDF, 4, 2, 1, bias=False),  # 8x8
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(NDF, NDF * 2, 4, 2, 1, bias=False),  # 4x4
            nn.BatchNorm2d(NDF * 2),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(NDF * 2, 1, 4, 1, 0, bias=False),  # 1x1
            nn.Sigmoid(),
        )

    def forward(self, input):
        output = self.main(input)
        return output.view(-1, 1).squeeze(1)


def make():
    rng = np.random.default_rng(3)
    netG, netD = Generator(), Discriminator()
    netG.apply(weights_init)
    netD.apply(weights_init)
    data = {
        "real": torch.from_numpy(rng.uniform(-1, 1, (4, NC, 16, 16)).astype(np.float32)),
        "noise": torch.from_numpy(rng.standard_normal((3, 4, NZ, 1, 1)).astype(np.float32)),
    }
    return {"G": netG, "D": netD}, data


def train(models, data, steps, device="cpu"):
    netG, netD = models["G"], models["D"]
    criterion = nn.BCELoss()
    real_label, fake_label = 1, 0
    optimizerD = optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optimizerG = optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
    history = []
    for i in range(steps):
        # (1) Update D network: maximize log(D(x)) + log(1 - D(G(z)))
        netD.zero_grad()
        real_cpu = data["real"].to(device)
        batch_size = real_cpu.size(0)
        label = torch.full((batch_size,), real_label, dtype=real_cpu.dtype, device=device)
        output = netD(real_cpu)
        errD_real = criterion(output, label)
        errD_real.backward()
        D_x = output.mean().item()
        noise = data["noise"][i % len(data["noise"])]
        fake = netG(noise)
        label.fill_(fake_label)
        output = netD(fake.detach())
        errD_fake = criterion(output, label)
        errD_fake.backward()
        D_G_z1 = output.mean().item()
        errD = errD_real + errD_fake
        optimizerD.step()
        # (2) Update G network: maximize log(D(G(z)))
        netG.zero_grad()
        label.fill_(real_label)
        output = netD(fake)
        errG = criterion(output, label)
        errG.backward()
        D_G_z2 = output.mean().item()
        optimizerG.step()
        history.append([errD.item(), errG.item(), D_x, D_G_z1, D_G_z2])
    out = {"history": history, "fake": fake}
    for name, net in models.items():
        out.update({f"{name}.grad.{n}": p.grad for n, p in net.named_parameters()})
        out.update({f"{name}.state.{k}": v for k, v in net.state_dict().items()})
    netG.eval()
    with torch.no_grad():
        out["eval_fake"] = netG(data["noise"][0])
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="DCGAN on random 16x16 images")
    parser.add_argument("--niter", type=int, default=3)
    args = parser.parse_args()
    torch.manual_seed(999)
    models, data = make()
    out = train(models, data, args.niter)
    for i, (d, g, dx, dgz1, dgz2) in enumerate(out["history"]):
        print(f"[{i}] Loss_D: {d:.4f} Loss_G: {g:.4f} D(x): {dx:.4f} D(G(z)): {dgz1:.4f}", end="")
        print(f" / {dgz2:.4f}")
