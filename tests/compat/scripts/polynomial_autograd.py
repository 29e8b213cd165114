# Learning PyTorch with Examples: the same fit with autograd.
# compat: rtol=1e-3 atol=1e-4
import math

import numpy as np
import torch

dtype = torch.float
device = "cpu"
torch.set_default_device(device)

x = torch.linspace(-math.pi, math.pi, 2000, dtype=dtype)
y = torch.sin(x)

rng = np.random.default_rng(1)
a, b, c, d = (torch.tensor(v, dtype=dtype, requires_grad=True) for v in rng.standard_normal(4))

learning_rate = 1e-6
for t in range(2000):
    y_pred = a + b * x + c * x ** 2 + d * x ** 3
    loss = (y_pred - y).pow(2).sum()
    if t % 500 == 99:
        print(t, loss.item())
    loss.backward()
    with torch.no_grad():
        a -= learning_rate * a.grad
        b -= learning_rate * b.grad
        c -= learning_rate * c.grad
        d -= learning_rate * d.grad
        a.grad = None
        b.grad = None
        c.grad = None
        d.grad = None

print(f"Result: y = {a.item()} + {b.item()} x + {c.item()} x^2 + {d.item()} x^3")
print("leaf:", a.is_leaf, a.requires_grad, loss.requires_grad, loss.grad_fn.name())
