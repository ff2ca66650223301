"""The self-checks of notebook 06: right answers pass, wrong ones fail and say what was expected."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from course_utils.checkpoints import load_model
from course_checks import Feedback
from course_checks import one_by_one_conv as E
from feedback_checks import assert_fails, assert_passes  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_thread")


# --- exercise 1: parameters of a 1x1-conv head ----------------------------------------------


def test_head_parameters_match_pytorch():
    conv = nn.Conv2d(512, 1000, kernel_size=1, bias=False)
    conv_bias = nn.Conv2d(512, 1000, kernel_size=1)
    counts = [sum(p.numel() for p in m.parameters()) for m in (conv, conv_bias)]
    assert_passes(E.check_head_parameters(*counts))
    assert_passes(E.check_head_parameters(torch.tensor(counts[0]), float(counts[1])))


def test_head_parameters_other_sizes():
    assert_passes(E.check_head_parameters(256, 260, in_channels=64, num_classes=4))
    assert_fails(E.check_head_parameters(512_000, 513_000, in_channels=64, num_classes=4), "256", "260")


@pytest.mark.parametrize(
    ("without_bias", "with_bias", "words"),
    [
        (9 * 512_000, 9 * 512_000 + 1000, ["3x3", "512,000"]),
        (512_000 * 169, 512_000 * 169 + 1000, ["per position", "512,000"]),
        (512_000, 512_512, ["per input channel", "per *output* channel", "513,000"]),
        (512_000, 512_000, ["one bias per class", "513,000"]),
        (500_000, 513_000, ["512 x 1000 = 512,000", "you said 500,000"]),
        (None, 513_000, ["Set `without_bias`"]),
        ("512000", 513_000, ["should be numbers"]),
    ],
)
def test_head_parameters_wrong_answers_name_the_expected_count(without_bias, with_bias, words):
    assert_fails(E.check_head_parameters(without_bias, with_bias), *words)


# --- exercise 2: linear weights as a 1x1 convolution ------------------------------------------


@pytest.fixture(scope="module")
def linear_weight():
    return load_model("gap_cnn").fc.weight.detach()


def test_conv_weight_right_answers(linear_weight):
    assert_passes(E.check_conv_weight(linear_weight[:, :, None, None]))
    assert_passes(E.check_conv_weight(linear_weight.reshape(4, 64, 1, 1).clone()))
    feedback = E.check_conv_weight(linear_weight.unsqueeze(-1).unsqueeze(-1))
    assert_passes(feedback)
    assert "logits" in feedback.message


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda w: w, ["linear layer's shape [4, 64]", "[4, 64, 1, 1]"]),
        (lambda w: w.t()[:, :, None, None], ["swapped", "[4, 64, 1, 1]"]),
        (lambda w: w.t(), ["swapped"]),
        (lambda w: w[None, None], ["Expected shape [4, 64, 1, 1]"]),
        (lambda w: w.t().reshape(4, 64, 1, 1), ["scrambled"]),
        (lambda w: 2 * w[:, :, None, None], ["values differ", "gap_model.fc.weight[c, k]"]),
    ],
)
def test_conv_weight_wrong_answers_say_what_was_expected(linear_weight, make, words):
    assert_fails(E.check_conv_weight(make(linear_weight)), *words)


@pytest.mark.parametrize(("answer", "words"), [(None, ["Set `conv_weight`"]), ([[1.0]], ["torch tensor"])])
def test_conv_weight_malformed_answers(answer, words):
    assert_fails(E.check_conv_weight(answer), *words)


# --- exercise 3: the toy's class map ---------------------------------------------------------


def _toy_by_conv():
    """The toy computed independently of the module's einsum: an actual 1x1 convolution."""
    maps = torch.nn.functional.conv2d(E.TOY_FEATURES[None], E.TOY_WEIGHTS[:, :, None, None])[0]
    return maps[1, 2, 0].item(), maps[1].mean().item()


def test_toy_right_answer():
    value, score = _toy_by_conv()
    assert (value, round(score, 4)) == (3.0, 1.7778)
    assert_passes(E.check_toy_class_map(value, score))
    assert_passes(E.check_toy_class_map(3, 16 / 9))
    assert_passes(E.check_toy_class_map(torch.tensor(3.0), round(16 / 9, 3)))


@pytest.mark.parametrize(
    ("value", "score", "words"),
    [
        (0.0, 16 / 9, ["rows come first", "= 3"]),  # row 0, column 2
        (1.0, 16 / 9, ["class 0's weights", "= 3"]),
        (5.0, 16 / 9, ["(0.5)(2) + (2)(1) + (-1)(0) = 3", "you said 5"]),
        (3.0, 16.0, ["sum of M_1", "/ 9", "1.7778"]),
        (3.0, 2.0, ["class 0's score", "1.7778"]),
        (3.0, 1.0, ["1.7778", "channel means"]),
        (None, 1.0, ["Set `map_value`"]),
        ("3", 1.0, ["should be numbers"]),
    ],
)
def test_toy_wrong_answers_say_what_was_expected(value, score, words):
    assert_fails(E.check_toy_class_map(value, score), *words)


# --- exercise 4: which heads are GAP then linear? ------------------------------------------------


def _head_outputs(features, weight, bias):
    """Each candidate head of E.HEADS on the same features, and GAP then linear."""
    conv = torch.nn.functional.conv2d
    w = weight[:, :, None, None]
    return {
        "a": conv(features, w).mean((-2, -1)),
        "b": conv(features, w, bias).mean((-2, -1)),
        "c": torch.relu(conv(features, w)).mean((-2, -1)),
        "d": conv(features, w).amax((-2, -1)),
        "e": conv(features.mean((-2, -1), keepdim=True), w, bias).flatten(1),
    }, {
        "no bias": features.mean((-2, -1)) @ weight.t(),
        "bias": features.mean((-2, -1)) @ weight.t() + bias,
    }


def test_the_equivalent_heads_are_the_ones_that_agree_numerically():
    gen = torch.Generator().manual_seed(0)
    features, weight, bias = torch.randn(3, 5, 4, 4, generator=gen), torch.randn(2, 5, generator=gen), torch.randn(2, generator=gen)
    heads, reference = _head_outputs(features, weight, bias)
    with_bias = {"b", "e"}
    agree = {x for x, out in heads.items()
             if torch.allclose(out, reference["bias" if x in with_bias else "no bias"], atol=1e-5)}
    assert agree == set(E.EQUIVALENT)


@pytest.mark.parametrize("answer", ["abe", "a, b, e", "E B A", ["a", "b", "e"], {"a", "b", "e"}, ("e", "a", "b")])
def test_equivalent_heads_right_answers(answer):
    assert_passes(E.check_equivalent_heads(answer))


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        ("a", ["(b) is the same function", "(e) is the same function", "Expected: a, b, e"]),
        ("abc", ["(c) is not the same function", "mean(ReLU(M))"]),
        ("abde", ["(d) is not the same function", "not linear"]),
        ("", ["Expected: a, b, e"]),
        (None, ["Set `answer`"]),
        ("xyz", ["letters among"]),
        (3, ["letters among"]),
    ],
)
def test_equivalent_heads_wrong_answers_say_what_was_expected(answer, words):
    assert_fails(E.check_equivalent_heads(answer), *words)
