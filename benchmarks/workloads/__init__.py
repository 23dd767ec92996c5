"""One module per workload; each defines NAME, DESCRIPTION, ember_step(seed), torch_step(seed)."""
