"""Every ```python block of README.md runs as written: in order, in one namespace (the blocks
build on each other, as a reader runs them one after the other), in a temporary folder.

A block that cannot run here (it needs a GPU, MPI processes or files the reader provides)
starts with the line ``# not run by tests/test_readme.py: <why>``; the reason is required, so
that every skipped block says why."""
import os
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
SKIP = "# not run by tests/test_readme.py:"


def python_blocks(text: str) -> list[tuple[int, str]]:
    """(line number, code) of each ```python block of ``text``."""
    blocks = []
    for match in re.finditer(r"^```python\n(.*?)^```", text, re.S | re.M):
        blocks.append((text[:match.start()].count("\n") + 1, match.group(1)))
    return blocks


def test_the_readme_has_python_blocks():
    assert len(python_blocks(README.read_text())) >= 5


def test_skipped_blocks_say_why():
    for line, code in python_blocks(README.read_text()):
        if code.startswith(SKIP):
            assert code.splitlines()[0][len(SKIP):].strip(), f"README.md:{line}: no reason"


def test_the_readme_snippets_run(tmp_path, monkeypatch):
    import retrograd as rg

    monkeypatch.chdir(tmp_path)
    threads = rg.get_num_threads()  # a block sets the process's threads: the next tests' too
    namespace: dict = {"__name__": "__readme__"}
    try:
        for line, code in python_blocks(README.read_text()):
            if code.startswith(SKIP):
                continue
            try:
                exec(compile(code, f"README.md:{line}", "exec"), namespace)
            except Exception as error:
                pytest.fail(f"the block at README.md:{line} fails: {type(error).__name__}: "
                            f"{error}")
    finally:
        rg.set_num_threads(threads)
    assert {"digits.npz", "graph.svg"} <= set(os.listdir(tmp_path))  # what the blocks write
