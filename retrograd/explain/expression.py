"""Safe expressions such as ``"(u + v) * w"``: parsed with Python's ``ast`` and a whitelist,
evaluated by walking the tree; never ``eval`` or ``exec``.

Allowed: numbers, the variables given values, ``+ - * / ** @``, unary ``-`` and ``+``,
parentheses, and calls of the functions in ``FUNCTIONS``. Anything else (attributes, indexing,
lambdas, comprehensions, strings, unknown names...) is rejected by a one-line
``ExpressionError`` that names the construct.
"""
from __future__ import annotations

import ast
import operator
from typing import Any, Callable, Mapping

import numpy as np

from ..creation import tensor
from ..ops import activation, arithmetic, elementwise, reduction
from ..tensor import Tensor
from .walk import record

MAX_DEPTH = 200  # levels of an expression tree: the evaluation and the drawing recurse
MAX_CHARACTERS = 5000
_SHOWN_CHARACTERS = 60


class ExpressionError(ValueError):
    """An expression (or a value given for it) that is not allowed or cannot be computed."""


def _max(*arguments: Tensor) -> Tensor:
    return reduction.amax(arguments[0]) if len(arguments) == 1 else elementwise.maximum(*arguments)


def _min(*arguments: Tensor) -> Tensor:
    return reduction.amin(arguments[0]) if len(arguments) == 1 else elementwise.minimum(*arguments)


# name -> (function, the numbers of arguments it takes)
FUNCTIONS: dict[str, tuple[Callable[..., Tensor], tuple[int, ...]]] = {
    "exp": (elementwise.exp, (1,)), "log": (elementwise.log, (1,)),
    "sqrt": (elementwise.sqrt, (1,)), "sin": (elementwise.sin, (1,)),
    "cos": (elementwise.cos, (1,)), "tanh": (elementwise.tanh, (1,)),
    "sigmoid": (activation.sigmoid, (1,)), "relu": (activation.relu, (1,)),
    "softplus": (activation.softplus, (1,)), "abs": (arithmetic.abs, (1,)),
    "sum": (reduction.sum, (1,)), "mean": (reduction.mean, (1,)),
    "max": (_max, (1, 2)), "min": (_min, (1, 2)),
    "softmax": (lambda x: activation.softmax(x, -1), (1,)),
    "log_softmax": (lambda x: activation.log_softmax(x, -1), (1,)),
}
_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.Div: operator.truediv, ast.Pow: operator.pow, ast.MatMult: operator.matmul}
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos}
_ALLOWED = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Constant, ast.Name, ast.Load, ast.Call,
            *_BINARY, *_UNARY)
# how to name, in an error message, the constructs people are most likely to try
_CONSTRUCTS = {
    ast.Attribute: "attribute access (a.b)", ast.Subscript: "indexing (a[...])",
    ast.Lambda: "a lambda", ast.ListComp: "a list comprehension",
    ast.SetComp: "a set comprehension", ast.DictComp: "a dict comprehension",
    ast.GeneratorExp: "a generator expression", ast.Compare: "a comparison",
    ast.BoolOp: "and/or", ast.IfExp: "if/else", ast.NamedExpr: "an assignment (:=)",
    ast.Starred: "unpacking (*)", ast.List: "a list", ast.Tuple: "a tuple", ast.Dict: "a dict",
    ast.Set: "a set", ast.JoinedStr: "an f-string", ast.keyword: "a keyword argument",
    ast.FloorDiv: "the operator //", ast.Mod: "the operator %", ast.BitAnd: "the operator &",
    ast.BitOr: "the operator |", ast.BitXor: "the operator ^ (use ** for powers)",
    ast.LShift: "the operator <<", ast.RShift: "the operator >>", ast.Not: "not",
    ast.Invert: "the operator ~",
}
_HELP = ("an expression may use numbers, its variables, + - * / ** @, parentheses and the "
         "functions " + ", ".join(FUNCTIONS))


def evaluate(text: str, variables: Mapping[str, Any]) -> tuple[Tensor, dict[Tensor, str]]:
    """Computes the expression ``text`` with ``variables`` (name -> number or nested list) as
    float32 tensors that require grad, inside ``rg.explain.record()``.

    Returns the result and the names of the variables, ready for ``trace`` and ``graph``.
    Raises ``ExpressionError`` for anything but numbers, the variables, + - * / ** @, unary
    minus, parentheses and the functions of ``FUNCTIONS``.

    >>> f, names = rg.explain.evaluate("(u + v) * w", {"u": 2, "v": 3, "w": 4})
    >>> print(rg.explain.trace(f, names))
    """
    tree = _parse(text)
    leaves = {name: _variable(name, value) for name, value in variables.items()}
    called = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    for node in ast.walk(tree):  # breadth first: the outermost bad construct is named
        _check(node, leaves, called)
    with record():
        try:
            result = _evaluate(tree.body, leaves)
        except (ZeroDivisionError, OverflowError) as error:
            raise ExpressionError(f"cannot compute {_shown(text)}: {error}") from None
    if not isinstance(result, Tensor) or not result.requires_grad:
        raise ExpressionError(f"{_shown(text)} uses none of the variables "
                              f"({', '.join(variables) or 'none given'}): nothing to "
                              f"differentiate")
    return result, {leaf: name for name, leaf in leaves.items()}


def parse_values(text: str) -> dict[str, Any]:
    """``"u=2,v=3,x=[1,2,3]"`` as ``{'u': 2, 'v': 3, 'x': [1, 2, 3]}`` (numbers and lists of
    numbers only, read by ``ast.literal_eval``, which runs no code)."""
    usage = (f"expected NAME=VALUE pairs separated by commas, such as u=2,v=3 or x=[1,2,3]; "
             f"got {_shown(text)}")
    try:
        call = ast.parse(f"_({text})", mode="eval").body
    except SyntaxError:
        raise ExpressionError(usage) from None
    if not isinstance(call, ast.Call) or call.args or any(k.arg is None for k in call.keywords):
        raise ExpressionError(usage)
    values: dict[str, Any] = {}
    for keyword in call.keywords:
        if keyword.arg in values:
            raise ExpressionError(f"{keyword.arg} is given two values in {_shown(text)}")
        try:
            # ** was refused above
            values[keyword.arg] = ast.literal_eval(keyword.value)  # type: ignore[index]
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            raise ExpressionError(f"the value of {keyword.arg} is not a number or a list of "
                                  f"numbers; {usage}") from None
    return values


def _shown(text: str) -> str:
    """``text`` quoted for a message, cut to its start: an error never echoes 20 KB back."""
    return repr(text) if len(text) <= _SHOWN_CHARACTERS else \
        f"{text[:_SHOWN_CHARACTERS]!r}... ({len(text)} characters)"


def _parse(text: str) -> ast.Expression:
    if len(text) > MAX_CHARACTERS:
        raise ExpressionError(f"{_shown(text)} is too long to explain step by step (at most "
                              f"{MAX_CHARACTERS} characters): explain a smaller expression")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        where = f" at column {error.offset}" if error.offset else ""
        raise ExpressionError(f"cannot parse {_shown(text)}: {error.msg}{where}") from None
    except (RecursionError, MemoryError):
        tree = None
    depth = _depth(tree.body) if tree is not None else MAX_DEPTH + 1
    if depth > MAX_DEPTH:
        raise ExpressionError(f"{_shown(text)} is nested {'too' if tree is None else depth} "
                              f"levels deep (a sum of n terms is n levels); retrograd explains "
                              f"at most {MAX_DEPTH}: explain a smaller expression")
    assert tree is not None  # else too deep (raised above)
    return tree


def _depth(tree: ast.AST) -> int:
    """The depth of the tree, counted without recursion (the tree may be very deep)."""
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node)
                     if not isinstance(child, ast.expr_context))
    return deepest


def _variable(name: str, value: Any) -> Tensor:
    if not name.isidentifier():
        raise ExpressionError(f"{name!r} is not a valid variable name")
    if name in FUNCTIONS:
        raise ExpressionError(f"{name!r} is the name of a function; choose another name")
    try:
        array = np.asarray(value)
        ok = array.dtype.kind in "iuf" and array.size > 0
    except ValueError:  # a ragged list
        ok = False
    if not ok:
        raise ExpressionError(f"the value of {name} must be a number or a (nested, rectangular) "
                              f"list of numbers, got {value!r}")
    return tensor(array.astype(np.float32), requires_grad=True)


def _check(node: ast.AST, variables: Mapping[str, Tensor], called: set[int]) -> None:
    """Raises ExpressionError unless ``node`` is on the whitelist (``called``: the ids of the
    names that are called, checked with their call)."""
    if not isinstance(node, _ALLOWED):
        construct = _CONSTRUCTS.get(type(node), type(node).__name__)
        raise ExpressionError(f"{construct} is not allowed: {_HELP}")
    if isinstance(node, ast.Constant) and (
            isinstance(node.value, bool) or not isinstance(node.value, (int, float))):
        raise ExpressionError(f"{node.value!r} is not allowed: only numbers can be constants")
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            construct = _CONSTRUCTS.get(type(node.func), type(node.func).__name__)
            raise ExpressionError(f"{construct} is not allowed: only the functions "
                                  f"{', '.join(FUNCTIONS)} can be called")
        name = node.func.id
        if name not in FUNCTIONS:
            raise ExpressionError(f"unknown function {name!r}: the functions are "
                                  f"{', '.join(FUNCTIONS)}")
        if node.keywords:
            raise ExpressionError(f"keyword arguments are not allowed (in a call of {name})")
        counts = FUNCTIONS[name][1]
        if len(node.args) not in counts:
            expected = " or ".join(map(str, counts))
            raise ExpressionError(f"{name} takes {expected} argument"
                                  f"{'' if counts == (1,) else 's'}, got {len(node.args)}")
    if isinstance(node, ast.Name) and id(node) not in called and node.id not in variables:
        if node.id in FUNCTIONS:
            raise ExpressionError(f"{node.id} is a function: call it, as in {node.id}(x)")
        raise ExpressionError(f"unknown name {node.id!r}: give it a value (the variables are "
                              f"{', '.join(variables) or 'none'})")


def _evaluate(node: ast.AST, variables: Mapping[str, Tensor]) -> Any:
    """The value of a checked tree: a Tensor, or a float for a part made of numbers only."""
    if isinstance(node, ast.Constant):
        return float(node.value)  # type: ignore[arg-type]  # a number (checked)
    if isinstance(node, ast.Name):
        return variables[node.id]
    if isinstance(node, ast.UnaryOp):
        # an operator (checked)
        return _UNARY[type(node.op)](_evaluate(node.operand, variables))  # type: ignore[operator]
    if isinstance(node, ast.BinOp):
        return _BINARY[type(node.op)](_evaluate(node.left, variables),
                                      _evaluate(node.right, variables))
    assert isinstance(node, ast.Call)  # the last form the check lets through
    function = FUNCTIONS[node.func.id][0]  # type: ignore[attr-defined]  # a name (checked)
    arguments = [_evaluate(argument, variables) for argument in node.args]
    return function(*[a if isinstance(a, Tensor) else tensor(a) for a in arguments])
