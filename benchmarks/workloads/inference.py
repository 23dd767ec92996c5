"""inference: the cnn workload's forward pass only, under no_grad in eval mode.

Two rows: batch 1 (latency: per-op overhead dominates) and batch 256 (throughput: the
convolution kernels dominate).
"""

from __future__ import annotations

from benchmarks.workloads import cnn
from benchmarks.workloads._common import Workload, classification_data


def _builder(batch: int):
    def build(lib, seed: int, quick: bool = False):
        """A closure running one forward pass of the convnet; it returns the logits' sum
        (``quick``: at most 4 images)."""
        net = cnn.model(lib, seed)
        net.eval()
        x, _ = classification_data(lib, seed, (min(batch, 4) if quick else batch, 3, 32, 32), 10)

        def step() -> float:
            with lib.no_grad():
                return net(x).sum().item()

        step.model = net
        return step

    return build


BATCH1 = Workload(
    name="inference_b1",
    description="cnn forward under no_grad, batch 1 (latency)",
    target=1.0,
    flops=cnn.forward_flops(1),
    build=_builder(1),
)
BATCH256 = Workload(
    name="inference_b256",
    description="cnn forward under no_grad, batch 256 (throughput)",
    target=None,
    flops=cnn.forward_flops(256),
    build=_builder(256),
)
