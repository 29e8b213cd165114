"""`retrograd explain` through the command line's main(): the trace printed, the files
written, one-line errors with their exit codes, and --model on a checkpoint of `retrograd train`."""
import os
import shutil
import xml.etree.ElementTree as ET

import pytest

from retrograd.cli.main import main
from retrograd.explain import drawing

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is missing")


def run(capsys, *argv):
    """main(argv) -> (exit status, stdout, stderr)."""
    status = main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_prints_the_trace_and_writes_the_graph(capsys, tmp_path):
    status, out, err = run(capsys, "explain", "(u + v) * w", "--at", "u=2,v=3,w=4",
                           "--out", tmp_path)
    assert status == 0 and err == ""
    # df/dw = u + v = 5 and df/du = w = 4: the chain rule of the lectures
    assert "∂f/∂w = t1 · ∂f/∂f = 5" in out and "∂f/∂u = ∂f/∂t1 = 4" in out
    assert "u (leaf)" in out and "Local derivative rules" in out
    dot = (tmp_path / "graph.dot").read_text()
    assert dot.startswith("digraph") and "∂f/∂w = 5" in dot
    assert str(tmp_path / "graph.dot") in out
    if shutil.which("dot"):
        assert (tmp_path / "graph.png").read_bytes()[:4] == b"\x89PNG"
    else:
        assert is_svg(tmp_path / "graph.svg")


def test_svg_and_repeated_at(capsys, tmp_path):
    status, out, _ = run(capsys, "explain", "sum(x * w)", "--at", "x=[1,2,3]", "--at", "w=0.5",
                         "--format", "svg", "--out", tmp_path / "new")
    assert status == 0 and "(summed over the broadcast axes)" not in out
    assert "summed over the broadcast axes" in out  # w was broadcast over x
    assert "<svg" in (tmp_path / "new" / "graph.svg").read_text()


def is_svg(path):
    return ET.parse(path).getroot().tag == "{http://www.w3.org/2000/svg}svg"


def test_without_graphviz_an_svg_drawn_in_python(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(drawing.shutil, "which", lambda name: None)
    status, out, _ = run(capsys, "explain", "x*x + x", "--at", "x=3", "--out", tmp_path)
    assert status == 0 and "1 + 3 + 3 = 7" in out
    assert sorted(os.listdir(tmp_path)) == ["graph.dot", "graph.svg"]
    assert is_svg(tmp_path / "graph.svg") and "∂f/∂x = 7" in (tmp_path / "graph.svg").read_text()
    assert "needs Graphviz" not in out  # svg is the default without dot: nothing to say
    # PNG asked for: written as SVG, and said so
    status, out, _ = run(capsys, "explain", "x*x", "--at", "x=3", "--format", "png",
                         "--out", tmp_path / "png")
    assert status == 0 and sorted(os.listdir(tmp_path / "png")) == ["graph.dot", "graph.svg"]
    assert "graph.png needs Graphviz's dot program, so the picture is an SVG" in out
    assert "apt-get install graphviz" in out and is_svg(tmp_path / "png" / "graph.svg")
    status, _, err = run(capsys, "explain", "x*x", "--at", "x=3", "--engine", "dot",
                         "--out", tmp_path / "dot")
    assert status == 1 and "engine='dot' needs Graphviz" in err and err.count("\n") == 1


def test_the_python_engine_even_with_graphviz(capsys, tmp_path):
    status, out, _ = run(capsys, "explain", "u * v", "--at", "u=2,v=3", "--engine", "python",
                         "--out", tmp_path)
    assert status == 0 and is_svg(tmp_path / "graph.svg")
    status, _, err = run(capsys, "explain", "u * v", "--at", "u=2,v=3", "--engine", "python",
                         "--format", "png", "--out", tmp_path)
    assert status == 1 and "engine='python' draws SVG only" in err


@pytest.mark.parametrize("argv, code, fragment", [
    (["__import__('os')", "--at", "u=1"], 1, "unknown function '__import__'"),
    (["__import__('os').system('ls')", "--at", "u=1"], 1, "attribute access"),
    (["u.__class__", "--at", "u=1"], 1, "attribute access"),
    (["q * 2", "--at", "u=1"], 1, "unknown name 'q'"),
    (["u", "--at", "u=[1,2"], 2, "--at: expected NAME=VALUE"),
    (["x * 2", "--at", "x=[1,2]"], 1, "reduce it first"),
    ([], 2, "one of the arguments EXPRESSION --model is required"),
    (["u", "--model", "m.npz"], 2, "not allowed with"),
    (["--model", "missing.npz"], 1, "missing.npz"),
])
def test_errors_are_one_line(capsys, tmp_path, argv, code, fragment):
    status, out, err = run(capsys, "explain", *argv, "--out", tmp_path)
    assert status == code, err
    assert err.count("\n") == 1 and "error:" in err and "Traceback" not in err, err
    assert fragment in err


def test_model_draws_a_trained_network_layer_by_layer(capsys, tmp_path):
    status, _, err = run(capsys, "train", "--samples", "100", "--epochs", "1", "--hidden", "8",
                         "--out", tmp_path / "run")
    assert status == 0, err
    status, out, err = run(capsys, "explain", "--model", tmp_path / "run" / "checkpoint.npz",
                           "--out", tmp_path / "pictures")
    assert status == 0, err
    # an mlp [8] on circles (2 features, 2 classes): Linear(2, 8), ReLU, Linear(8, 2)
    assert f"{(2 + 1) * 8 + (8 + 1) * 2} parameters" in out
    assert "Linear(in_features=2, out_features=8, bias=True)" in out and "ReLU()" in out
    dot = (tmp_path / "pictures" / "model.dot").read_text()
    assert dot.count("layer") >= 3 and "24 parameters: weight (8, 2), bias (8,)" in dot
    picture = "model.png" if shutil.which("dot") else "model.svg"
    assert (tmp_path / "pictures" / picture).exists()
    status, _, err = run(capsys, "explain", "--model", tmp_path / "run" / "checkpoint.npz",
                         "--at", "u=1")
    assert status == 1 and "no use with --model" in err
