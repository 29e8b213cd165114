# A custom Dataset, transforms, DataLoader options scripts pass, random_split and collation.
# Shuffled orders come from each library's own generator, so only order-free facts are printed.
# compat: rtol=1e-5 atol=1e-5
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, TensorDataset, random_split


class SquaresDataset(Dataset):
    def __init__(self, n, transform=None):
        self.x = np.arange(n, dtype=np.float32)
        self.transform = transform

    def __len__(self):
        return len(self.x)

    def __getitem__(self, idx):
        sample = {"x": torch.tensor([self.x[idx]]), "y": torch.tensor(self.x[idx] ** 2)}
        if self.transform:
            sample = self.transform(sample)
        return sample


def scale(sample):
    return {"x": sample["x"] / 10, "y": sample["y"]}


def seed_worker(worker_id):
    np.random.seed(worker_id)


dataset = SquaresDataset(50, transform=scale)
g = torch.Generator()
g.manual_seed(0)
loader = DataLoader(dataset, batch_size=8, shuffle=True, drop_last=False, num_workers=0,
                    pin_memory=torch.cuda.is_available(), worker_init_fn=seed_worker,
                    generator=g)
sizes, total, seen = [], 0.0, []
for batch in loader:
    sizes.append(batch["x"].shape[0])
    total += batch["y"].sum().item()
    seen.extend((batch["x"].squeeze(1) * 10).round().long().tolist())
print("batches:", len(loader), sizes, total, sorted(seen) == list(range(50)))
print("batch shapes:", batch["x"].shape[1:], batch["y"].dtype)

train_set, val_set = random_split(TensorDataset(torch.arange(20.0), torch.arange(20) % 2),
                                  [0.75, 0.25], generator=torch.Generator().manual_seed(42))
print("split:", len(train_set), len(val_set))
loader = DataLoader(train_set, batch_size=4, shuffle=False, drop_last=True)
features, labels = next(iter(loader))
print("first batch:", features.shape, labels.dtype, len(loader))
tuples = DataLoader([(np.float32(i), i) for i in range(6)], batch_size=4)
first = next(iter(tuples))
print("collate:", first[0].dtype, first[1].dtype, first[0].tolist(), first[1].tolist())
