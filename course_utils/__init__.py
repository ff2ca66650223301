"""Where does a CNN look? The library behind the class-activation-map course."""

# The language the library speaks (English, or Korean: set_language("ko"), or COURSE_LANGUAGE=ko
# in the environment, read here, when course_utils is first imported).
from course_utils.language import get_language, set_language  # noqa: F401
