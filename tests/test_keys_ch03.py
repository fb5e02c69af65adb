"""Chapter 3's answer keys: each exercise exists by id, accepts the worked solution the
chapter shows and refuses the common mistakes."""

from __future__ import annotations

import math

import pytest

from mmlearn.widgets import exercise, exercise_ids

CH3 = ("ch3-relu-backward", "ch3-gradient-w2", "ch3-standardise-on-train")


def test_chapter_3_ids_are_registered():
    assert set(CH3) <= set(exercise_ids())


def test_each_call_builds_a_fresh_exercise():
    first = exercise("ch3-gradient-w2")
    first.check("1")
    assert exercise("ch3-gradient-w2").attempts == 0


RELU_RIGHT = "def relu_backward(z, grad_out):\n    return np.where(z > 0, grad_out, 0.0)\n"
RELU_MULTIPLY = "def relu_backward(z, grad_out):\n    return grad_out * (z > 0)\n"
RELU_AT_ZERO = "def relu_backward(z, grad_out):\n    return np.where(z >= 0, grad_out, 0.0)\n"
RELU_NO_GRAD = "def relu_backward(z, grad_out):\n    return (z > 0).astype(float)\n"


@pytest.mark.parametrize(("code", "correct"),
                         [(RELU_RIGHT, True), (RELU_MULTIPLY, True),
                          (RELU_AT_ZERO, False), (RELU_NO_GRAD, False)])
def test_relu_backward_key(code, correct):
    assert exercise("ch3-relu-backward").check(code).correct is correct


def test_gradient_w2_key_is_the_worked_solution():
    y_hat = 1 / (1 + math.exp(-0.1))
    quiz = exercise("ch3-gradient-w2")
    assert quiz.check(f"{(y_hat - 1) * 2}").correct
    assert quiz.check("-0.95004").correct
    assert quiz.check("(1/(1+exp(-0.1)) - 1) * 2").correct
    assert not quiz.check("-0.47502").correct           # dL/dz, not dL/dw2
    assert not quiz.check("0.95004").correct            # the sign matters


def test_standardise_quiz_key():
    quiz = exercise("ch3-standardise-on-train")
    assert quiz.check(1).correct
    assert not any(quiz.check(i).correct for i in (0, 2, 3))
