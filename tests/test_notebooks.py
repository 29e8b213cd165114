"""The notebooks of ``notebooks/`` run from top to bottom, so that they never rot.

Each runs with nbclient in a temporary folder, on a kernel of this interpreter (a kernel spec
written for the test, so that no other Python installed on the machine is picked up) that
imports retrograd from this checkout. A failing cell fails the test with that cell's source
and error.
"""
import json
import os
import re
import shutil
import sys
from pathlib import Path

import nbclient
import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
KERNEL = "retrograd-test"
CELL_TIMEOUT_S = 120


@pytest.fixture(scope="module")
def kernel_specs(tmp_path_factory) -> KernelSpecManager:
    """A kernel spec manager that knows one kernel: this interpreter, with this checkout first
    on its path."""
    folder = tmp_path_factory.mktemp("kernels")
    (folder / KERNEL).mkdir()
    python_path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "retrograd tests", "language": "python",
            "env": {"PYTHONPATH": python_path}}
    (folder / KERNEL / "kernel.json").write_text(json.dumps(spec))
    return KernelSpecManager(kernel_dirs=[str(folder)])


def run_notebook(path: Path, kernel_specs: KernelSpecManager, folder: Path) -> None:
    """Runs a copy of the notebook at ``path`` in ``folder``; fails with the failing cell."""
    copy = Path(shutil.copy(path, folder))
    notebook = nbformat.read(copy, as_version=4)
    manager = KernelManager(kernel_name=KERNEL, kernel_spec_manager=kernel_specs)
    client = nbclient.NotebookClient(notebook, km=manager, timeout=CELL_TIMEOUT_S,
                                     resources={"metadata": {"path": str(folder)}})
    try:
        client.execute()
        return
    except nbclient.exceptions.CellExecutionError as error:
        failure = re.sub(r"\x1b\[[0-9;]*m", "", str(error))  # the kernel's traceback is coloured
    # outside the except block, so that pytest shows the cell's error once, not chained
    pytest.fail(f"{path.name}: a cell failed\n{failure}", pytrace=False)


def test_the_notebooks_are_found():
    # an empty glob would leave nothing to run and nothing to fail
    assert len(NOTEBOOKS) >= 5


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_notebook_runs(path, kernel_specs, tmp_path):
    run_notebook(path, kernel_specs, tmp_path)


def test_a_failing_cell_fails_the_run(kernel_specs, tmp_path):
    # the check above must be able to fail: a notebook whose second cell raises
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell("raise ValueError('broken on purpose')")])
    path = tmp_path / "source" / "broken.ipynb"
    path.parent.mkdir()
    nbformat.write(notebook, path)
    with pytest.raises(pytest.fail.Exception, match="broken on purpose"):
        run_notebook(path, kernel_specs, tmp_path)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_notebook_is_committed_without_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(not cell.outputs and cell.execution_count is None for cell in code)
