"""Assertions shared by the exercise-check tests: a check must pass, or fail naming what was expected."""

from course_checks import Feedback


def assert_passes(feedback):
    assert isinstance(feedback, Feedback)
    assert feedback.passed, str(feedback)
    assert str(feedback).startswith("Correct.")


def assert_fails(feedback, *expected_words):
    assert isinstance(feedback, Feedback)
    assert not feedback.passed, str(feedback)
    assert str(feedback).startswith("Not yet.")
    for word in expected_words:
        assert word in feedback.message, f"{word!r} not in {feedback.message!r}"
