"""ModelSummary: print the model's layers and parameter counts when fit starts."""

from __future__ import annotations

from ember.train.callback import Callback


def parameter_table(module, max_depth: int = 1) -> str:
    """A table of the submodules up to ``max_depth`` with their parameter counts."""
    rows = [("", "Name", "Type", "Params")]
    for i, (name, child) in enumerate(
        (n, m) for n, m in module.named_modules() if n and n.count(".") < max_depth
    ):
        n = sum(p.numel() for p in child.parameters())
        rows.append((str(i), name, type(child).__name__, f"{n:,}"))
    params = list(module.parameters())
    trainable = sum(p.numel() for p in params if p.requires_grad)
    total = sum(p.numel() for p in params)
    widths = [max(len(r[c]) for r in rows) for c in range(4)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)) for r in rows]
    lines.insert(1, "-" * len(lines[0]))
    lines += [
        "-" * len(lines[0]),
        f"{trainable:,} trainable params",
        f"{total - trainable:,} non-trainable params",
        f"{total:,} total params",
        f"{total * 4 / 2**20:.3f} MB total estimated params size (float32)",
    ]
    return "\n".join(lines)


class ModelSummary(Callback):
    """At fit start print a layer table; with ``module.example_input_array`` set, the full
    :func:`ember.summary.summary` (output shapes, MACs, activation memory)."""

    def __init__(self, max_depth: int = 1):
        self.max_depth = max_depth
        self.text: str | None = None

    def on_fit_start(self, trainer, module) -> None:
        if self.max_depth < 1 or trainer.fast_dev_run:
            return
        example = getattr(module, "example_input_array", None)
        if example is not None:
            from ember.summary import summary

            self.text = str(
                summary(module, input_data=example, depth=self.max_depth, verbose=False)
            )
        else:
            self.text = parameter_table(module, self.max_depth)
        print(self.text)
