"""Feeding examples to a model in mini-batches, with PyTorch's names and behaviour.

    from retrograd.utils.data import DataLoader, TensorDataset, random_split

    dataset = TensorDataset(features, labels)             # one example per row
    train_set, val_set = random_split(dataset, [0.8, 0.2], generator=rg.Generator().manual_seed(0))
    loader = DataLoader(train_set, batch_size=32, shuffle=True)
    for x, y in loader:                                   # x: (32, n_features), y: (32,)
        ...

Data is loaded in the main process: one fancy index per array and batch for a
``TensorDataset`` (or a ``Subset`` of one), one ``dataset[i]`` per example otherwise.
"""
from .collate import default_collate, default_convert
from .dataloader import DataLoader, get_worker_info
from .dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    Subset,
    TensorDataset,
    random_split,
)
from .distributed import DistributedSampler
from .sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

__all__ = ["BatchSampler", "ChainDataset", "ConcatDataset", "DataLoader", "Dataset",
           "DistributedSampler", "IterableDataset", "RandomSampler", "Sampler",
           "SequentialSampler", "Subset", "SubsetRandomSampler", "TensorDataset",
           "WeightedRandomSampler", "default_collate", "default_convert", "get_worker_info",
           "random_split"]
