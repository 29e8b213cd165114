"""The operation table: one line per differentiable operation (and the comparisons).

Each line names the call (``lib`` is ``retrograd`` or ``torch``), the inputs (shape and domain:
positive for log and sqrt, away from the kinks of abs, relu and clamp, distinct values for max),
and ``order``: 2 when twice differentiable, 1 when once, 0 for no gradient. ``test_table.py``
runs every line three ways: gradcheck in float64, PyTorch as oracle in float32 and float64, and
gradgradcheck where ``order == 2``.
"""
from __future__ import annotations

import math

from .oracle import (
    Arg,
    Case,
    away_from,
    const,
    distinct,
    distinct_magnitudes,
    indices,
    mask,
    positive,
    real,
    small_integers,
    with_zeros,
)

MATMUL = "(m?,n),(n,p?)->(m?,p?)"  # NumPy's gufunc signature of matmul, for hypothesis
X = (2, 3, 4)                       # the input of reductions, softmax and shape operations
NONZERO = away_from(0.0)


def F(lib):
    """``lib.nn.functional``: ``rg.nn.functional`` or ``torch.nn.functional``."""
    return lib.nn.functional


ARITHMETIC = [
    Case("add", lambda lib, a, b: a + b, [(3, 1, 4), (2, 4)], broadcast=True),
    Case("sub", lambda lib, a, b: a - b, [(2, 1), (3,)], broadcast=True),
    Case("mul", lambda lib, a, b: a * b, [(2, 3), (2, 1)], broadcast=True),
    Case("div", lambda lib, a, b: a / b, [(2, 3), Arg((3,), NONZERO)], broadcast=True),
    Case("pow tensor**tensor", lambda lib, a, b: a ** b, [Arg((2, 3), positive), (3,)],
         broadcast=True),
    Case("pow tensor**2", lambda lib, x: x ** 2, [(2, 3)]),
    Case("pow tensor**3.0", lambda lib, x: x ** 3.0, [(2, 3)]),
    Case("pow tensor**-1.5", lambda lib, x: x ** -1.5, [Arg((2, 3), positive)]),
    Case("pow tensor**0.5", lambda lib, x: x.pow(0.5), [Arg((2, 3), positive)]),
    Case("pow scalar**tensor", lambda lib, x: 2 ** x, [(2, 3)]),
    Case("pow 0.5**tensor", lambda lib, x: lib.pow(0.5, x), [(2, 3)]),
    Case("radd 2+x", lambda lib, x: 2 + x, [(2, 3)]),
    Case("rsub 2-x", lambda lib, x: 2 - x, [(2, 3)]),
    Case("rmul 2*x", lambda lib, x: 2 * x, [(2, 3)]),
    Case("rdiv 2/x", lambda lib, x: 2 / x, [Arg((2, 3), NONZERO)]),
    Case("sub scalar x-1.5", lambda lib, x: x - 1.5, [(2, 3)]),
    Case("div scalar x/4", lambda lib, x: x / 4, [(2, 3)]),
    Case("add alpha", lambda lib, a, b: lib.add(a, b, alpha=2.5), [(2, 3), (3,)]),
    Case("sub alpha", lambda lib, a, b: lib.sub(a, b, alpha=0.5), [(2, 3), (2, 3)]),
    Case("neg", lambda lib, x: -x, [(2, 3)]),
    Case("abs", lambda lib, x: lib.abs(x), [Arg((2, 3), NONZERO)]),
]

ELEMENTWISE = [
    Case("exp", lambda lib, x: lib.exp(x), [(2, 3)]),
    Case("log", lambda lib, x: lib.log(x), [Arg((2, 3), positive)]),
    Case("log1p", lambda lib, x: lib.log1p(x), [Arg((2, 3), positive)]),
    Case("sqrt", lambda lib, x: lib.sqrt(x), [Arg((2, 3), positive)]),
    Case("sin", lambda lib, x: lib.sin(x), [(2, 3)]),
    Case("cos", lambda lib, x: lib.cos(x), [(2, 3)]),
    Case("tanh", lambda lib, x: lib.tanh(x), [(2, 3)]),
    Case("sigmoid", lambda lib, x: lib.sigmoid(x), [(2, 3)]),
    Case("relu", lambda lib, x: F(lib).relu(x), [Arg((2, 3), NONZERO)]),
    Case("leaky_relu", lambda lib, x: F(lib).leaky_relu(x), [Arg((2, 3), NONZERO)]),
    Case("leaky_relu slope", lambda lib, x: F(lib).leaky_relu(x, negative_slope=0.2),
         [Arg((2, 3), NONZERO)]),
    Case("erf", lambda lib, x: lib.erf(x), [(2, 3)]),
    Case("gelu", lambda lib, x: F(lib).gelu(x), [(2, 3)]),
    Case("gelu tanh", lambda lib, x: F(lib).gelu(x, approximate="tanh"), [(2, 3)]),
    Case("softplus", lambda lib, x: F(lib).softplus(x), [(2, 3)]),
    # beta x > threshold switches to x: a kink at x = threshold / beta = 0.5
    Case("softplus beta threshold", lambda lib, x: F(lib).softplus(x, beta=2.0, threshold=1.0),
         [Arg((2, 3), away_from(0.5))]),
    # elu's second derivative jumps at 0 (alpha = 1) as its first does (alpha != 1)
    Case("elu", lambda lib, x: F(lib).elu(x), [Arg((2, 3), NONZERO)]),
    Case("elu alpha", lambda lib, x: F(lib).elu(x, alpha=0.5), [Arg((2, 3), NONZERO)]),
    Case("clamp", lambda lib, x: lib.clamp(x, min=-0.5, max=0.5),
         [Arg((2, 3), away_from(-0.5, 0.5))]),
    Case("clamp min", lambda lib, x: x.clamp(min=-0.5), [Arg((2, 3), away_from(-0.5))]),
    Case("clamp max", lambda lib, x: x.clamp(max=0.5), [Arg((2, 3), away_from(0.5))]),
    Case("maximum", lambda lib, a, b: lib.maximum(a, b), [(2, 3), (3,)], broadcast=True),
    Case("minimum", lambda lib, a, b: lib.minimum(a, b), [(2, 1), (2, 3)], broadcast=True),
    Case("where", lambda lib, c, a, b: lib.where(c, a, b), [const((2, 3), mask), (2, 1), (3,)],
         broadcast=True),
]

# dim as None (every dimension), an int, a negative int, a tuple, with and without keepdim
DIMS = [dict(), dict(dim=1), dict(dim=-1, keepdim=True), dict(dim=(0, 2)),
        dict(dim=(-1, 0), keepdim=True)]
ONE_DIM = [dict(), dict(dim=1), dict(dim=-1, keepdim=True)]  # prod takes a single int dim


def _dims(name: str, call, variants: list[dict], draw=None, **options) -> list[Case]:
    """One case per dim variant of a reduction ``call(lib, x, **variant)``."""
    arg = Arg(X) if draw is None else Arg(X, draw)
    return [Case(f"{name} {variant}", lambda lib, x, v=variant: call(lib, x, **v), [arg],
                 **options) for variant in variants]


REDUCTIONS = [
    *_dims("sum", lambda lib, x, **kw: lib.sum(x, **kw), DIMS),
    *_dims("mean", lambda lib, x, **kw: x.mean(**kw), DIMS),
    *_dims("prod", lambda lib, x, **kw: lib.prod(x, **kw), ONE_DIM),
    *_dims("prod one zero", lambda lib, x, **kw: x.prod(**kw), ONE_DIM, with_zeros(1)),
    *_dims("prod two zeros", lambda lib, x, **kw: x.prod(**kw), ONE_DIM, with_zeros(2)),
    *_dims("amax", lambda lib, x, **kw: lib.amax(x, **kw), DIMS, distinct),
    *_dims("amin", lambda lib, x, **kw: x.amin(**kw), DIMS, distinct),
    Case("max", lambda lib, x: lib.max(x), [Arg(X, distinct)]),
    Case("min", lambda lib, x: x.min(), [Arg(X, distinct)]),
    Case("max dim", lambda lib, x: lib.max(x, dim=1), [Arg(X, distinct)]),
    Case("max dim keepdim", lambda lib, x: x.max(-1, keepdim=True), [Arg(X, distinct)]),
    Case("min dim", lambda lib, x: lib.min(x, 0), [Arg(X, distinct)]),
    Case("min dim keepdim", lambda lib, x: x.min(dim=2, keepdim=True), [Arg(X, distinct)]),
    *_dims("var", lambda lib, x, **kw: lib.var(x, **kw), DIMS),
    Case("var unbiased=False", lambda lib, x: x.var(1, unbiased=False), [X]),
    Case("var correction=0", lambda lib, x: lib.var(x, dim=(0, 1), correction=0), [X]),
    Case("var correction=2", lambda lib, x: x.var(-1, correction=2, keepdim=True), [X]),
    *_dims("std", lambda lib, x, **kw: lib.std(x, **kw), DIMS),
    Case("std unbiased=False", lambda lib, x: x.std(dim=0, unbiased=False), [X]),
    Case("std correction=0", lambda lib, x: lib.std(x, correction=0), [X]),
    *_dims("logsumexp", lambda lib, x, **kw: lib.logsumexp(x, **kw), DIMS[1:]),
    *_dims("norm p=2", lambda lib, x, **kw: lib.norm(x, **kw), DIMS),
    *_dims("norm p=1", lambda lib, x, **kw: x.norm(p=1, **kw), DIMS, NONZERO),
    *_dims("norm p=3", lambda lib, x, **kw: lib.norm(x, p=3, **kw), DIMS, NONZERO),
    *_dims("norm p=inf", lambda lib, x, **kw: x.norm(p=math.inf, **kw), DIMS,
           distinct_magnitudes),
    Case("argmax", lambda lib, x: lib.argmax(x), [Arg(X, distinct)], order=0),
    Case("argmax dim", lambda lib, x: x.argmax(dim=1), [Arg(X, distinct)], order=0),
    Case("argmin dim keepdim", lambda lib, x: lib.argmin(x, -1, keepdim=True),
         [Arg(X, distinct)], order=0),
    Case("argmin", lambda lib, x: x.argmin(), [Arg(X, distinct)], order=0),
]

SOFTMAX = [
    *[Case(f"softmax dim={d}", lambda lib, x, d=d: F(lib).softmax(x, dim=d), [X])
      for d in (0, 1, -1)],
    *[Case(f"log_softmax dim={d}", lambda lib, x, d=d: F(lib).log_softmax(x, dim=d), [X])
      for d in (0, -2, 2)],
    Case("softmax method", lambda lib, x: x.softmax(-1), [(3, 4)]),
]

MATMUL_CASES = [
    Case("matmul vector.vector", lambda lib, a, b: a @ b, [(3,), (3,)], broadcast=MATMUL),
    Case("matmul matrix.vector", lambda lib, a, b: lib.matmul(a, b), [(2, 3), (3,)]),
    Case("matmul vector.matrix", lambda lib, a, b: a @ b, [(3,), (3, 4)]),
    Case("matmul matrix.matrix", lambda lib, a, b: a.matmul(b), [(2, 3), (3, 4)]),
    Case("matmul batched broadcast", lambda lib, a, b: a @ b, [(2, 1, 2, 3), (3, 3, 2)]),
    Case("matmul batched.vector", lambda lib, a, b: a @ b, [(2, 2, 3), (3,)]),
    Case("matmul vector.batched", lambda lib, a, b: a @ b, [(3,), (2, 3, 2)]),
]

SHAPE = [
    Case("reshape", lambda lib, x: x.reshape(4, -1), [X]),
    Case("reshape tuple", lambda lib, x: lib.reshape(x, (3, 8)), [X]),
    Case("view", lambda lib, x: x.view(6, 4), [X]),
    Case("flatten", lambda lib, x: lib.flatten(x), [X]),
    Case("flatten start_dim", lambda lib, x: x.flatten(1), [X]),
    Case("flatten range", lambda lib, x: lib.flatten(x, 0, 1), [X]),
    Case("squeeze", lambda lib, x: lib.squeeze(x), [(2, 1, 3, 1)]),
    Case("squeeze dim", lambda lib, x: x.squeeze(1), [(2, 1, 3, 1)]),
    Case("squeeze negative dim", lambda lib, x: x.squeeze(-1), [(2, 1, 3, 1)]),
    Case("unsqueeze", lambda lib, x: lib.unsqueeze(x, 0), [(2, 3)]),
    Case("unsqueeze negative", lambda lib, x: x.unsqueeze(-1), [(2, 3)]),
    Case("transpose", lambda lib, x: lib.transpose(x, 0, 2), [X]),
    Case("transpose negative", lambda lib, x: x.transpose(-1, -2), [X]),
    Case("permute", lambda lib, x: x.permute(2, 0, 1), [X]),
    Case("permute tuple", lambda lib, x: lib.permute(x, (1, 2, 0)), [X]),
    Case(".T", lambda lib, x: x.T, [(2, 3)]),
    Case("expand", lambda lib, x: x.expand(2, 3, 4), [(3, 1)]),
    Case("expand -1", lambda lib, x: x.expand(2, -1, 4), [(3, 1)]),
    Case("repeat", lambda lib, x: x.repeat(2, 1, 3), [(2, 3, 1)]),
    Case("repeat more dims", lambda lib, x: x.repeat(2, 2, 1), [(2, 3)]),
    Case("diagonal", lambda lib, x: x.diagonal(), [(3, 4)]),
    Case("diagonal offset dims", lambda lib, x: lib.diagonal(x, -1, 2, 0), [X]),
    Case("narrow", lambda lib, x: x.narrow(2, 1, 2), [X]),
    Case("unbind", lambda lib, x: lib.unbind(x, 1), [X]),
]

INDEXING = [
    Case("index int", lambda lib, x: x[1], [X]),
    Case("index negative int", lambda lib, x: x[-1, 2], [X]),
    Case("index slice", lambda lib, x: x[:, 1:3], [X]),
    Case("index step", lambda lib, x: x[::2, :, 1::2], [X]),
    # NumPy takes negative steps, PyTorch does not: its spelling is a flip
    Case("index negative step", lambda lib, x: x[:, ::-2], [X],
         torch_call=lambda lib, x: x.flip(1)[:, ::2]),
    Case("index None", lambda lib, x: x[None, 1, :, None], [X]),
    Case("index Ellipsis", lambda lib, x: x[..., 1], [X]),
    Case("index int array", lambda lib, x, i: x[i], [X, const((5,), indices(2))]),
    Case("index repeated list", lambda lib, x: x[:, [0, 2, 0, 0]], [X]),
    Case("index two arrays", lambda lib, x: x[[1, 0, 1], [2, 2, 0]], [X]),
    Case("index bool mask", lambda lib, x, m: x[m], [X, const(X, mask)]),
    Case("index mask from values", lambda lib, x: x[x > 0], [Arg(X, NONZERO)]),
    Case("index row mask", lambda lib, x, m: x[:, m[0]], [X, const((2, 3), mask)]),
    Case("gather", lambda lib, x, i: lib.gather(x, 1, i), [(3, 4), const((3, 5), indices(4))]),
    Case("gather dim 0", lambda lib, x, i: x.gather(0, i), [(3, 4), const((2, 4), indices(3))]),
    Case("gather negative dim", lambda lib, x, i: x.gather(-1, i),
         [X, const((2, 3, 2), indices(4))]),
    Case("cat", lambda lib, a, b, c: lib.cat([a, b, c], dim=1), [(2, 1, 3), (2, 2, 3), (2, 3, 3)]),
    Case("cat default dim", lambda lib, a, b: lib.cat((a, b)), [(1, 3), (2, 3)]),
    Case("cat negative dim", lambda lib, a, b: lib.cat([a, b], -1), [(2, 3), (2, 1)]),
    Case("stack", lambda lib, a, b: lib.stack([a, b]), [(2, 3), (2, 3)]),
    Case("stack last dim", lambda lib, a, b, c: lib.stack([a, b, c], dim=-1),
         [(2, 3), (2, 3), (2, 3)]),
    Case("split size", lambda lib, x: lib.split(x, 2, dim=1), [(2, 5)]),
    Case("split sections", lambda lib, x: x.split([1, 3, 1], dim=-1), [(2, 5)]),
    Case("chunk", lambda lib, x: lib.chunk(x, 3, dim=1), [(2, 5)]),
    Case("chunk uneven", lambda lib, x: x.chunk(4), [(6, 2)]),
    Case("index_add", lambda lib, x, s, i: x.index_add(1, i, s, alpha=2),
         [(2, 3), (2, 4), const((4,), indices(3))]),
]


def _assigned(x, key, value):
    """``x`` (copied in the graph) with ``value`` assigned at ``key``."""
    y = x * 1
    y[key] = value
    return y


def _through_views(x, w):
    """In-place changes through views of a non-leaf: a row, then a transposed column."""
    y = x * 1
    y[0].mul_(w)
    y.t()[1].add_(w[:2] ** 2)
    return y


IN_PLACE = [
    Case("setitem slice", lambda lib, x, v: _assigned(x, (slice(None), 1), v), [(2, 3), (2,)]),
    Case("setitem broadcast", lambda lib, x, v: _assigned(x, 0, v), [(2, 3), (1,)]),
    Case("setitem mask", lambda lib, x, m, v: _assigned(x, m, v), [(2, 3), const((2, 3), mask),
                                                                  ()]),
    Case("setitem int arrays", lambda lib, x, v: _assigned(x, ([1, 0], [2, 2]), v),
         [(2, 3), (2,)]),
    Case("in place through views", lambda lib, x, w: _through_views(x, w), [(2, 3), (3,)]),
]

COMPARISONS = [
    *[Case(f"{name} tensor", lambda lib, a, b, name=name: getattr(lib, name)(a, b),
           [Arg((2, 3), small_integers), Arg((3,), small_integers)], order=0, broadcast=True)
      for name in ("eq", "ne", "lt", "le", "gt", "ge")],
    Case("== scalar", lambda lib, x: x == 1, [Arg((2, 3), small_integers)], order=0),
    Case("!= scalar", lambda lib, x: x != 1, [Arg((2, 3), small_integers)], order=0),
    Case("< scalar", lambda lib, x: x < 0.0, [Arg((2, 3), small_integers)], order=0),
    Case("<= tensor", lambda lib, a, b: a <= b,
         [Arg((2, 3), small_integers), Arg((2, 3), small_integers)], order=0),
    Case("> method", lambda lib, x: x.gt(0), [Arg((2, 3), small_integers)], order=0),
    Case(">= method", lambda lib, a, b: a.ge(b),
         [Arg((2, 3), small_integers), Arg((2, 1), small_integers)], order=0),
]

N, C = 5, 4
TARGET = const((N,), indices(C))
WEIGHT = const((C,), positive)
LOSSES = [
    Case("cross_entropy", lambda lib, x, t: F(lib).cross_entropy(x, t), [(N, C), TARGET]),
    Case("cross_entropy sum", lambda lib, x, t: F(lib).cross_entropy(x, t, reduction="sum"),
         [(N, C), TARGET]),
    Case("cross_entropy none", lambda lib, x, t: F(lib).cross_entropy(x, t, reduction="none"),
         [(N, C), TARGET]),
    Case("cross_entropy weight", lambda lib, x, t, w: F(lib).cross_entropy(x, t, weight=w),
         [(N, C), TARGET, WEIGHT]),
    Case("cross_entropy weight none",
         lambda lib, x, t, w: F(lib).cross_entropy(x, t, weight=w, reduction="none"),
         [(N, C), TARGET, WEIGHT]),
    Case("cross_entropy ignore_index",
         lambda lib, x, t: F(lib).cross_entropy(x, t, ignore_index=-1),
         [(N, C), const((N,), indices(C, ignore=-1))]),
    Case("cross_entropy ignore_index weight sum",
         lambda lib, x, t, w: F(lib).cross_entropy(x, t, w, ignore_index=2, reduction="sum"),
         [(N, C), const((N,), indices(C, ignore=2)), WEIGHT]),
    Case("cross_entropy (N,C,d1)", lambda lib, x, t: F(lib).cross_entropy(x, t),
         [(2, C, 3), const((2, 3), indices(C))]),
    Case("cross_entropy (N,C,d1) weight none",
         lambda lib, x, t, w: F(lib).cross_entropy(x, t, weight=w, reduction="none"),
         [(2, C, 3), const((2, 3), indices(C)), WEIGHT]),
    Case("cross_entropy one example", lambda lib, x, t: F(lib).cross_entropy(x, t),
         [(C,), const((), indices(C))]),
    Case("nll_loss", lambda lib, x, t: F(lib).nll_loss(F(lib).log_softmax(x, 1), t),
         [(N, C), TARGET]),
    Case("nll_loss raw input sum", lambda lib, x, t: F(lib).nll_loss(x, t, reduction="sum"),
         [(N, C), TARGET]),
    Case("nll_loss weight ignore_index",
         lambda lib, x, t, w: F(lib).nll_loss(x, t, weight=w, ignore_index=-1),
         [(N, C), const((N,), indices(C, ignore=-1)), WEIGHT]),
    Case("nll_loss (N,C,d1) none", lambda lib, x, t: F(lib).nll_loss(x, t, reduction="none"),
         [(2, C, 3), const((2, 3), indices(C))]),
]

# Sorting, scanning and selection (issue 10)
def _rows_index(lib):
    """Distinct positions per row of a (3, 4) tensor, so that scatter has no write to race."""
    return lib.tensor([[0, 2], [3, 1], [1, 0]])


def _scatter_add_through_view(lib, x, s):
    """scatter_add_ into rows 1: of a non-leaf (a view), repeated indices."""
    y = x * 1
    y[1:].scatter_add_(1, lib.tensor([[0, 0, 3], [2, 1, 2]]), s)
    return y


SELECTION: list = [
    Case("sort", lambda lib, x: lib.sort(x), [Arg(X, distinct)]),
    Case("sort dim descending", lambda lib, x: x.sort(0, True), [Arg(X, distinct)]),
    Case("sort stable keywords", lambda lib, x: lib.sort(x, dim=1, descending=True, stable=True),
         [Arg(X, distinct)]),
    Case("sort 0-d", lambda lib, x: lib.sort(x), [Arg((), distinct)]),
    Case("argsort", lambda lib, x: lib.argsort(x, dim=1), [Arg(X, distinct)], order=0),
    Case("argsort descending", lambda lib, x: x.argsort(-1, True), [Arg(X, distinct)], order=0),
    Case("topk", lambda lib, x: lib.topk(x, 2), [Arg(X, distinct)]),
    Case("topk smallest dim", lambda lib, x: x.topk(2, dim=1, largest=False), [Arg(X, distinct)]),
    Case("topk all", lambda lib, x: lib.topk(x, 2, 0, True, True), [Arg(X, distinct)]),
    Case("unique", lambda lib, x: lib.unique(x), [Arg((3, 4), small_integers)], order=0),
    Case("unique inverse counts",
         lambda lib, x: x.unique(return_inverse=True, return_counts=True),
         [Arg((3, 4), small_integers)], order=0),
    Case("cumsum", lambda lib, x: lib.cumsum(x, 1), [X]),
    Case("cumsum negative dim", lambda lib, x: x.cumsum(-1), [X]),
    Case("cumsum dtype", lambda lib, x: lib.cumsum(x, 0, dtype=lib.float64), [X]),
    Case("cumsum 0-d", lambda lib, x: lib.cumsum(x, 0), [()]),
    Case("cumprod", lambda lib, x: lib.cumprod(x, 1), [X]),
    Case("cumprod last dim", lambda lib, x: x.cumprod(-1), [X]),
    Case("cumprod one zero", lambda lib, x: lib.cumprod(x, 2), [Arg(X, with_zeros(1))]),
    Case("cumprod two zeros", lambda lib, x: x.cumprod(0), [Arg(X, with_zeros(2))]),
    Case("cumprod zeros long row", lambda lib, x: lib.cumprod(x, 0), [Arg((9,), with_zeros(3))]),
    Case("flip", lambda lib, x: lib.flip(x, [0, 2]), [X]),
    Case("flip method", lambda lib, x: x.flip(-1), [X]),
    Case("roll flattened", lambda lib, x: lib.roll(x, 5), [X]),
    Case("roll dims", lambda lib, x: lib.roll(x, (1, -2), (0, 2)), [X]),
    Case("roll method", lambda lib, x: x.roll(2, 1), [X]),
    Case("tril", lambda lib, x: lib.tril(x), [X]),
    Case("tril below", lambda lib, x: x.tril(-1), [(4, 3)]),
    Case("triu above", lambda lib, x: lib.triu(x, diagonal=1), [X]),
    Case("triu method", lambda lib, x: x.triu(), [(3, 3)]),
    Case("index_select", lambda lib, x, i: lib.index_select(x, 1, i),
         [X, const((5,), indices(3))]),
    Case("index_select negative dim", lambda lib, x, i: x.index_select(-1, i),
         [X, const((2,), indices(4))]),
    Case("masked_fill", lambda lib, x, m: lib.masked_fill(x, m, 0.5), [X, const(X, mask)]),
    Case("masked_fill broadcast mask", lambda lib, x, m: x.masked_fill(m, -1.0),
         [X, const((3, 4), mask)]),
    Case("masked_fill tensor value", lambda lib, x, m, v: x.masked_fill(m, v),
         [(2, 3), const((2, 3), mask), ()]),
    Case("masked_fill_", lambda lib, x, m, v: (x * 1).masked_fill_(m, v),
         [(2, 3), const((3,), mask), ()]),
    # src larger than index: PyTorch's backward fails (test_selection.py checks retrograd's)
    Case("scatter", lambda lib, x, s: lib.scatter(x, 1, _rows_index(lib), s), [(3, 4), (3, 2)]),
    Case("scatter value", lambda lib, x: lib.scatter(x, 1, _rows_index(lib), value=1.5),
         [(3, 4)]),
    Case("scatter dim 0", lambda lib, x, s: x.scatter(0, lib.tensor([[2, 0, 1], [0, 1, 2]]), s),
         [(3, 4), (2, 3)]),
    Case("scatter_", lambda lib, x, s: (x * 1).scatter_(1, _rows_index(lib), s),
         [(3, 4), (3, 2)]),
    Case("scatter_add", lambda lib, x, s, i: lib.scatter_add(x, 1, i, s),
         [(3, 4), (3, 5), const((3, 5), indices(4))]),
    Case("scatter_add smaller index", lambda lib, x, s, i: x.scatter_add(0, i, s),
         [(3, 4), (2, 3), const((2, 3), indices(3))]),
    Case("scatter_add_ through view", _scatter_add_through_view, [(3, 4), (2, 3)]),
    Case("nonzero", lambda lib, x: lib.nonzero(x), [Arg((3, 4), small_integers)], order=0),
    Case("nonzero as_tuple", lambda lib, x: x.nonzero(as_tuple=True),
         [Arg(X, small_integers)], order=0),
    Case("argwhere", lambda lib, x: lib.argwhere(x), [Arg(X, small_integers)], order=0),
    Case("where condition", lambda lib, x: lib.where(x > 0), [Arg((3, 4), small_integers)],
         order=0),
]

# Rounding, integer division, linear algebra products and einsum (issue 10)
STEPS = away_from(*(k / 2 for k in range(-10, 11)), margin=0.1)  # integers and halves
TENTHS = away_from(*(k / 20 for k in range(-100, 101)), margin=0.01)  # round(x, 1)'s jumps
THIRDS = [k * 0.75 for k in range(-6, 7)]  # the jumps of x // 0.75 and x % 0.75
PRODUCTS: list = [
    Case("mm", lambda lib, a, b: lib.mm(a, b), [(2, 3), (3, 4)]),
    Case("mm method", lambda lib, a, b: a.mm(b), [(3, 1), (1, 2)]),
    Case("bmm", lambda lib, a, b: lib.bmm(a, b), [(2, 2, 3), (2, 3, 4)]),
    Case("bmm method", lambda lib, a, b: a.bmm(b), [(1, 3, 2), (1, 2, 2)]),
    Case("addmm", lambda lib, c, a, b: lib.addmm(c, a, b), [(2, 4), (2, 3), (3, 4)]),
    Case("addmm broadcast beta alpha",
         lambda lib, c, a, b: lib.addmm(c, a, b, beta=0.5, alpha=-2.0), [(4,), (2, 3), (3, 4)]),
    Case("addmm beta=0", lambda lib, c, a, b: c.addmm(a, b, beta=0), [(2, 1), (2, 3), (3, 4)]),
    Case("outer", lambda lib, a, b: lib.outer(a, b), [(3,), (4,)]),
    Case("outer method", lambda lib, a, b: a.outer(b), [(1,), (2,)]),
    Case("dot", lambda lib, a, b: lib.dot(a, b), [(5,), (5,)]),
    Case("dot method", lambda lib, a, b: a.dot(b), [(1,), (1,)]),
    *[Case(f"einsum {equation}", lambda lib, *ops, e=equation: lib.einsum(e, *ops), shapes)
      for equation, shapes in [
          ("ij,jk->ik", [(2, 3), (3, 4)]), ("ii", [(3, 3)]), ("ii->i", [(3, 3)]),
          ("iij->ji", [(2, 2, 3)]), ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
          ("i,j->ij", [(3,), (2,)]), ("ij->ji", [(2, 3)]), ("ij->", [(2, 3)]),
          ("ij->j", [(2, 3)]), ("ij", [(2, 3)]), ("ba,cb", [(2, 3), (4, 2)]),
          ("...ij,...jk", [(2, 2, 3), (3, 2)]), ("i...->...", [(2, 3, 2)]),
          ("ij,ij->ij", [(1, 3), (2, 3)]), ("ij,jk,kl->il", [(2, 3), (3, 2), (2, 2)]),
          ("i,i->", [(4,), (4,)])]],
    Case("einsum list of operands", lambda lib, a, b: lib.einsum("ij,kj->ik", [a, b]),
         [(2, 3), (4, 3)]),
    Case("einsum sublists", lambda lib, a, b: lib.einsum(a, [0, 1], b, [1, 2], [0, 2]),
         [(2, 3), (3, 2)]),
    Case("round", lambda lib, x: lib.round(x), [Arg((3, 4), STEPS)]),
    Case("round decimals=1", lambda lib, x: x.round(decimals=1), [Arg((3, 4), TENTHS)]),
    Case("round decimals=-1", lambda lib, x: lib.round(x * 20, decimals=-1),
         [Arg((3, 4), STEPS)]),
    Case("floor", lambda lib, x: lib.floor(x), [Arg((3, 4), STEPS)]),
    Case("ceil", lambda lib, x: x.ceil(), [Arg((3, 4), STEPS)]),
    Case("trunc", lambda lib, x: lib.trunc(x), [Arg((3, 4), STEPS)]),
    Case("fix", lambda lib, x: lib.fix(x), [Arg((3, 4), STEPS)]),
    Case("frac", lambda lib, x: lib.frac(x), [Arg((3, 4), STEPS)]),
    Case("floor_divide", lambda lib, a, b: lib.floor_divide(a, b),
         [Arg((2, 3), STEPS), Arg((3,), positive)], order=0, broadcast=True),
    Case("// scalar", lambda lib, x: x // 0.75, [Arg((2, 3), away_from(*THIRDS))], order=0),
    Case("rfloordiv 2 // x", lambda lib, x: 2 // x, [Arg((2, 3), positive)], order=0),
    Case("remainder", lambda lib, a, b: lib.remainder(a, b), [(2, 3), Arg((3,), positive)],
         broadcast=True),
    Case("remainder negative divisor", lambda lib, a, b: a.remainder(-b),
         [(2, 3), Arg((2, 3), positive)]),
    Case("% scalar", lambda lib, x: x % 0.75, [Arg((2, 3), away_from(*THIRDS))]),
    Case("rmod 2 % x", lambda lib, x: 2 % x, [Arg((2, 3), positive)], order=0),
    Case("fmod", lambda lib, a, b: lib.fmod(a, b), [(2, 3), Arg((2, 1), positive)],
         broadcast=True),
    Case("fmod scalar", lambda lib, x: x.fmod(-0.75), [Arg((2, 3), away_from(*THIRDS))]),
    Case("clamp tensor bounds", lambda lib, x, lo, hi: lib.clamp(x, lo, hi),
         [(3, 4), Arg((4,), lambda rng, shape: rng.uniform(-1.0, -0.3, shape)),
          Arg((3, 1), lambda rng, shape: rng.uniform(0.3, 1.0, shape))]),
    Case("clamp tensor min > max", lambda lib, x, lo, hi: x.clamp(min=lo, max=hi),
         [(2, 3), Arg((2, 3), lambda rng, shape: rng.uniform(0.3, 1.0, shape)),
          Arg((3,), lambda rng, shape: rng.uniform(-1.0, -0.3, shape))]),
    Case("clamp tensor min", lambda lib, x, lo: lib.clamp(x, min=lo), [(2, 3), (3,)]),
    Case("clip tensor max", lambda lib, x, hi: lib.clip(x, max=hi), [(2, 3), (2, 1)]),
    Case("isclose", lambda lib, a, b: lib.isclose(a, b, atol=0.5), [(2, 3), (3,)], order=0,
         broadcast=True),
    Case("isclose method rtol", lambda lib, a, b: a.isclose(b, rtol=0.5, atol=0),
         [(2, 3), (2, 3)], order=0),
    Case("isinf isnan isfinite",
         lambda lib, x: (lib.isinf(x / 0), x.isinf(), lib.isnan(x), lib.isfinite(x / 0),
                         x.isposinf(), lib.isneginf(x / 0)), [(2, 3)], order=0),
    Case("any", lambda lib, x: lib.any(x > 1), [(2, 3)], order=0),
    Case("all dim", lambda lib, x: lib.all(x > -1, dim=1), [(2, 3)], order=0),
    Case("any dims keepdim", lambda lib, x: lib.any(x > 1, (0, 2), keepdim=True), [X],
         order=0),
]

# Activations, normalization, resampling and transposed convolution of nn.functional (issue 10)
FUNCTIONAL: list = [
    Case("logsigmoid", lambda lib, x: F(lib).logsigmoid(x), [(2, 3)]),
    Case("silu", lambda lib, x: F(lib).silu(x), [(2, 3)]),
    Case("mish", lambda lib, x: F(lib).mish(x), [(2, 3)]),
    Case("hardtanh", lambda lib, x: F(lib).hardtanh(x, -0.5, 0.8),
         [Arg((2, 3), away_from(-0.5, 0.8))]),
    Case("relu6", lambda lib, x: F(lib).relu6(x * 4), [Arg((2, 3), away_from(0.0, 1.5))]),
    Case("normalize", lambda lib, x: F(lib).normalize(x), [X]),
    Case("normalize p=1 dim=-1", lambda lib, x: F(lib).normalize(x, p=1.0, dim=-1),
         [Arg(X, NONZERO)]),
    Case("cosine_similarity", lambda lib, a, b: F(lib).cosine_similarity(a, b), [(4, 3), (4, 3)]),
    Case("cosine_similarity broadcast dim", lambda lib, a, b: lib.cosine_similarity(a, b, dim=-1),
         [(2, 1, 3), (4, 3)]),
    Case("pairwise_distance", lambda lib, a, b: F(lib).pairwise_distance(a, b), [(4, 3), (4, 3)]),
    Case("pairwise_distance p=3 keepdim",
         lambda lib, a, b: lib.pairwise_distance(a, b, p=3.0, keepdim=True), [(4, 3), (3,)]),
    Case("group_norm", lambda lib, x, w, b: F(lib).group_norm(x, 2, w, b), [(2, 4, 3), (4,), (4,)]),
    Case("group_norm 4-D no affine", lambda lib, x: lib.group_norm(x, 3, eps=1e-3),
         [(2, 6, 2, 2)]),
    Case("conv_transpose2d", lambda lib, x, w, b: F(lib).conv_transpose2d(x, w, b),
         [(2, 3, 3, 4), (3, 2, 2, 3), (2,)]),
    Case("conv_transpose2d stride padding output_padding",
         lambda lib, x, w: F(lib).conv_transpose2d(x, w, stride=2, padding=1, output_padding=1),
         [(1, 2, 3, 3), (2, 3, 3, 3)]),
    Case("conv_transpose2d groups dilation",
         lambda lib, x, w, b: lib.conv_transpose2d(x, w, b, stride=(2, 1), padding=(0, 2),
                                                   output_padding=(1, 1), groups=2,
                                                   dilation=2),
         [(1, 4, 3, 3), (4, 1, 2, 3), (2,)]),
    Case("conv_transpose1d", lambda lib, x, w, b: F(lib).conv_transpose1d(x, w, b, stride=3),
         [(2, 2, 4), (2, 3, 2), (3,)]),
    Case("conv_transpose1d unbatched padding",
         lambda lib, x, w: lib.conv_transpose1d(x, w, padding=1, output_padding=1, stride=2),
         [(2, 4), (2, 2, 3)]),
    Case("interpolate nearest size", lambda lib, x: F(lib).interpolate(x, size=(5, 3)),
         [(1, 2, 3, 4)]),
    Case("interpolate nearest scale", lambda lib, x: F(lib).interpolate(x, scale_factor=2.5),
         [(2, 1, 3)]),
    Case("interpolate linear", lambda lib, x: F(lib).interpolate(x, size=7, mode="linear"),
         [(2, 1, 3)]),
    Case("interpolate bilinear", lambda lib, x: F(lib).interpolate(
        x, scale_factor=(1.5, 2), mode="bilinear"), [(1, 2, 3, 4)]),
    Case("interpolate bilinear align_corners", lambda lib, x: F(lib).interpolate(
        x, size=(5, 2), mode="bilinear", align_corners=True), [(1, 2, 3, 4)]),
    # more nn layers and losses
    Case("prelu shared", lambda lib, x, w: F(lib).prelu(x, w), [Arg((2, 3, 4), NONZERO), (1,)]),
    Case("prelu per channel", lambda lib, x, w: F(lib).prelu(x, w),
         [Arg((2, 3, 2, 2), NONZERO), (3,)]),
    Case("instance_norm", lambda lib, x, w, b: F(lib).instance_norm(x, weight=w, bias=b),
         [(2, 3, 4), (3,), (3,)]),
    Case("instance_norm 2-D eps", lambda lib, x: F(lib).instance_norm(x, eps=1e-3),
         [(2, 2, 3, 2)]),
    Case("instance_norm running stats", lambda lib, x, m, v: F(lib).instance_norm(
        x, m, v, use_input_stats=False), [(2, 3, 4), const((3,), distinct), const((3,), positive)]),
    Case("adaptive_max_pool2d", lambda lib, x: F(lib).adaptive_max_pool2d(x, (2, 3)),
         [Arg((2, 2, 5, 7), distinct)]),
    Case("adaptive_max_pool2d None indices", lambda lib, x: F(lib).adaptive_max_pool2d(
        x, (3, None), return_indices=True), [Arg((2, 4, 5), distinct)]),
    Case("adaptive_max_pool1d", lambda lib, x: F(lib).adaptive_max_pool1d(x, 3),
         [Arg((2, 3, 7), distinct)]),
    Case("unfold", lambda lib, x: F(lib).unfold(x, 2), [(2, 3, 4, 5)]),
    Case("unfold dilation padding stride", lambda lib, x: F(lib).unfold(
        x, (2, 3), dilation=(1, 2), padding=1, stride=(2, 1)), [(2, 2, 5, 6)]),
    Case("unfold unbatched", lambda lib, x: F(lib).unfold(x, 3, stride=2), [(2, 5, 5)]),
    Case("fold", lambda lib, x: F(lib).fold(x, (4, 5), 2), [(2, 12, 12)]),
    Case("fold overlapping stride padding", lambda lib, x: F(lib).fold(
        x, (5, 6), (2, 3), padding=(1, 0), stride=(2, 1)), [(1, 12, 12)]),
    Case("soft_margin_loss", lambda lib, x, y: F(lib).soft_margin_loss(x, y),
         [(3, 4), const((3, 4), lambda rng, shape: rng.choice([-1.0, 1.0], shape))]),
    Case("soft_margin_loss sum", lambda lib, x, y: F(lib).soft_margin_loss(x, y, reduction="sum"),
         [(5,), const((5,), distinct)]),
    Case("multilabel_soft_margin_loss", lambda lib, x, y, w: F(lib).multilabel_soft_margin_loss(
        x, y, w), [(3, 4), const((3, 4), lambda rng, shape: rng.integers(0, 2, shape) * 1.0),
                  (4,)]),
    Case("multilabel_soft_margin_loss none", lambda lib, x, y: F(
        lib).multilabel_soft_margin_loss(x, y, reduction="none"), [(3, 4), Arg((3, 4), positive)]),
    Case("poisson_nll_loss", lambda lib, x, y: F(lib).poisson_nll_loss(x, y),
         [(3, 4), const((3, 4), lambda rng, shape: rng.integers(0, 5, shape).astype(float))]),
    Case("poisson_nll_loss rates full", lambda lib, x, y: F(lib).poisson_nll_loss(
        x, y, log_input=False, full=True, reduction="sum"),
         [Arg((3, 4), positive), Arg((3, 4), lambda rng, shape: rng.uniform(0.2, 3.0, shape))]),
    Case("gaussian_nll_loss", lambda lib, x, y, v: F(lib).gaussian_nll_loss(x, y, v),
         [(3, 4), (3, 4), Arg((3, 4), positive)]),
    Case("gaussian_nll_loss shared var full", lambda lib, x, y, v: F(lib).gaussian_nll_loss(
        x, y, v, full=True, reduction="none"), [(3, 4), (3, 4), Arg((3,), positive)]),
    Case("gaussian_nll_loss var of size 1 sum", lambda lib, x, y, v: F(lib).gaussian_nll_loss(
        x, y, v, reduction="sum"), [(3, 4), (3, 4), Arg((3, 1), positive)]),
]

def _inside_unit(rng, shape):
    """Values in (-0.8, 0.8): the domain of asin and acos, away from their poles."""
    return rng.uniform(-0.8, 0.8, shape)


def _modified(x, method: str, *args, **options):
    """``method`` (an in-place one) applied to row 0 of a non-leaf copy of x: through a view."""
    y = x * 1
    getattr(y[0], method)(*args, **options)
    return y


MORE: list = [
    Case("square", lambda lib, x: lib.square(x), [(2, 3)]),
    Case("rsqrt", lambda lib, x: x.rsqrt(), [Arg((2, 3), positive)]),
    Case("reciprocal", lambda lib, x: lib.reciprocal(x), [Arg((2, 3), NONZERO)]),
    Case("expm1", lambda lib, x: lib.expm1(x), [(2, 3)]),
    Case("exp2", lambda lib, x: lib.exp2(x), [(2, 3)]),
    Case("log2", lambda lib, x: lib.log2(x), [Arg((2, 3), positive)]),
    Case("log10", lambda lib, x: x.log10(), [Arg((2, 3), positive)]),
    Case("sinh", lambda lib, x: lib.sinh(x), [(2, 3)]),
    Case("cosh", lambda lib, x: x.cosh(), [(2, 3)]),
    Case("asin", lambda lib, x: lib.asin(x), [Arg((2, 3), _inside_unit)]),
    Case("acos", lambda lib, x: x.acos(), [Arg((2, 3), _inside_unit)]),
    Case("atan", lambda lib, x: lib.atan(x), [(2, 3)]),
    Case("arcsin alias", lambda lib, x: lib.arcsin(x), [Arg((3,), _inside_unit)]),
    Case("atan2", lambda lib, a, b: lib.atan2(a, b), [(2, 3), Arg((3,), NONZERO)],
         broadcast=True),
    Case("atan2 method", lambda lib, a, b: a.atan2(b), [(2, 3), (2, 3)]),
    Case("hypot", lambda lib, a, b: lib.hypot(a, b), [Arg((2, 3), NONZERO), (3,)],
         broadcast=True),
    Case("logaddexp", lambda lib, a, b: lib.logaddexp(a, b), [(2, 1), (3,)], broadcast=True),
    Case("xlogy", lambda lib, a, b: lib.xlogy(a, b), [Arg((2, 3), NONZERO),
                                                      Arg((3,), positive)]),
    Case("xlogy scalar other", lambda lib, x: lib.xlogy(x, 2.5), [(2, 3)]),
    Case("xlogy scalar input", lambda lib, y: lib.xlogy(1.5, y), [Arg((2, 3), positive)]),
    Case("lerp number", lambda lib, a, b: lib.lerp(a, b, 0.3), [(2, 3), (3,)]),
    Case("lerp tensor weight", lambda lib, a, b, w: a.lerp(b, w), [(2, 3), (2, 3), (3,)]),
    Case("addcmul", lambda lib, x, a, b: lib.addcmul(x, a, b), [(2, 3), (3,), (2, 1)]),
    Case("addcmul value", lambda lib, x, a, b: x.addcmul(a, b, value=-0.5),
         [(2, 3), (2, 3), (2, 3)]),
    Case("addcdiv value", lambda lib, x, a, b: lib.addcdiv(x, a, b, value=2),
         [(2, 3), (2, 3), Arg((3,), NONZERO)]),
    *_dims("std_mean", lambda lib, x, **kw: lib.std_mean(x, **kw), DIMS),
    *_dims("var_mean", lambda lib, x, **kw: lib.var_mean(x, **kw), DIMS),
    Case("var_mean correction=0", lambda lib, x: lib.var_mean(x, 1, correction=0), [X]),
    Case("std_mean unbiased=False", lambda lib, x: lib.std_mean(x, 1, False, True), [X]),
    Case("std_mean positional unbiased", lambda lib, x: lib.std_mean(x, False), [X]),
    Case("aminmax", lambda lib, x: lib.aminmax(x), [Arg(X, distinct)]),
    Case("aminmax dim", lambda lib, x: x.aminmax(dim=1), [Arg(X, distinct)]),
    Case("aminmax dim keepdim", lambda lib, x: lib.aminmax(x, dim=-1, keepdim=True),
         [Arg(X, distinct)]),
    Case("count_nonzero", lambda lib, x: lib.count_nonzero(x), [Arg(X, with_zeros(5))],
         order=0),
    Case("count_nonzero dims", lambda lib, x: x.count_nonzero(dim=(0, 2)),
         [Arg(X, with_zeros(5))], order=0),
    Case("diag vector", lambda lib, v: lib.diag(v), [(3,)]),
    Case("diag vector above", lambda lib, v: lib.diag(v, 1), [(3,)]),
    Case("diag vector below", lambda lib, v: v.diag(-2), [(2,)]),
    Case("diag matrix", lambda lib, x: lib.diag(x), [(3, 4)]),
    Case("diag matrix offset", lambda lib, x: x.diag(diagonal=-1), [(3, 4)]),
    Case("trace", lambda lib, x: lib.trace(x), [(3, 4)]),
    Case("diag_embed", lambda lib, x: lib.diag_embed(x), [(2, 3)]),
    Case("diag_embed offset dims", lambda lib, x: x.diag_embed(1, 0, 2), [(2, 3)]),
    Case("meshgrid ij", lambda lib, a, b: lib.meshgrid(a, b, indexing="ij"), [(3,), (2,)]),
    Case("meshgrid xy three", lambda lib, a, b, c: lib.meshgrid([a, b, c], indexing="xy"),
         [(3,), (2,), (4,)]),
    Case("cartesian_prod", lambda lib, a, b: lib.cartesian_prod(a, b), [(3,), (2,)]),
    Case("hstack", lambda lib, a, b: lib.hstack([a, b]), [(2, 3), (2, 1)]),
    Case("hstack vectors", lambda lib, a, b: lib.hstack((a, b)), [(2,), (3,)]),
    Case("vstack", lambda lib, a, b: lib.vstack([a, b]), [(3,), (2, 3)]),
    Case("dstack", lambda lib, a, b: lib.dstack([a, b]), [(2, 3), (2, 3, 2)]),
    Case("column_stack", lambda lib, a, b: lib.column_stack([a, b]), [(3,), (3, 2)]),
    Case("cdist", lambda lib, a, b: lib.cdist(a, b), [Arg((3, 2), distinct), Arg((4, 2))]),
    Case("cdist p=1 batched", lambda lib, a, b: lib.cdist(a, b, p=1),
         [Arg((2, 3, 2), distinct), Arg((2, 4, 2), lambda rng, s: distinct(rng, s) + 0.1)]),
    Case("cdist p=3", lambda lib, a, b: lib.cdist(a, b, 3.0), [(3, 2), (2, 2)]),
    Case("bincount", lambda lib, i: lib.bincount(i), [const((7,), indices(4))], order=0),
    Case("bincount weights minlength", lambda lib, i, w: lib.bincount(i, w, minlength=6),
         [const((7,), indices(4)), const((7,), positive)], order=0),
    Case("histc", lambda lib, x: lib.histc(x, bins=5), [X], order=0),
    Case("histc range", lambda lib, x: x.histc(4, -1, 1), [X], order=0),
    *[Case(f"{name} through a view", lambda lib, x, name=name: _modified(x, name),
           [Arg((2, 3), draw)])
      for name, draw in (("exp_", real), ("log_", positive), ("sqrt_", positive),
                         ("abs_", NONZERO), ("neg_", real), ("sigmoid_", real),
                         ("tanh_", real), ("sin_", real), ("cos_", real), ("square_", real),
                         ("reciprocal_", NONZERO), ("rsqrt_", positive), ("expm1_", real))],
    Case("pow_ through a view", lambda lib, x, e: _modified(x, "pow_", e),
         [Arg((2, 3), positive), (3,)]),
    Case("lerp_ through a view", lambda lib, x, e, w: _modified(x, "lerp_", e, w),
         [(2, 3), (3,), (3,)]),
    Case("addcmul_ through a view", lambda lib, x, a, b: _modified(x, "addcmul_", a, b,
                                                                   value=0.5),
         [(2, 3), (3,), (3,)]),
    Case("addcdiv_ through a view", lambda lib, x, a, b: _modified(x, "addcdiv_", a, b),
         [(2, 3), (3,), Arg((3,), NONZERO)]),
    Case("fill_diagonal_", lambda lib, x: (x * 1).fill_diagonal_(0.5), [(3, 4)]),
    Case("fill_diagonal_ wrap", lambda lib, x: (x * 1).fill_diagonal_(2.0, wrap=True),
         [(7, 3)]),
]

TABLE = ARITHMETIC + ELEMENTWISE + REDUCTIONS + SOFTMAX + MATMUL_CASES + SHAPE + INDEXING + \
    IN_PLACE + COMPARISONS + LOSSES + SELECTION + PRODUCTS + FUNCTIONAL + MORE
