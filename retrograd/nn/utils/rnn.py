"""Batches of sequences of different lengths for the recurrent layers, as
``torch.nn.utils.rnn``: ``pad_sequence`` pads them to one tensor, ``unpad_sequence`` cuts them
out again.

    batch = pad_sequence([rg.randn(5, 8), rg.randn(3, 8)], batch_first=True)   # (2, 5, 8)
    output, h_n = rg.nn.GRU(8, 16, batch_first=True)(batch)

Packed sequences (``pack_padded_sequence`` and its relatives) are not supported: pad, run the
layer over the padded batch, and mask the padded steps (for instance in the loss).
"""
from __future__ import annotations

from typing import Any, Iterable

from ...creation import full
from ...ops.indexing import cat, stack
from ...tensor import Tensor


def pad_sequence(sequences: Iterable[Tensor] | Tensor, batch_first: bool = False,
                 padding_value: float = 0.0, padding_side: str = "right") -> Tensor:
    """Pads sequences (L_i, *) with ``padding_value`` to the longest length L and stacks them:
    (L, B, *), or (B, L, *) with ``batch_first``; ``padding_side`` 'left' pads before them.
    Differentiable in every sequence."""
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got "
                           f"{padding_side}.")
    sequences = list(sequences.unbind(0) if isinstance(sequences, Tensor) else sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    longest = max(sequence.shape[0] for sequence in sequences)
    trailing = tuple(sequences[0].shape[1:])
    padded = []
    for sequence in sequences:
        if tuple(sequence.shape[1:]) != trailing:
            raise RuntimeError(f"pad_sequence: every sequence must have the trailing dimensions "
                               f"{trailing} of the first, got {tuple(sequence.shape)}")
        missing = longest - sequence.shape[0]
        if missing:
            padding = full((missing, *trailing), padding_value, dtype=sequence.dtype,
                           device=sequence.device)
            sequence = cat([sequence, padding] if padding_side == "right"
                           else [padding, sequence])
        padded.append(sequence)
    return stack(padded, 0 if batch_first else 1)


def unpad_sequence(padded_sequences: Tensor, lengths: Any, batch_first: bool = False
                   ) -> list[Tensor]:
    """The inverse of ``pad_sequence`` (right padding): the sequences (L_i, *) of a padded
    (L, B, *) batch, or (B, L, *) with ``batch_first``, ``lengths`` (B,) their lengths."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    lengths = lengths.tolist() if isinstance(lengths, Tensor) else list(lengths)
    return [sequence[:int(length)]
            for sequence, length in zip(padded_sequences.unbind(0), lengths)]


def _packed_unsupported(name: str) -> NotImplementedError:
    return NotImplementedError(f"{name}: packed sequences are not supported by retrograd; use "
                               f"pad_sequence, run the layer on the padded batch and mask the "
                               f"padded time steps (for instance in the loss)")


def pack_padded_sequence(input: Tensor, lengths: Any, batch_first: bool = False,
                         enforce_sorted: bool = True) -> Any:
    """Not supported: raises NotImplementedError (use ``pad_sequence`` and masking)."""
    raise _packed_unsupported("pack_padded_sequence")


def pack_sequence(sequences: Iterable[Tensor], enforce_sorted: bool = True) -> Any:
    """Not supported: raises NotImplementedError (use ``pad_sequence`` and masking)."""
    raise _packed_unsupported("pack_sequence")


def pad_packed_sequence(sequence: Any, batch_first: bool = False, padding_value: float = 0.0,
                        total_length: int | None = None) -> Any:
    """Not supported: raises NotImplementedError (use ``pad_sequence`` and masking)."""
    raise _packed_unsupported("pad_packed_sequence")


__all__ = ["pad_sequence", "unpad_sequence", "pack_padded_sequence", "pack_sequence",
           "pad_packed_sequence"]
