"""rg.explain.graph and model_graph: the DOT text, pictures (drawn by Graphviz's dot when it is
installed, else as SVG in Python), the message when dot is needed and missing, and the notebook
representation."""
import re
import shutil
import xml.etree.ElementTree as ET

import pytest
import torch

import retrograd as rg
from retrograd.explain import GraphvizNotFoundError, graph, layer_summary, model_graph, record
from retrograd.explain import drawing as drawing_module

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is missing")


def lecture_example():
    u, v, w = (rg.tensor(x, requires_grad=True) for x in (2.0, 3.0, 4.0))
    with record():
        f = (u + v) * w
    return f, {u: "u", v: "v", w: "w"}


def boxes(source):
    """{variable name: the text of its box} from the DOT text."""
    found = {}
    for label in re.findall(r"^  v\d+ \[label=<(.*)>\];$", source, flags=re.M):
        cells = re.findall(r"<td[^>]*>(?:<b>)?([^<]*)(?:</b>)?</td>", label)
        found[cells[0]] = cells[1:]
    return found


def test_dot_has_one_box_per_variable_and_one_node_per_operation():
    f, names = lecture_example()
    source = graph(f, names).source
    # the lectures' computation: t1 = u + v = 5, f = t1 w = 20; df/dt1 = w, df/dw = t1,
    # df/du = df/dv = df/dt1 (addition distributes)
    u, v, w = 2.0, 3.0, 4.0
    expected = {"u": (u, w), "v": (v, w), "w": (w, u + v), "t1": (u + v, w),
                "f": ((u + v) * w, 1.0)}
    found = boxes(source)
    assert set(found) == set(expected)
    for name, (value, gradient) in expected.items():
        assert float(found[name][0]) == value
        label, number = found[name][1].split(" = ")
        assert label == f"∂f/∂{name}" and float(number) == gradient
    assert source.count("shape=circle") == 2
    assert re.search(r'label="\+"', source) and re.search(r'label="×"', source)
    assert source.count(" -> ") == 2 + 2 + 2  # op -> result, and each input -> its op
    assert source.startswith("digraph") and source.rstrip().endswith("}")


def test_edges_carry_the_gradient_of_each_path():
    x = rg.tensor(3.0, requires_grad=True)
    with record():
        f = x * x + x
    source = graph(f, {x: "x"}).source
    # into x*x: x (the other factor) times df/d(x*x) = 1, twice; into the +: 1
    edge_labels = sorted(float(n) for n in re.findall(r"v0 -> op\d+ \[label=<<font[^>]*>([^<]*)<",
                                                      source))
    assert edge_labels == [1.0, 3.0, 3.0]
    assert boxes(source)["x"][1] == "∂f/∂x = 7"


def test_without_gradients_and_after_a_backward():
    f, names = lecture_example()
    assert "∂" not in graph(f, names, show_grad=False).source
    f.backward()  # frees the graph: the leaves' .grad are shown, the rest left empty
    found = boxes(graph(f, names).source)
    assert found["u"][1] == "∂f/∂u = 4" and found["w"][1] == "∂f/∂w = 5"
    assert found["t1"][1].strip() == ""
    y = rg.tensor([1.0, 2.0], requires_grad=True)
    assert "(2,)" not in graph(y * 3).source  # small values are written out: [3, 6] is unknown
    assert "[1, 2]" in graph(y * 3).source


def test_constants_are_grey_names():
    x = rg.tensor(2.0, requires_grad=True)
    with record():
        f = x * 10.0
    source = graph(f).source
    assert re.search(r'c\d+_1 \[fontcolor="#777777", label="10"\]', source)
    assert "style=dashed" in source


@needs_dot
@pytest.mark.parametrize("format, magic", [("png", b"\x89PNG"), ("svg", b"<svg")])
def test_render_with_dot(tmp_path, format, magic):
    f, names = lecture_example()
    drawing = graph(f, names)
    path = drawing.render(tmp_path / "picture", format=format, engine="dot")
    assert path.endswith(f"picture.{format}")
    content = open(path, "rb").read()
    assert magic in content[:400]
    assert drawing.render(tmp_path / f"again.{format}").endswith(f"again.{format}")
    assert "<svg" in drawing._repr_svg_()


def test_without_graphviz_svg_is_drawn_in_python(monkeypatch, tmp_path):
    monkeypatch.setattr(drawing_module.shutil, "which", lambda name: None)
    f, names = lecture_example()
    drawing = graph(f, names)
    assert ET.fromstring(drawing._repr_svg_()).tag == SVG + "svg"
    path = drawing.render(tmp_path / "graph.svg")
    assert ET.parse(path).getroot().tag == SVG + "svg"
    with pytest.warns(UserWarning, match="written as SVG instead.*apt-get install graphviz"):
        path = drawing.render(tmp_path / "picture.png")
    assert path == str(tmp_path / "picture.svg") and not (tmp_path / "picture.png").exists()
    assert ET.parse(path).getroot().tag == SVG + "svg"
    with pytest.raises(GraphvizNotFoundError, match=r"apt-get install graphviz.*brew install "
                       r"graphviz"):
        drawing.pipe("png")
    with pytest.raises(GraphvizNotFoundError, match="engine='dot' needs Graphviz"):
        drawing.render(tmp_path / "graph.svg", engine="dot")
    assert open(drawing.save(tmp_path / "graph.dot")).read() == drawing.source == str(drawing)


def test_bad_format_or_engine():
    drawing = graph(*lecture_example())
    with pytest.raises(ValueError, match="format must be one of"):
        drawing.pipe("gif")
    with pytest.raises(ValueError, match="engine must be one of"):
        drawing.pipe("svg", engine="neato")
    with pytest.raises(ValueError, match="engine='python' draws SVG only"):
        drawing.pipe("png", engine="python")


# -- the SVG drawn in Python --------------------------------------------------------------------

SVG = "{http://www.w3.org/2000/svg}"


def drawn(drawing):
    """({node name: (left, top, right, bottom)}, [(tail, head)], [texts]) of the Python SVG."""
    root = ET.fromstring(drawing.svg(engine="python"))
    boxes = {}
    for group in root.iter(SVG + "g"):
        if group.get("class") != "node":
            continue
        corners = []
        for shape in group:
            if shape.tag == SVG + "rect":
                x, y = float(shape.get("x")), float(shape.get("y"))
                corners.append((x, y, x + float(shape.get("width")),
                                y + float(shape.get("height"))))
            elif shape.tag == SVG + "circle":
                cx, cy, r = (float(shape.get(key)) for key in ("cx", "cy", "r"))
                corners.append((cx - r, cy - r, cx + r, cy + r))
        boxes[group.get("data-name")] = (min(c[0] for c in corners), min(c[1] for c in corners),
                                         max(c[2] for c in corners), max(c[3] for c in corners))
    edges = [(group.get("data-tail"), group.get("data-head")) for group in root.iter(SVG + "g")
             if group.get("class") == "edge"]
    lines = [path for path in root.iter(SVG + "path") if path.get("class") == "edge-line"]
    assert len(lines) == len(edges)  # one path per edge
    texts = [text.text for text in root.iter(SVG + "text")]
    return boxes, edges, texts


def assert_drawn_well(drawing):
    """Every node and edge drawn, every label written, no two nodes overlapping, and every
    edge going forward in the drawing's direction."""
    boxes, edges, texts = drawn(drawing)
    assert set(boxes) == {node.name for node in drawing.nodes}
    assert edges == [(edge.tail, edge.head) for edge in drawing.edges]
    for node in drawing.nodes:
        assert node.title in texts and all(cell in texts for cell in node.cells)
        assert node.gradient in (None, "") or node.gradient in texts
    assert all(edge.label in texts for edge in drawing.edges if edge.label)
    names = sorted(boxes)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            (l1, t1, r1, b1), (l2, t2, r2, b2) = boxes[a], boxes[b]
            assert r1 <= l2 or r2 <= l1 or b1 <= t2 or b2 <= t1, f"{a} overlaps {b}"
    along = (0, 2) if drawing.direction == "LR" else (1, 3)  # (upstream, downstream) face
    for tail, head in edges:
        assert boxes[tail][along[1]] < boxes[head][along[0]], f"{tail} -> {head} goes back"


def test_python_svg_of_the_lecture_example():
    f, names = lecture_example()
    drawing = graph(f, names)
    assert_drawn_well(drawing)
    _, _, texts = drawn(drawing)
    assert {"∂f/∂u = 4", "∂f/∂w = 5", "∂f/∂t1 = 4", "+", "×", "20"} <= set(texts)


def test_python_svg_of_a_larger_graph_with_constants_and_shared_inputs():
    x = rg.tensor([1.0, -2.0, 3.0], requires_grad=True)
    w = rg.tensor([0.5, 0.25, 2.0], requires_grad=True)
    with record():
        h = (x * w + 1.0).tanh()
        f = ((h * h).sum() + (x * 2.0).exp().sum() * w.sum()) / 3.0
    drawing = graph(f, {x: "x", w: "w"})
    assert len(drawing.nodes) > 20 and any(node.kind == "constant" for node in drawing.nodes)
    assert_drawn_well(drawing)


def test_python_svg_of_a_wide_deep_graph():
    leaves = [rg.tensor(float(i), requires_grad=True) for i in range(12)]
    total = leaves[0]
    with record():
        for number, leaf in enumerate(leaves[1:]):  # a long chain joined by many leaves
            total = total * leaf if number % 2 else total + leaf.sin()
    assert_drawn_well(graph(total))


def test_python_svg_escapes_text():
    x = rg.tensor(2.0, requires_grad=True)
    with record():
        f = x * 3.0
    drawing = graph(f, {x: "<x & y>"})
    _, _, texts = drawn(drawing)
    assert "<x & y>" in texts and "&lt;x &amp; y&gt;" in drawing.svg(engine="python")


def test_model_graph_of_a_sequential_network():
    net = rg.nn.Sequential(rg.nn.Linear(2, 16), rg.nn.Tanh(), rg.nn.Linear(16, 3))
    layers = layer_summary(net, rg.zeros(5, 2))
    reference = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.Tanh(),
                                    torch.nn.Linear(16, 3))
    shapes, x = [], torch.zeros(5, 2)
    for layer in reference:
        x = layer(x)
        shapes.append(tuple(x.shape))
    assert [layer["shape"] for layer in layers] == shapes
    assert [layer["parameters"] for layer in layers] == [
        sum(p.numel() for p in layer.parameters()) for layer in reference]
    assert [layer["name"] for layer in layers] == ["0", "1", "2"]
    source = model_graph(net, rg.zeros(1, 2)).source
    assert source.count("layer") >= 3 and "(N, 16)" in source and "(N, 3)" in source
    assert "48 parameters: weight (16, 2), bias (16,)" in source
    assert "no parameters" in source and "Sequential: 99 parameters" in source
    drawing = model_graph(net, rg.zeros(1, 2))
    assert drawing.direction == "TB"
    assert_drawn_well(drawing)
    assert "Sequential: 99 parameters" in drawn(drawing)[2]


def test_model_graph_leaves_batch_norm_statistics_and_the_mode_alone():
    net = rg.nn.Sequential(rg.nn.Linear(3, 4), rg.nn.BatchNorm1d(4))
    before = net[1].running_mean.array.copy()
    layers = layer_summary(net, rg.randn(2, 3))
    assert [layer["parameters"] for layer in layers] == [3 * 4 + 4, 4 + 4]
    assert (net[1].running_mean.array == before).all() and net.training
