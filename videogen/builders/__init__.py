"""Tiny random-weight checkpoint builders, one module per architecture, in the real hub repos' layouts."""
