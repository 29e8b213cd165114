"""Writing values and tables for ``rg.explain``: short numbers, terminal tables, HTML tables."""
from __future__ import annotations

import html
from typing import Sequence

import numpy as np

SMALL = 4  # arrays of at most this many elements are written out in full


def number(value) -> str:
    """A number in at most 4 significant digits (never '-0')."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return f"{float(value) + 0.0:.4g}"  # + 0.0 turns -0.0 into 0.0


def short(value, shape: tuple = ()) -> str:
    """A value in a few characters: the number, the elements of a small array, or the shape
    and a summary (mean, min, max) of a large one; '?' for a value that was not kept."""
    if value is None:
        return "?" if not shape else f"{tuple(shape)}: ?"
    array = np.asarray(value)
    if array.size == 1:
        return number(array.item())
    if array.size <= SMALL:
        return np.array2string(array, separator=", ", formatter={"all": number}).replace("\n", "")
    if array.size == 0:
        return f"{array.shape}: empty"
    floats = array.astype(np.float64)
    return (f"{array.shape}: mean {number(floats.mean())}, min {number(floats.min())}, "
            f"max {number(floats.max())}")


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A terminal table; a cell may hold several lines."""
    blocks = [[cell.split("\n") for cell in row] for row in [header, *rows]]
    widths = [max(len(line) for block in blocks for line in block[column])
              for column in range(len(header))]
    lines = []
    for index, block in enumerate(blocks):
        for line in range(max(len(cell) for cell in block)):
            cells = [(cell[line] if line < len(cell) else "").ljust(width)
                     for cell, width in zip(block, widths)]
            lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("  ".join("─" * width for width in widths))
    return "\n".join(lines)


def html_table(header: Sequence[str], rows: Sequence[Sequence[str]], caption: str = "") -> str:
    """An HTML table; the lines of a cell are separated by <br>."""
    def cells(row: Sequence[str], tag: str) -> str:
        return "".join(f'<{tag} style="text-align:left; vertical-align:top">'
                       f'{html.escape(cell).replace(chr(10), "<br>")}</{tag}>' for cell in row)

    body = "".join(f"<tr>{cells(row, 'td')}</tr>" for row in rows)
    title = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return (f"<table>{title}<thead><tr>{cells(header, 'th')}</tr></thead>"
            f"<tbody>{body}</tbody></table>")
