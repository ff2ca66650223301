"""Moved: notebook 06's exercise checks are now :mod:`course_checks.one_by_one_conv`.

This module stays for one release so that notebooks saved with
``from course_utils.exercises import one_by_one_conv as checks`` keep working; new code
imports ``from course_checks import one_by_one_conv as checks``.
"""

import sys

from course_checks import one_by_one_conv

# Importing this module hands out course_checks.one_by_one_conv itself: the same functions, the same caches.
sys.modules[__name__] = one_by_one_conv
