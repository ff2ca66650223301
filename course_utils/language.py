"""The language the course speaks to the learner: English (the default) or Korean.

Everything a learner reads from the library (figure titles, axis labels,
legends, widget labels, exercise feedback, one-line errors, progress bars)
goes through :func:`tr`, which looks the English text up in a gettext
catalog. English is the message itself, so the code reads as English and an
English notebook prints exactly what it always printed.

Choosing Korean, either way::

    from course_utils.language import set_language
    set_language("ko")               # the first code cell of every notebooks/ko/ notebook

    COURSE_LANGUAGE=ko jupyter lab   # or the environment variable, read at import

``set_language("ko")`` also gives matplotlib a font that has Hangul
(NanumGothic, shipped by the ``koreanize-matplotlib`` package; matplotlib's
default DejaVu Sans has none and draws empty boxes), and ``set_language("en")``
gives matplotlib its previous font settings back.

Writing a message::

    tr("class index {index} is out of range").format(index=index)

- ``tr``, not ``_``: IPython binds ``_`` to the last output.
- Named placeholders and ``.format`` *after* ``tr``, never an f-string inside it:
  the extraction tool cannot read an f-string, and a translator may need to
  move the placeholders (Korean puts the verb last).
- A constant that is shown later is marked with :func:`tr_noop` where it is
  defined (so that the extraction finds it) and passed through ``tr`` where it
  is shown. Data keys (a class name a learner types, a dictionary key) are never
  translated.

The catalogs: ``course_utils/locale/course_utils.pot`` (the template, every
message of the code), ``course_utils/locale/ko/LC_MESSAGES/course_utils.po``
(the Korean text) and its compiled ``.mo`` (what :mod:`gettext` reads). After
changing a message, ``make translations`` extracts, updates and compiles them;
``tests/test_language.py`` fails while a message has no Korean translation.
"""

from __future__ import annotations

import gettext
import importlib.util
import os
from pathlib import Path

LANGUAGES = ("en", "ko")
"""The languages the course speaks: English, the source text, and Korean."""

DOMAIN = "course_utils"
"""The gettext domain: the catalogs are ``LOCALE_DIR/<language>/LC_MESSAGES/course_utils.mo``."""

LOCALE_DIR = Path(__file__).resolve().parent / "locale"

ENVIRONMENT_VARIABLE = "COURSE_LANGUAGE"
"""Set it to ``ko`` (before Python starts) to get Korean without calling :func:`set_language`."""

KOREAN_FONT = "NanumGothic"
"""The Hangul font, from the ``koreanize-matplotlib`` package."""

FALLBACK_FONT = "DejaVu Sans"
"""Where matplotlib finds the glyphs NanumGothic lacks, the minus sign U+2212 among them."""

FONT_SETTINGS = ("font.family", "axes.unicode_minus")
"""The matplotlib settings :func:`set_language` changes, and gives back."""

_language = "en"
_catalog: gettext.NullTranslations = gettext.NullTranslations()
_english_font_settings: dict[str, object] | None = None


def tr(message: str) -> str:
    """``message`` in the course's language: the Korean catalog's text, or ``message`` in English.

    A message that the catalog lacks stays English (``tests/test_language.py``
    makes sure none does).
    """
    if not message:  # gettext's empty message id is the catalog's header, not a translation
        return message
    return _catalog.gettext(message)


def tr_noop(message: str) -> str:
    """Mark ``message`` for extraction; unchanged: ``tr`` translates it where it is shown."""
    return message


def get_language() -> str:
    """The language in use: ``"en"`` or ``"ko"``."""
    return _language


def set_language(code: str) -> None:
    """Speak ``code`` from now on: ``"en"`` (English) or ``"ko"`` (Korean; Hangul in figures).

    Figures drawn, feedback given and errors raised *after* the call use the
    new language; what is already on screen stays as it was.
    """
    global _language, _catalog
    if code not in LANGUAGES:
        choices = ", ".join(map(repr, LANGUAGES))
        raise ValueError(f"unknown language {code!r}: choose one of {choices}")
    if code == "en":
        _catalog = gettext.NullTranslations()
        _restore_english_fonts()
    else:
        catalog_file = LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.mo"
        if not catalog_file.exists():
            raise FileNotFoundError(
                f"no compiled catalog for {code!r} at {catalog_file}: run `make translations`"
            )
        _catalog = gettext.translation(DOMAIN, LOCALE_DIR, languages=[code])
        _use_korean_fonts()
    _language = code


# --- fonts ------------------------------------------------------------------------------------


def korean_font_files() -> list[Path]:
    """The NanumGothic ``.ttf`` files that ``koreanize-matplotlib`` ships.

    They are found without importing the package: its import switches
    matplotlib's font globally (and uses ``distutils``, gone from Python 3.12).
    """
    spec = importlib.util.find_spec("koreanize_matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            "Korean figures need the koreanize-matplotlib package (it ships NanumGothic): "
            "pip install koreanize-matplotlib"
        )
    folder = Path(next(iter(spec.submodule_search_locations))) / "fonts"
    files = sorted(folder.glob(f"{KOREAN_FONT}*.ttf"))
    if not files:
        raise FileNotFoundError(f"koreanize-matplotlib has no {KOREAN_FONT} font in {folder}")
    return files


def _use_korean_fonts() -> None:
    """NanumGothic, then DejaVu Sans: matplotlib (3.6+) takes a glyph from the first that has it.

    A list of named families is what turns the fallback on (a generic family
    such as ``"sans-serif"`` picks one font). So the minus sign stays a real
    minus (``axes.unicode_minus`` on): NanumGothic has no U+2212, DejaVu Sans does.
    """
    global _english_font_settings
    import matplotlib  # here, not at the top: errors.py imports this module without matplotlib
    from matplotlib import font_manager

    known = {font.name for font in font_manager.fontManager.ttflist}
    if KOREAN_FONT not in known:
        for path in korean_font_files():
            font_manager.fontManager.addfont(str(path))
    if _english_font_settings is None:
        _english_font_settings = {key: matplotlib.rcParams[key] for key in FONT_SETTINGS}
    matplotlib.rcParams["font.family"] = [KOREAN_FONT, FALLBACK_FONT]
    matplotlib.rcParams["axes.unicode_minus"] = True


def _restore_english_fonts() -> None:
    global _english_font_settings
    if _english_font_settings is not None:
        import matplotlib

        matplotlib.rcParams.update(_english_font_settings)
        _english_font_settings = None


def _language_from_environment() -> None:
    code = os.environ.get(ENVIRONMENT_VARIABLE, "").strip()
    if not code:
        return
    try:
        set_language(code)
    except ValueError:
        raise ValueError(
            f"{ENVIRONMENT_VARIABLE}={code!r} is not a course language: set it to one of "
            f"{', '.join(LANGUAGES)}, or unset it for English"
        ) from None


_language_from_environment()
