"""How much of mmlearn one ``Sequential.fit`` call walks through (issue 13's hop count).

    .venv/bin/python benchmarks/trace_fit.py

Traces the seed's model (32-64-64-10, 1,000 samples, 1 epoch, batch 32, verbose=0) with
``sys.setprofile`` and prints: the distinct mmlearn functions and modules the call touches,
and the call depth from ``fit`` down to the first ``Dense.forward`` and to the optimizer's
step (``apply_gradients``), with the chain of frames for each.
"""

from __future__ import annotations

import sys

import numpy as np

import mmlearn as mm


def _build() -> tuple:
    mm.set_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1000, 32)).astype("float32")
    y = rng.integers(0, 10, 1000)
    model = mm.Sequential([
        mm.layers.Dense(64, activation="relu", input_shape=(32,)),
        mm.layers.Dense(64, activation="relu"),
        mm.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model, x, y


def _label(frame) -> str:
    code = frame.f_code
    qual = getattr(code, "co_qualname", code.co_name)
    return f"{frame.f_globals.get('__name__', '?')}:{qual}"


def main() -> None:
    model, x, y = _build()
    functions: set[str] = set()
    modules: set[str] = set()
    stack: list[str] = []
    first: dict[str, list[str]] = {}

    def profile(frame, event, _arg):
        if event == "call":
            name = _label(frame)
            stack.append(name)
            if name.startswith("mmlearn"):
                functions.add(name)
                modules.add(frame.f_globals["__name__"])
                for target in ("Dense.forward", "apply_gradients"):
                    # the training batch's path, not the shape probe before the first batch
                    key = target if any("train" in f for f in stack) else f"{target} (probe)"
                    if name.endswith(target) and key not in first:
                        first[key] = [f for f in stack if f.startswith("mmlearn")]
        elif event == "return" and stack:
            stack.pop()

    sys.setprofile(profile)
    try:
        model.fit(x, y, epochs=1, batch_size=32, verbose=0)
    finally:
        sys.setprofile(None)
    print(f"mmlearn functions touched: {len(functions)}")
    print(f"mmlearn modules touched:   {len(modules)}  ({', '.join(sorted(modules))})")
    for target, chain in first.items():
        start = max(i for i, f in enumerate(chain) if f.endswith(".fit"))
        hops = chain[start:]
        print(f"fit -> {target}: depth {len(hops) - 1}")
        print("    " + " -> ".join(f.split(":", 1)[1] for f in hops))


if __name__ == "__main__":
    main()
