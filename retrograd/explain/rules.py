"""The derivative table: for every operation of ``retrograd/ops``, how to write it, its local
derivative rule in words, and the chain rule that gives each input's gradient.

Templates are ``str.format`` strings: ``{0}``, ``{1}``... are the names of the inputs, ``{out}``
the name of the operation's result, ``{g}`` its gradient (``∂f/∂out``, the upstream gradient)
and ``{all}`` every input, comma-separated (for cat and stack).
"""
from __future__ import annotations

from typing import NamedTuple

from ..ops import (
    activation,
    arithmetic,
    conv,
    elementwise,
    embedding,
    indexing,
    linalg,
    loss,
    pointwise,
    pooling,
    reduction,
    rounding,
    sampling,
    scan,
    shape,
    sorting,
)


class Rule:
    """How one kind of operation is written and differentiated."""

    def __init__(self, symbol: str, expression: str, words: str, *gradients: str) -> None:
        self.symbol = symbol          # the label of the operation's node in a drawn graph
        self.expression = expression  # the operation written with its inputs' names
        self.words = words            # the local derivative rule, in plain words
        # one chain-rule formula per input; the last one serves any further input (cat, stack)
        self.gradients = gradients

    def gradient(self, position: int) -> str:
        """The formula of the gradient sent to the input at ``position``."""
        return self.gradients[min(position, len(self.gradients) - 1)]


class Named(NamedTuple):
    """Names used to fill a rule's templates."""

    inputs: list      # one name per forward input
    out: str          # the result's name
    upstream: str     # the symbol of the upstream gradient, e.g. ∂f/∂t1


def fill(template: str, names: Named) -> str:
    return template.format(*names.inputs, out=names.out, g=names.upstream,
                           all=", ".join(names.inputs))


RULES: dict[type, Rule] = {
    # arithmetic: the gates of the lectures
    arithmetic.Add: Rule(
        "+", "{0} + {1}",
        "addition distributes: each input receives the upstream gradient unchanged",
        "{g}", "{g}"),
    arithmetic.Sub: Rule(
        "−", "{0} − {1}",
        "subtraction: the first input receives the upstream gradient, the second its opposite",
        "{g}", "−{g}"),
    arithmetic.Mul: Rule(
        "×", "{0} · {1}",
        "multiplication swaps: each input receives the other input times the upstream gradient",
        "{1} · {g}", "{0} · {g}"),
    arithmetic.Div: Rule(
        "÷", "{0} / {1}", "division: ∂(a/b)/∂a = 1/b and ∂(a/b)/∂b = −a/b²",
        "{g} / {1}", "−{0} / {1}² · {g}"),
    arithmetic.Pow: Rule(
        "^", "{0}^{1}", "power rule: ∂(a^b)/∂a = b·a^(b−1), and ∂(a^b)/∂b = a^b·ln a",
        "{1} · {0}^({1} − 1) · {g}", "{out} · ln {0} · {g}"),
    arithmetic.Neg: Rule("−", "−{0}", "negation flips the sign of the gradient", "−{g}"),
    arithmetic.Abs: Rule(
        "|·|", "|{0}|", "absolute value: the gradient times the sign of the input (0 at 0)",
        "sign({0}) · {g}"),
    # elementwise functions
    elementwise.Exp: Rule(
        "exp", "exp({0})", "the exponential is its own derivative", "{out} · {g}"),
    elementwise.Log: Rule("ln", "ln {0}", "the derivative of ln x is 1/x", "{g} / {0}"),
    elementwise.Log1p: Rule(
        "ln(1+·)", "ln(1 + {0})", "the derivative of ln(1 + x) is 1/(1 + x)", "{g} / (1 + {0})"),
    elementwise.Sqrt: Rule(
        "√", "√{0}", "the derivative of √x is 1/(2√x)", "{g} / (2 · {out})"),
    elementwise.Sin: Rule("sin", "sin {0}", "the derivative of sin is cos", "cos {0} · {g}"),
    elementwise.Cos: Rule("cos", "cos {0}", "the derivative of cos is −sin", "−sin {0} · {g}"),
    elementwise.Tanh: Rule("tanh", "tanh {0}", "tanh' = 1 − tanh²", "(1 − {out}²) · {g}"),
    elementwise.Erf: Rule(
        "erf", "erf {0}", "erf' = 2/√π · e^(−x²)", "2/√π · exp(−{0}²) · {g}"),
    elementwise.Clamp: Rule(
        "clamp", "clamp({0})",
        "clamp passes the gradient where the value was kept and blocks it where it was clipped",
        "[{0} within the bounds] · {g}"),
    elementwise.Maximum: Rule(
        "max", "max({0}, {1})",
        "max routes the gradient to the larger input (a tie splits it in half)",
        "[{0} > {1}] · {g}", "[{1} > {0}] · {g}"),
    elementwise.Minimum: Rule(
        "min", "min({0}, {1})",
        "min routes the gradient to the smaller input (a tie splits it in half)",
        "[{0} < {1}] · {g}", "[{1} < {0}] · {g}"),
    elementwise.Where: Rule(
        "where", "where({0}, {1}, {2})",
        "where routes the gradient to the input it took each value from",
        "none (a condition)", "[{0}] · {g}", "[not {0}] · {g}"),
    elementwise.Sign: Rule(
        "sign", "sign({0})", "sign is piecewise constant: its gradient is 0", "0"),
    elementwise.Clone: Rule(
        "clone", "clone({0})", "a copy passes the gradient unchanged", "{g}"),
    elementwise.Cast: Rule(
        "cast", "{0} (converted)",
        "a conversion passes the gradient unchanged (in the input's dtype)", "{g}"),
    elementwise.ToDevice: Rule(
        "to device", "{0} (moved)",
        "a move between devices passes the gradient unchanged, back to the input's device",
        "{g}"),
    # activations
    activation.Sigmoid: Rule(
        "σ", "σ({0})",
        "σ' = σ(1 − σ) ≤ 1/4: sigmoid shrinks the gradient but never fully blocks it",
        "{out} · (1 − {out}) · {g}"),
    activation.ReLU: Rule(
        "relu", "relu({0})",
        "ReLU passes the gradient where its input is positive and blocks it elsewhere (the "
        "Heaviside step)",
        "[{0} > 0] · {g}"),
    activation.LeakyReLU: Rule(
        "leaky_relu", "leaky_relu({0})",
        "leaky ReLU passes the gradient where the input is positive, a small slope of it "
        "elsewhere",
        "(1 if {0} > 0 else slope) · {g}"),
    activation.ELU: Rule(
        "elu", "elu({0})",
        "ELU passes the gradient where the input is positive, and scales it by α·e^x elsewhere",
        "(1 if {0} > 0 else {out} + α) · {g}"),
    activation.GELU: Rule(
        "gelu", "gelu({0})", "GELU: d/dx x·Φ(x) = Φ(x) + x·φ(x)",
        "(Φ({0}) + {0} · φ({0})) · {g}"),
    activation.Softplus: Rule(
        "softplus", "softplus({0})",
        "the derivative of softplus ln(1 + e^x) is the sigmoid", "σ({0}) · {g}"),
    activation.LogSigmoid: Rule(
        "logsigmoid", "logsigmoid({0})",
        "the derivative of ln σ(x) is 1 − σ(x) = σ(−x)", "σ(−{0}) · {g}"),
    activation.SiLU: Rule(
        "silu", "silu({0})", "SiLU: d/dx x·σ(x) = σ(x)·(1 + x·(1 − σ(x)))",
        "σ({0}) · (1 + {0} · (1 − σ({0}))) · {g}"),
    activation.Mish: Rule(
        "mish", "mish({0})", "Mish: d/dx x·tanh(sp(x)) = t + x·(1 − t²)·σ(x), t = tanh(sp(x))",
        "(t + {0} · (1 − t²) · σ({0})) · {g}"),
    activation.Softmax: Rule(
        "softmax", "softmax({0})", "softmax's Jacobian is diag(s) − s sᵀ",
        "{out} ⊙ ({g} − Σ({g} ⊙ {out}))"),
    activation.LogSoftmax: Rule(
        "log_softmax", "log_softmax({0})", "log-softmax's Jacobian is I − 1·softmaxᵀ",
        "{g} − softmax({0}) · Σ {g}"),
    # reductions
    reduction.Sum: Rule(
        "Σ", "Σ {0}", "a sum copies the upstream gradient back to every element it added",
        "{g} (for every element)"),
    reduction.Mean: Rule(
        "mean", "mean({0})",
        "a mean gives each of its n elements 1/n of the upstream gradient",
        "{g} / n (for every element)"),
    reduction.Prod: Rule(
        "Π", "Π {0}", "a product gives each element the product of the others",
        "(product of the other elements) · {g}"),
    reduction.Amax: Rule(
        "max", "max({0})",
        "max routes the gradient to the largest (or smallest) element; ties share it",
        "[{0} = {out}] / ties · {g}"),
    reduction.Var: Rule(
        "var", "var({0})", "the variance's derivative is 2(x − mean)/(n − correction)",
        "2({0} − mean) / (n − correction) · {g}"),
    reduction.Std: Rule(
        "std", "std({0})",
        "std = √var: its derivative is (x − mean)/((n − correction) std), 0 where std = 0",
        "({0} − mean) / ((n − correction) · {out}) · {g}"),
    reduction.LogSumExp: Rule(
        "logsumexp", "logsumexp({0})", "the derivative of log Σ e^x is the softmax",
        "softmax({0}) · {g}"),
    reduction.Norm: Rule(
        "‖·‖", "‖{0}‖", "the 2-norm's derivative is x/‖x‖ (0 at the zero vector)",
        "{0} / {out} · {g}"),
    # shapes and indexing: values move, so the gradient moves back
    shape.Reshape: Rule(
        "reshape", "reshape({0})", "reshaping moves no value: the gradient is reshaped back",
        "{g} (reshaped back)"),
    shape.Permute: Rule(
        "permute", "permute({0})", "a permutation of the axes: the gradient is permuted back",
        "{g} (permuted back)"),
    shape.Expand: Rule(
        "expand", "expand({0})", "expanding copies values: the copies' gradients add up",
        "{g} (summed over the expanded axes)"),
    shape.Diagonal: Rule(
        "diag", "diagonal({0})", "a diagonal picks values: the gradient goes back to it",
        "{g} on the diagonal, 0 elsewhere"),
    shape.DiagonalIntoZeros: Rule(
        "diag⁻¹", "zeros with {0} on a diagonal", "its adjoint picks the diagonal back",
        "the diagonal of {g}"),
    shape.Repeat: Rule(
        "repeat", "repeat({0})", "repeating copies values: the copies' gradients add up",
        "{g} (summed over the copies)"),
    indexing.GetItem: Rule(
        "[·]", "{0}[…]",
        "indexing: the gradient goes back to the selected positions (repeated ones add up), 0 "
        "elsewhere",
        "{g} at the selected positions, 0 elsewhere"),
    indexing.IndexPut: Rule(
        "[·]=", "{0} with {1} written at […]",
        "assignment: the written positions take their gradient from the values, the others "
        "from the tensor written into",
        "{g}, 0 at the written positions", "{g} at the written positions"),
    indexing.IndexAdd: Rule(
        "+[·]", "{0} with {1} added at […]",
        "an indexed addition: the tensor's gradient passes unchanged, the added values take "
        "the gradient of the positions they were added at",
        "{g}", "{g} at the indexed positions"),
    indexing.CopySlices: Rule(
        "view=", "{0} with a view of it changed to {1}",
        "an in-place change of a view: the view's region of the gradient goes to the new "
        "values, the rest to the base's earlier history",
        "{g}, 0 in the view's region", "{g} in the view's region"),
    indexing.IndexIntoZeros: Rule(
        "scatter", "scatter({0})", "the adjoint of indexing: the gradient is indexed again",
        "{g}[…]"),
    indexing.Gather: Rule(
        "gather", "gather({0})",
        "gather: the gradient goes back to the gathered positions (repeated ones add up)",
        "{g} scattered back"),
    indexing.ScatterIntoZeros: Rule(
        "scatter", "scatter({0})", "the adjoint of gather: the gradient is gathered again",
        "{g} gathered"),
    indexing.Cat: Rule(
        "cat", "cat({all})",
        "concatenation: each input receives its own slice of the gradient", "its slice of {g}"),
    indexing.Stack: Rule(
        "stack", "stack({all})",
        "stacking: each input receives its own slice of the gradient", "its slice of {g}"),
    # matrix products
    linalg.MatMul: Rule(
        "@", "{0} @ {1}", "matrix product C = AB: ∂f/∂A = ∂f/∂C Bᵀ and ∂f/∂B = Aᵀ ∂f/∂C",
        "{g} @ {1}ᵀ", "{0}ᵀ @ {g}"),
    linalg.Linear: Rule(
        "linear", "{0} @ {1}ᵀ + {2}",
        "a layer Y = X Wᵀ + b: ∂f/∂X = ∂f/∂Y W, ∂f/∂W = (∂f/∂Y)ᵀ X, and ∂f/∂b sums the rows of "
        "∂f/∂Y",
        "{g} @ {1}", "({g})ᵀ @ {0}", "Σ_rows {g}"),
    linalg.Einsum: Rule(
        "einsum", "einsum({all})",
        "a sum of products: each operand's gradient contracts the upstream gradient with the "
        "other operands", "einsum of {g} with the other operands"),
    # rounding, integer division and sampling
    **{op: Rule(name, f"{name}({{0}})",
                f"{name} is piecewise constant: its gradient is 0", "0")
       for op, name in ((rounding.Round, "round"), (rounding.Floor, "floor"),
                        (rounding.Ceil, "ceil"), (rounding.Trunc, "trunc"))},
    rounding.Frac: Rule("frac", "frac({0})", "x − trunc(x) has slope 1 between the integers",
                        "{g}"),
    rounding.FloorDivide: Rule(
        "//", "{0} // {1}", "floor division has no derivative (as in PyTorch): backward raises",
        "none", "none"),
    rounding.Remainder: Rule(
        "%", "{0} % {1}", "a − b·floor(a/b): ∂/∂a = 1, ∂/∂b = −floor(a/b)",
        "{g}", "−floor({0} / {1}) · {g}"),
    rounding.Fmod: Rule(
        "fmod", "fmod({0}, {1})", "a − b·trunc(a/b): ∂/∂a = 1, ∂/∂b = −trunc(a/b)",
        "{g}", "−trunc({0} / {1}) · {g}"),
    elementwise.ClampTensor: Rule(
        "clamp", "clamp({0}, {1}, {2})",
        "clamp passes the gradient to the input where it was kept, and to the bound that "
        "replaced it elsewhere",
        "[{0} within the bounds] · {g}", "[{0} < {1}] · {g}", "[{0} > {2}] · {g}"),
    sampling.Normal: Rule(
        "normal", "normal({0}, {1})",
        "a random draw: its gradient is 0 in mean and std, as in PyTorch", "0", "0"),
    # convolutions and pooling
    conv.Conv2d: Rule(
        "conv", "conv2d({0}, {1}) + {2}",
        "a convolution sums products over windows: ∂f/∂X is the transposed convolution of "
        "∂f/∂Y with the kernels, ∂f/∂W correlates X with ∂f/∂Y, ∂f/∂b sums ∂f/∂Y over the batch "
        "and the positions",
        "conv_transpose2d({g}, {1})", "correlate({0}, {g})", "Σ_batch,positions {g}"),
    conv.ConvTranspose2d: Rule(
        "conv_transpose", "conv_transpose2d({0}, {1})",
        "the input gradient of a convolution, linear in both inputs: its gradients are "
        "convolutions again",
        "conv2d({g}, {1})", "correlate({g}, {0})"),
    conv.ConvWeightGrad: Rule(
        "conv_weight_grad", "correlate({0}, {1})",
        "the weight gradient of a convolution, linear in both inputs: its gradients are "
        "convolutions again",
        "conv_transpose2d({1}, {g})", "conv2d({0}, {g})"),
    conv.ConstantPad: Rule(
        "pad", "pad({0})", "padding adds constants around the input: their gradient is dropped",
        "{g} (without the padding)"),
    conv.Unfold: Rule(
        "unfold", "unfold({0})",
        "unfold copies every window into a column: the copies' gradients add back onto the "
        "pixels they came from (fold, col2im)",
        "fold({g})"),
    conv.Fold: Rule(
        "fold", "fold({0})",
        "fold adds columns onto the windows they cover: each column's gradient is its window "
        "of the upstream gradient (unfold, im2col)",
        "unfold({g})"),
    pooling.MaxPool2d: Rule(
        "maxpool", "maxpool({0})",
        "max pooling routes each window's gradient to the position of its maximum",
        "{g} at each window's maximum, 0 elsewhere"),
    pooling._MaxPoolScatter: Rule(
        "scatter", "scatter({0})",
        "the gradient of max pooling, linear: its own gradient reads the maxima again",
        "{g} read at the maxima"),
    pooling._MaxPoolGather: Rule(
        "gather", "gather({0})", "reading at the maxima: its gradient scatters back to them",
        "{g} scattered to the maxima"),
    embedding.Embedding: Rule(
        "embedding", "{0}[indices]",
        "a lookup: each row receives the sum of the gradients of the places it was looked up",
        "{g} added at the rows used"),
    # losses
    loss.NLLLoss: Rule(
        "nll", "nll({0}, y)",
        "negative log-likelihood picks −log p_y: its gradient is −onehot(y) (divided by N for "
        "the mean)",
        "−onehot(y) · {g}"),
    loss.CrossEntropy: Rule(
        "cross_entropy", "cross_entropy({0}, y)",
        "softmax cross-entropy: the gradient is softmax(z) − onehot(y), the lectures' Ŷ − Y "
        "(divided by N for the mean)",
        "(softmax({0}) − onehot(y)) · {g}"),
    loss.BinaryCrossEntropy: Rule(
        "bce", "bce({0}, {1})", "binary cross-entropy: ∂/∂p = (p − t) / (p(1 − p))",
        "({0} − {1}) / ({0}(1 − {0})) · {g}", "(ln(1 − {0}) − ln {0}) · {g}"),
    scan.Cumsum: Rule(
        "cumsum", "cumsum({0})", "a running sum: each element reaches every later output",
        "reversed cumsum of {g}"),
    scan.Cumprod: Rule(
        "cumprod", "cumprod({0})",
        "a running product: ∂out_j/∂x_i is the product of x_0…x_j without x_i, for j ≥ i",
        "Σ_{j≥i} {g}_j · out_j / {0}_i (products of the others where there are zeros)"),
    shape.Flip: Rule("flip", "flip({0})", "a reversal moves values: the gradient is reversed back",
                     "flip({g})"),
    shape.Roll: Rule("roll", "roll({0})", "a rotation moves values: the gradient is rolled back",
                     "{g} rolled back"),
    shape.Tril: Rule(
        "tril", "tril({0})",
        "a triangle keeps some values and zeroes the rest: the gradient passes where kept",
        "the same triangle of {g}"),
    indexing.Scatter: Rule(
        "scatter", "{0} with {1} scattered at index",
        "written (or added) values take their positions' gradient; the tensor written into "
        "keeps the rest", "{g}, 0 at written positions (all of {g} for scatter_add)",
        "{g} gathered at index"),
    sorting.Unique: Rule("unique", "unique({0})",
                         "unique has no derivative (as in PyTorch): backward raises", "none"),
    # more elementwise functions
    pointwise.Square: Rule("²", "{0}²", "the derivative of x² is 2x", "2 · {0} · {g}"),
    pointwise.Rsqrt: Rule(
        "rsqrt", "1/√{0}", "the derivative of x^(−1/2) is −x^(−3/2)/2", "−{out}³ / 2 · {g}"),
    pointwise.Reciprocal: Rule(
        "1/·", "1/{0}", "the derivative of 1/x is −1/x²", "−{out}² · {g}"),
    pointwise.Expm1: Rule(
        "expm1", "exp({0}) − 1", "the derivative of eˣ − 1 is eˣ", "({out} + 1) · {g}"),
    pointwise.Exp2: Rule("2^", "2^{0}", "the derivative of 2ˣ is 2ˣ · ln 2",
                         "{out} · ln 2 · {g}"),
    pointwise.Log2: Rule("log₂", "log₂ {0}", "the derivative of log₂ x is 1/(x ln 2)",
                         "{g} / ({0} · ln 2)"),
    pointwise.Log10: Rule("log₁₀", "log₁₀ {0}", "the derivative of log₁₀ x is 1/(x ln 10)",
                          "{g} / ({0} · ln 10)"),
    pointwise.Sinh: Rule("sinh", "sinh {0}", "the derivative of sinh is cosh",
                         "cosh {0} · {g}"),
    pointwise.Cosh: Rule("cosh", "cosh {0}", "the derivative of cosh is sinh",
                         "sinh {0} · {g}"),
    pointwise.Asin: Rule("asin", "asin {0}", "the derivative of asin x is 1/√(1 − x²)",
                         "{g} / √(1 − {0}²)"),
    pointwise.Acos: Rule("acos", "acos {0}", "the derivative of acos x is −1/√(1 − x²)",
                         "−{g} / √(1 − {0}²)"),
    pointwise.Atan: Rule("atan", "atan {0}", "the derivative of atan x is 1/(1 + x²)",
                         "{g} / (1 + {0}²)"),
    pointwise.Atan2: Rule(
        "atan2", "atan2({0}, {1})",
        "the angle of the point (b, a): ∂/∂a = b/(a² + b²), ∂/∂b = −a/(a² + b²)",
        "{1} / ({0}² + {1}²) · {g}", "−{0} / ({0}² + {1}²) · {g}"),
    pointwise.Hypot: Rule(
        "hypot", "√({0}² + {1}²)", "the length of (a, b): ∂/∂a = a/out, ∂/∂b = b/out",
        "{0} / {out} · {g}", "{1} / {out} · {g}"),
    pointwise.Logaddexp: Rule(
        "logaddexp", "ln(e^{0} + e^{1})",
        "each input receives its softmax weight: ∂/∂a = e^(a − out), ∂/∂b = e^(b − out)",
        "exp({0} − {out}) · {g}", "exp({1} − {out}) · {g}"),
    pointwise.Xlogy: Rule(
        "xlogy", "{0} · ln {1}", "x ln y: ∂/∂x = ln y (0 where x = 0), ∂/∂y = x/y",
        "ln {1} · {g}", "{0} / {1} · {g}"),
}


def rule_for(node) -> Rule:
    """The rule of ``node``'s operation; a generic vector-Jacobian rule for any other."""
    rule = RULES.get(type(node))
    if rule is not None:
        return rule
    name = type(node).__name__
    words = (f"no rule is written out for {name}: its backward multiplies the upstream "
             "gradient by its local Jacobian")
    return Rule(name, name + "({all})", words, "(∂{out}/∂input)ᵀ · {g}")
