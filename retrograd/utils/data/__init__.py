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
from .collate import default_collate
from .dataloader import DataLoader
from .dataset import ConcatDataset, Dataset, Subset, TensorDataset, random_split
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler

__all__ = ["BatchSampler", "ConcatDataset", "DataLoader", "Dataset", "RandomSampler", "Sampler",
           "SequentialSampler", "Subset", "SubsetRandomSampler", "TensorDataset",
           "default_collate", "random_split"]
