"""The default process group: which process of the job this is, over MPI (mpi4py).

Processes are started by ``mpiexec -n N`` (``retrograd run -n N script.py``), which also does the
rendezvous, so ``init_process_group`` only reads the rank and the world size from
``MPI.COMM_WORLD``. Run without ``mpiexec``, or without mpi4py, a script is a world of one
process, rank 0, and every collective leaves its tensors as they are.
"""
from __future__ import annotations

import sys
import time
import traceback
from datetime import timedelta
from types import ModuleType
from typing import Any

ABORT_GRACE_SECONDS = 0.5  # before MPI_Abort: time for mpiexec to pass on the last output
# mpi4py, once loaded: False until the first look, None when it or its MPI library is missing
_mpi_module: ModuleType | None | bool = False


def _mpi() -> Any:
    """``mpi4py.MPI``, or None when mpi4py or a working MPI library is not installed (Any:
    the callers use it once they know it is there, and mpi4py may be missing)."""
    global _mpi_module
    if _mpi_module is False:
        try:
            from mpi4py import MPI
            _mpi_module = MPI
        except (ImportError, RuntimeError):  # RuntimeError: "cannot load MPI library"
            _mpi_module = None
    return _mpi_module


class ProcessGroup:
    """The processes of the job: this one's ``rank()`` among ``size()``, and the MPI
    communicator that reaches them (None in a world of one without MPI)."""

    def __init__(self, comm: Any, rank: int, size: int) -> None:
        self.comm = comm
        self._rank = rank
        self._size = size

    def rank(self) -> int:
        return self._rank

    def size(self) -> int:
        return self._size

    def __repr__(self) -> str:
        return f"ProcessGroup(backend='mpi', rank={self._rank}, size={self._size})"


class InitializedTwiceError(RuntimeError, ValueError):
    """``init_process_group`` called while the default group exists (a RuntimeError, and a
    ValueError as PyTorch raises)."""


_default_group: ProcessGroup | None = None
_previous_excepthook = None


def is_available() -> bool:
    """True when mpi4py and a working MPI library are installed (``pip install
    'retrograd[distributed]'``)."""
    return _mpi() is not None


def is_initialized() -> bool:
    """True between ``init_process_group`` and ``destroy_process_group``."""
    return _default_group is not None


def init_process_group(backend: str | None = "mpi", init_method: str | None = None,
                       timeout: timedelta | None = None, world_size: int = -1, rank: int = -1,
                       store: Any = None, group_name: str = "", pg_options: Any = None,
                       device_id: Any = None) -> None:
    """Makes the default process group of this job, as ``torch.distributed.init_process_group``.

    Only the ``"mpi"`` backend exists (None means it too). The rank and the world size are
    MPI's (``mpiexec -n N`` sets them); ``world_size`` and ``rank``, when given, must agree
    with them. ``init_method``, ``timeout``, ``store``, ``group_name``, ``pg_options`` and
    ``device_id`` are accepted for PyTorch's sake and ignored: mpiexec does the rendezvous.

    In a world of more than one process, an uncaught exception in any process prints its
    traceback (with the rank) and aborts the whole job, so the other ranks never wait forever
    in a collective.
    """
    global _default_group, _previous_excepthook
    if backend is not None and str(backend).lower() != "mpi":
        raise ValueError(f"backend {backend!r} is not available: retrograd.distributed runs on "
                         f"MPI (backend='mpi'), started with `retrograd run -n N script.py` "
                         f"or mpiexec")
    if _default_group is not None:
        raise InitializedTwiceError("trying to initialize the default process group twice!")
    MPI = _mpi()
    comm = None if MPI is None else MPI.COMM_WORLD
    mpi_rank, mpi_size = (0, 1) if comm is None else (comm.Get_rank(), comm.Get_size())
    if world_size not in (-1, mpi_size):
        raise ValueError(f"world_size={world_size} but MPI started {mpi_size} process(es); "
                         f"the world size is mpiexec's -n (leave world_size at -1)")
    if rank not in (-1, mpi_rank):
        raise ValueError(f"rank={rank} but MPI gave this process rank {mpi_rank}; "
                         f"the rank is MPI's (leave rank at -1)")
    _default_group = ProcessGroup(comm, mpi_rank, mpi_size)
    if mpi_size > 1:
        _previous_excepthook = sys.excepthook
        sys.excepthook = _abort_on_exception


def _abort_on_exception(kind: type, value: BaseException, tb: Any) -> None:
    """An uncaught exception on one rank: report it and end every rank of the job (as
    ``python -m mpi4py`` does), since the others would wait for this one forever."""
    rank = _default_group.rank() if _default_group is not None else "?"
    message = "".join(traceback.format_exception(kind, value, tb))
    sys.stderr.write(f"retrograd.distributed: uncaught exception on rank {rank}, "
                     f"aborting the job:\n{message}")
    _abort_job(1)


def _abort_job(exit_code: int) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    # MPI_Abort makes mpiexec kill every process at once, possibly before the launcher has
    # forwarded what this one just wrote: give it a moment, so the error is not lost
    time.sleep(ABORT_GRACE_SECONDS)
    _mpi().COMM_WORLD.Abort(exit_code)


def abort(exit_code: int = 1) -> None:
    """Ends every process of the job now (``MPI_Abort``), as an uncaught exception does: for a
    rank that met an error it has already reported, while the others may be waiting for it in
    a collective. In a world of one, exits this process."""
    if _default_group is not None and _default_group.size() > 1:
        _abort_job(exit_code)
    sys.exit(exit_code)


def destroy_process_group(group: ProcessGroup | None = None) -> None:
    """Forgets the default process group (``init_process_group`` may be called again)."""
    global _default_group, _previous_excepthook
    _group(group)
    _default_group = None
    if _previous_excepthook is not None:
        sys.excepthook, _previous_excepthook = _previous_excepthook, None


def _group(group: ProcessGroup | None) -> ProcessGroup:
    """The group a call works on: the default one (the only one there is)."""
    if _default_group is None:
        raise ValueError("Default process group has not been initialized, please make sure "
                         "to call init_process_group.")
    if group is not None and group is not _default_group:
        raise ValueError("retrograd.distributed has only the default process group: pass "
                         "group=None")
    return _default_group


def get_rank(group: ProcessGroup | None = None) -> int:
    """This process's rank, in [0, world size)."""
    return _group(group).rank()


def get_world_size(group: ProcessGroup | None = None) -> int:
    """The number of processes of the job."""
    return _group(group).size()
