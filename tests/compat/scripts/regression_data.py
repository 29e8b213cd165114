# An old-style linear regression: Variables, updates through .data, grads zeroed by hand.
# compat: rtol=1e-4 atol=1e-6
import numpy as np
import torch
from torch.autograd import Variable

rng = np.random.default_rng(0)
x_train = rng.uniform(0, 10, (64, 1)).astype(np.float32)
y_train = (3.0 * x_train + 2.0 + rng.standard_normal((64, 1))).astype(np.float32)

x = Variable(torch.from_numpy(x_train))
y = Variable(torch.from_numpy(y_train))
w = Variable(torch.FloatTensor([[0.5]]), requires_grad=True)
b = Variable(torch.zeros(1), requires_grad=True)
print("types:", isinstance(x, Variable), x.type(), w.requires_grad, x.requires_grad)

learning_rate = 0.01
for epoch in range(500):
    y_pred = x.mm(w) + b
    loss = (y_pred - y).pow(2).mean()
    loss.backward()
    w.data -= learning_rate * w.grad.data
    b.data -= learning_rate * b.grad.data
    w.grad.data.zero_()
    b.grad.data.zero_()
    if epoch % 100 == 0:
        print(f"epoch {epoch}, loss {loss.data.item():.6f}")

print("w, b:", w.data[0][0].item(), b.data[0].item())
print("w.data is detached:", w.data.requires_grad, w.data.grad_fn, w.is_leaf)
prediction = x.mm(w).add(b).detach().numpy()
print("prediction:", prediction[:3, 0].tolist())
