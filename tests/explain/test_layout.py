"""The pure-Python layered layout (retrograd/explain/layout.py) on small graphs, and the SVG
line charts of LiveCurves: layers that follow the edges, crossings removed, polylines that bend
through the layers they cross, clear errors."""
import xml.etree.ElementTree as ET

import pytest

from retrograd.explain.layout import layered_layout
from retrograd.explain.svg import line_charts

SVG = "{http://www.w3.org/2000/svg}"


def test_layers_follow_the_edges_and_sinks_come_last():
    # 0 -> 1 -> 2 -> 3 and a shortcut 0 -> 3; 4 -> 3 is put just before its head
    edges = [(0, 1), (1, 2), (2, 3), (0, 3), (4, 3)]
    layout = layered_layout([(30, 20)] * 5, edges)
    assert layout.layers == [0, 1, 2, 3, 2]
    assert all(layout.layers[tail] < layout.layers[head] for tail, head in edges)
    # the shortcut spans three layers: it bends through a point in each of the two between
    assert len(layout.routes[3]) == 4 and [len(layout.routes[i]) for i in (0, 1, 2, 4)] == [2] * 4
    for (tail, head), route in zip(edges, layout.routes):
        left, top, width, height = layout.boxes[tail]
        assert route[0] == (left + width, top + height / 2)  # from the tail's right side
        left, top, width, height = layout.boxes[head]
        assert route[-1] == (left, top + height / 2)  # to the head's left side
    assert layout.width >= max(x + w for x, _, w, _ in layout.boxes)
    assert layout.height >= max(y + h for _, y, _, h in layout.boxes)


def crossings(layout, edges):
    """The pairs of edges that cross, from the drawn positions (all edges span one layer)."""
    across = [top + height / 2 for _, top, _, height in layout.boxes]
    return sum(1 for i, (a, b) in enumerate(edges) for c, d in edges[i + 1:]
               if (across[a] - across[c]) * (across[b] - across[d]) < 0)


def test_barycenter_sweeps_remove_the_crossings_of_the_first_order():
    # in the order given (0, 1, 2 then 3, 4, 5), every pair of edges crosses
    edges = [(0, 5), (1, 4), (2, 3)]
    layout = layered_layout([(30, 20)] * 6, edges)
    assert crossings(layout, edges) == 0


def test_top_to_bottom_and_no_overlap_within_a_layer():
    sizes = [(80, 20), (40, 60), (120, 20), (30, 30)]
    layout = layered_layout(sizes, [(0, 3), (1, 3), (2, 3)], direction="TB", node_gap=10)
    tops = sorted(layout.boxes[:3], key=lambda box: box[0])
    for (x1, _, w1, _), (x2, _, _, _) in zip(tops, tops[1:]):
        assert x1 + w1 + 10 <= x2 + 1e-9
    bottom = max(y + h for _, y, _, h in layout.boxes[:3])
    assert layout.boxes[3][1] > bottom  # the sink below its predecessors
    assert [(w, h) for _, _, w, h in layout.boxes] == sizes


def test_clear_errors():
    with pytest.raises(ValueError, match="has a cycle"):
        layered_layout([(10, 10)] * 3, [(0, 1), (1, 2), (2, 0)])
    with pytest.raises(ValueError, match="direction must be 'LR' or 'TB'"):
        layered_layout([(10, 10)], [], direction="RL")


def test_line_charts_leave_out_what_was_not_measured():
    root = ET.fromstring(line_charts(
        {"loss": {"train_loss": [1.0, 0.5, 0.25], "val_loss": [None, None, None]},
         "accuracy": {"train_acc": [None, None, None]}}, [1, 2, 3]))
    texts = [text.text for text in root.iter(SVG + "text")]
    assert "loss" in texts and "accuracy" not in texts
    assert any("train_loss" in text for text in texts)
    assert not any("val_loss" in text for text in texts)
    assert len([path for path in root.iter(SVG + "path")]) == 1  # the one measured series
    assert "1" in texts and "0.25" in texts  # the y range
