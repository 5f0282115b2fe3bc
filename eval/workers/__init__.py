"""Shard workers: picklable callables that submitit (or the in-process launcher) runs, one per shard."""
