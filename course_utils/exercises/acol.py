"""Moved: notebook 05's exercise checks are now :mod:`course_checks.acol`.

This module stays for one release so that notebooks saved with
``from course_utils.exercises import acol as checks`` keep working; new code
imports ``from course_checks import acol as checks``.
"""

import sys

from course_checks import acol

# Importing this module hands out course_checks.acol itself: the same functions, the same caches.
sys.modules[__name__] = acol
