# Tensor operations scripts reach for: sorting, selection, scans, rounding, products, masks.
# compat: rtol=1e-5 atol=1e-6
import numpy as np
import torch
import torch.nn.functional as F

rng = np.random.default_rng(2)
x = torch.from_numpy(rng.standard_normal((3, 5)).astype(np.float32))
labels = torch.tensor([2, 0, 1])

values, indices = torch.sort(x, dim=1, descending=True)
print("sort:", values[0].tolist(), indices[0].tolist())
top = x.topk(2, dim=1)
print("topk:", top.values.tolist(), top.indices.tolist())
print("argsort:", torch.argsort(x[:, 0]).tolist(), x.argmax(dim=1).tolist())
print("cumsum:", torch.cumsum(x[0], dim=0).tolist(), x[1].cumprod(0).tolist())
print("flip roll:", torch.flip(x, [1])[0].tolist(), torch.roll(x[0], 2).tolist())
print("tril:", torch.tril(torch.ones(3, 3)).tolist(), torch.ones(3, 3).triu(1).sum().item())
print("one_hot:", F.one_hot(labels, num_classes=4).tolist())
print("rounding:", torch.round(x[0] * 3).tolist(), x[0].floor().tolist(), x[0].ceil().tolist(),
      torch.trunc(x[0] * 2).tolist(), x[0].frac().tolist())
ints = torch.tensor([7, -7, 5, -5])
print("division:", (ints // 2).tolist(), (ints % 3).tolist(), torch.fmod(ints, 3).tolist(),
      torch.remainder(ints, 3).tolist())
print("clamp:", torch.clamp(x[0], min=-0.5, max=0.5).tolist(),
      x[0].clamp(min=torch.zeros(5), max=torch.full((5,), 0.3)).tolist())
mask = x > 0
print("masks:", x.masked_fill(mask, 0.0)[0].tolist(), mask.any().item(), mask.all().item(),
      mask.sum(dim=1).tolist())
print("nonzero:", torch.nonzero(mask).tolist()[:4], torch.where(x > 1)[1].tolist())
print("where:", torch.where(mask, x, torch.zeros_like(x))[0].tolist())
print("index_select:", torch.index_select(x, 0, torch.tensor([2, 0]))[:, 0].tolist())
scatter = torch.zeros(3, 4).scatter_(1, labels.unsqueeze(1), 1.0)
print("scatter:", scatter.tolist())
added = torch.zeros(4).scatter_add(0, torch.tensor([0, 1, 1, 3]), torch.tensor([1., 2., 3., 4.]))
print("scatter_add:", added.tolist())
print("gather:", x.gather(1, labels.unsqueeze(1)).squeeze(1).tolist())
uniq, counts = torch.unique(torch.tensor([3, 1, 3, 2, 1, 3]), return_counts=True)
print("unique:", uniq.tolist(), counts.tolist())
nan = torch.tensor([1.0, float("nan"), float("inf")])
print("finite:", torch.isnan(nan).tolist(), torch.isinf(nan).tolist(),
      torch.isfinite(nan).tolist(), torch.allclose(x, x + 1e-9))
a, b = x[:, :2], torch.from_numpy(rng.standard_normal((2, 4)).astype(np.float32))
print("mm:", torch.mm(a, b)[0].tolist(), torch.outer(a[0], a[1]).sum().item())
batch = torch.from_numpy(rng.standard_normal((2, 3, 4)).astype(np.float32))
print("bmm:", torch.bmm(batch, batch.transpose(1, 2))[1, 0].tolist())
print("addmm:", torch.addmm(torch.ones(3, 4), a, b, beta=0.5, alpha=2.0)[2].tolist())
print("einsum:", torch.einsum("ij,jk->ik", a, b)[1].tolist(), torch.einsum("bij->bji", batch)
      .shape, torch.einsum("ii", torch.eye(3)).item(), torch.einsum("i,j->ij", a[0], a[1])
      .sum().item())
print("dot:", torch.dot(a[0], a[1]).item(), x.norm().item(), x.std(dim=0).tolist()[:2])
