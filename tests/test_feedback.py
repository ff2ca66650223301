"""How a self-check's verdict reads in a notebook."""

import pytest

from course_checks import Feedback, right, wrong


def test_feedback_reads_as_a_sentence_with_a_mark_that_plain_fonts_draw():
    assert str(right("42 it is.")) == "Correct. 42 it is."
    assert str(wrong("expected 42.")) == "Not yet. expected 42."
    assert right("42 it is.")._repr_markdown_() == "✔ Correct. 42 it is."
    assert wrong("expected 42.")._repr_markdown_() == "✘ Not yet. expected 42."
    assert bool(Feedback(True, "")) and not bool(Feedback(False, ""))


def test_the_old_import_path_is_a_shim_that_gives_the_same_objects():
    import importlib

    import course_checks
    import course_utils.exercises as old

    for name in ("Feedback", "right", "wrong", "as_number"):
        assert getattr(old, name) is getattr(course_checks, name), name
    for module in ("xai_intro", "gap_cam", "grad_cam", "weak_supervision", "acol", "one_by_one_conv"):
        new = importlib.import_module(f"course_checks.{module}")
        assert importlib.import_module(f"course_utils.exercises.{module}") is new, module
        # The notebooks' own spelling: `from course_utils.exercises import xai_intro as checks`.
        exec(f"from course_utils.exercises import {module} as checks", namespace := {})
        assert namespace["checks"] is new, module
    from course_utils.exercises.gap_cam import check_pooling

    assert check_pooling is course_checks.gap_cam.check_pooling


def test_must_pass_shows_each_verdict_and_raises_on_a_failing_one(capsys):
    from course_checks import must_pass, right, wrong

    must_pass(right("fine"), right("also fine"))
    assert capsys.readouterr().out.count("Correct.") == 2
    with pytest.raises(AssertionError, match="does not pass its check: Not yet. expected 3"):
        must_pass(right("fine"), wrong("expected 3"))
    with pytest.raises(TypeError, match="Feedback that a check returns, not bool"):
        must_pass(True)
