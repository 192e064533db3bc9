"""Benchmarks of issue 6, one script each, every one against a baseline measured in the same run.
`python -m bench` runs them all (see bench/__main__.py)."""
