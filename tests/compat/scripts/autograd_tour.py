# The autograd tutorial and its usual extras: grad of grad, retain_graph, vector-Jacobian
# products, retain_grad, detach, jacobian and hessian.
# compat: rtol=1e-5 atol=1e-6
import torch

x = torch.ones(5)
y = torch.zeros(3)
w = torch.linspace(-1, 1, 15).reshape(5, 3).requires_grad_()
b = torch.tensor([0.1, -0.2, 0.3], requires_grad=True)
z = torch.matmul(x, w) + b
loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
print(f"Gradient function for loss = {loss.grad_fn}".split(" object")[0])
loss.backward()
print(w.grad[0].tolist(), b.grad.tolist())

z = torch.matmul(x, w) + b
print(z.requires_grad)
with torch.no_grad():
    z = torch.matmul(x, w) + b
print(z.requires_grad)
z_det = (torch.matmul(x, w) + b).detach()
print(z_det.requires_grad)

inp = torch.eye(4, 5, requires_grad=True)
out = (inp + 1).pow(2).t()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"First call\n{inp.grad}")
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\nSecond call\n{inp.grad}")
inp.grad.zero_()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\nCall after zeroing gradients\n{inp.grad}")

t = torch.tensor([0.5, 1.5, -2.0], requires_grad=True)
f = (t ** 3).sum()
(g,) = torch.autograd.grad(f, t, create_graph=True)
(h,) = torch.autograd.grad(g.sum(), t)
print("grad of grad:", g.tolist(), h.tolist())
middle = t * 2
middle.retain_grad()
(middle.sin()).sum().backward()
print("retain_grad:", middle.grad.tolist(), t.grad.tolist(), middle.is_leaf)
jac = torch.autograd.functional.jacobian(lambda v: v ** 2 + v.sum(), torch.tensor([1.0, 2.0]))
hes = torch.autograd.functional.hessian(lambda v: (v ** 3).sum(), torch.tensor([1.0, 2.0]))
print("jacobian:", jac.tolist(), "hessian:", hes.tolist())
double = torch.tensor([0.3, 0.7], dtype=torch.float64, requires_grad=True)
print("gradcheck:", torch.autograd.gradcheck(lambda v: (v.exp() * v).sum(), (double,)),
      torch.autograd.gradgradcheck(lambda v: (v.tanh() ** 2).sum(), (double,)))
try:
    f.backward()
    f.backward()
except RuntimeError as error:
    print("second backward refused:", "second time" in str(error))
print(torch.is_grad_enabled(), torch.tensor(2.0, requires_grad=True) * 3)
