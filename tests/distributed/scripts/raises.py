"""Rank 1 raises while rank 0 waits in a collective: the job must end, not hang."""
import retrograd as rg
import retrograd.distributed as dist

dist.init_process_group("mpi")
if dist.get_rank() == 1:
    raise ValueError("boom on purpose")
dist.all_reduce(rg.ones(3))  # never completes: rank 1 is gone
print("rank 0 should not get here", flush=True)
