"""The operation table: one line per differentiable operation (and the comparisons).

Each line names the call (``lib`` is ``retrograd`` or ``torch``), the inputs (shape and domain:
positive for log and sqrt, away from the kinks of abs, relu and clamp, distinct values for max),
and ``order``: 2 when twice differentiable, 1 when once, 0 for no gradient. ``test_table.py``
runs every line three ways: gradcheck in float64, PyTorch as oracle in float32 and float64, and
gradgradcheck where ``order == 2``.
"""
from __future__ import annotations

import math

from .oracle import (Arg, Case, away_from, const, distinct, distinct_magnitudes, indices, mask,
                     positive, small_integers, with_zeros)

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
SELECTION: list = [
]

# Rounding, integer division, linear algebra products and einsum (issue 10)
PRODUCTS: list = [
]

# Activations, normalization, resampling and transposed convolution of nn.functional (issue 10)
FUNCTIONAL: list = [
]

TABLE = ARITHMETIC + ELEMENTWISE + REDUCTIONS + SOFTMAX + MATMUL_CASES + SHAPE + INDEXING + \
    IN_PLACE + COMPARISONS + LOSSES + SELECTION + PRODUCTS + FUNCTIONAL
