# The official MNIST example (pytorch/examples): its Net, Adadelta and StepLR, its train and
# test loops, on synthetic 28x28 digits. Dropout draws differ, so after the first step only
# the shape of the run is compared.
# compat: rtol=1e-4 atol=1e-5
import argparse

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.optim.lr_scheduler import StepLR


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
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
        output = F.log_softmax(x, dim=1)
        return output


def train(args, model, device, train_loader, optimizer, epoch):
    model.train()
    losses = []
    for batch_idx, (data, target) in enumerate(train_loader):
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


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
    test_loss /= len(test_loader.dataset)
    return test_loss, correct


def main():
    parser = argparse.ArgumentParser(description="PyTorch MNIST Example")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=1.0)
    parser.add_argument("--gamma", type=float, default=0.7)
    parser.add_argument("--no-accel", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    use_accel = not args.no_accel and torch.accelerator.is_available()
    torch.manual_seed(args.seed)
    device = torch.accelerator.current_accelerator() if use_accel else torch.device("cpu")

    rng = np.random.default_rng(args.seed)
    strokes = rng.standard_normal((10, 1, 28, 28)).astype(np.float32)
    labels = rng.integers(0, 10, 96)
    images = strokes[labels] + 0.5 * rng.standard_normal((96, 1, 28, 28)).astype(np.float32)
    images = (images - 0.1307) / 0.3081
    dataset = torch.utils.data.TensorDataset(torch.from_numpy(images), torch.from_numpy(labels))
    train_set, test_set = torch.utils.data.Subset(dataset, range(64)), \
        torch.utils.data.Subset(dataset, range(64, 96))
    train_kwargs = {"batch_size": args.batch_size}
    test_kwargs = {"batch_size": 32}
    if use_accel:
        accel_kwargs = {"num_workers": 1, "persistent_workers": True, "pin_memory": True,
                        "shuffle": True}
        train_kwargs.update(accel_kwargs)
    train_loader = torch.utils.data.DataLoader(train_set, **train_kwargs)
    test_loader = torch.utils.data.DataLoader(test_set, **test_kwargs)

    model = Net().to(device)
    with torch.no_grad():
        for p in model.parameters():
            bound = 1 / np.sqrt(np.prod(p.shape[1:])) if p.dim() > 1 else 0.01
            p.copy_(torch.from_numpy(rng.uniform(-bound, bound, p.shape).astype(np.float32)))
    print("initial test loss:", test(model, device, test_loader))
    optimizer = optim.Adadelta(model.parameters(), lr=args.lr)
    scheduler = StepLR(optimizer, step_size=1, gamma=args.gamma)
    first = None
    for epoch in range(1, args.epochs + 1):
        losses = train(args, model, device, train_loader, optimizer, epoch)
        first = losses[0] if first is None else first
        scheduler.step()
        print("epoch", epoch, "lr", scheduler.get_last_lr())
    test_loss, correct = test(model, device, test_loader)
    print("learned:", losses[-1] < first / 2, correct > 8)
    torch.save(model.state_dict(), "mnist_cnn.pt")


if __name__ == "__main__":
    main()
