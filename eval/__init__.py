"""The evaluation harness: suite -> plan -> generate -> score -> aggregate -> report."""
