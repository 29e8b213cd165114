# Learning PyTorch with Examples: the fit with nn.Sequential, then with optim.RMSprop.
# compat: rtol=2e-3 atol=2e-3
# (RMSprop at lr 1e-3 ends with the coefficients whose optimum is 0 oscillating within about
# +-lr, so float32 rounding, even torch's own with another thread count, moves them by ~1e-3)
import math

import numpy as np
import torch

x = torch.linspace(-math.pi, math.pi, 2000)
y = torch.sin(x)
p = torch.tensor([1, 2, 3])
xx = x.unsqueeze(-1).pow(p)
print("features:", xx.shape, xx.dtype)


def make_model(seed):
    model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        model[0].weight.copy_(torch.from_numpy(rng.uniform(-0.5, 0.5, (1, 3)).astype(np.float32)))
        model[0].bias.fill_(0.1)
    return model


model = make_model(0)
loss_fn = torch.nn.MSELoss(reduction="sum")
learning_rate = 1e-6
for t in range(2000):
    y_pred = model(xx)
    loss = loss_fn(y_pred, y)
    if t % 500 == 99:
        print(t, loss.item())
    model.zero_grad()
    loss.backward()
    with torch.no_grad():
        for param in model.parameters():
            param -= learning_rate * param.grad

linear_layer = model[0]
print(f"nn: y = {linear_layer.bias.item()} + {linear_layer.weight[:, 0].item()} x + "
      f"{linear_layer.weight[:, 1].item()} x^2 + {linear_layer.weight[:, 2].item()} x^3")

model = make_model(1)
optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3)
for t in range(2000):
    loss = loss_fn(model(xx), y)
    if t % 500 == 99:
        print(t, loss.item())
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print("optim:", [round(v, 4) for v in model[0].weight.flatten().tolist()], model[0].bias.item())
print(model)
