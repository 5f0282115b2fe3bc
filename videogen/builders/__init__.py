"""Builders of the tiny random-weight checkpoints, one module per built-in model."""
