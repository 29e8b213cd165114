"""Data-parallel training over MPI, with ``torch.distributed``'s names.

    import retrograd.distributed as dist

    dist.init_process_group("mpi")             # rank and world size from mpiexec
    rank, world = dist.get_rank(), dist.get_world_size()
    dist.all_reduce(grad, op=dist.ReduceOp.AVG)  # in place, on every rank

Start N processes with ``retrograd run -n N script.py`` (``pip install
'retrograd[distributed]'`` brings mpi4py and an MPI library). Run alone, the same script is a
world of one process. Tensors are CPU tensors; the collectives write them in place.
"""
from .collectives import (
    ReduceOp,
    Work,
    all_gather,
    all_gather_object,
    all_reduce,
    barrier,
    broadcast,
    broadcast_object_list,
    reduce,
)
from .process_group import (
    ProcessGroup,
    abort,
    destroy_process_group,
    get_rank,
    get_world_size,
    init_process_group,
    is_available,
    is_initialized,
)

__all__ = ["ProcessGroup", "ReduceOp", "Work", "abort", "all_gather", "all_gather_object",
           "all_reduce", "barrier", "broadcast", "broadcast_object_list",
           "destroy_process_group", "get_rank", "get_world_size", "init_process_group",
           "is_available", "is_initialized", "reduce"]
