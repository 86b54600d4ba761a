"""The CNN of pytorch/examples' mnist, on MNIST-shaped random images: Adadelta, StepLR,
torch.accelerator device selection, and the saved state_dict."""

import argparse
import os
import tempfile

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.optim.lr_scheduler import StepLR
from torch.utils.data import DataLoader, TensorDataset


class Net(nn.Module):
    def __init__(self, p1=0.25, p2=0.5):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(p1)
        self.dropout2 = nn.Dropout(p2)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.dropout2(x)
        x = self.fc2(x)
        return F.log_softmax(x, dim=1)


def train_epoch(model, device, train_loader, optimizer, losses):
    model.train()
    for data, target in train_loader:
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())


def test(model, device, test_loader):
    model.eval()
    test_loss = 0
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction="sum").item()
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()
    return test_loss / len(test_loader.dataset), correct


def pick_device(no_accel=False):
    use_accel = not no_accel and torch.accelerator.is_available()
    return torch.accelerator.current_accelerator() if use_accel else torch.device("cpu")


def make(p1=0.0, p2=0.0, n=8):
    rng = np.random.default_rng(2)
    images = ((rng.random((n, 1, 28, 28)) - 0.1307) / 0.3081).astype(np.float32)
    labels = rng.integers(0, 10, n)
    dataset = TensorDataset(torch.from_numpy(images), torch.from_numpy(labels))
    return {"net": Net(p1, p2)}, {"dataset": dataset}


def train(models, data, steps, save_to=None):
    device = pick_device(no_accel=True)  # the comparison runs on the CPU in both
    model = models["net"].to(device)
    loader = DataLoader(data["dataset"], batch_size=4, shuffle=False)
    optimizer = optim.Adadelta(model.parameters(), lr=1.0)
    scheduler = StepLR(optimizer, step_size=1, gamma=0.7)
    losses, lrs = [], []
    for _ in range(steps):  # epochs of two batches
        train_epoch(model, device, loader, optimizer, losses)
        lrs.append(scheduler.get_last_lr()[0])
        scheduler.step()
    test_loss, correct = test(model, device, loader)
    out = {"loss": losses, "lr": lrs, "test_loss": test_loss, "correct": correct}
    out.update({f"grad.{n}": p.grad for n, p in model.named_parameters()})
    out.update({f"param.{n}": p for n, p in model.named_parameters()})
    path = save_to or os.path.join(tempfile.mkdtemp(), "mnist_cnn.pt")
    torch.save(model.state_dict(), path)
    reloaded = Net()
    reloaded.load_state_dict(torch.load(path))
    reloaded.eval()
    out["reloaded"] = reloaded(data["dataset"][:2][0])
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="PyTorch MNIST Example (random images)")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--no-accel", action="store_true")
    parser.add_argument("--save-model", action="store_true")
    args = parser.parse_args()
    torch.manual_seed(1)
    print("device:", pick_device(args.no_accel))
    models, data = make(0.25, 0.5)
    out = train(models, data, args.epochs, save_to="mnist_cnn.pt" if args.save_model else None)
    print(f"Test set: Average loss: {out['test_loss']:.4f}, Accuracy: {out['correct']}/8")
