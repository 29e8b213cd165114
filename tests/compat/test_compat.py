"""PyTorch scripts run unchanged on retrograd: each script in ``scripts/`` runs once with torch
and once with ``import torch`` meaning retrograd (the test-only alias package in ``alias/``),
and both print the same lines.

A line's words must match exactly, once "retrograd" is read as "torch"; its numbers must agree
within the script's tolerance, declared in its header as ``# compat: rtol=.. atol=..``.
"""
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
SCRIPTS = sorted((HERE / "scripts").glob("*.py"))
NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|\bnan\b|\binf\b")

pytest.importorskip("torch")


def run(script: Path, cwd: Path, *, on_retrograd: bool) -> str:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}
    env.pop("PYTHONPATH", None)
    if on_retrograd:
        env["PYTHONPATH"] = str(HERE / "alias")
    done = subprocess.run([sys.executable, str(script)], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)
    which = "retrograd" if on_retrograd else "torch"
    assert done.returncode == 0, f"{script.name} failed on {which}:\n{done.stderr[-3000:]}"
    return done.stdout


def tolerance(script: Path) -> dict:
    header = re.search(r"^# compat: (.*)$", script.read_text(), re.MULTILINE)
    pairs = dict(item.split("=") for item in header.group(1).split()) if header else {}
    return {"rel_tol": float(pairs.get("rtol", 1e-5)), "abs_tol": float(pairs.get("atol", 1e-6))}


def compare(torch_out: str, retrograd_out: str, rel_tol: float, abs_tol: float) -> None:
    torch_lines = torch_out.splitlines()
    retrograd_lines = retrograd_out.replace("retrograd", "torch").splitlines()
    assert len(torch_lines) == len(retrograd_lines), (torch_out, retrograd_out)
    for expected, got in zip(torch_lines, retrograd_lines):
        assert NUMBER.sub("#", expected) == NUMBER.sub("#", got), \
            f"\n torch: {expected}\n  ours: {got}"
        for want, have in zip(NUMBER.findall(expected), NUMBER.findall(got)):
            want, have = float(want), float(have)
            same = (math.isnan(want) and math.isnan(have)) or \
                math.isclose(want, have, rel_tol=rel_tol, abs_tol=abs_tol)
            assert same, f"{have} != {want} (rtol={rel_tol}, atol={abs_tol})\n torch: " \
                         f"{expected}\n  ours: {got}"


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_script_runs_unchanged_on_retrograd(script: Path, tmp_path: Path) -> None:
    (tmp_path / "torch").mkdir()
    (tmp_path / "retrograd").mkdir()
    torch_out = run(script, tmp_path / "torch", on_retrograd=False)
    retrograd_out = run(script, tmp_path / "retrograd", on_retrograd=True)
    compare(torch_out, retrograd_out, **tolerance(script))


def test_comparison_catches_a_different_number_and_a_different_word() -> None:
    compare("loss: 0.5\n", "loss: 0.50000001\n", 1e-5, 1e-6)
    with pytest.raises(AssertionError):
        compare("loss: 0.5\n", "loss: 0.6\n", 1e-5, 1e-6)
    with pytest.raises(AssertionError):
        compare("tensor(1., grad_fn=<MulBackward0>)", "tensor(1., grad_fn=<MmBackward0>)",
                1e-5, 1e-6)
    with pytest.raises(AssertionError):
        compare("a: 1\nb: 2\n", "a: 1\n", 1e-5, 1e-6)


def test_the_alias_is_retrograd_itself(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("import torch, torch.nn.functional as F, retrograd\n"
                     "print(torch is retrograd, F is retrograd.nn.functional)\n"
                     "try:\n    import torch.distributions\nexcept ImportError as e:\n"
                     "    print(e)\n")
    out = run(probe, tmp_path, on_retrograd=True)
    assert out.splitlines() == ["True True", "No module named 'torch.distributions'"]
