"""Array kernels: elementwise functions NumPy lacks, on raw arrays (no Tensor, no graph).

The operations of ``ops/`` and the backward formulas of ``array_or_tensor`` both call them; they
sit below both, so neither needs to import the other for them.
"""
from __future__ import annotations

from ..backend import array_module


def stable_sigmoid(x):
    """``1 / (1 + e^-x)`` in x's dtype, accurate to rounding in both tails, for any x.

    With ``e = exp(-|x|)`` in (0, 1], which never overflows: ``1 / (1 + e)`` for x >= 0 and
    ``e / (1 + e)`` for x < 0, so the left tail keeps its relative precision (sigmoid(-20) is
    2.06e-9 in float32, not the 0 that ``(1 + tanh(x/2)) / 2`` rounds to). The numerator is
    ``max(e, x >= 0)``: 1 where x >= 0, e where x < 0, chosen without a mask select (NumPy's
    ``where`` and ``copyto(where=)`` are slow on unpredictable masks).
    """
    xp = array_module(x)
    if x.dtype.kind != "f":
        x = x.astype(xp.float32)  # integers and bools give float32, as in PyTorch
    elif x.dtype.itemsize == 2:  # float16: computed in float32 and rounded once, as PyTorch does
        return stable_sigmoid(x.astype(xp.float32)).astype(xp.float16)
    if x.ndim == 0:  # ufuncs on 0-d arrays return scalars, which out= cannot write into
        return stable_sigmoid(x.reshape(1)).reshape(())
    e = xp.abs(x)
    xp.negative(e, out=e)
    xp.exp(e, out=e)  # e^-|x|; exp only underflows, which NumPy ignores
    denominator = e + 1
    xp.maximum(e, x >= 0, out=e)  # NaN stays NaN
    return xp.divide(e, denominator, out=denominator)


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


def _erfc_mid(xp, y):
    """erfc for 0.46875 < y <= 4: ``exp(-y^2) P(y) / Q(y)`` (``xp`` is y's array module)."""
    e = y * y
    xp.negative(e, out=e)
    xp.exp(e, out=e)
    e *= _ratio(y, _ERFC_C, _ERFC_D)
    return e


def _erfc_large(xp, y):
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


def erf(x):
    """The error function of an array, in its dtype (integers and bools give float32)."""
    xp = array_module(x)
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
        erfc = _erfc_mid(xp, y)
    else:
        erfc = xp.zeros_like(y)  # 0 from |x| = 6 on
        mid = xp.flatnonzero(y <= _ERFC_MID)
        erfc[mid] = _erfc_mid(xp, y.take(mid))
        large = xp.flatnonzero((y > _ERFC_MID) & (y < 6.0))
        erfc[large] = _erfc_large(xp, y.take(large))
    xp.subtract(1.0, erfc, out=erfc)
    flat[big] = xp.copysign(erfc, flat.take(big), out=erfc)  # erf is odd
    return flat.reshape(x.shape).astype(dtype, copy=False)
