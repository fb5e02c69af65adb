"""``model.summary()``: Keras's table of layers, output shapes and parameter counts.

    Model: "sequential"
    ┏━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━┳━━━━━━━━━━━┓
    ┃ Layer (type)           ┃ Output Shape   ┃   Param # ┃
    ┡━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━╇━━━━━━━━━━━┩
    │ dense (Dense)          │ (None, 64)     │     2,112 │
    └────────────────────────┴────────────────┴───────────┘
     Total params: 2,112 (8.25 KB)
     ...
"""

from __future__ import annotations

from collections.abc import Sequence

from mmlearn.nn.layer import Layer

__all__: list[str] = []

Row = tuple[str, str, str]
HEADER: Row = ("Layer (type)", "Output Shape", "Param #")


def row(layer: Layer, label: str, shape: tuple | None) -> Row:
    """One line of the table: ``label``, the output shape ("?" unknown), the count."""
    count = f"{layer.count_params():,}" if layer.built else "0 (unbuilt)"
    return (label, "?" if shape is None else repr(shape), count)


def readable_size(nbytes: float) -> str:
    """Keras's ``readable_memory_size``: 27.04 KB, 0.00 B."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if nbytes / 1024 < 1:
            return f"{nbytes:.2f} {unit}"
        nbytes /= 1024
    return f"{nbytes:.2f} PB"


def table(name: str, rows: Sequence[Row], counts: tuple[int, int, int]) -> str:
    """The whole summary: the box of ``rows``, then total, trainable and non-trainable
    parameters from ``counts`` = (total, trainable, bytes)."""
    widths = [33, 24, 15]
    for cells_of_row in (HEADER, *rows):
        for i, cell in enumerate(cells_of_row):
            widths[i] = max(widths[i], len(cell) + 2)

    def line(left: str, fill: str, mid: str, right: str) -> str:
        return left + mid.join(fill * w for w in widths) + right

    def cells(r: Row, edge: str) -> str:
        texts = [f" {r[0]:<{widths[0] - 2}} ", f" {r[1]:<{widths[1] - 2}} ",
                 f" {r[2]:>{widths[2] - 2}} "]
        return edge + edge.join(texts) + edge

    out = [f'Model: "{name}"', line("┏", "━", "┳", "┓"), cells(HEADER, "┃"),
           line("┡", "━", "╇", "┩")]
    for i, r in enumerate(rows):
        if i:
            out.append(line("├", "─", "┼", "┤"))
        out.append(cells(r, "│"))
    out.append(line("└", "─", "┴", "┘"))
    total, trainable, nbytes = counts
    per = nbytes / total if total else 4
    out += [f" Total params: {total:,} ({readable_size(nbytes)})",
            f" Trainable params: {trainable:,} ({readable_size(trainable * per)})",
            f" Non-trainable params: {total - trainable:,} "
            f"({readable_size((total - trainable) * per)})"]
    return "\n".join(out)
