"""`make bench`: benchmarks run side by side with their baselines, written to docs/performance.md.

Never part of the test suite (no test_*.py here): speed is measured, not asserted.
"""
