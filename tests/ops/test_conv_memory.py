"""Memory of convolution training: the im2col workspace (retrograd/ops/conv.py) keeps no dead
matrix, so what the process holds stays flat over hundreds of steps; a buffer is never handed
out while an array or view of it lives, and is handed out again once none does."""
from __future__ import annotations

import gc
import threading
import tracemalloc

import numpy as np

import retrograd as rg
from retrograd import nn
from retrograd.nn import functional as F
from retrograd.ops import conv

MIB = 2 ** 20


def small_cnn_step(batch: int = 16, size: int = 16, device: str = "cpu"):
    """One SGD step of conv(1, 4, 3, padding 1) - ReLU - max pool 2 - conv(4, 8, 3) - ReLU -
    flatten - linear, on a fixed batch: its first im2col matrix is 9 x (16 * 16 * 16) floats,
    144 KiB, the second 36 x (6 * 6 * 16), 81 KiB. The model and batch are drawn on the CPU,
    then moved to ``device``."""
    rg.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(4, 8, 3), nn.ReLU(), nn.Flatten(),
                          nn.Linear(8 * 6 * 6, 10)).to(device)
    optimizer = rg.optim.SGD(model.parameters(), lr=0.01)
    x, y = rg.randn(batch, 1, size, size).to(device), rg.randint(0, 10, (batch,)).to(device)

    def step() -> float:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()
    return step


def test_memory_stays_flat_over_hundreds_of_conv_training_steps():
    """300 steps after warm-up: the memory Python and NumPy hold (tracemalloc) grows by less
    than 1 MiB. The workspace that never handed a buffer out again kept every step's two
    im2col matrices, 225 KiB a step: 66 MiB over these steps."""
    step = small_cnn_step()
    for _ in range(20):
        step()
    gc.collect()
    tracemalloc.start()
    try:
        for _ in range(20):  # anything allocated once, on first use under tracing
            step()
        gc.collect()
        before, snapshot = tracemalloc.get_traced_memory()[0], tracemalloc.take_snapshot()
        losses = [step() for _ in range(300)]
        gc.collect()
        growth = tracemalloc.get_traced_memory()[0] - before
        top = tracemalloc.take_snapshot().compare_to(snapshot, "lineno")[:3]
    finally:
        tracemalloc.stop()
    assert growth < MIB, (f"{growth / MIB:.1f} MiB more held after 300 steps; grew most:\n" +
                          "\n".join(map(str, top)))
    assert losses[-1] < losses[0]  # it trained


def test_workspace_allocates_only_during_warm_up(monkeypatch):
    """After the first step the workspace hands out the same buffers again: no allocation, all
    of them back once the step's graph is freed, and no more held than one step's matrices."""
    workspace = conv.Workspace()
    monkeypatch.setattr(conv, "workspace", workspace)
    step = small_cnn_step()
    step()
    allocations, held = workspace.allocations, workspace.held_bytes()
    for _ in range(300):
        step()
    assert workspace.allocations == allocations
    assert workspace.held_bytes() == held
    assert held[1] <= (9 * 16 * 16 * 16 + 36 * 6 * 6 * 16) * 4  # the two matrices at most
    assert workspace.in_use == 0


def test_a_device_allocates_with_its_own_module_not_the_workspace(fake_cuda, monkeypatch):
    """On a device the im2col matrices come from the device's module (CuPy's memory pool
    reuses freed blocks by itself): the host workspace is not touched, and training on the
    device gives the CPU's losses."""
    workspace = conv.Workspace()
    monkeypatch.setattr(conv, "workspace", workspace)
    step = small_cnn_step(device="cuda")
    losses = [step() for _ in range(5)]
    assert workspace.allocations == 0 and workspace.in_use == 0
    cpu_step = small_cnn_step()
    np.testing.assert_allclose(losses, [cpu_step() for _ in range(5)], rtol=1e-5)


def test_buffer_is_not_handed_out_while_a_view_of_it_lives():
    workspace = conv.Workspace()
    first = workspace.empty((3, 4), np.float32)
    first[...] = 1.0
    view = first.reshape(-1)[2:]  # the only reference left to the buffer
    del first
    second = workspace.empty((3, 4), np.float32)
    assert not np.shares_memory(view, second)
    second[...] = 2.0
    assert (view == 1.0).all() and workspace.in_use == 2
    del view
    third = workspace.empty((4, 3), np.float32)  # same bytes: the first buffer again
    assert workspace.allocations == 2 and workspace.in_use == 2
    assert not np.shares_memory(second, third)
    del second, third
    assert workspace.in_use == 0 and workspace.held_bytes() == (2, 96)


def test_workspace_keeps_at_most_max_bytes_free():
    workspace = conv.Workspace(max_bytes=1000)
    arrays = [workspace.empty((100,), np.float32) for _ in range(4)]  # 400 bytes each
    big = workspace.empty((2000,), np.uint8)  # larger than max_bytes: never kept
    del arrays, big
    assert workspace.held_bytes() == (2, 800) and workspace.in_use == 0
    assert workspace.empty((0, 5), np.float32).shape == (0, 5)


def test_graph_alive_keeps_its_matrix_and_freed_graph_returns_it(monkeypatch):
    """A saved im2col matrix belongs to its graph until the graph is freed, including after a
    backward with retain_graph=True."""
    workspace = conv.Workspace()
    monkeypatch.setattr(conv, "workspace", workspace)
    weight = rg.randn(2, 1, 3, 3, requires_grad=True)
    out = F.conv2d(rg.randn(2, 1, 6, 6), weight)
    out.sum().backward(retain_graph=True)
    assert workspace.in_use == 1
    other = F.conv2d(rg.randn(2, 1, 6, 6), weight)  # the first graph still holds its own
    assert workspace.in_use == 2 and workspace.allocations == 2
    del out
    gc.collect()
    assert workspace.in_use == 1
    other.sum().backward()
    del other
    assert workspace.in_use == 0 and workspace.held_bytes() == (2, 2 * 9 * 16 * 2 * 4)
    F.conv2d(rg.randn(2, 1, 6, 6), weight).sum().backward()
    assert workspace.allocations == 2  # a free buffer again


def test_threads_training_at_once_get_their_own_buffers():
    """Four threads, each its own model and data, train as each model alone in one thread."""
    steps = [small_cnn_step(batch=4 + i) for i in range(4)]
    results = [[] for _ in range(4)]
    for _ in range(3):  # again, now that the buffers are in the pool

        def train(i: int) -> None:
            results[i] += [steps[i]() for _ in range(20)]
        threads = [threading.Thread(target=train, args=(i,)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    for i in range(4):
        reference = small_cnn_step(batch=4 + i)
        np.testing.assert_allclose(results[i], [reference() for _ in range(60)], rtol=1e-5)
