"""Mistakes in calling the course's tools, reported in one line.

Every function of ``course_utils`` checks its inputs first (shapes, layers,
class indices, thresholds) and raises one of the errors below with a message
that says what it expected and what it got. They are ordinary
``ValueError`` / ``TypeError`` / ``KeyError`` subclasses, so ``except
ValueError`` and ``pytest.raises(ValueError)`` catch them as usual.

In a notebook, IPython asks an exception for ``_render_traceback_()``
before it formats a traceback. These errors answer with one line, the
function the learner called and the message::

    ValueError in grad_cam: class index 7 is out of range for a model with 4 classes (expected 0..3)

instead of a screen of frames from inside the library. The frames are what
a developer needs, not a learner: set ``course_utils.errors.SHORT_TRACEBACKS
= False`` to get IPython's full traceback back.
"""

from __future__ import annotations

from pathlib import Path

from course_utils.language import tr

SHORT_TRACEBACKS = True
"""Show course errors in a notebook as one line (True) or with IPython's full traceback (False)."""

_PACKAGE = Path(__file__).resolve().parent


class CourseError(Exception):
    """Base of the errors raised when a course tool is called with inputs it cannot use."""

    @property
    def _render_traceback_(self):
        # IPython calls ``value._render_traceback_()`` when the attribute exists; raising
        # AttributeError here makes ``hasattr`` false, and IPython formats its usual traceback.
        if not SHORT_TRACEBACKS:
            raise AttributeError("_render_traceback_")
        return lambda: [self.one_line()]

    def one_line(self) -> str:
        """``"<ValueError|TypeError|KeyError> in <function called>: <message>"``.

        The message is in the language it was raised in; the frame is in the
        language of now (:func:`course_utils.language.tr`).
        """
        kind = next(base.__name__ for base in type(self).__mro__ if base.__module__ == "builtins")
        called = entry_point(self)
        if not called:
            return f"{kind}: {self.message()}"
        line = tr("{kind} in {function}: {message}")
        return line.format(kind=kind, function=called, message=self.message())

    def message(self) -> str:
        return str(self)


class CourseValueError(CourseError, ValueError):
    """An input of the right type with a wrong value: a shape, a range, a layer not in the model."""


class CourseTypeError(CourseError, TypeError):
    """An input of the wrong type: a numpy array where a tensor is needed, a float class index."""


class CourseKeyError(CourseError, KeyError):
    """A name that is not there: a model or a file that the course does not ship."""

    def message(self) -> str:
        # KeyError's str() quotes its argument; the message is a sentence, so show it as one.
        return str(self.args[0]) if self.args else ""

    def __str__(self) -> str:
        return self.message()


def entry_point(error: BaseException) -> str | None:
    """The first course_utils function in the error's traceback: the one the learner's code called.

    A method reads ``Class.method``, a constructor just ``Class``.
    """
    tb = error.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if _inside_package(code.co_filename):
            name = getattr(code, "co_qualname", code.co_name)  # co_qualname: Python 3.11+
            return name.removesuffix(".__init__")
        tb = tb.tb_next
    return None


def _inside_package(filename: str) -> bool:
    try:
        return Path(filename).resolve().is_relative_to(_PACKAGE)
    except (OSError, ValueError):
        return False
