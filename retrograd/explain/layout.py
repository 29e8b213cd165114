"""A layered (Sugiyama-style) layout of a small directed acyclic graph, in pure Python.

Enough for the graphs ``rg.explain`` draws (tens to a few hundred nodes), so that pictures need
no Graphviz. The classic four steps:

1. layering by longest path: sinks in the last layer, every other node one layer before the
   earliest of its successors' layers, so every edge points forward (from a layer to a later one);
   an edge that spans several layers gets a dummy node in each layer it crosses, where it bends;
2. ordering within the layers: a few sweeps that move each node to the barycenter (mean position)
   of its neighbours in the layer before (down) or after (up), keeping the order with the fewest
   edge crossings;
3. coordinates: layers side by side along the flow, each as wide as its widest node; across the
   flow each node is pulled towards its neighbours, with a gap between neighbours in a layer;
4. edges: polylines from the tail's side through the dummy nodes to the head's side.

Sizes and positions are in pixels; ``direction`` is 'LR' (the flow goes left to right) or 'TB'.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

SWEEPS = 4        # down-and-up barycenter sweeps
PULLS = 8         # passes that pull nodes towards their neighbours
MARGIN = 8.0      # around the drawing


@dataclass
class Layout:
    """Where ``layered_layout`` put things: ``boxes[i]`` is node i's (left, top, width, height),
    ``routes[j]`` edge j's polyline (a list of (x, y) points, tail first), ``layers[i]`` node i's
    layer (from 0), and ``width`` x ``height`` the drawing's size."""

    boxes: list[tuple[float, float, float, float]]
    routes: list[list[tuple[float, float]]]
    layers: list[int]
    width: float
    height: float


def layered_layout(sizes: Sequence[tuple[float, float]], edges: Sequence[tuple[int, int]],
                   direction: str = "LR", layer_gap: float = 40.0,
                   node_gap: float = 16.0) -> Layout:
    """Lays out the nodes of sizes ``sizes`` ((width, height) each) joined by ``edges``
    ((tail, head) node indices); raises ValueError if the edges make a cycle or ``direction``
    is neither 'LR' nor 'TB'."""
    if direction not in ("LR", "TB"):
        raise ValueError(f"direction must be 'LR' or 'TB', got {direction!r}")
    layer = _longest_path_layers(len(sizes), edges)
    # work in (along the flow, across the flow); LR: along = x, TB: along = y
    extents = [(w, h) if direction == "LR" else (h, w) for w, h in sizes]
    chains, layer = _with_dummies(edges, layer, extents)
    neighbours_before, neighbours_after = _neighbours(len(layer), chains)
    rows = _ordered_rows(layer, neighbours_before, neighbours_after)
    across = _across(rows, extents, neighbours_before, neighbours_after, node_gap)
    starts, depth = [], MARGIN  # where each layer begins along the flow
    for row in rows:
        starts.append(depth)
        depth += max(extents[node][0] for node in row) + layer_gap
    along = [starts[layer[node]] + max(extents[n][0] for n in rows[layer[node]]) / 2
             for node in range(len(layer))]
    breadth = max(across[node] + extents[node][1] / 2 for node in range(len(layer))) + MARGIN

    def point(node: int, side: float) -> tuple[float, float]:
        # side -1: the node's upstream face, +1: its downstream face, 0: its centre
        a, c = along[node] + side * extents[node][0] / 2, across[node]
        return (a, c) if direction == "LR" else (c, a)

    boxes = []
    for node, (w, h) in enumerate(sizes):
        x, y = point(node, 0)
        boxes.append((x - w / 2, y - h / 2, w, h))
    routes = [[point(chain[0], 1), *(point(dummy, 0) for dummy in chain[1:-1]),
               point(chain[-1], -1)] for chain in chains]
    size = (depth - layer_gap + MARGIN, breadth)
    width, height = size if direction == "LR" else size[::-1]
    return Layout(boxes, routes, layer[:len(sizes)], width, height)


def _longest_path_layers(count: int, edges: Sequence[tuple[int, int]]) -> list[int]:
    """Each node's layer: the last layer minus the longest path from it to a sink."""
    successors: list[list[int]] = [[] for _ in range(count)]
    indegree = [0] * count
    for tail, head in edges:
        successors[tail].append(head)
        indegree[head] += 1
    order = [node for node in range(count) if indegree[node] == 0]  # Kahn's topological sort
    for node in order:  # the list grows as nodes become free
        for head in successors[node]:
            indegree[head] -= 1
            if indegree[head] == 0:
                order.append(head)
    if len(order) < count:
        raise ValueError("the graph has a cycle: a layered layout needs a directed acyclic graph")
    height = [0] * count
    for node in reversed(order):
        height[node] = max((height[head] + 1 for head in successors[node]), default=0)
    last = max(height, default=0)
    return [last - h for h in height]


def _with_dummies(edges: Sequence[tuple[int, int]], layer: list[int],
                  extents: list[tuple[float, float]]) -> tuple[list[list[int]], list[int]]:
    """Each edge as the chain of nodes it passes through, a dummy node (of no length along the
    flow, a little breadth across it) in every layer it crosses; ``layer`` and ``extents`` grow
    with the dummies."""
    layer, chains = list(layer), []
    for tail, head in edges:
        chain = [tail]
        for between in range(layer[tail] + 1, layer[head]):
            chain.append(len(layer))
            layer.append(between)
            extents.append((0.0, 4.0))
        chains.append(chain + [head])
    return chains, layer


def _neighbours(count: int, chains: list[list[int]]) -> tuple[list[list[int]], list[list[int]]]:
    """For each node, its neighbours in the layer before it and in the layer after it."""
    before: list[list[int]] = [[] for _ in range(count)]
    after: list[list[int]] = [[] for _ in range(count)]
    for chain in chains:
        for tail, head in zip(chain, chain[1:]):
            after[tail].append(head)
            before[head].append(tail)
    return before, after


def _ordered_rows(layer: list[int], before: list[list[int]],
                  after: list[list[int]]) -> list[list[int]]:
    """The nodes of each layer, in the order with the fewest crossings the sweeps found."""
    rows: list[list[int]] = [[] for _ in range(max(layer) + 1)]
    for node, number in enumerate(layer):
        rows[number].append(node)
    best, fewest = [list(row) for row in rows], _crossings(rows, after)
    for _ in range(SWEEPS):
        for number in range(1, len(rows)):
            _sort_by_barycenter(rows[number], rows[number - 1], before)
        for number in range(len(rows) - 2, -1, -1):
            _sort_by_barycenter(rows[number], rows[number + 1], after)
        crossings = _crossings(rows, after)
        if crossings < fewest:
            best, fewest = [list(row) for row in rows], crossings
    return best


def _sort_by_barycenter(row: list[int], fixed: list[int], neighbours: list[list[int]]) -> None:
    """Sorts ``row`` in place by the mean position of each node's neighbours in ``fixed``; a
    node without any keeps its own position."""
    position = {node: index for index, node in enumerate(fixed)}

    def barycenter(item: tuple[int, int]) -> float:
        index, node = item
        places = [position[other] for other in neighbours[node] if other in position]
        return sum(places) / len(places) if places else index

    row[:] = [node for _, node in sorted(enumerate(row), key=barycenter)]


def _crossings(rows: list[list[int]], after: list[list[int]]) -> int:
    """How many pairs of edges cross between adjacent layers."""
    total = 0
    for upper, lower in zip(rows, rows[1:]):
        position = {node: index for index, node in enumerate(lower)}
        ends = [(index, position[head]) for index, node in enumerate(upper)
                for head in after[node]]
        total += sum(1 for i, (a, b) in enumerate(ends) for c, d in ends[i + 1:]
                     if (a - c) * (b - d) < 0)
    return total


def _across(rows: list[list[int]], extents: list[tuple[float, float]], before: list[list[int]],
            after: list[list[int]], gap: float) -> list[float]:
    """Each node's centre across the flow: packed first, then pulled towards the mean of its
    neighbours, alternately those before and those after, never closer than ``gap``."""
    across = [0.0] * len(extents)
    for row in rows:
        _place(row, [0.0] * len(row), extents, gap, across)
    for sweep in range(PULLS):
        neighbours = before if sweep % 2 == 0 else after
        for row in rows:
            wanted = [sum(across[n] for n in neighbours[node]) / len(neighbours[node])
                      if neighbours[node] else across[node] for node in row]
            _place(row, wanted, extents, gap, across)
    low = min(across[node] - extents[node][1] / 2 for node in range(len(extents)))
    return [centre - low + MARGIN for centre in across]


def _place(row: list[int], wanted: list[float], extents: list[tuple[float, float]], gap: float,
           across: list[float]) -> None:
    """Puts the nodes of ``row``, in order, as near ``wanted`` as the gaps allow: the mean of
    a left-to-right and a right-to-left pass, which both keep the gaps (so does their mean)."""
    spacing = [(extents[a][1] + extents[b][1]) / 2 + gap for a, b in zip(row, row[1:])]
    forward = list(wanted)
    for index in range(1, len(row)):
        forward[index] = max(forward[index], forward[index - 1] + spacing[index - 1])
    backward = list(wanted)
    for index in range(len(row) - 2, -1, -1):
        backward[index] = min(backward[index], backward[index + 1] - spacing[index])
    for index, node in enumerate(row):
        across[node] = (forward[index] + backward[index]) / 2
