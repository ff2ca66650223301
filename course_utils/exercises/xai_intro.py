"""Moved: notebook 01's exercise checks are now :mod:`course_checks.xai_intro`.

This module stays for one release so that notebooks saved with
``from course_utils.exercises import xai_intro as checks`` keep working; new code
imports ``from course_checks import xai_intro as checks``.
"""

import sys

from course_checks import xai_intro

# Importing this module hands out course_checks.xai_intro itself: the same functions, the same caches.
sys.modules[__name__] = xai_intro
