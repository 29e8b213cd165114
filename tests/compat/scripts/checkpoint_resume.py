# Saving and loading a general checkpoint (the PyTorch recipe): stop, resume, and reach what
# an uninterrupted run reaches.
# compat: rtol=1e-4 atol=1e-6
import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim

rng = np.random.default_rng(7)
inputs = torch.from_numpy(rng.standard_normal((48, 5)).astype(np.float32))
targets = torch.from_numpy(rng.standard_normal((48, 1)).astype(np.float32))
initial = [rng.uniform(-0.4, 0.4, shape).astype(np.float32) for shape in
           ((16, 5), (16,), (1, 16), (1,))]


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(5, 16)
        self.fc2 = nn.Linear(16, 1)

    def forward(self, x):
        return self.fc2(torch.tanh(self.fc1(x)))


def fresh():
    net = Net()
    with torch.no_grad():
        for p, value in zip(net.parameters(), initial):
            p.copy_(torch.from_numpy(value))
    optimizer = optim.Adam(net.parameters(), lr=0.01, betas=(0.9, 0.99), weight_decay=1e-4)
    scheduler = optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.95)
    return net, optimizer, scheduler


def train(net, optimizer, scheduler, epochs):
    loss = None
    for epoch in epochs:
        for i in range(0, 48, 12):
            optimizer.zero_grad()
            loss = nn.functional.mse_loss(net(inputs[i:i + 12]), targets[i:i + 12])
            loss.backward()
            optimizer.step()
        scheduler.step()
    return loss


net, optimizer, scheduler = fresh()
straight = train(net, optimizer, scheduler, range(10))
print("uninterrupted:", straight.item(), net.fc2.bias.item())

net, optimizer, scheduler = fresh()
loss = train(net, optimizer, scheduler, range(5))
torch.save({"epoch": 5, "model_state_dict": net.state_dict(),
            "optimizer_state_dict": optimizer.state_dict(),
            "scheduler_state_dict": scheduler.state_dict(), "loss": loss}, "checkpoint.tar")

net, optimizer, scheduler = fresh()
checkpoint = torch.load("checkpoint.tar", weights_only=True)
net.load_state_dict(checkpoint["model_state_dict"])
optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
scheduler.load_state_dict(checkpoint["scheduler_state_dict"])
epoch, loss = checkpoint["epoch"], checkpoint["loss"]
print("loaded epoch", epoch, "loss", loss.item(), "lr", optimizer.param_groups[0]["lr"])
net.train()
resumed = train(net, optimizer, scheduler, range(epoch, 10))
print("resumed:", resumed.item(), net.fc2.bias.item())
print("state keys:", list(net.state_dict().keys()))
print("optimizer state:", sorted(optimizer.state_dict()["state"][0].keys()),
      optimizer.state_dict()["param_groups"][0]["params"])
