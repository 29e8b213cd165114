"""One rank of the DistributedDataParallel tests (tests/nn/test_parallel.py), launched by
mpiexec; writes what it saw to OUT/rank<r>.npz.

    python ddp_worker.py CASE OUT     # CASE: equivalence-<model>-<optimizer>, no_sync,
                                      # unused, unused_error, overlap, fit
"""
import sys
from pathlib import Path

import numpy as np

import retrograd as rg
import retrograd.distributed as dist
import retrograd.nn.functional as F
from retrograd.nn.parallel import DistributedDataParallel

sys.path.insert(0, str(Path(__file__).parent))
from common import BATCH, STEPS, batch_of_step, build_model, build_optimizer  # noqa: E402


def equivalence(model_name: str, optimizer_name: str) -> dict:
    model = DistributedDataParallel(build_model(model_name, seed=dist.get_rank()),
                                    bucket_cap_mb=0.05)  # several buckets
    optimizer = build_optimizer(optimizer_name, model.parameters())
    rank, saved = dist.get_rank(), {}
    for step in range(STEPS):
        x, y = batch_of_step(model_name, step, 2 * BATCH)
        local = slice(rank * BATCH, (rank + 1) * BATCH)
        optimizer.zero_grad()
        F.cross_entropy(model(x[local]), y[local]).backward()
        optimizer.step()
        for name, p in model.module.named_parameters():
            saved[f"{step}/{name}"] = p.detach().numpy().copy()
    return saved


def no_sync() -> dict:
    model = DistributedDataParallel(build_model("mlp", seed=0))
    rank = dist.get_rank()
    x, y = batch_of_step("mlp", 0, 4 * BATCH)
    quarter = [slice(i * BATCH, (i + 1) * BATCH) for i in range(4)]
    with model.no_sync():  # rank r's first micro-batch: accumulated locally
        F.cross_entropy(model(x[quarter[rank]]), y[quarter[rank]]).backward()
    local = {name: p.grad.numpy().copy() for name, p in model.module.named_parameters()}
    F.cross_entropy(model(x[quarter[2 + rank]]), y[quarter[2 + rank]]).backward()
    return {**{f"local/{k}": v for k, v in local.items()},
            **{f"synced/{name}": p.grad.numpy() for name, p in model.module.named_parameters()}}


class TwoBranches(rg.nn.Module):
    """``shared`` always, ``left`` only on rank 0, ``never`` on no rank."""

    def __init__(self):
        super().__init__()
        rg.manual_seed(0)
        self.shared, self.left, self.never = (rg.nn.Linear(3, 3) for _ in range(3))

    def forward(self, x):
        h = self.shared(x)
        return self.left(h) if dist.get_rank() == 0 else h


def unused(find_unused_parameters: bool) -> dict:
    model = DistributedDataParallel(TwoBranches(), find_unused_parameters=find_unused_parameters)
    x = rg.tensor(np.arange(6, dtype=np.float32).reshape(2, 3) * (dist.get_rank() + 1))
    for _ in range(2):  # without find_unused_parameters the second forward raises
        model.zero_grad()
        model(x).square().sum().backward()
    return {name: (np.array([np.nan]) if p.grad is None else p.grad.numpy())
            for name, p in model.module.named_parameters()}


def overlap() -> dict:
    """The order of events in one backward: bucket launches against the gradient of the first
    layer's output, which backward computes last."""
    rg.manual_seed(0)
    layers = rg.nn.Sequential(rg.nn.Linear(512, 512), rg.nn.ReLU(), rg.nn.Linear(512, 512),
                              rg.nn.ReLU(), rg.nn.Linear(512, 10))
    model = DistributedDataParallel(layers, bucket_cap_mb=1)  # 1 MB: a weight per bucket
    events = []
    launch = dist.all_reduce

    def logged(tensor, *args, **kwargs):
        events.append("launch")
        return launch(tensor, *args, **kwargs)

    dist.all_reduce = logged
    def watch(module, inputs, output):
        output.register_hook(lambda grad: events.append("first layer's output") or None)

    layers[1].register_forward_hook(watch)
    F.cross_entropy(model(rg.randn(32, 512)), rg.randint(0, 10, (32,))).backward()
    return {"events": np.array(events)}


def fit_run(world_batch: int) -> dict:
    """``rg.train.fit`` on a DDP model, each rank on its DistributedSampler's share."""
    from retrograd.train import fit
    from retrograd.utils.data import DataLoader, DistributedSampler, TensorDataset

    model = DistributedDataParallel(build_model("mlp", seed=dist.get_rank()))
    x, y = batch_of_step("mlp", 0, 8 * world_batch)
    examples = TensorDataset(x, y)
    loader = DataLoader(examples, batch_size=world_batch // dist.get_world_size(),
                        sampler=DistributedSampler(examples, shuffle=False))
    history = fit(model, F.cross_entropy, build_optimizer("sgd", model.parameters()), loader,
                  epochs=2, val_loader=DataLoader(examples, batch_size=50))
    return {"train_loss": np.array(history["train_loss"]),
            "val_loss": np.array(history["val_loss"]),
            **{name: p.detach().numpy() for name, p in model.module.named_parameters()}}


def main() -> None:
    case, out = sys.argv[1], Path(sys.argv[2])
    dist.init_process_group("mpi")
    if case.startswith("equivalence-"):
        _, model_name, optimizer_name = case.split("-")
        saved = equivalence(model_name, optimizer_name)
    elif case == "no_sync":
        saved = no_sync()
    elif case == "overlap":
        saved = overlap()
    elif case == "fit":
        saved = fit_run(world_batch=2 * BATCH)
    else:
        saved = unused(find_unused_parameters=case == "unused")
    np.savez(out / f"rank{dist.get_rank()}.npz", **saved)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
