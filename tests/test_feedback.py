"""How a self-check's verdict reads in a notebook."""

from course_utils.exercises import Feedback, right, wrong


def test_feedback_reads_as_a_sentence_with_a_mark_that_plain_fonts_draw():
    assert str(right("42 it is.")) == "Correct. 42 it is."
    assert str(wrong("expected 42.")) == "Not yet. expected 42."
    assert right("42 it is.")._repr_markdown_() == "✔ Correct. 42 it is."
    assert wrong("expected 42.")._repr_markdown_() == "✘ Not yet. expected 42."
    assert bool(Feedback(True, "")) and not bool(Feedback(False, ""))
