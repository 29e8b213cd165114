"""Matrix products: ``matmul`` (``@``, batched and broadcast like NumPy), ``linear``, ``mm``,
``bmm``, ``dot``, ``outer``, ``addmm`` and ``einsum``."""
from __future__ import annotations

import string

from ..autograd.function import Op
from ..backend import array_module
from ..tensor import Tensor
from . import array_or_tensor as aot
from . import elementwise
from .out import supports_out


class MatMul(Op):
    @staticmethod
    def forward(ctx, a, b):
        need_a, need_b = ctx.needs_input_grad
        ctx.save_for_backward(a if need_b else None, b if need_a else None)  # each uses the other
        ctx.vector_a, ctx.vector_b = a.ndim == 1, b.ndim == 1
        return a @ b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        vector_a, vector_b = ctx.vector_a, ctx.vector_b
        if vector_a and vector_b:  # dot product
            return (grad * b if need_a else None), (grad * a if need_b else None)
        # a vector operand acts as a one-row (or one-column) matrix
        grad_matrix = aot.unsqueeze(grad, -2) if vector_a else grad
        grad_matrix = aot.unsqueeze(grad_matrix, -1) if vector_b else grad_matrix
        grad_a = grad_b = None
        if need_a:  # dL/dA = dL/dC B^T
            b_matrix = aot.unsqueeze(b, -1) if vector_b else b
            grad_a = grad_matrix @ aot.swap_last_two(b_matrix)
            grad_a = aot.squeeze(grad_a, -2) if vector_a else grad_a
        if need_b:  # dL/dB = A^T dL/dC
            a_matrix = aot.unsqueeze(a, 0) if vector_a else a
            grad_b = aot.swap_last_two(a_matrix) @ grad_matrix
            grad_b = aot.squeeze(grad_b, -1) if vector_b else grad_b
        return grad_a, grad_b


class Linear(Op):
    torch_name = "Addmm"

    @staticmethod
    def forward(ctx, x, weight, bias=None):
        need_x, need_weight = ctx.needs_input_grad[:2]
        ctx.save_for_backward(x if need_weight else None, weight if need_x else None)
        out = x @ weight.T
        if bias is not None:
            out += bias
        return out

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        need_x, need_weight, need_bias = ctx.needs_input_grad
        grad_x = grad @ weight if need_x else None
        if grad.ndim != 2:  # the leading (batch) dimensions as rows; (N, out) is already so
            grad = grad.reshape(-1, grad.shape[-1])
            x = None if x is None else x.reshape(-1, x.shape[-1])
        # dW = dY^T X and db = the sum of dY's rows, both summed over every row
        grad_weight = aot.swap_last_two(grad) @ x if need_weight else None
        grad_bias = grad.sum(axis=0) if need_bias else None
        return grad_x, grad_weight, grad_bias


def _check_operands(a: Tensor, b: Tensor, name: str) -> None:
    for position, operand in (("input", a), ("other", b)):
        if not isinstance(operand, Tensor):
            raise TypeError(f"{name}: argument '{position}' must be a Tensor, got "
                            f"{type(operand).__name__}; wrap it with rg.tensor(...)")
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"{name}: both arguments need at least 1 dimension, got shapes "
                           f"{tuple(a.shape)} and {tuple(b.shape)}")


@supports_out(exact_dtype=True)
def matmul(input: Tensor, other: Tensor) -> Tensor:
    """Matrix product with NumPy's rules: vectors, matrices, and batches broadcast over leading
    dimensions. Shapes (..., n, k) @ (..., k, m) -> (..., n, m).
    """
    _check_operands(input, other, "matmul")
    k_left = input.shape[-1]
    k_right = other.shape[-2] if other.ndim > 1 else other.shape[0]
    if k_left != k_right:
        raise RuntimeError(f"matmul: shapes {tuple(input.shape)} and {tuple(other.shape)} cannot "
                           f"be multiplied ({k_left} != {k_right})")
    return MatMul.apply(input, other)  # apply reports batch dimensions that do not broadcast


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias``: input (..., in_features), weight (out_features,
    in_features), bias (out_features,) -> (..., out_features).
    """
    if input.shape[-1:] != weight.shape[-1:] or weight.ndim != 2:
        raise RuntimeError(f"linear: input of shape {tuple(input.shape)} does not match weight "
                           f"of shape {tuple(weight.shape)} (expected input (..., "
                           f"{weight.shape[-1] if weight.ndim else '?'}))")
    if bias is not None and bias.shape != weight.shape[:1]:
        raise RuntimeError(f"linear: bias of shape {tuple(bias.shape)} does not match "
                           f"{weight.shape[0]} output features")
    return Linear.apply(input, weight, bias)


# -- matrix products of fixed rank, einsum -----------------------------------------------------

def _check_same_dtype(name: str, *operands: Tensor) -> None:
    dtypes = {operand.dtype for operand in operands}
    if len(dtypes) > 1:
        listed = " != ".join(str(operand.dtype) for operand in operands)
        raise RuntimeError(f"{name}: expected the operands to have the same dtype, but got: "
                           f"{listed}")


def _check_rank(name: str, operands: dict, rank: int, same_dtype: bool = True) -> None:
    """``operands`` (argument name -> tensor) are Tensors of ``rank`` dimensions."""
    for position, operand in operands.items():
        if not isinstance(operand, Tensor):
            raise TypeError(f"{name}(): argument '{position}' must be Tensor, not "
                            f"{type(operand).__name__}")
        if operand.ndim != rank:
            raise RuntimeError(f"{name}: expected {position} to be a {rank}-D tensor, but got "
                               f"a {operand.ndim}-D tensor of shape {tuple(operand.shape)}")
    if same_dtype:
        _check_same_dtype(name, *operands.values())


def _product_of_rank(name: str, input: Tensor, other: Tensor, rank: int) -> Tensor:
    """``input @ other`` for operands of exactly ``rank`` dimensions, without broadcasting:
    equal batch dimensions, and input's last size matching other's first matrix dimension."""
    _check_rank(name, {"input": input, "mat2" if rank > 1 else "other": other}, rank)
    inner = other.shape[-2] if rank > 1 else other.shape[0]
    if input.shape[:-2] != other.shape[:-2] or input.shape[-1] != inner:
        raise RuntimeError(f"{name}: shapes {tuple(input.shape)} and {tuple(other.shape)} "
                           f"cannot be multiplied (expected the second of shape "
                           f"{tuple(input.shape[:-2]) + (input.shape[-1],)}"
                           f"{', m' if rank > 1 else ''})")
    return MatMul.apply(input, other)


@supports_out(exact_dtype=True)
def mm(input: Tensor, mat2: Tensor) -> Tensor:
    """Product of two matrices, without broadcasting: (n, k) @ (k, m) -> (n, m)."""
    return _product_of_rank("mm", input, mat2, 2)


@supports_out(exact_dtype=True)
def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    """Batched matrix product, without broadcasting: (b, n, k) @ (b, k, m) -> (b, n, m)."""
    return _product_of_rank("bmm", input, mat2, 3)


@supports_out(exact_dtype=True)
def dot(input: Tensor, other: Tensor) -> Tensor:
    """Inner product of two vectors of the same length: (n,), (n,) -> ()."""
    return _product_of_rank("dot", input, other, 1)


@supports_out
def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """Outer product of two vectors: (n,), (m,) -> (n, m), ``input[i] * vec2[j]``."""
    _check_rank("outer", {"input": input, "vec2": vec2}, 1, same_dtype=False)
    return input.unsqueeze(1) * vec2


@supports_out(exact_dtype=True)
def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta: float = 1,
          alpha: float = 1) -> Tensor:
    """``beta * input + alpha * (mat1 @ mat2)``: mat1 (n, k), mat2 (k, m), input broadcastable
    to (n, m). With ``beta=0`` input is ignored (its nan and inf do not propagate)."""
    _check_rank("addmm", {"mat1": mat1, "mat2": mat2}, 2)
    if not isinstance(input, Tensor):
        raise TypeError(f"addmm(): argument 'input' must be Tensor, not {type(input).__name__}")
    _check_same_dtype("addmm", input, mat1)
    product = mm(mat1, mat2)
    shape = tuple(product.shape)
    if input.ndim > 2 or any(size not in (1, full)
                             for size, full in zip(input.shape[::-1], shape[::-1])):
        raise RuntimeError(f"addmm: input of shape {tuple(input.shape)} does not broadcast to "
                           f"the product's shape {shape}")
    if alpha != 1:
        product = product * alpha
    if beta == 0:  # input's values are ignored, its gradient is zero (as in PyTorch)
        return elementwise.where(True, product, input)
    return product + (input if beta == 1 else input * beta)


_LABELS = string.ascii_uppercase + string.ascii_lowercase  # PyTorch's 52 subscripts


class Einsum(Op):
    @staticmethod
    def forward(ctx, *operands, terms, output):
        ctx.save_for_backward(*operands)
        ctx.terms, ctx.output = terms, output
        return _contract(",".join(terms) + "->" + output, operands)

    @staticmethod
    def backward(ctx, grad):
        operands = ctx.saved_tensors
        terms, output = ctx.terms, ctx.output
        xp = array_module(grad.array if isinstance(grad, Tensor) else grad)
        dtype = (grad.array if isinstance(grad, Tensor) else grad).dtype
        unused = [label for label in _LABELS if label not in "".join(terms) + output]
        grads = []
        for i, needed in enumerate(ctx.needs_input_grad):
            if not needed:
                grads.append(None)
                continue
            others = [term for j, term in enumerate(terms) if j != i]
            # the gradient is the contraction of the output's gradient with the other operands;
            # a label repeated in this operand (a diagonal) gets a fresh label per repetition,
            # tied to the first by an identity matrix; a label summed within this operand alone
            # is broadcast back by a vector of ones
            target, constants, constant_terms, fresh = "", [], [], iter(unused)
            shape = operands[i].shape
            for position, label in enumerate(terms[i]):
                if label in target:
                    renamed = next(fresh)
                    constants.append(xp.eye(shape[position], dtype=dtype))
                    constant_terms.append(label + renamed)
                    target += renamed
                else:
                    target += label
                    if label not in output and not any(label in term for term in others):
                        constants.append(xp.ones(shape[position], dtype=dtype))
                        constant_terms.append(label)
            equation = ",".join([output, *others, *constant_terms]) + "->" + target
            grads.append(_contract(equation, [grad, *operands[:i], *operands[i + 1:],
                                              *constants]))
        return tuple(grads)


def _contract(equation: str, operands) -> object:
    """``einsum`` of arrays (the array module's), or of Tensors (recorded)."""
    if any(isinstance(operand, Tensor) for operand in operands):
        terms, output = equation.split("->")
        return Einsum.apply(*operands, terms=terms.split(","), output=output)
    return array_module(operands[0]).einsum(equation, *operands, optimize=len(operands) > 2)


def _sublist_equation(arguments: tuple) -> tuple:
    """PyTorch's sublist form ``einsum(op1, [0, 1], op2, [1, 2], [0, 2])`` as an equation."""
    def subscripts(sublist) -> str:
        labels = ""
        for item in sublist:
            if item is Ellipsis:
                labels += "..."
            elif isinstance(item, int) and 0 <= item < len(_LABELS):
                labels += _LABELS[item]
            else:
                raise RuntimeError(f"einsum(): expected subscripts in [0, {len(_LABELS)}) or "
                                   f"Ellipsis in a sublist, got {item!r}")
        return labels
    operands, terms = arguments[0:-1:2], [subscripts(s) for s in arguments[1::2]]
    if len(arguments) % 2:  # an output sublist at the end
        operands, output = arguments[0:-1:2], subscripts(arguments[-1])
        terms = terms[:len(operands)]
        return ",".join(terms) + "->" + output, operands
    return ",".join(terms), operands


def _parse_equation(equation: str, operands: tuple) -> tuple:
    """The subscripts of each operand and of the output, with every ellipsis replaced by
    letters of their own and the implicit output made explicit (PyTorch's rules)."""
    equation = equation.replace(" ", "")
    left, arrow, right = equation.partition("->")
    terms = left.split(",")
    if len(terms) != len(operands):
        raise RuntimeError(f"einsum(): the equation {equation!r} has {len(terms)} operands but "
                           f"{len(operands)} were given")
    for part in [*terms, right]:
        if not all(c in _LABELS or c == "." for c in part) or \
                part.replace("...", "").count(".") or part.count("...") > 1:
            raise RuntimeError(f"einsum(): invalid subscripts {part!r} in {equation!r}: use "
                               f"letters a-z, A-Z and at most one ellipsis (...) per operand")
    used = set(equation) - {".", ",", "-", ">"}
    spare = [label for label in _LABELS if label not in used]
    ellipsis_rank = 0
    for i, (term, operand) in enumerate(zip(terms, operands)):
        explicit = len(term.replace("...", ""))
        if operand.ndim < explicit or ("..." not in term and operand.ndim != explicit):
            raise RuntimeError(f"einsum(): the number of subscripts in the equation "
                               f"({explicit}) does not match the number of dimensions "
                               f"({operand.ndim}) for operand {i}"
                               f"{'' if '...' in term else ' and no ellipsis was given'}")
        if "..." in term:
            ellipsis_rank = max(ellipsis_rank, operand.ndim - explicit)
    broadcast = "".join(spare[:ellipsis_rank])
    terms = [term.replace("...", broadcast[len(broadcast) - (operand.ndim + 3 - len(term)):]
                          if "..." in term else "")
             for term, operand in zip(terms, operands)]
    if arrow:
        output = right.replace("...", broadcast)
    else:  # implicit: the broadcast dimensions, then the labels used once, in order
        joined = "".join(terms)
        output = broadcast + "".join(sorted(label for label in set(joined)
                                            if joined.count(label) == 1 and label in used))
    for label in output:
        if output.count(label) > 1:
            raise RuntimeError(f"einsum(): output subscript {label} appears more than once in "
                               f"the output")
        if not any(label in term for term in terms):
            raise RuntimeError(f"einsum(): output subscript {label} does not appear in the "
                               f"equation for any input operand")
    _check_sizes(terms, operands)
    return terms, output


def _check_sizes(terms: list, operands: tuple) -> None:
    """Each label has one size (or 1, which broadcasts), and a repeated label in one operand
    has equal sizes."""
    sizes: dict = {}
    for i, (term, operand) in enumerate(zip(terms, operands)):
        own: dict = {}
        for label, size in zip(term, operand.shape):
            if own.setdefault(label, size) != size:
                raise RuntimeError(f"einsum(): subscript {label} is repeated for operand {i} "
                                   f"but the sizes don't match, {own[label]} != {size}")
        for label, size in own.items():
            seen = sizes.setdefault(label, size)
            if size != seen and 1 not in (size, seen):
                raise RuntimeError(f"einsum(): subscript {label} has size {size} for operand "
                                   f"{i} which does not broadcast with previously seen size "
                                   f"{seen}")
            sizes[label] = max(seen, size)


def einsum(*args) -> Tensor:
    """Einstein summation: ``einsum("ij,jk->ik", a, b)`` is ``a @ b``; also
    ``einsum(equation, [operands])`` and the sublist form ``einsum(a, [0, 1], b, [1, 2])``.

    Subscripts are letters; ``...`` stands for broadcast dimensions; without ``->`` the output
    has the broadcast dimensions, then the labels used once in alphabetical order. A label
    repeated in one operand takes its diagonal ("ii->i"); labels left out of the output are
    summed. Sizes 1 broadcast. Differentiable (to any order) in every operand.
    """
    if not args:
        raise TypeError("einsum(): missing the equation and the operands")
    if isinstance(args[0], str):
        equation, operands = args[0], args[1:]
        if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
            operands = tuple(operands[0])
    else:
        equation, operands = _sublist_equation(args)
    if not operands:
        raise RuntimeError("einsum(): must provide at least one operand")
    for i, operand in enumerate(operands):
        if not isinstance(operand, Tensor):
            raise TypeError(f"einsum(): operand {i} must be a Tensor, not "
                            f"{type(operand).__name__}")
    if len({operand.array.dtype for operand in operands}) > 1:
        raise RuntimeError(f"einsum(): expected operands of one dtype, got "
                           f"{', '.join(str(operand.dtype) for operand in operands)}")
    terms, output = _parse_equation(equation, operands)
    return Einsum.apply(*operands, terms=terms, output=output)
