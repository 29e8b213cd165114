"""A real retrograd job for the cross-host test (tests/distributed/test_cross_host.py).

Each rank reports where it runs (its network namespace, the interfaces it can see), all-reduces
a 4 MiB float32 tensor and checks every value, trains a tiny MLP with DistributedDataParallel
on batches of its own for a few steps, and checks that the ranks end with identical
parameters. Rank 0 writes it all to the JSON file named by the first argument.
"""
import hashlib
import json
import os
import socket
import sys

import numpy as np

import retrograd as rg
import retrograd.distributed as dist
import retrograd.nn.functional as F
from retrograd.nn.parallel import DistributedDataParallel

ELEMENTS = 1 << 20  # 4 MiB of float32
STEPS = 3

dist.init_process_group("mpi")
rank, world = dist.get_rank(), dist.get_world_size()
assert world == 2, f"expected 2 ranks, got {world}"

where = {"rank": rank, "hostname": socket.gethostname(),
         "netns": os.readlink("/proc/self/ns/net"),
         "interfaces": sorted(os.listdir("/sys/class/net"))}
placement = [None] * world
dist.all_gather_object(placement, where)

# all_reduce: rank r contributes (r + 1) * (1 + i / ELEMENTS) at index i; the sum is
# 3 * (1 + i / ELEMENTS) for two ranks, exactly representable enough to compare tightly
ramp = 1 + np.arange(ELEMENTS, dtype=np.float32) / ELEMENTS
t = rg.tensor((rank + 1) * ramp)
dist.all_reduce(t)
expected = sum(r + 1 for r in range(world)) * ramp
np.testing.assert_allclose(t.array, expected, rtol=1e-6)
avg = rg.tensor((rank + 1) * ramp)
dist.all_reduce(avg, op=dist.ReduceOp.AVG)
np.testing.assert_allclose(avg.array, expected / world, rtol=1e-6)

# DDP: different initial weights per rank (DDP broadcasts rank 0's), different data per rank
rg.manual_seed(100 * rank)
model = rg.nn.Sequential(rg.nn.Linear(32, 64), rg.nn.ReLU(), rg.nn.Linear(64, 4))
ddp = DistributedDataParallel(model)
optimizer = rg.optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)
rng = np.random.default_rng(rank)
losses = []
for _ in range(STEPS):
    x = rg.tensor(rng.standard_normal((16, 32)).astype(np.float32))
    y = rg.tensor(rng.integers(0, 4, 16))
    optimizer.zero_grad()
    loss = F.cross_entropy(ddp(x), y)
    loss.backward()
    optimizer.step()
    losses.append(float(loss.item()))

digest = hashlib.sha256()
for name, p in model.named_parameters():
    digest.update(name.encode())
    digest.update(np.ascontiguousarray(p.detach().numpy()).tobytes())
digests = [None] * world
dist.all_gather_object(digests, digest.hexdigest())
all_losses = [None] * world
dist.all_gather_object(all_losses, losses)

if rank == 0:
    with open(sys.argv[1], "w") as f:
        json.dump({"placement": placement, "digests": digests, "losses": all_losses,
                   "allreduce_bytes": 2 * ELEMENTS * 4}, f)
dist.barrier()
print(f"OK rank {rank} of {world} on {where['hostname']}", flush=True)
dist.destroy_process_group()
