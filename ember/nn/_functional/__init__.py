"""Implementation of ``ember.nn.functional``, one family per module."""
