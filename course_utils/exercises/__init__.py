"""Moved: the exercise checks are now the top-level package :mod:`course_checks`.

They hold the answers, so they no longer sit inside the library learners
read. This package stays for one release as a thin shim, so that notebooks
saved with ``from course_utils.exercises import xai_intro as checks`` keep
working: each module here hands out its ``course_checks`` namesake. New code
imports ``from course_checks import xai_intro as checks``.
"""

from course_checks import Feedback, as_number, right, wrong

__all__ = ["Feedback", "as_number", "right", "wrong"]
