# Learning PyTorch with Examples: a custom autograd Function, P3(x) = 1/2 (5x^3 - 3x).
# compat: rtol=1e-3 atol=1e-4
import math

import numpy as np
import torch


class LegendrePolynomial3(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input ** 3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input ** 2 - 1)


dtype = torch.float
x = torch.linspace(-math.pi, math.pi, 2000, dtype=dtype)
y = torch.sin(x)

init = np.array([0.0, -1.0, 0.0, 0.3])
a, b, c, d = (torch.full((), v, dtype=dtype, requires_grad=True) for v in init)

learning_rate = 5e-6
for t in range(2000):
    P3 = LegendrePolynomial3.apply
    y_pred = a + b * P3(c + d * x)
    loss = (y_pred - y).pow(2).sum()
    if t % 500 == 99:
        print(t, loss.item())
    loss.backward()
    with torch.no_grad():
        for p in (a, b, c, d):
            p -= learning_rate * p.grad
            p.grad = None

print(f"Result: y = {a.item()} + {b.item()} * P3({c.item()} + {d.item()} x)")
print("grad check:", torch.autograd.gradcheck(
    LegendrePolynomial3.apply, (torch.tensor([0.3, -0.7], dtype=torch.double,
                                             requires_grad=True),)))
