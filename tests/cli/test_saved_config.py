"""An untrusted checkpoint's configuration is checked before `retrograd eval` or `retrograd
explain --model` builds a model from it (issue 14)."""
import tracemalloc

import pytest

import retrograd as rg
from retrograd.cli.main import main


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    folder = tmp_path_factory.mktemp("run")
    assert main(["train", "--epochs", "1", "--samples", "100", "--out", str(folder / "r")]) == 0
    return rg.load(folder / "r" / "checkpoint.npz")


BAD = [
    ("hidden", [8000, 8000], "'hidden' must be a list of 1 to 16 sizes from 1 to 4096"),
    ("hidden", [4000, 4000], "'hidden' asks for at least 16,000,000 weights, but the file "
                             "holds"),
    ("hidden", "32,32", "'hidden' must be a list"),
    ("model", "evil", "'model' is 'evil', not one of mlp, lenet, cnn"),
    ("activation", ["relu"], "'activation' is \"\\['relu'\\]\""),
    ("dataset", "../../etc/passwd", "'dataset' is '../../etc/passwd', not a known data set"),
    ("samples", 10 ** 9, "'samples' must be an integer from 1 to 1000000"),
    ("kernel_size", 99, "'kernel_size' must be an integer from 1 to 15"),
    ("optimizer", None, None),  # None: the default is used, nothing to refuse
]


@pytest.mark.parametrize("field, value, message", BAD)
@pytest.mark.parametrize("command", [["eval"], ["explain", "--model"], ["train", "--resume"]])
def test_a_bad_saved_configuration_is_refused_naming_file_and_field(
        checkpoint, tmp_path, capsys, command, field, value, message):
    path = tmp_path / "edited.npz"
    rg.save({**checkpoint, "config": {**checkpoint["config"], field: value}}, path)
    tracemalloc.start()
    try:
        status = main([*command, str(path), *(["--out", str(tmp_path / "x")]
                                              if command[0] != "eval" else [])])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    error = capsys.readouterr().err
    if message is None:
        assert status == 0, error
        return
    assert status == 1 and "edited.npz" in error
    assert __import__("re").search(message, error), error
    assert peak < 50 * 1024 * 1024  # refused before a model is built
