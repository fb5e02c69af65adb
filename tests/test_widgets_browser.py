"""mmlearn.widgets in a real browser: Voilà serves tests/widget_notebooks/widgets_demo.ipynb on
127.0.0.1 and headless Chromium (Playwright) moves the neuron's sliders, answers the quiz and
types a malformed number, reading back what the kernel computed. A second Voilà, started with
MMLEARN_LANGUAGE=zh_CN as the Chinese book's would be, serves two of chapter 4's exercises
(a notebook written by the test), which must ask and answer in Chinese.

Nothing leaves the machine: every request not to 127.0.0.1 is blocked and recorded, and the
last test asserts there were none (Voilà's own template links Font Awesome from a CDN, so the
notebook is served with tests/widget_notebooks/jupyter/voila/templates/offline, which drops
those links). Needs ``voila`` and ``playwright`` (requirements.txt) and the system's
/usr/bin/chromium (``apt-get install chromium``; never ``playwright install``); without them
these tests fail, as the book's browser test does.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect, sync_playwright

HERE = Path(__file__).parent
NOTEBOOK = HERE / "widget_notebooks" / "widgets_demo.ipynb"
TEMPLATES = HERE / "widget_notebooks" / "jupyter"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
TIMEOUT_MS = 30_000


pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, proc: subprocess.Popen, log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"voila exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"voila did not listen on port {port} within {timeout} s:\n"
                       f"{log.read_text()[-3000:]}")


@contextlib.contextmanager
def _voila(notebook: Path, work: Path, language: str | None = None) -> Iterator[str]:
    """Voilà serving ``notebook`` on a free port of 127.0.0.1 (its kernel speaking
    ``language`` through MMLEARN_LANGUAGE when given); stopped with SIGTERM."""
    port = _free_port()
    env = {**os.environ,
           "JUPYTER_PATH": str(TEMPLATES),              # the offline template
           "JUPYTER_CONFIG_DIR": str(work / "config"),  # no user configuration
           "JUPYTER_DATA_DIR": str(work / "data"),
           "JUPYTER_RUNTIME_DIR": str(work / "runtime"),
           "IPYTHONDIR": str(work / "ipython"),
           "JUPYTER_PLATFORM_DIRS": "1"}
    env.pop("MMLEARN_LANGUAGE", None)
    if language is not None:
        env["MMLEARN_LANGUAGE"] = language
    voila = shutil.which("voila", path=str(Path(sys.executable).parent)) or "voila"
    cmd = [voila, str(notebook), "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1",
           "--template=offline",
           # nbgrader (labs) ships JupyterLab extensions that Voilà should not load
           "--VoilaConfiguration.extension_denylist=@jupyter/nbgrader",
           "--VoilaConfiguration.extension_denylist=@jupyter-notebook/lab-extension",
           # jupyterlab-myst folds the chapters' solutions in JupyterLab; Voilà lacks the
           # markdown viewer it extends
           "--VoilaConfiguration.extension_denylist=jupyterlab-myst"]
    log = work / "voila.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env,
                                cwd=str(notebook.parent))
    try:
        _wait_for_port(port, proc, log)
        yield f"http://127.0.0.1:{port}/"
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


@contextlib.contextmanager
def _page(browser: Any, url: str) -> Iterator[tuple[Any, dict[str, list[str]]]]:
    """A page with the notebook rendered and its kernel running; records what went wrong."""
    record: dict[str, list[str]] = {"blocked": [], "failed": [], "bad_status": [],
                                    "console_errors": []}
    local = ("http://127.0.0.1:", "ws://127.0.0.1:", "data:", "blob:", "about:")

    def route(r):
        if r.request.url.startswith(local):
            r.continue_()
        else:
            record["blocked"].append(r.request.url)
            r.abort()

    page = browser.new_page()
    try:
        page.set_default_timeout(TIMEOUT_MS)
        page.route("**/*", route)
        page.on("requestfailed", lambda r: record["failed"].append(r.url))
        page.on("response", lambda r: r.status >= 400
                and record["bad_status"].append(f"{r.status} {r.url}"))
        page.on("console", lambda m: m.type == "error"
                and record["console_errors"].append(m.text))
        page.goto(url)
        # the last cell's widget is there once every cell has run
        page.locator(".mm-numeric .mm-answer input").wait_for(timeout=60_000)
        yield page, record
    finally:
        page.close()


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for the module (Playwright's sync API allows one at a time)."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} not found: `apt-get install chromium` (.ci/run does it)")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def voila_url(tmp_path_factory):
    """Voilà serving the demo notebook, in English."""
    with _voila(NOTEBOOK, tmp_path_factory.mktemp("voila")) as url:
        yield url


@pytest.fixture(scope="module")
def session(browser, voila_url):
    with _page(browser, voila_url) as opened:
        yield opened


def _chinese_notebook(folder: Path) -> Path:
    """Two of the book's exercises by id (their keys and words from mmlearn), in a notebook
    written for the test, with the demo notebook's kernel metadata."""
    demo = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    sources = ["from mmlearn.widgets import exercise",
               'exercise("ch4-weight-scaling")',
               'exercise("ch4-boundary-distance")']
    cells = [{"cell_type": "code", "execution_count": None, "id": f"cell-{i}",
              "metadata": {}, "outputs": [], "source": source}
             for i, source in enumerate(sources)]
    path = folder / "widgets_zh.ipynb"
    path.write_text(json.dumps({**demo, "cells": cells}), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def session_zh(browser, tmp_path_factory):
    """The Chinese case: Voilà started with MMLEARN_LANGUAGE=zh_CN, as a Chinese book's server
    would be, serving chapter 4's two exercises."""
    work = tmp_path_factory.mktemp("voila-zh")
    with _voila(_chinese_notebook(work), work, language="zh_CN") as url, \
            _page(browser, url) as opened:
        yield opened


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def _neuron_line(w1: float, w2: float, b: float, x1: float, x2: float,
                 name: str = "sigmoid") -> str:
    z = w1 * x1 + w2 * x2 + b
    y = {"sigmoid": _sigmoid(z), "relu": max(z, 0.0), "tanh": math.tanh(z)}[name]
    return f"z = w·x + b = {z:.2f}, y = {name}(z) = {y:.3f}"


def test_neuron_sliders_update_the_output(session):
    page, _ = session
    out = page.locator(".mm-neuron .mm-output")
    # the notebook: weights [0.5, -0.3], bias 0.1, x [1, 2] -> z = 0
    expect(out).to_contain_text(_neuron_line(0.5, -0.3, 0.1, 1.0, 2.0))
    assert "y = sigmoid(z) = 0.500" in out.inner_text()

    page.locator(".mm-neuron .mm-w1 .noUi-handle").focus()
    page.keyboard.press("ArrowRight")                     # w1: 0.5 -> 0.6 (step 0.1)
    expect(out).to_contain_text(_neuron_line(0.6, -0.3, 0.1, 1.0, 2.0))

    handle = page.locator(".mm-neuron .mm-b .noUi-handle")
    handle.focus()
    for _ in range(3):
        page.keyboard.press("ArrowLeft")                  # b: 0.1 -> -0.2
    expect(out).to_contain_text(_neuron_line(0.6, -0.3, -0.2, 1.0, 2.0))
    expect(handle).to_have_attribute("aria-valuenow", re.compile(r"^-0\.2"))

    page.locator(".mm-neuron .mm-activation select").select_option("tanh")
    expect(out).to_contain_text(_neuron_line(0.6, -0.3, -0.2, 1.0, 2.0, "tanh"))

    # the plot is an image the kernel drew
    expect(page.locator(".mm-neuron .mm-plot img")).to_have_count(1)


def test_quiz_feedback_for_a_wrong_and_the_right_answer(session):
    page, _ = session
    quiz = page.locator(".mm-quiz")
    feedback = quiz.locator(".mm-feedback")
    quiz.get_by_role("radio", name="relu", exact=True).check()
    quiz.locator(".mm-check").click()
    expect(feedback).to_contain_text(
        "Not quite: relu(z) = max(z, 0) grows without bound for large z.")

    quiz.get_by_role("radio", name="tanh", exact=True).check()
    quiz.locator(".mm-check").click()
    expect(feedback).to_contain_text("Not quite: tanh(z) lies between -1 and 1")

    quiz.get_by_role("radio", name="sigmoid", exact=True).check()
    quiz.locator(".mm-check").click()
    expect(feedback).to_contain_text(
        "Correct! sigmoid(z) = 1 / (1 + exp(-z)) lies strictly between 0 and 1.")
    expect(feedback.locator(".mm-ok")).to_have_count(1)


def test_numeric_exercise_explains_malformed_input(session):
    page, _ = session
    box = page.locator(".mm-numeric .mm-answer input")
    check = page.locator(".mm-numeric .mm-check")
    feedback = page.locator(".mm-numeric .mm-feedback")

    box.fill("1,5")
    check.click()
    expect(feedback).to_contain_text("“1,5” uses a comma; write the decimal point as a dot: 1.5")

    box.fill("abc")
    check.click()
    expect(feedback).to_contain_text("“abc” is not a number")

    box.fill("0.7")
    check.click()
    expect(feedback).to_contain_text("0.7 is too high.")

    box.fill("0.5")
    check.click()
    expect(feedback).to_contain_text("Correct: 0.5.")


def test_chinese_exercises_in_voila_give_chinese_feedback(session_zh):
    page, _ = session_zh
    quiz = page.locator(".mm-quiz")
    expect(quiz).to_contain_text("把一个 sigmoid 神经元的 w1、w2 和 b 都加倍：")
    expect(quiz.locator(".mm-check")).to_have_text("检查")
    quiz.get_by_role("radio", name="决策边界发生旋转", exact=True).check()
    quiz.locator(".mm-check").click()
    expect(quiz.locator(".mm-feedback")).to_contain_text(
        "不太对：直线的方向由 w 的方向决定，加倍不改变它。")
    expect(quiz.locator(".mm-feedback .mm-bad")).to_have_count(1)

    box = page.locator(".mm-numeric .mm-answer input")
    expect(box).to_have_attribute("placeholder", "一个数，例如 0.5")
    box.fill("5")
    page.locator(".mm-numeric .mm-check").click()
    expect(page.locator(".mm-numeric .mm-feedback")).to_contain_text(
        "5 太大了。 提示：直线上离原点最近的点位于 w 的方向上。")


@pytest.mark.parametrize("which", ["session", "session_zh"])
def test_nothing_left_127_0_0_1_and_nothing_failed(which, request):
    _, record = request.getfixturevalue(which)
    assert record["blocked"] == [], f"requests to other hosts: {record['blocked']}"
    assert record["failed"] == [], f"failed requests: {record['failed']}"
    assert record["bad_status"] == [], f"responses >= 400: {record['bad_status']}"
    assert record["console_errors"] == [], f"console errors: {record['console_errors']}"
