"""rg.explain.graph and model_graph: the DOT text (always), pictures (when Graphviz's dot is
installed), the message when it is not, and the notebook representations."""
import re
import shutil

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
def test_render(tmp_path, format, magic):
    f, names = lecture_example()
    drawing = graph(f, names)
    path = drawing.render(tmp_path / "picture", format=format)
    assert path.endswith(f"picture.{format}")
    content = open(path, "rb").read()
    assert magic in content[:400]
    assert drawing.render(tmp_path / f"again.{format}").endswith(f"again.{format}")
    assert "<svg" in drawing._repr_svg_() and "<svg" in drawing._repr_html_()


def test_without_graphviz_a_clear_message(monkeypatch, tmp_path):
    monkeypatch.setattr(drawing_module.shutil, "which", lambda name: None)
    f, names = lecture_example()
    drawing = graph(f, names)
    with pytest.raises(GraphvizNotFoundError, match=r"apt-get install graphviz.*brew install "
                       r"graphviz"):
        drawing.render(tmp_path / "graph.png")
    assert drawing._repr_svg_() is None
    html = drawing._repr_html_()
    assert "apt-get install graphviz" in html and "digraph retrograd" in html
    assert open(drawing.save(tmp_path / "graph.dot")).read() == drawing.source == str(drawing)
    with pytest.raises(ValueError, match="format must be one of"):
        drawing.pipe("gif")


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


def test_model_graph_leaves_batch_norm_statistics_and_the_mode_alone():
    net = rg.nn.Sequential(rg.nn.Linear(3, 4), rg.nn.BatchNorm1d(4))
    before = net[1].running_mean.array.copy()
    layers = layer_summary(net, rg.randn(2, 3))
    assert [layer["parameters"] for layer in layers] == [3 * 4 + 4, 4 + 4]
    assert (net[1].running_mean.array == before).all() and net.training
