"""Internals of the ``ember`` command line: config files, registries and experiments."""
