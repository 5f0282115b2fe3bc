"""Scoring with the official VBench / VBench-I2V code: its weight files (``weights``) and
random-weight stand-ins for them (``fixtures``)."""
