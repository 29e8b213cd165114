"""DistributedDataParallel on real MPI jobs of 2 ranks (mpiexec from the mpich wheel): the
ranks end where one process with the two ranks' batches together ends."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import retrograd as rg
import retrograd.distributed as dist
import retrograd.nn.functional as F
from retrograd.nn.parallel import DistributedDataParallel

sys.path.insert(0, str(Path(__file__).parent / "parallel"))
from common import BATCH, STEPS, batch_of_step, build_model, build_optimizer  # noqa: E402
from mpi_jobs import needs_mpi, on_ranks  # noqa: E402

WORKER = Path(__file__).parent / "parallel" / "ddp_worker.py"


def launch(case: str, out: Path) -> subprocess.CompletedProcess:
    return on_ranks(2, WORKER, case, out)


def ranks_saved(out: Path, ranks: int = 2) -> list[dict]:
    return [dict(np.load(out / f"rank{r}.npz")) for r in range(ranks)]


def one_process(model_name: str, optimizer_name: str) -> dict:
    """The reference: one process, each step on the two ranks' batches together (2B)."""
    model = build_model(model_name, seed=0)
    optimizer = build_optimizer(optimizer_name, model.parameters())
    saved = {}
    for step in range(STEPS):
        x, y = batch_of_step(model_name, step, 2 * BATCH)
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
        for name, p in model.named_parameters():
            saved[f"{step}/{name}"] = p.detach().numpy().copy()
    return saved


@needs_mpi
@pytest.mark.parametrize("model_name", ["mlp", "lenet5"])
@pytest.mark.parametrize("optimizer_name", ["sgd", "adam"])
def test_two_ranks_of_batch_b_equal_one_process_of_batch_2b(model_name, optimizer_name,
                                                             tmp_path):
    done = launch(f"equivalence-{model_name}-{optimizer_name}", tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    rank0, rank1 = ranks_saved(tmp_path)
    reference = one_process(model_name, optimizer_name)
    assert rank0.keys() == reference.keys()
    for key, expected in reference.items():
        np.testing.assert_array_equal(rank0[key], rank1[key], err_msg=f"ranks differ at {key}")
        np.testing.assert_allclose(rank0[key], expected, rtol=1e-4, atol=1e-5, err_msg=key)


@needs_mpi
def test_fit_on_two_ranks_equals_fit_on_one_with_the_batches_together(tmp_path):
    from retrograd.train import fit
    from retrograd.utils.data import DataLoader, TensorDataset

    done = launch("fit", tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    rank0, rank1 = ranks_saved(tmp_path)
    model = build_model("mlp", seed=0)
    x, y = batch_of_step("mlp", 0, 16 * BATCH)
    # DistributedSampler without shuffling deals example i to rank i % 2: each step's two
    # local batches are together the next 2B examples in order
    history = fit(model, F.cross_entropy, build_optimizer("sgd", model.parameters()),
                  DataLoader(TensorDataset(x, y), batch_size=2 * BATCH), epochs=2,
                  val_loader=DataLoader(TensorDataset(x, y), batch_size=50))
    for key in rank0:
        np.testing.assert_array_equal(rank0[key], rank1[key], err_msg=key)
    np.testing.assert_allclose(rank0["train_loss"], history["train_loss"], rtol=1e-5)
    np.testing.assert_allclose(rank0["val_loss"], history["val_loss"], rtol=1e-5)
    for name, p in model.named_parameters():
        np.testing.assert_allclose(rank0[name], p.detach().numpy(), rtol=1e-4, atol=1e-5)


@needs_mpi
def test_no_sync_accumulates_locally_then_averages_everything(tmp_path):
    done = launch("no_sync", tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    ranks = ranks_saved(tmp_path)
    model = build_model("mlp", seed=0)
    x, y = batch_of_step("mlp", 0, 4 * BATCH)
    quarters = [slice(i * BATCH, (i + 1) * BATCH) for i in range(4)]
    for rank in range(2):  # what rank r accumulated alone, before the synced backward
        model.zero_grad()
        F.cross_entropy(model(x[quarters[rank]]), y[quarters[rank]]).backward()
        for name, p in model.named_parameters():
            np.testing.assert_allclose(ranks[rank][f"local/{name}"], p.grad.numpy(), rtol=1e-5,
                                       atol=1e-7)
    model.zero_grad()
    for quarter in quarters:
        F.cross_entropy(model(x[quarter]), y[quarter]).backward()
    for name, p in model.named_parameters():
        for rank in range(2):  # the sum over the four micro-batches, averaged over two ranks
            np.testing.assert_allclose(ranks[rank][f"synced/{name}"], p.grad.numpy() / 2,
                                       rtol=1e-5, atol=1e-7)


@needs_mpi
def test_buckets_are_all_reduced_while_backward_goes_on(tmp_path):
    done = launch("overlap", tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    events = list(ranks_saved(tmp_path)[0]["events"])
    assert events.count("launch") >= 3
    # the last layers' buckets leave before backward reaches the first layer
    assert events.index("launch") < events.index("first layer's output")


@needs_mpi
def test_find_unused_parameters_averages_what_some_rank_used(tmp_path):
    done = launch("unused", tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    rank0, rank1 = ranks_saved(tmp_path)
    for name in rank0:
        np.testing.assert_array_equal(rank0[name], rank1[name], err_msg=name)
    assert np.isnan(rank0["never.weight"]).all()  # no rank used it: .grad stays None
    assert not np.isnan(rank0["left.weight"]).any()


@needs_mpi
def test_an_unused_parameter_without_find_unused_parameters_fails_the_job(tmp_path):
    done = launch("unused_error", tmp_path)
    assert done.returncode != 0
    assert "find_unused_parameters=True" in done.stderr and "never.weight" in done.stderr


@pytest.fixture
def world_of_one():
    dist.init_process_group("mpi")  # not under mpiexec: a world of one
    yield
    dist.destroy_process_group()


def test_in_a_world_of_one_ddp_is_the_module_itself(world_of_one):
    assert dist.get_world_size() == 1
    model = build_model("mlp", seed=0)
    ddp = DistributedDataParallel(model)
    x, y = batch_of_step("mlp", 0, BATCH)
    F.cross_entropy(ddp(x), y).backward()
    reference = build_model("mlp", seed=0)
    F.cross_entropy(reference(x), y).backward()
    for p, q in zip(model.parameters(), reference.parameters()):
        np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy())
    assert ddp.module is model
    assert list(ddp.state_dict()) == [f"module.{k}" for k in model.state_dict()]


def test_ddp_needs_an_initialized_process_group():
    with pytest.raises(ValueError, match="call init_process_group"):
        DistributedDataParallel(rg.nn.Linear(2, 2))


def test_ddp_refuses_a_module_without_trainable_parameters_and_a_bad_bucket_size(world_of_one):
    with pytest.raises(RuntimeError, match="doesn't have any parameter"):
        DistributedDataParallel(rg.nn.ReLU())
    with pytest.raises(ValueError, match="bucket_cap_mb must be positive"):
        DistributedDataParallel(rg.nn.Linear(2, 2), bucket_cap_mb=0)
