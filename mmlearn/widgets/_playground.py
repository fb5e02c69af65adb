"""What every playground shares: an ipywidgets box with its controls, a text area and
a plot area, built when the playground is made (ipywidgets is imported then, not before)."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar

from mmlearn import backend
from mmlearn.widgets._common import (
    STYLE,
    figure_output,
    merge_messages,
    text_html,
)


class _Playground:
    """Shared parts: labels, a text area (``output``), a plot area (``plot``), ``text``.

    A playground holds its ipywidgets box (``widget``, a ``VBox``) rather than being one,
    so that importing the playgrounds needs no ipywidgets; it displays as that box, and
    ``playground.widget`` goes into another box.
    """

    LABELS: ClassVar[dict[str, str]] = {}
    kind: ClassVar[str] = "playground"

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any] | None:
        # ipywidgets' text/plain repr embeds the plot's PNG bytes; a short name keeps a
        # notebook's text output stable across matplotlib versions (strict nbval).
        bundle = self.widget._repr_mimebundle_(**kwargs)
        if bundle is not None:
            bundle["text/plain"] = f"{type(self).__name__}()"
        return bundle

    def _setup(self, labels: Mapping[str, str] | None, controls: Sequence[Any],
               plot: bool = True) -> None:
        import ipywidgets as w

        self.labels = merge_messages(self.LABELS, labels, type(self).__name__)
        self.output = w.HTML(value="")
        self.output.add_class("mm-output")
        self.plot = w.Output()
        self.plot.add_class("mm-plot")
        self._text = ""
        children = [w.HTML(STYLE), *controls, self.output]
        if plot:
            children.append(self.plot)
        self.widget = w.VBox(children)
        self.widget.add_class("mm-widget")
        self.widget.add_class(f"mm-{self.kind}")

    @property
    def children(self) -> tuple[Any, ...]:
        """The widgets of the box: the style, the controls, the text and plot areas."""
        return self.widget.children

    @property
    def text(self) -> str:
        """What the text area says, as plain text."""
        return self._text

    def _show_text(self, text: str) -> None:
        self._text = text
        self.output.value = text_html(text)

    def _show_figure(self, fig: Any) -> None:
        self.plot.outputs = figure_output(fig)

    def _observe(self, controls: Sequence[Any]) -> None:
        for control in controls:
            control.observe(self._on_change, names="value")

    def _on_change(self, _change: Any = None) -> None:
        self.update()

    def update(self) -> None:
        raise NotImplementedError


def _slider(description: str, value: float, lo: float, hi: float, step: float,
            css: str) -> Any:
    import ipywidgets as w

    s = w.FloatSlider(value=value, min=lo, max=hi, step=step, description=description,
                      readout_format=".2f", continuous_update=False)
    s.add_class(css)
    return s


def _pair(value: Any, arg: str, who: str) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{who}: {arg} must be a pair of numbers (low, high), got {value!r}") \
            from err
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"{who}: {arg} must have low < high, got {value!r}")
    return lo, hi


@contextlib.contextmanager
def _seeded(seed: int) -> Iterator[None]:
    """Run with ``mm.set_seed(seed)``, then give the notebook back its own random state."""
    old_seed = backend.get_seed()
    old_state = backend.rng().bit_generator.state
    backend.set_seed(seed)
    try:
        yield
    finally:
        backend.set_seed(old_seed)
        backend.rng().bit_generator.state = old_state
