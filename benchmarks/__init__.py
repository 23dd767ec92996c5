"""ember vs PyTorch benchmarks, run in the same process session (``make bench``)."""
