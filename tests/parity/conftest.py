import pytest

torch = pytest.importorskip(
    "torch", reason="PyTorch is the parity oracle; `make parity` installs it"
)
