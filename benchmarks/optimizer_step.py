"""``python -m benchmarks.optimizer_step [--quick]``: optimizer.step() alone, ember vs PyTorch.

The parameters are the 62 tensors of torchvision's ResNet-18 (11.7M float32 values) with fixed
random gradients; only ``step()`` is timed (no forward/backward). PyTorch runs on 2 threads
(``--torch-threads``) with its default (single-tensor, CPU) implementation. Prints median ms
and the ember/torch ratio.
"""

from __future__ import annotations

import argparse

import numpy as np

from benchmarks import harness


def resnet18_shapes() -> list[tuple[int, ...]]:
    """Parameter shapes of torchvision's resnet18, in ``parameters()`` order."""
    shapes: list[tuple[int, ...]] = [(64, 3, 7, 7), (64,), (64,)]
    in_ch = 64
    for out_ch, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
        for block in range(2):
            cin = in_ch if block == 0 else out_ch
            shapes += [(out_ch, cin, 3, 3), (out_ch,), (out_ch,)]
            shapes += [(out_ch, out_ch, 3, 3), (out_ch,), (out_ch,)]
            if block == 0 and (stride != 1 or cin != out_ch):
                shapes += [(out_ch, cin, 1, 1), (out_ch,), (out_ch,)]  # downsample conv + bn
        in_ch = out_ch
    return shapes + [(1000, 512), (1000,)]


CONFIGS = {
    "SGD(momentum=0.9)": ("SGD", {"lr": 0.01, "momentum": 0.9}),
    "SGD(momentum=0.9, nesterov, wd)": (
        "SGD",
        {"lr": 0.01, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-4},
    ),
    "Adam": ("Adam", {"lr": 1e-3}),
    "AdamW(amsgrad)": ("AdamW", {"lr": 1e-3, "amsgrad": True}),
}


def build(lib, name: str, kwargs: dict, seed: int = 0):
    """A zero-argument callable running one ``step()`` of ``lib.optim.<name>``."""
    rng = np.random.default_rng(seed)
    params = []
    for shape in resnet18_shapes():
        p = lib.nn.Parameter(lib.tensor(rng.standard_normal(shape).astype(np.float32)))
        p.grad = lib.tensor(rng.standard_normal(shape).astype(np.float32) * 1e-2)
        params.append(p)
    opt = getattr(lib.optim, name)(params, **kwargs)
    return opt.step


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="few repeats (smoke test)")
    parser.add_argument(
        "--torch-threads", type=int, default=harness.THREADS, help="PyTorch intra-op threads"
    )
    args = parser.parse_args(argv)
    libs = {fw: harness.import_framework(fw) for fw in ("ember", "torch")}
    libs = {fw: lib for fw, lib in libs.items() if lib is not None}
    if "torch" in libs:
        libs["torch"].set_num_threads(args.torch_threads)
    assert len(resnet18_shapes()) == 62
    rows = []
    print(f"{'optimizer':34s} {'ember ms':>9s} {'torch ms':>9s} {'ratio':>7s}")
    for label, (name, kwargs) in CONFIGS.items():
        steps = {fw: build(lib, name, kwargs) for fw, lib in libs.items()}
        result = harness.compare(steps, quick=args.quick, budget_s=0.5 if args.quick else 3.0)
        ember_ms = result["ember"]["median_ms"]
        torch_ms = result["torch"]["median_ms"] if "torch" in result else float("nan")
        rows.append({"optimizer": label, "ember_ms": ember_ms, "torch_ms": torch_ms})
        print(f"{label:34s} {ember_ms:9.2f} {torch_ms:9.2f} {ember_ms / torch_ms:7.2f}")
    return rows


if __name__ == "__main__":
    main()
