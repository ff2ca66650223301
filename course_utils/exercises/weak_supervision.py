"""Moved: notebook 04's exercise checks are now :mod:`course_checks.weak_supervision`.

This module stays for one release so that notebooks saved with
``from course_utils.exercises import weak_supervision as checks`` keep working; new code
imports ``from course_checks import weak_supervision as checks``.
"""

import sys

from course_checks import weak_supervision

# Importing this module hands out course_checks.weak_supervision itself: the same functions, the same caches.
sys.modules[__name__] = weak_supervision
