# Idioms of older tutorials: typed constructors, .type(), Variable, .data, size(), view(-1).
# compat: rtol=1e-6 atol=1e-7
import numpy as np
import torch
from torch.autograd import Variable

a = torch.FloatTensor([[1, 2], [3, 4]])
b = torch.LongTensor([0, 1])
c = torch.Tensor(2, 3).zero_()
print("types:", a.type(), b.type(), c.type(), c.size(), c.size(1))
print("isinstance:", isinstance(a, torch.FloatTensor), isinstance(b, torch.FloatTensor))
print("converted:", a.type(torch.LongTensor).type(), a.long().dtype, b.float().dtype,
      a.type("torch.DoubleTensor").dtype)
v = Variable(a, requires_grad=True)
out = (v * v).sum()
out.backward()
print("Variable grad:", v.grad.data.tolist(), out.data.item())
print("indexing:", a[0][1].item(), a.view(-1).tolist(), a.numpy().dtype)
d = torch.Tensor([[0.5, -1.5]])
print("tensor:", d, d.dtype)
print("stack:", torch.stack([a, a]).shape, torch.cat((a, a), 1).size())
e = torch.zeros(2, 2)
e.data.copy_(torch.ones(2, 2))
print("through .data:", e.tolist())
print("numpy round trip:", torch.from_numpy(np.arange(4.0)).view(2, 2).t().contiguous().tolist())
print(f"formatted: {out:.3f} {a.sum():+.1f}")
