"""`retrograd check FILE.py`: exit status 0 for a correct backward, 1 with the right hint for a
wrong one, 2 with one clear line for a file that cannot be checked."""
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from retrograd.cli.main import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "check"
# a correct NumPy network in a few lines, for the broken files to start from
NETWORK = textwrap.dedent("""\
    import numpy as np

    def init_params(nx, nh, ny):
        return {"Wh": 0.3 * np.random.randn(nh, nx), "bh": np.zeros(nh),
                "Wy": 0.3 * np.random.randn(ny, nh), "by": np.zeros(ny)}

    def forward(params, X):
        H = np.tanh(X @ params["Wh"].T + params["bh"])
        scores = H @ params["Wy"].T + params["by"]
        Yhat = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
        return Yhat, {"X": X, "H": H, "Yhat": Yhat}

    def loss_accuracy(Yhat, Y):
        return -np.mean(np.sum(Y * np.log(Yhat), axis=1)), np.mean(Yhat.argmax(1) == Y.argmax(1))

    def backward(params, outputs, Y):
        dYtilde = (outputs["Yhat"] - Y) / len(Y)
        dHtilde = (dYtilde @ params["Wy"]) * (1 - outputs["H"] ** 2)
        return {"Wh": dHtilde.T @ outputs["X"], "bh": dHtilde.sum(0),
                "Wy": dYtilde.T @ outputs["H"], "by": dYtilde.sum(0)}
    """)


def check(capsys, *argv):
    """`retrograd check ARGV` in this process -> (exit status, stdout, stderr)."""
    status = main(["check", *map(str, argv)])
    out, err = capsys.readouterr()
    return status, out, err


def user_file(tmp_path, source, name="user_network.py"):
    path = tmp_path / name
    path.write_text(source)
    return path


def assert_bad_file(status, err, *fragments):
    assert status == 2
    first, *rest = err.splitlines()
    assert first.startswith("retrograd check: error: ") and "Traceback" not in err, err
    assert len(rest) <= 1, err  # at most a line saying where, and how to see the traceback
    for fragment in fragments:
        assert fragment in first, err


@pytest.mark.parametrize("example", ["network.py", "network_tensors.py"])
def test_correct_examples_pass(capsys, example):
    status, out, err = check(capsys, EXAMPLES / example)
    assert (status, err) == (0, ""), out
    assert "all 4 gradients match" in out and "N=8 examples, nx=4, nh=5, ny=3" in out
    assert ("autograd (float64)" in out) == (example == "network_tensors.py")


@pytest.mark.parametrize("example, wrong, pattern", [
    ("wrong_transposed.py", ["Wy"], "yours.T matches"),
    ("wrong_sum_not_mean.py", ["Wh", "bh", "Wy", "by"], "yours = 8 x expected, and N = 8"),
    ("wrong_missing_derivative.py", ["Wh", "bh"], "missing elementwise factor"),
])
def test_wrong_examples_fail_with_their_hint(capsys, example, wrong, pattern):
    status, out, err = check(capsys, EXAMPLES / example)
    assert (status, err) == (1, ""), out
    assert f"gradients wrong: {', '.join(wrong)}" in out and pattern in out
    for name in ("Wh", "bh", "Wy", "by"):
        assert (f"{name}: FAIL" in out) == (name in wrong), out


def test_sizes_and_seed_flags(capsys):
    status, out, _ = check(capsys, EXAMPLES / "wrong_sum_not_mean.py", "--batch-size", 16,
                           "--nx", 2, "--nh", 3, "--ny", 2, "--seed", 5)
    assert status == 1 and "N=16 examples, nx=2, nh=3, ny=2 (seed 5)" in out
    assert "yours = 16 x expected" in out and "(3, 2)" in out


def test_float32_parameters_reach_the_functions_as_float64(capsys, tmp_path):
    source = NETWORK.replace("def forward(", textwrap.dedent("""\
        init_float64 = init_params

        def init_params(nx, nh, ny):
            return {name: value.astype(np.float32)
                    for name, value in init_float64(nx, nh, ny).items()}

        def forward("""))
    source = source.replace("    H = np.tanh(", "    assert params['Wh'].dtype == np.float64\n"
                                               "    H = np.tanh(")
    status, out, err = check(capsys, user_file(tmp_path, source))
    assert status == 0, out + err


def test_subprocess_exit_codes():
    """`python -m retrograd check`: the real command line, its streams and exit codes."""
    def run(path):
        return subprocess.run([sys.executable, "-m", "retrograd", "check", str(path)],
                              capture_output=True, text=True, timeout=60)

    correct, wrong = run(EXAMPLES / "network.py"), run(EXAMPLES / "wrong_transposed.py")
    assert (correct.returncode, wrong.returncode) == (0, 1), correct.stderr + wrong.stderr
    assert "all 4 gradients match" in correct.stdout and "Wy: FAIL" in wrong.stdout
    missing = run(EXAMPLES / "no_such_file.py")
    assert missing.returncode == 2 and missing.stdout == ""
    assert missing.stderr.strip().endswith("no_such_file.py: no such file")


@pytest.mark.parametrize("change, fragments", [
    (("def backward(", "def back_ward("), ["backward(params, outputs, Y) is missing"]),
    (("def backward(params, outputs, Y)", "def backward(params, grads)"),
     ["backward must accept (params, outputs, Y); yours is backward(params, grads)"]),
    (("def forward(params, X):", "def forward(params, X):\n    raise KeyError('Wh')"),
     ["forward(params, X) raised KeyError: 'Wh'"]),
    (("X @ params[\"Wh\"].T", "X @ params[\"Wh\"]"), ["forward(params, X) raised ValueError"]),
    (("def init_params(nx, nh, ny):", "def init_params(nx, nh, ny:"),
     ["running the file raised SyntaxError"]),
    (("import numpy as np", "import numpy as np\nimport no_such_module_here"),
     ["running the file raised ModuleNotFoundError"]),
    (("def forward(", "def init_params(nx, nh, ny):\n    return [1.0]\n\ndef forward("),
     ["init_params must return a dict of parameters", "got list"]),
    (("return Yhat, {", "return {"), ["forward must return (Yhat, outputs), got dict"]),
    (("\"by\": dYtilde.sum(0)}", "}"),
     ["backward must return a dict with the keys of params", "['Wh', 'Wy', 'bh']"]),
    (("-np.mean(", "np.nan * np.mean("), ["loss_accuracy returned L = nan"]),
    (("\"bh\": dHtilde.sum(0)", "\"bh\": 'zero'"), ["checking the gradients: TypeError",
                                                    "grads['bh'] must be an array"]),
])
def test_broken_file_exits_2_with_one_clear_line(capsys, tmp_path, change, fragments):
    old, new = change
    assert old in NETWORK
    path = user_file(tmp_path, NETWORK.replace(old, new))
    status, out, err = check(capsys, path)
    assert out == ""
    assert_bad_file(status, err, str(path), *fragments)


def test_error_in_user_code_says_where_and_traceback_on_demand(capsys, tmp_path):
    path = user_file(tmp_path, NETWORK.replace("def forward(params, X):",
                                               "def forward(params, X):\n    1 / 0"))
    status, _, err = check(capsys, path)
    assert_bad_file(status, err, "forward(params, X) raised ZeroDivisionError: division by zero")
    assert err.splitlines()[1] == ("(at user_network.py line 8; run with --traceback to see the "
                                   "traceback)")
    status, _, err = check(capsys, path, "--traceback")
    assert status == 2 and "Traceback (most recent call last)" in err
    assert f'File "{path}", line 8, in forward' in err
    assert "retrograd/check" not in err  # the traceback starts in the user's code


def test_user_file_can_import_its_neighbours(capsys, tmp_path):
    user_file(tmp_path, NETWORK, "my_layers.py")
    path = user_file(tmp_path, "from my_layers import init_params, forward, loss_accuracy, "
                     "backward\n", "uses_neighbour.py")
    status, out, _ = check(capsys, path)
    assert status == 0, out
    assert str(tmp_path) not in sys.path  # the file's folder is not left on the path


def test_bad_command_line(capsys):
    status, out, err = check(capsys, EXAMPLES / "network.py", "--nh", 0)
    assert status == 2 and "--nh" in err and err.count("\n") == 1
