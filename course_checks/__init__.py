"""The answers to the notebooks' exercises, and the self-checks that compare a learner's answer with them.

**This package holds the answers.** Each module (one per notebook: ``xai_intro``,
``gap_cam``, ``grad_cam``, ``weak_supervision``, ``acol``, ``one_by_one_conv``)
recomputes the right answer to every exercise of its notebook and prints it in
readable form when an answer is wrong. A learner who wants to work an exercise
out first should not read it before trying. It lives outside ``course_utils``
(the library the notebooks teach with) so that opening that package does not
show the answers first.

A check never just says True or False: it says what is right, or what is
wrong and what was expected, so a learner can fix the answer. Each check
returns a :class:`Feedback`, which a notebook cell displays as its message.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

from torch import Tensor

from course_utils.language import tr


@dataclass(frozen=True)
class Feedback:
    """The verdict of one check: ``passed`` and a message for the learner."""

    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        # The verdict is translated when shown; the message was translated when the check ran.
        return (tr("Correct.") if self.passed else tr("Not yet.")) + " " + self.message

    def _repr_markdown_(self) -> str:
        # Dingbats that ordinary text fonts carry (DejaVu, Liberation's fallbacks, macOS, Windows);
        # the emoji versions need a colour-emoji font, and a browser without one draws an empty box.
        mark = "✔" if self.passed else "✘"
        return f"{mark} {self}"

    def __repr__(self) -> str:
        return str(self)


def right(message: str) -> Feedback:
    return Feedback(True, message)


def wrong(message: str) -> Feedback:
    return Feedback(False, message)


def as_number(value: object) -> float | None:
    """A plain float from a number (numpy scalars too) or a one-element tensor; None if it is neither."""
    if isinstance(value, Tensor) and value.numel() == 1:
        return float(value.item())
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    return None


def must_pass(*feedbacks: Feedback) -> None:
    """Show each check's verdict, and stop with an error if one of them did not pass.

    Used by the worked solutions (``notebooks/solutions/``), which the tests run: a solution that no
    longer passes its own exercise's check is a bug, and nbval must see it as an error, not as a
    quiet ✘ in an output nobody compares.
    """
    from IPython.display import display

    for feedback in feedbacks:
        if not isinstance(feedback, Feedback):
            raise TypeError(f"must_pass takes the Feedback that a check returns, not {type(feedback).__name__}")
        display(feedback)
    failed = [str(feedback) for feedback in feedbacks if not feedback.passed]
    if failed:
        raise AssertionError("a worked solution does not pass its check: " + " | ".join(failed))
