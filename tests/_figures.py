"""pyplot for the tests that draw: the Agg backend, so figures are drawn, never shown.

Set here, in the test process only: an MPLBACKEND environment variable would reach the
notebook kernels nbval starts and stop ipykernel from showing the chapters' figures inline.
(tests/conftest.py closes every test's figures.)
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

__all__ = ["plt"]
