"""Elementwise mathematical functions: exp, log, sqrt, trigonometry, clamp, maximum, where."""
from __future__ import annotations

import math

from ..autograd.function import Op
from ..backend import xp
from ..tensor import Tensor
from . import array_or_tensor as aot
from .promotion import BinaryOp, promote_operands


class Exp(Op):
    @staticmethod
    def forward(ctx, x):
        y = xp.exp(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        y, = ctx.saved_tensors
        return grad * y  # d e^x/dx = e^x


class Log(Op):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return xp.log(x)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad / x


class Log1p(Op):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return xp.log1p(x)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad / (1 + x)


class Sqrt(Op):
    @staticmethod
    def forward(ctx, x):
        y = xp.sqrt(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        y, = ctx.saved_tensors
        return grad / (2 * y)


class Sin(Op):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return xp.sin(x)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad * aot.cos(x)


class Cos(Op):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return xp.cos(x)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return -grad * aot.sin(x)


class Tanh(Op):
    @staticmethod
    def forward(ctx, x):
        y = xp.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        y, = ctx.saved_tensors
        return grad * (1 - y * y)  # d tanh/dx = 1 - tanh^2


# erf by W. J. Cody's rational Chebyshev approximations ("Rational Chebyshev approximations
# for the error function", Math. Comp. 23 (1969) 631-638; the coefficients of his CALERF,
# netlib specfun), evaluated in float64 on whole arrays: within 4 ulp of the correctly rounded
# erf everywhere (1e-10 stays 1.128e-10, erf(-x) = -erf(x) exactly). NumPy has no erf.
_ERF_A = (3.1611237438705656, 113.864154151050156, 377.485237685302021, 3209.37758913846947,
          0.185777706184603153)
_ERF_B = (23.6012909523441209, 244.024637934444173, 1282.61652607737228, 2844.23683343917062)
_ERFC_C = (0.564188496988670089, 8.88314979438837594, 66.1191906371416295,
           298.635138197400131, 881.95222124176909, 1712.04761263407058, 2051.07837782607147,
           1230.33935479799725, 2.15311535474403846e-8)
_ERFC_D = (15.7449261107098347, 117.693950891312499, 537.181101862009858, 1621.38957456669019,
           3290.79923573345963, 4362.61909014324716, 3439.36767414372164, 1230.33935480374942)
_ERFC_P = (0.305326634961232344, 0.360344899949804439, 0.125781726111229246,
           0.0160837851487422766, 6.58749161529837803e-4, 0.0163153871373020978)
_ERFC_Q = (2.56852019228982242, 1.87295284992346047, 0.527905102951428412,
           0.0605183413124413191, 0.00233520497626869185)
_INV_SQRT_PI = 0.56418958354775628695
_ERF_SMALL, _ERFC_MID = 0.46875, 4.0  # Cody's intervals; erf(x) rounds to 1 for |x| >= 6


def _ratio(t, numerator, denominator):
    """``(n_k t^k + ... + n_0) / (t^k + d_{k-1} t^(k-1) + ... + d_0)`` by Horner's rule, in place,
    with Cody's ordering: ``numerator = (n_k, n_{k-1}, ..., n_0)`` stored as his
    ``(n_{k-1}, ..., n_0, n_k)`` and ``denominator`` as ``(d_{k-1}, ..., d_0)``."""
    num = numerator[-1] * t
    num += numerator[0]
    den = t + denominator[0]
    for n, d in zip(numerator[1:-1], denominator[1:]):
        num *= t
        num += n
        den *= t
        den += d
    num /= den
    return num


def _erf_small(x):
    """erf for |x| <= 0.46875: ``x P(x^2) / Q(x^2)``."""
    return _ratio(x * x, _ERF_A, _ERF_B) * x


def _erfc_mid(y):
    """erfc for 0.46875 < y <= 4: ``exp(-y^2) P(y) / Q(y)``."""
    e = y * y
    xp.negative(e, out=e)
    xp.exp(e, out=e)
    e *= _ratio(y, _ERFC_C, _ERFC_D)
    return e


def _erfc_large(y):
    """erfc for 4 < y < 6: ``exp(-y^2) / y (1/sqrt(pi) + z P(z) / Q(z))`` with z = 1/y^2."""
    z = y * y
    e = xp.exp(-z)
    xp.reciprocal(z, out=z)
    tail = _ratio(z, _ERFC_P, _ERFC_Q)
    tail *= z
    xp.subtract(_INV_SQRT_PI, tail, out=tail)
    tail /= y
    tail *= e
    return tail


def _erf(x):
    """The error function of an array, in its dtype (integers and bools give float32)."""
    dtype = x.dtype if x.dtype.kind == "f" else xp.dtype(xp.float32)
    flat = x.astype(xp.float64).reshape(-1)  # a copy, written in place below
    y = xp.abs(flat)
    if not (y > _ERF_SMALL).any():  # all near 0 (NaN too: x P/Q is NaN)
        return _erf_small(flat).reshape(x.shape).astype(dtype, copy=False)
    # each interval on its own elements: index arrays, as boolean masks are slow in NumPy
    small = xp.flatnonzero(y <= _ERF_SMALL)
    flat[small] = _erf_small(flat.take(small))
    big = xp.flatnonzero(y > _ERF_SMALL)  # NaN is in neither and stays NaN
    y = y.take(big)
    if y.max() <= _ERFC_MID:
        erfc = _erfc_mid(y)
    else:
        erfc = xp.zeros_like(y)  # 0 from |x| = 6 on
        mid = xp.flatnonzero(y <= _ERFC_MID)
        erfc[mid] = _erfc_mid(y.take(mid))
        large = xp.flatnonzero((y > _ERFC_MID) & (y < 6.0))
        erfc[large] = _erfc_large(y.take(large))
    xp.subtract(1.0, erfc, out=erfc)
    flat[big] = xp.copysign(erfc, flat.take(big), out=erfc)  # erf is odd
    return flat.reshape(x.shape).astype(dtype, copy=False)


class Erf(Op):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _erf(x)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad * (2 / math.sqrt(math.pi)) * aot.exp(-x * x)


class Clamp(Op):
    @staticmethod
    def forward(ctx, x, min=None, max=None):
        ctx.save_for_backward(x)
        ctx.min, ctx.max = min, max
        return xp.clip(x, min, max)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        # the gradient passes where the value was kept (bounds included), as in PyTorch
        if ctx.max is None:
            inside = x >= ctx.min
        elif ctx.min is None:
            inside = x <= ctx.max
        else:
            inside = (x >= ctx.min) & (x <= ctx.max)
        return grad * inside


class Maximum(BinaryOp):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return xp.maximum(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        # max routes the gradient to the larger input; a tie splits it in half (PyTorch)
        half_on_ties = (grad * 0.5) * (a == b)
        return grad * (a > b) + half_on_ties, grad * (a < b) + half_on_ties


class Minimum(BinaryOp):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return xp.minimum(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        half_on_ties = (grad * 0.5) * (a == b)
        return grad * (a < b) + half_on_ties, grad * (a > b) + half_on_ties


class Where(Op):
    @staticmethod
    def forward(ctx, condition, a, b):
        ctx.save_for_backward(condition)
        return xp.where(condition, a, b)

    @staticmethod
    def backward(ctx, grad):
        condition, = ctx.saved_tensors
        _, need_a, need_b = ctx.needs_input_grad
        return (None,
                aot.where(condition, grad, 0.0) if need_a else None,
                aot.where(condition, 0.0, grad) if need_b else None)


def exp(input: Tensor) -> Tensor:
    """Elementwise ``e^x``."""
    return Exp.apply(input)


def log(input: Tensor) -> Tensor:
    """Elementwise natural logarithm."""
    return Log.apply(input)


def log1p(input: Tensor) -> Tensor:
    """Elementwise ``log(1 + x)``, accurate for small x."""
    return Log1p.apply(input)


def sqrt(input: Tensor) -> Tensor:
    """Elementwise square root."""
    return Sqrt.apply(input)


def sin(input: Tensor) -> Tensor:
    """Elementwise sine."""
    return Sin.apply(input)


def cos(input: Tensor) -> Tensor:
    """Elementwise cosine."""
    return Cos.apply(input)


def tanh(input: Tensor) -> Tensor:
    """Elementwise hyperbolic tangent, in (-1, 1)."""
    return Tanh.apply(input)


def erf(input: Tensor) -> Tensor:
    """Elementwise error function, accurate to a few ulp in float64 (W. J. Cody's
    approximations)."""
    return Erf.apply(input)


def clamp(input: Tensor, min: float | None = None, max: float | None = None) -> Tensor:
    """Clips every element into ``[min, max]``; at least one bound must be given."""
    if min is None and max is None:
        raise RuntimeError("clamp needs at least one of min= and max=")
    return Clamp.apply(input, min=min, max=max)


def maximum(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise maximum of two tensors, broadcasting."""
    return Maximum.apply(input, other)


def minimum(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise minimum of two tensors, broadcasting."""
    return Minimum.apply(input, other)


def where(condition, input, other) -> Tensor:
    """``input`` where ``condition`` is true, else ``other``, broadcasting all three; the
    result has their ``torch.result_type``."""
    if isinstance(condition, Tensor):
        condition = condition.array
    if not (isinstance(input, Tensor) and isinstance(other, Tensor)
            and input.array.dtype is other.array.dtype):
        input, other = promote_operands(input, other)
    return Where.apply(xp.asarray(condition, dtype=bool), input, other)


class Sign(Op):
    @staticmethod
    def forward(ctx, x):
        return xp.sign(x)

    @staticmethod
    def backward(ctx, grad):
        return grad * 0  # piecewise constant: zero gradient, as in PyTorch


class Clone(Op):
    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad


class Cast(Op):
    _float32_from_integers = False  # the requested dtype is the dtype

    @staticmethod
    def forward(ctx, x, dtype):
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad  # the engine casts the gradient back to the input's dtype


def sign(input: Tensor) -> Tensor:
    """-1, 0 or 1 by the sign of each element (zero gradient)."""
    return Sign.apply(input)


def cast(input: Tensor, np_dtype) -> Tensor:
    """``input`` converted to another dtype; differentiable between floating-point types."""
    if input.array.dtype == np_dtype:
        return input
    if np_dtype.kind != "f":  # integer and bool tensors carry no gradient
        return Tensor(input.array.astype(np_dtype))
    return Cast.apply(input, dtype=np_dtype)
