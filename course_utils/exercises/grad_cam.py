"""Moved: notebook 03's exercise checks are now :mod:`course_checks.grad_cam`.

This module stays for one release so that notebooks saved with
``from course_utils.exercises import grad_cam as checks`` keep working; new code
imports ``from course_checks import grad_cam as checks``.
"""

import sys

from course_checks import grad_cam

# Importing this module hands out course_checks.grad_cam itself: the same functions, the same caches.
sys.modules[__name__] = grad_cam
