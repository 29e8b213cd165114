"""Data-parallel training written as for PyTorch's DistributedDataParallel, run by retrograd.

    retrograd run -n 2 examples/ddp.py            # two processes (pip install -e '.[distributed]')
    python examples/ddp.py                        # alone: a world of one, the same script

Each process trains on its share of the 8x8 digits (DistributedSampler), DDP averages the
gradients during backward, so every process takes the same step; rank 0 reports and saves.
Apart from the imports (``retrograd as torch``...) and the data (retrograd's bundled digits),
it is the PyTorch tutorial's script, line for line.
"""
import retrograd as torch
import retrograd.distributed as dist
import retrograd.nn as nn
from retrograd.nn.parallel import DistributedDataParallel as DDP
from retrograd.utils.data import DataLoader, DistributedSampler, TensorDataset


def main() -> None:
    dist.init_process_group(backend="mpi")
    rank, world_size = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(0)

    X, y = torch.datasets.digits()
    dataset = TensorDataset(torch.tensor(X.reshape(len(X), -1)), torch.tensor(y))
    sampler = DistributedSampler(dataset, num_replicas=world_size, rank=rank, shuffle=True)
    loader = DataLoader(dataset, batch_size=32, sampler=sampler)

    model = DDP(nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10)))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()

    for epoch in range(5):
        sampler.set_epoch(epoch)  # a new shuffle each epoch, the same on every rank
        total = torch.zeros(2, dtype=torch.float64)
        for inputs, targets in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(inputs), targets)
            loss.backward()  # gradients averaged over the ranks here
            optimizer.step()
            total += torch.tensor([loss.item() * len(targets), len(targets)],
                                  dtype=torch.float64)
        dist.all_reduce(total)  # the epoch's loss over every rank's examples
        if rank == 0:
            print(f"epoch {epoch + 1}: loss {(total[0] / total[1]).item():.4f} "
                  f"({world_size} process{'es' if world_size > 1 else ''})")
    if rank == 0:
        torch.save(model.module.state_dict(), "ddp_digits.pt")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
