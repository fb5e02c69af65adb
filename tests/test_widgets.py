"""mmlearn.widgets: the pure checkers (right, wrong, malformed, empty, crashing or endless
student code) and the widgets driven from Python (set a slider, read the text; click Check,
read the feedback). Expected values are computed here from the formulas, not copied from
the code's output. The browser counterpart is tests/test_widgets_browser.py.
"""

from __future__ import annotations

import base64
import math
import re
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mmlearn as mm
from mmlearn.widgets import (
    Feedback,
    FunctionExercise,
    NeuronWeightsExercise,
    NumericExercise,
    Quiz,
    parse_number,
)
from mmlearn.widgets import playgrounds as pg


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def _phi(x: float) -> float:
    """Standard normal CDF."""
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


# ============================================================================ parse_number


@pytest.mark.parametrize("text, value", [
    ("0.5", 0.5), ("  -3e-4 ", -3e-4), ("1/2", 0.5), ("−0.25", -0.25), ("０.５", 0.5),
    ("2^3", 8.0), ("e^-1", math.exp(-1)), ("1/(1+exp(-0.7))", _sigmoid(0.7)),
    ("sqrt(2)", math.sqrt(2)), ("+7", 7.0), (3, 3.0), (np.float32(0.25), 0.25),
    ("1,5".replace(",", "."), 1.5),
])
def test_parse_number_reads_numbers_and_small_expressions(text, value):
    got, problem = parse_number(text)
    assert problem is None
    assert got == pytest.approx(value, rel=1e-12)


@pytest.mark.parametrize("text, says", [
    ("", "Type a number"),
    ("   ", "Type a number"),
    (None, "Type a number"),
    ("abc", "“abc” is not a number"),
    ("1,5", "write the decimal point as a dot: 1.5"),
    ("0,668", "dot: 0.668"),
    ("1,500", "type 1.500 or 1500"),
    ("nan", "not a finite number"),
    ("-inf", "not a finite number"),
    ("1e999", "not a finite number"),
    ("50%", "leave out the % sign"),
    ("2/0", "divides by zero"),
    ("9**9**9", "too large"),
    ("__import__('os').system('true')", "is not a number"),
    ("0.5.1", "is not a number"),
    (True, "got True (a bool)"),
    ([0.5], "Expected a number, got [0.5] (a list)"),
])
def test_parse_number_explains_what_is_wrong(text, says):
    got, problem = parse_number(text)
    assert got is None
    assert says in problem


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_parse_number_never_raises(text):
    value, problem = parse_number(text)
    assert (value is None) != (problem is None)
    if value is not None:
        assert math.isfinite(value)


@settings(max_examples=200, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_parse_number_round_trips_any_float(x):
    assert parse_number(repr(x)) == (x, None)


# ============================================================================ Quiz


def _quiz(**kw):
    return Quiz("Which activation outputs values in (0, 1)?", ["relu", "sigmoid", "tanh"],
                answer="sigmoid",
                explanations=["relu is unbounded above.", "σ(z) = 1/(1+e^-z).",
                              "tanh can be negative."], **kw)


def test_quiz_right_answer_by_index_or_text():
    q = _quiz()
    for answer in (1, "sigmoid", " Sigmoid "):
        fb = q.check(answer)
        assert fb == Feedback(True, "Correct! σ(z) = 1/(1+e^-z).")


def test_quiz_wrong_option_gets_its_own_explanation():
    q = _quiz()
    assert q.check("relu") == Feedback(False, "Not quite: relu is unbounded above.")
    assert q.check(2) == Feedback(False, "Not quite: tanh can be negative.")


def test_quiz_without_explanations_names_the_choice():
    q = Quiz("2 + 2?", ["3", "4"], answer=1)
    fb = q.check(0)
    assert not fb.correct and "“3” is not the answer" in fb.message
    assert q.check("4").correct and q.check("4").message == "Correct!"


@pytest.mark.parametrize("answer, says", [
    (None, "Choose one of the options"), ("", "Choose one of the options"),
    (7, "7 is not one of the options"), ("softmax", "'softmax' is not one of the options"),
    (True, "is not one of the options"), ([1], "is not one of the options"),
])
def test_quiz_malformed_answers_do_not_raise(answer, says):
    fb = _quiz().check(answer)
    assert not fb.correct
    assert says in fb.message
    if "not one of" in says:
        assert "“relu”, “sigmoid”, “tanh”" in fb.message


def test_quiz_author_mistakes_raise_at_construction():
    with pytest.raises(ValueError, match="did you mean 'sigmoid'"):
        Quiz("q", ["relu", "sigmoid"], answer="sigmoidd")
    with pytest.raises(ValueError, match="explanations has 1 entries but there are 2 options"):
        Quiz("q", ["a", "b"], answer=0, explanations=["x"])
    with pytest.raises(ValueError, match="at least 2"):
        Quiz("q", ["a"], answer=0)
    with pytest.raises(ValueError, match=r"answer index must be in \[0, 1\]"):
        Quiz("q", ["a", "b"], answer=2)
    with pytest.raises(TypeError, match="question must be a str"):
        Quiz(3, ["a", "b"], answer=0)


def test_quiz_messages_can_be_translated():
    q = Quiz("哪个?", ["relu", "sigmoid"], answer=1, explanations=["无上界", "在 (0, 1) 内"],
             messages={"correct": "正确！{explanation}", "wrong": "不对：{explanation}",
                       "check": "检查"})
    assert q.check(1).message == "正确！在 (0, 1) 内"
    assert q.check(0).message == "不对：无上界"
    assert q.widget and q.check_button.description == "检查"


def test_messages_are_validated():
    with pytest.raises(ValueError, match="unknown message key 'corect'.*did you mean 'correct'"):
        _quiz(messages={"corect": "x"})
    with pytest.raises(ValueError, match=r"uses \['answer'\]; it may use only \['explanation'\]"):
        _quiz(messages={"correct": "{answer}"})
    with pytest.raises(TypeError, match="must be a str"):
        _quiz(messages={"correct": 3})


def test_quiz_widget_check_button_shows_feedback():
    q = _quiz()
    q.widget  # noqa: B018
    q.check_button.click()                          # nothing chosen yet
    assert "Choose one of the options" in q.feedback.value
    q.choices.value = "tanh"
    q.check_button.click()
    assert "Not quite: tanh can be negative." in q.feedback.value
    assert "mm-bad" in q.feedback.value
    q.choices.value = "sigmoid"
    q.check_button.click()
    assert "Correct! σ(z) = 1/(1+e^-z)." in q.feedback.value and "mm-ok" in q.feedback.value
    assert q.last_feedback.correct and q.attempts == 3
    bundle = q._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/plain"].startswith("Quiz(")


def test_feedback_is_escaped_in_html():
    q = Quiz("q", ["<b>", "&"], answer=1, explanations=["<script>x</script>", ""])
    q.widget  # noqa: B018
    q.choices.index = 0
    q.check_button.click()
    assert "<script>" not in q.feedback.value and "&lt;script&gt;" in q.feedback.value


# ============================================================================ NumericExercise


def test_numeric_right_within_tolerance_and_exact():
    n = NumericExercise("σ(0.7)?", _sigmoid(0.7), tol=1e-3)
    assert n.check("0.668").correct
    assert "exact value is 0.668188" in n.check("0.668").message
    assert n.check(_sigmoid(0.7)).correct
    assert n.check("1/(1+e^-0.7)").correct
    assert NumericExercise("2+2?", 4).check("4") == Feedback(True, "Correct: 4.")


def test_numeric_too_high_too_low_with_hint():
    n = NumericExercise("σ(0.7)?", 0.668, tol=1e-3, hint="σ(z) = 1/(1+e^-z)")
    assert n.check("0.7") == Feedback(False, "0.7 is too high. Hint: σ(z) = 1/(1+e^-z)")
    assert n.check("-1") == Feedback(False, "-1 is too low. Hint: σ(z) = 1/(1+e^-z)")
    assert not n.check("0.6695").correct and n.check("0.6675").correct  # tol is absolute


def test_numeric_relative_tolerance():
    n = NumericExercise("big", 1000.0, tol=0.0, rel_tol=0.01)
    assert n.check("1009").correct and not n.check("1011").correct


@pytest.mark.parametrize("answer, says", [
    ("abc", "“abc” is not a number"), ("", "Type a number"), ("1,5", "dot: 1.5"),
    ("nan", "not a finite number"), (None, "Type a number"), ({"x": 1}, "a dict"),
])
def test_numeric_malformed_input_says_what_to_type(answer, says):
    fb = NumericExercise("q", 1.5).check(answer)
    assert not fb.correct and says in fb.message


def test_numeric_widget_and_reveal_after():
    n = NumericExercise("σ(0)?", 0.5, tol=1e-3, reveal_after=2)
    n.widget  # noqa: B018
    n.answer_box.value = "1,5"
    n.check_button.click()
    assert "uses a comma; write the decimal point as a dot: 1.5" in n.feedback.value
    assert "The answer is" not in n.feedback.value
    n.answer_box.value = "0.9"
    n.check_button.click()
    assert "0.9 is too high." in n.feedback.value and "The answer is 0.5." in n.feedback.value
    n.answer_box.value = "0.5"
    n.check_button.click()
    assert "Correct: 0.5." in n.feedback.value


def test_numeric_author_mistakes_raise():
    with pytest.raises(TypeError, match="answer must be a finite number"):
        NumericExercise("q", float("nan"))
    with pytest.raises(ValueError, match="tol and rel_tol must be >= 0"):
        NumericExercise("q", 1.0, tol=-1)
    with pytest.raises(ValueError, match="reveal_after"):
        NumericExercise("q", 1.0, reveal_after=0)


# ============================================================================ NeuronWeightsExercise

# Hand-made solutions (z = w1 x1 + w2 x2 + b; step(z) = 1 where z >= 0).
SOLUTIONS = {"AND": (1, 1, -1.5), "OR": (1, 1, -0.5), "NAND": (-1, -1, 1.5),
             "NOR": (-1, -1, 0.5)}


@pytest.mark.parametrize("gate", sorted(SOLUTIONS))
def test_neuron_weights_accepts_a_solution(gate):
    fb = NeuronWeightsExercise(gate).check(SOLUTIONS[gate])
    assert fb == Feedback(True, f"Correct: the neuron computes {gate} on all 4 rows.")


def test_neuron_weights_lists_exactly_the_wrong_rows():
    # OR's weights asked to compute AND: (0,1) and (1,0) give z = 0.5 -> 1, AND wants 0
    fb = NeuronWeightsExercise("and").check({"w1": 1, "w2": 1, "b": -0.5})
    lines = fb.message.splitlines()
    assert not fb.correct and lines[0] == "2 of 4 rows are wrong:"
    assert lines[1].strip() == ("x = (0, 1): z = 1·0 + 1·1 - 0.5 = 0.5, step(z) = 1, "
                                "but AND gives 0")
    assert lines[2].strip().startswith("x = (1, 0): z = 1·1 + 1·0 - 0.5 = 0.5")
    assert "lower b" in fb.message                      # it fires too often
    fb = NeuronWeightsExercise("OR").check(("1", "1", "-1.5"))   # AND's weights for OR
    assert "raise b" in fb.message and fb.message.startswith("2 of 4 rows are wrong:")


def test_neuron_weights_z_on_the_boundary_is_exact_and_explained():
    # 0.1 + 0.2 - 0.3 is 0 exactly (not 5.6e-17): step(0) = 1, so (1, 1) fires
    assert NeuronWeightsExercise("AND").check((0.1, 0.2, -0.3)).correct
    fb = NeuronWeightsExercise("AND").check((1, 1, -1))
    assert "z is exactly 0, on the boundary, where step(0) = 1" in fb.message


def test_neuron_weights_xor_is_impossible_and_says_so():
    fb = NeuronWeightsExercise("XOR").check((1, 1, -0.5))
    assert not fb.correct and "No single neuron can compute XOR" in fb.message


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(["AND", "OR", "NAND", "NOR", "XOR", "XNOR"]),
       st.tuples(*[st.integers(-30, 30).map(lambda k: k / 10)] * 3))
def test_neuron_weights_agrees_with_the_truth_table(gate, params):
    w1, w2, b = (Fraction(str(v)) for v in params)
    table = {"AND": (0, 0, 0, 1), "OR": (0, 1, 1, 1), "NAND": (1, 1, 1, 0),
             "NOR": (1, 0, 0, 0), "XOR": (0, 1, 1, 0), "XNOR": (1, 0, 0, 1)}[gate]
    rows = ((0, 0), (0, 1), (1, 0), (1, 1))
    outputs = tuple(int(w1 * x1 + w2 * x2 + b >= 0) for x1, x2 in rows)
    wrong = sum(o != t for o, t in zip(outputs, table, strict=True))
    fb = NeuronWeightsExercise(gate).check(params)
    assert fb.correct == (wrong == 0)
    if wrong:
        assert fb.message.startswith(f"{wrong} of 4 rows are wrong:")
    if gate in ("XOR", "XNOR"):
        assert not fb.correct


@pytest.mark.parametrize("answer, says", [
    ((1, "abc", 0), "w2: “abc” is not a number"), (("", 1, 0), "w1: Type a number"),
    ((1, 2), "Give three numbers w1, w2, b"), ({"w1": 1}, "Give three numbers"),
    (None, "Give three numbers"), ("1 1 -1.5", "Give three numbers"),
    ((1, 1, "nan"), "b: “nan” is not a finite number"),
])
def test_neuron_weights_malformed(answer, says):
    fb = NeuronWeightsExercise("AND").check(answer)
    assert not fb.correct and says in fb.message


def test_neuron_weights_custom_table_and_bad_target():
    ex = NeuronWeightsExercise((0, 0, 1, 1))          # y = x1
    assert ex.check((1, 0, -0.5)).correct
    with pytest.raises(ValueError, match="did you mean 'nand'"):
        NeuronWeightsExercise("NANDD")
    with pytest.raises(ValueError, match="four 0/1 outputs"):
        NeuronWeightsExercise((0, 1, 2, 1))


def test_neuron_weights_widget_sliders_and_check():
    ex = NeuronWeightsExercise("AND")
    ex.widget  # noqa: B018
    ex.check_button.click()                             # all zero: z = 0 fires everywhere
    assert "3 of 4 rows are wrong" in ex.feedback.value
    ex.sliders["w1"].value, ex.sliders["w2"].value, ex.sliders["b"].value = 1.0, 1.0, -1.5
    ex.check_button.click()
    assert "Correct: the neuron computes AND on all 4 rows." in ex.feedback.value


# ============================================================================ FunctionExercise


def _relu_exercise(**kw):
    return FunctionExercise("Write relu(x) = max(x, 0).", "relu", [(2.0,), (-1.5,), (0.0,)],
                            reference=lambda x: max(x, 0.0), **kw)


def test_function_right_code_passes_all_cases():
    ex = _relu_exercise()
    fb = ex.check("def relu(x):\n    return x if x > 0 else 0.0\n")
    assert fb == Feedback(True, "All 3 test cases pass.")


def test_function_reports_the_first_failing_case_with_got_and_expected():
    fb = _relu_exercise().check("def relu(x):\n    return abs(x)\n")
    assert fb == Feedback(False, "relu(-1.5) returned 1.5, expected 0.0.")


def test_function_syntax_error_names_the_line():
    fb = _relu_exercise().check("def relu(x):\n    retun x\n")
    assert not fb.correct
    assert fb.message.startswith("SyntaxError on line 2: invalid syntax")
    assert "retun x" in fb.message and "^" in fb.message
    fb = _relu_exercise().check("def relu(x):\nreturn x\n")
    assert fb.message.startswith("IndentationError on line 2")


def test_function_exception_type_message_and_line():
    fb = _relu_exercise().check("def relu(x):\n    y = 1 / x\n    return max(x, 0.0)\n")
    assert fb.message == ("relu(0.0) raised ZeroDivisionError: float division by zero\n"
                          "    line 2: y = 1 / x")
    fb = _relu_exercise().check("import math\nz = math.nope\ndef relu(x):\n    return x\n")
    assert fb.message.startswith("Your code raised AttributeError on line 2 before `relu` "
                                 "could be defined")


def test_function_missing_return_and_wrong_type():
    fb = _relu_exercise().check("def relu(x):\n    print(max(x, 0.0))\n")
    assert fb.message == ("relu(2.0) returned None, expected 2.0. Did you forget `return`? "
                          "(it printed '2.0')")
    fb = _relu_exercise().check("def relu(x):\n    return str(max(x, 0.0))\n")
    assert fb.message == "relu(2.0) returned '2.0' (a str), expected a number such as 2.0."


def test_function_missing_name_and_not_callable_and_bad_signature():
    fb = _relu_exercise().check("def rellu(x):\n    return x\n")
    assert "does not define a function named `relu` (it defines `rellu`)" in fb.message
    assert "is a number, not a function" in _relu_exercise().check("relu = 3\n").message
    fb = _relu_exercise().check("def relu():\n    return 0\n")
    assert fb.message.startswith("Your function cannot be called as relu(2.0)")


@pytest.mark.parametrize("code", [
    "",
    "   \n",
    "def relu(x):\n    ...\n",                        # the starter code, unchanged
])
def test_function_empty_or_unchanged(code):
    fb = _relu_exercise().check(code)
    assert not fb.correct and "`relu`" in fb.message


@pytest.mark.parametrize("answer", [None, 3, ["def relu(x): return x"], b"def relu(x): pass"])
def test_function_non_text_answers_do_not_raise(answer):
    fb = _relu_exercise().check(answer)
    assert isinstance(fb, Feedback) and not fb.correct


@pytest.mark.parametrize("code, line", [
    ("def relu(x):\n    while True:\n        pass\n", 2),
    ("def relu(x):\n    while True: pass\n", 2),
    ("def relu(x):\n    while True:\n        try:\n            pass\n"
     "        except Exception:\n            pass\n", None),
])
def test_function_endless_loop_is_stopped(code, line):
    fb = _relu_exercise(time_limit=0.2).check(code)
    assert fb.message.startswith("relu(2.0) did not finish within 0.2 s")
    assert "loop" in fb.message
    if line is not None:
        assert f"line {line}:" in fb.message


def test_function_endless_loop_at_module_level_is_stopped():
    fb = _relu_exercise(time_limit=0.2).check("while True:\n    pass\n")
    assert fb.message.startswith("Your code did not finish within 0.2 s while being defined")


def test_function_recursion_and_exit_are_reported():
    fb = _relu_exercise().check("def relu(x):\n    return relu(x)\n")
    assert fb.message.startswith("relu(2.0) raised RecursionError")
    fb = _relu_exercise().check("def relu(x):\n    exit()\n")
    assert "called exit()" in fb.message


def test_function_arrays_shapes_and_namespace():
    ex = FunctionExercise("ReLU on an array", "relu",
                          [((np.array([1.0, -2.0, 0.5]),), np.array([1.0, 0.0, 0.5]))],
                          namespace={"np": np})
    assert ex.check("def relu(x):\n    return np.maximum(x, 0)\n").correct
    fb = ex.check("def relu(x):\n    return np.abs(x)\n")
    assert fb.message.endswith("(first difference at [1]: 2.0 instead of 0.0).")
    fb = ex.check("def relu(x):\n    return np.maximum(x, 0).reshape(3, 1)\n")
    assert "of shape (3, 1); expected shape (3,)" in fb.message
    fb = ex.check("def relu(x):\n    return 1.0\n")
    assert "(a number), expected an array of shape (3,)" in fb.message


def test_function_student_cannot_change_the_hidden_cases():
    ex = FunctionExercise("double in place", "f", [(([1, 2],), [2, 4])])
    code = "def f(xs):\n    for i in range(len(xs)):\n        xs[i] *= 2\n    return xs\n"
    assert ex.check(code).correct and ex.check(code).correct   # the inputs were copies


def test_function_nested_containers():
    ex = FunctionExercise("stats", "g", [((1,), {"mean": 0.5, "items": [1, 2.5]})])
    assert ex.check("def g(x):\n    return {'items': [1, 2.5], 'mean': 0.5}\n").correct
    fb = ex.check("def g(x):\n    return {'mean': 0.5, 'items': [1, '2.5']}\n")
    assert "first difference at ['items'][1]: a str instead of a number" in fb.message
    fb = ex.check("def g(x):\n    return {'mean': 0.5}\n")
    assert "a dict with keys 'mean', expected keys 'items', 'mean'" in fb.message


def test_function_author_mistakes_raise():
    with pytest.raises(ValueError, match="reference.*raised ZeroDivisionError"):
        FunctionExercise("q", "f", [(0.0,)], reference=lambda x: 1 / x)
    with pytest.raises(ValueError, match="must be a pair"):
        FunctionExercise("q", "f", [1.0])
    with pytest.raises(ValueError, match="identifier"):
        FunctionExercise("q", "my func", [((1,), 1)])


def test_function_widget_runs_the_code_box():
    ex = _relu_exercise()
    ex.widget  # noqa: B018
    assert ex.code_box.value == "def relu(x):\n    ...\n"
    ex.code_box.value = "def relu(x):\n    return x\n"
    ex.check_button.click()
    assert "relu(-1.5) returned -1.5, expected 0.0." in ex.feedback.value
    ex.code_box.value = "def relu(x):\n    return max(x, 0.0)\n"
    ex.check_button.click()
    assert "All 3 test cases pass." in ex.feedback.value


# ============================================================================ neuron playground


def _line(z, y, name="sigmoid"):
    return f"z = w·x + b = {z:.2f}, y = {name}(z) = {y:.3f}"


def test_neuron_report_follows_the_formula():
    r = pg.neuron_report([0.5, -0.3], 0.1, [1.0, 2.0], "sigmoid")
    assert r.z == 0.0 and r.y == pytest.approx(0.5)
    assert r.text == "z = w·x + b = 0.00, y = sigmoid(z) = 0.500"
    assert r.detail == "z = 0.5·1 - 0.3·2 + 0.1 = 0"
    with pytest.raises(ValueError, match="2 weights but x has 3 entries"):
        pg.neuron_report([1, 2], 0, [1, 2, 3])


def test_neuron_playground_sliders_change_the_output():
    p = pg.neuron_playground(weights=[0.5, -0.3], bias=0.1, x=[1.0, 2.0])
    assert p.text.splitlines()[0] == _line(0.0, 0.5)
    png = p.plot.outputs[0]["data"]["image/png"]
    assert base64.b64decode(png).startswith(b"\x89PNG")

    p.weight_sliders[0].value = 0.7                    # z = 0.7 - 0.6 + 0.1 = 0.2
    assert p.text.splitlines()[0] == _line(0.2, _sigmoid(0.2))
    p.input_sliders[1].value = -1.0                    # z = 0.7 + 0.3 + 0.1 = 1.1
    assert p.text.splitlines()[0] == _line(1.1, _sigmoid(1.1))
    assert p.plot.outputs[0]["data"]["image/png"] != png   # the picture was redrawn
    p.bias_slider.value = -3.0                         # z = 0.7 + 0.3 - 3 = -2
    for name, f in (("relu", lambda z: max(z, 0.0)), ("tanh", math.tanh),
                    ("step", lambda z: float(z >= 0)), ("sigmoid", _sigmoid)):
        p.activation_dropdown.value = name
        assert p.text.splitlines()[0] == _line(-2.0, f(-2.0), name)
    assert p.report.activation == "sigmoid"


def test_neuron_playground_other_sizes_and_labels():
    p1 = pg.neuron_playground(1, weights=[2.0], bias=-1.0, x=[1.5])
    assert p1.text.splitlines()[0] == _line(2.0, _sigmoid(2.0))
    assert len(p1.plot.outputs) == 1                   # a curve y = f(w1 x1 + b)
    p3 = pg.neuron_playground(3)
    assert p3.text.splitlines()[0] == _line(1.5, _sigmoid(1.5))   # defaults 0.5·1 each
    assert p3.plot not in p3.children                  # no plane to draw in 3-D
    zh = pg.neuron_playground(labels={"output": "加权和 z = {z:.2f}，输出 y = {y:.3f}",
                                      "activation": "激活函数"})
    assert zh.text.splitlines()[0] == f"加权和 z = 1.00，输出 y = {_sigmoid(1.0):.3f}"
    assert zh.activation_dropdown.description == "激活函数"
    with pytest.raises(ValueError, match="did you mean 'relu'"):
        pg.neuron_playground(activations=("relux",))
    with pytest.raises(ValueError, match="n_inputs=2"):
        pg.neuron_playground(weights=[1.0])


def test_neuron_playground_on_every_backend(backend):
    p = pg.neuron_playground(weights=[1.0, 0.5], bias=-0.2, x=[0.5, 1.0])
    assert p.text.splitlines()[0] == _line(0.8, _sigmoid(0.8))
    p.activation_dropdown.value = "tanh"
    assert p.text.splitlines()[0] == _line(0.8, math.tanh(0.8), "tanh")
    assert len(p.plot.outputs) == 1


# ============================================================================ decision boundary


def test_toy_datasets_are_balanced_deterministic_and_checked():
    for name in pg.TOY_DATASETS:
        X, y = pg.toy_dataset(name, 60, seed=1)
        assert X.shape == (60, 2) and X.dtype == np.float32 and y.dtype == np.int64
        assert set(np.unique(y)) == {0, 1} and 20 <= int(y.sum()) <= 40
        X2, y2 = pg.toy_dataset(name, 60, seed=1)
        assert np.array_equal(X, X2) and np.array_equal(y, y2)
    X, y = pg.toy_dataset("xor", 200, noise=0.0)
    assert np.array_equal(y, (X[:, 0] * X[:, 1] > 0).astype(np.int64))
    with pytest.raises(ValueError, match="did you mean 'moons'"):
        pg.toy_dataset("moon")


def test_hidden_layer_is_what_solves_xor():
    X, y = pg.toy_dataset("xor", 120, noise=0.0, seed=0)
    _, linear = pg.train_boundary_model(X, y, hidden=0, epochs=40, seed=0)
    _, hidden = pg.train_boundary_model(X, y, hidden=16, epochs=40, seed=0)
    assert linear < 0.8                   # no straight line separates XOR
    assert hidden > 0.9


def test_boundary_model_trains_on_every_backend(backend):
    X, y = pg.toy_dataset("blobs", 60, seed=0)
    model, accuracy = pg.train_boundary_model(X, y, hidden=4, epochs=10, seed=0)
    assert accuracy > 0.9
    W = model.layers[0].params["W"]
    assert isinstance(W, np.ndarray) == (mm.get_backend() == "numpy")   # trained where set
    assert mm.to_numpy(W).shape == (2, 4)


def test_boundary_playground_retrains_and_keeps_the_notebook_seed():
    mm.set_seed(7)
    expected = mm.backend.rng().random()
    mm.set_seed(7)
    p = pg.decision_boundary_playground("blobs", hidden=4, epochs=20, n_samples=80)
    assert mm.backend.rng().random() == expected       # training did not consume the seed
    assert p.accuracy > 0.9
    assert p.text == f"train accuracy = {p.accuracy:.2f} (4 hidden units, 20 epochs)"
    first = p.model
    p.hidden_slider.value = 6
    assert p.model is not first and p.model.layers[0].units == 6
    assert "(6 hidden units, 20 epochs)" in p.text
    assert base64.b64decode(p.plot.outputs[0]["data"]["image/png"]).startswith(b"\x89PNG")


# ============================================================================ modality noise


@pytest.mark.parametrize("s_img, s_txt", [(1.0, 1.5), (0.5, 2.0), (2.0, 2.0)])
def test_modality_accuracies_match_the_bayes_rates(s_img, s_txt):
    acc = pg.modality_accuracies(s_img, s_txt)
    # best possible: Φ(|μ|/σ) per modality, Φ(√(1/σ_i² + 1/σ_t²)) fused (|μ| = 1)
    assert acc["image"] == pytest.approx(_phi(1 / s_img), abs=0.03)
    assert acc["text"] == pytest.approx(_phi(1 / s_txt), abs=0.03)
    assert acc["fused"] == pytest.approx(_phi(math.hypot(1 / s_img, 1 / s_txt)), abs=0.03)
    assert acc["fused"] > max(acc["image"], acc["text"])


def test_modality_accuracies_edge_cases():
    assert pg.modality_accuracies(0.0, 3.0)["image"] == 1.0      # a noiseless modality
    with pytest.raises(ValueError, match="noise_text must be a number >= 0"):
        pg.modality_accuracies(1.0, -1.0)


@pytest.mark.filterwarnings("ignore:Glyph .* missing from font")  # no CJK font for the plot
def test_modality_noise_explorer_sliders():
    m = pg.modality_noise_explorer(1.0, 1.0)
    acc = pg.modality_accuracies(3.0, 1.0)
    m.image_slider.value = 3.0
    assert m.accuracies == acc
    assert m.text == (f"image only: {acc['image']:.1%} · text only: {acc['text']:.1%} · "
                      f"fused: {acc['fused']:.1%}")
    zh = pg.modality_noise_explorer(labels={"image": "图像", "text": "文本", "fused": "融合"})
    assert zh.text.startswith("图像 only:") and zh.image_slider.description == "图像 noise"


# ============================================================================ learning rate


def test_gradient_descent_path_is_the_closed_form():
    path = pg.gradient_descent_path(0.05, steps=20, curvatures=(1.0, 10.0), start=(-2.0, 1.0))
    t = np.arange(21)
    np.testing.assert_allclose(path[:, 0], -2.0 * (1 - 0.05 * 1.0) ** t, rtol=1e-12)
    np.testing.assert_allclose(path[:, 1], 1.0 * (1 - 0.05 * 10.0) ** t, rtol=1e-12)
    with pytest.raises(ValueError, match="learning_rate must be a number > 0"):
        pg.gradient_descent_path(0.0)


@pytest.mark.parametrize("lr", [0.001, 0.01, 0.03, 0.1, 0.15, 0.19, 0.21, 0.3, 0.6, 1.0, 5.0])
def test_verdict_diverges_exactly_above_two_over_the_curvature(lr):
    path = pg.gradient_descent_path(lr, steps=50)
    verdict = pg.lr_verdict(pg.quadratic_loss(path))
    assert (verdict == "diverges") == (lr > 2 / 10)
    if lr <= 0.01:
        assert verdict == "converges slowly"
    if 0.1 <= lr <= 0.19:
        assert verdict == "good"


def test_learning_rate_explorer_slider():
    e = pg.learning_rate_explorer(0.01, steps=30)
    assert e.verdict == "converges slowly"
    e.lr_slider.value = 0.5
    assert e.verdict == "diverges" and e.text.startswith("learning rate 0.5: diverges")
    assert "zig-zags" in e.text
    e.lr_slider.value = 0.1
    loss0, loss30 = 0.5 * (4 + 10), 0.5 * (4 * 0.9 ** 60 + 10 * 0.0)
    assert e.text.startswith(f"learning rate 0.1: good (loss {loss0:.3g} → {loss30:.3g} in 30")


# ============================================================================ Chinese
# The words come from mmlearn's catalogue (tests/test_i18n.py checks it); conftest puts every
# test back in English.


@pytest.fixture
def chinese():
    mm.widgets.set_language("zh")
    yield
    mm.widgets.set_language("en")


def test_a_wrong_chapter_answer_gets_chinese_feedback_then_english_again(chinese):
    ex = mm.widgets.exercise("ch4-weight-scaling")
    assert ex.question == "把一个 sigmoid 神经元的 w1、w2 和 b 都加倍："
    assert ex.check(1) == Feedback(False, "不太对：直线的方向由 w 的方向决定，加倍不改变它。")
    assert ex.check(2).correct and ex.check(2).message.startswith("正确！z 处处加倍")
    number = mm.widgets.exercise("ch4-boundary-distance")
    assert number.check("5").message.startswith("5 太大了。 提示：直线上离原点最近的点")
    assert number.check("1,5").message == "“1,5”用了逗号；小数点请写成英文句点：1.5"
    code = mm.widgets.exercise("ch2-count-params")
    assert code.check("def count_dense_params(sizes):\n    return 0\n").message == \
        "count_dense_params([32, 64, 64, 10]) 返回了 0，应为 6922。"

    mm.widgets.set_language("en")
    ex = mm.widgets.exercise("ch4-weight-scaling")
    assert ex.check(1) == Feedback(
        False, "Not quite: the direction of w sets the line's direction, and doubling keeps it.")
    assert mm.widgets.exercise("ch4-boundary-distance").check("5").message.startswith(
        "5 is too high. Hint: the point of the line closest to the origin")


def test_an_exercise_keeps_the_language_it_was_made_in():
    ex = mm.widgets.exercise("ch4-weight-scaling")
    mm.widgets.set_language("zh")
    assert ex.check(1).message.startswith("Not quite: the direction of w")
    assert mm.widgets.exercise("ch4-weight-scaling").check(1).message.startswith("不太对：")


@pytest.mark.parametrize("exercise_id", mm.widgets.exercise_ids())
def test_every_chapter_exercise_speaks_chinese_with_the_same_key(chinese, exercise_id):
    zh = mm.widgets.exercise(exercise_id)
    mm.widgets.set_language("en")
    en = mm.widgets.exercise(exercise_id)
    mm.widgets.set_language("zh")
    han = re.compile(r"[\u4e00-\u9fff]")
    assert han.search(zh.question) or zh.question == en.question == "dL/dw<sub>2</sub> = ?"
    assert type(zh) is type(en)
    if isinstance(zh, Quiz):
        assert zh.answer == en.answer and len(zh.options) == len(en.options)
        assert all(han.search(text) for text in zh.options + zh.explanations)
        assert zh.check(zh.answer).correct and zh.check(zh.answer).message.startswith("正确！")
        wrong = (zh.answer + 1) % len(zh.options)
        assert zh.check(wrong).message.startswith("不太对：")
    elif isinstance(zh, NumericExercise):
        assert zh.answer == en.answer
        assert zh.hint is None or han.search(zh.hint)
        assert "太大了" in zh.check(str(2 * abs(zh.answer) + 1000)).message
    else:
        assert repr([c.args for c in zh.cases]) == repr([c.args for c in en.cases])
        assert zh.check("").message.startswith("请在框中编写一个名为")


def test_widgets_show_chinese_labels(chinese):
    quiz = mm.widgets.exercise("ch4-weight-scaling")
    assert quiz.widget is not None
    quiz.choices.index = 0
    assert quiz.check_button.description == "检查"
    assert quiz.submit().message.startswith("不太对：")
    number = mm.widgets.exercise("ch4-boundary-distance")
    assert number.widget is not None and number.answer_box.placeholder == "一个数，例如 0.5"
    noise = pg.modality_noise_explorer()
    assert noise.text.startswith("仅图像：") and noise.image_slider.description == "图像噪声"
    rate = pg.learning_rate_explorer(0.5)
    assert rate.text.startswith("学习率 0.5：发散") and rate.verdict == "diverges"
    assert rate.steps_slider.description == "步数"
    boundary = pg.decision_boundary_playground(epochs=0)
    assert boundary.text.startswith("训练准确率 = ")
    assert boundary.epochs_slider.description == "轮次"
    assert "直线" in pg.neuron_playground().labels["title"]


def test_the_checklist_shows_chinese_and_reads_english_keys(chinese):
    form = mm.widgets.multimodal_checklist({"pays_off": 800, "fused": 0.99, "ceiling": 0.83})
    need = form.dropdowns["need"]
    assert need.description == "答案是否需要不止一种模态？"
    assert need.options[0] == ("是，每种模态都能判定另一种无法判定的情况",
                               "yes, each modality settles cases the other cannot")
    assert form.answers()["need"] == "yes, each modality settles cases the other cannot"
    assert "<b>值得尝试多模态模型" in form.output.value or "<b>先用" in form.output.value
    text = mm.widgets.recommend_multimodal({"need": "否，一种模态就包含全部信息"})
    assert text.startswith("使用单一模态模型。\n- 一种模态就包含了所需信息")
    assert ("- 未回答：“你有多少个各模态齐全的带标签样本？”（得到 None）；"
            "按“少于 100 个”处理。") in text


def test_message_overrides_are_still_checked_against_the_english_fields(chinese):
    with pytest.raises(ValueError, match="may use only"):
        NumericExercise("q", 1.0, messages={"too_high": "{nope} 太大"})
    ex = NumericExercise("q", 1.0, messages={"too_high": "{value} 高了"})
    assert ex.check("2").message == "2 高了"
    assert parse_number("abc")[1].startswith("“abc”不是一个数")
