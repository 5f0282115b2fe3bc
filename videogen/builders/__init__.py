"""Builders of the tiny random-weight checkpoints of the built-in diffusers models (one module per model)."""
