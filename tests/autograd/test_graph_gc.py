"""Recorded nodes stay cheap for the cyclic garbage collector (issue 11).

Every full collection walks every object the collector tracks, so the objects each recorded
operation leaves tracked make a long eager graph cost more per operation. Speed itself is measured
by bench/graph_scaling.py, not here.
"""
import gc

import numpy as np

import retrograd as rg


def tracked_per_op(build, ops: int) -> float:
    """Objects the collector tracks per operation of the graph ``build()`` returns."""
    gc.collect()
    before = len(gc.get_objects())
    graph = build()
    # two passes: a tuple is untracked once its items are, which a first pass may see late
    gc.collect()
    gc.collect()
    count = len(gc.get_objects()) - before
    del graph
    return count / ops


def test_a_chain_of_operations_with_constants_leaves_two_tracked_objects_per_operation():
    x = rg.ones(4, requires_grad=True)

    def build():
        y = x
        for _ in range(500):
            y = y * 1.0001 + 0.0001
        return y

    # the node and the tuple of its inputs' nodes (it was 4.5: lists of edges and saved values)
    assert tracked_per_op(build, 1000) <= 2.2


def test_a_chain_that_saves_tensors_leaves_few_tracked_objects_per_operation():
    x = rg.ones(4, requires_grad=True)
    w, b = rg.full((4,), 0.5, requires_grad=True), rg.full((4,), 0.1, requires_grad=True)

    def build():
        y = x
        for _ in range(400):
            y = (y * w + b).tanh()
        return y

    # the saved tensor, the tuples of saved tensors and of their versions (it was 7.3)
    assert tracked_per_op(build, 1200) <= 4.0


def test_a_chain_of_100k_operations_backpropagates():
    x = rg.ones(4, requires_grad=True)
    y = x
    for _ in range(50_000):
        y = y * 1.0001 + 0.0001
    y.sum().backward()
    value, gradient = np.ones(4, np.float32), np.ones(4, np.float32)
    for _ in range(50_000):  # the same float32 arithmetic, forward and backward
        value = value * 1.0001 + 0.0001
        gradient = gradient * 1.0001
    np.testing.assert_allclose(y.detach().numpy(), value, rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), gradient, rtol=1e-6)
    assert x.grad.numpy()[0] > 148  # about 1.0001 ** 50_000 = e ** 5
