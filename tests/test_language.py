"""The Korean edition's messages: all translated, catalogs in step, Hangul drawn, English untouched."""

from __future__ import annotations

import io
import os
import re
import shlex
import string
import subprocess
import sys
import warnings

import matplotlib
import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from matplotlib import font_manager, ft2font
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from course_utils import language
from course_utils.course import ROOT
from course_utils.language import LANGUAGES, get_language, set_language, tr
from course_utils.scenes import CLASS_NAMES

LOCALE = ROOT / "course_utils" / "locale"
TEMPLATE = LOCALE / "course_utils.pot"
KOREAN_PO = LOCALE / "ko" / "LC_MESSAGES" / "course_utils.po"
KOREAN_MO = KOREAN_PO.with_suffix(".mo")
SAME_IN_KOREAN = "same in Korean"
"""A translator's comment (``# same in Korean``): the Korean is rightly the English (``IoU``)."""


@pytest.fixture(autouse=True)
def english_afterwards():
    yield
    set_language("en")


def _extract_arguments() -> list[str]:
    """``pybabel extract``'s options, from the Makefile's ``BABEL_EXTRACT`` (one place says them)."""
    makefile = (ROOT / "Makefile").read_text()
    line = re.search(r"^BABEL_EXTRACT := (.*)$", makefile, re.MULTILINE)
    assert line, "the Makefile defines BABEL_EXTRACT, the options of make translations' extraction"
    return shlex.split(line.group(1))


@pytest.fixture(scope="module")
def fresh_template(tmp_path_factory):
    """The messages of the code as it is now: `make translations`' extraction, into a temporary file."""
    output = tmp_path_factory.mktemp("extract") / "course_utils.pot"
    command = [sys.executable, "-m", "babel.messages.frontend", "extract", *_extract_arguments(),
               "-o", str(output), "."]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True, timeout=300)
    with output.open("rb") as file:
        return read_po(file)


@pytest.fixture(scope="module")
def korean():
    with KOREAN_PO.open("rb") as file:
        return read_po(file, locale="ko")


def _ids(catalog) -> set[str]:
    return {message.id for message in catalog if message.id}


def _placeholders(text: str) -> list[tuple[str, str]]:
    """``{name:spec}`` fields of a ``str.format`` message, as sorted ``(name, spec)`` pairs."""
    fields = string.Formatter().parse(text)
    return sorted((name, spec) for _, name, spec, _ in fields if name is not None)


def _same_in_korean(entry) -> bool:
    return SAME_IN_KOREAN in entry.user_comments


def _has_words(text: str) -> bool:
    """Whether ``text`` has an English word (two letters or more) outside its placeholders."""
    literal = "".join(part for part, *_ in string.Formatter().parse(text))
    return re.search(r"[A-Za-z]{2,}", literal) is not None


# --- the catalogs -------------------------------------------------------------------------------


def test_the_extraction_finds_the_messages_of_the_library_and_the_checks(fresh_template):
    found = _ids(fresh_template)
    assert len(found) > 300
    for message in ("Correct.", "Not yet.", "box accuracy", "{kind} in {function}: {message}"):
        assert message in found, message


def test_the_template_and_the_korean_catalog_are_up_to_date_with_the_code(fresh_template, korean):
    with TEMPLATE.open("rb") as file:
        committed = _ids(read_po(file))
    fresh = _ids(fresh_template)
    new, gone, missing = fresh - committed, committed - fresh, fresh - _ids(korean)
    assert not new, f"new messages not in the template; run `make translations`: {sorted(new)}"
    assert not gone, f"the template has messages the code no longer has: {sorted(gone)}"
    assert not missing, f"messages missing from {KOREAN_PO.name}; run `make translations`: {sorted(missing)}"


def test_every_message_has_a_korean_translation_with_the_same_placeholders(fresh_template, korean):
    problems = []
    for message in fresh_template:
        if not message.id:
            continue
        entry = korean.get(message.id)
        if entry is None or not entry.string:
            problems.append(f"untranslated: {message.id!r}")
        elif entry.fuzzy:
            problems.append(f"fuzzy (check the translation, then remove the flag): {message.id!r}")
        elif entry.string == message.id and _has_words(message.id) and not _same_in_korean(entry):
            problems.append(f"a copy of the English (if right, add '# {SAME_IN_KOREAN}'): {message.id!r}")
        elif _placeholders(entry.string) != _placeholders(message.id):
            problems.append(f"placeholders differ: {message.id!r} -> {entry.string!r}")
    assert not problems, "\n".join(problems)


def test_no_message_is_built_inside_tr():
    """``tr(f"...")``, ``tr("a" + b)`` or ``tr("...".format())`` escape the extraction (or never match).

    ``tr`` takes a literal message, or a variable holding one that ``tr_noop`` marked where it was
    defined (a class name, a title passed in); ``tr_noop`` takes a literal only.
    """
    import ast

    calls, bad = 0, []
    for folder in ("course_utils", "course_checks"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                name = getattr(node.func, "id", None) if isinstance(node, ast.Call) else None
                if name not in ("tr", "tr_noop"):
                    continue
                calls += 1
                (argument,) = node.args
                literal = isinstance(argument, ast.Constant) and isinstance(argument.value, str)
                variable = isinstance(argument, (ast.Name, ast.Attribute, ast.Subscript))
                if not (literal or (name == "tr" and variable)):
                    bad.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)[:80]}")
    assert calls > 300
    assert not bad, "\n".join(bad)


def test_the_korean_translations_are_korean(korean):
    hangul = re.compile("[\uac00-\ud7a3]")
    without = [m.id for m in korean if m.id and m.string and _has_words(m.id)
               and not hangul.search(m.string) and not _same_in_korean(m)]
    assert not without, f"translations with no Hangul: {without}"


def test_the_committed_mo_is_the_compiled_po(korean):
    compiled = io.BytesIO()
    write_mo(compiled, korean)
    stale = f"{KOREAN_MO.name} is stale: run `make translations`"
    assert KOREAN_MO.read_bytes() == compiled.getvalue(), stale


def test_the_checks_can_fail(korean):
    """The helpers of the checks above tell good from bad, and a changed translation changes the .mo."""
    assert _placeholders("{a} and {b:.2f}") != _placeholders("{a} 그리고 {b}")
    assert _has_words("IoU {iou:.2f}") and not _has_words("p({name}) = {p:.2f}")
    broken = io.BytesIO()
    entry = next(m for m in korean if m.id == "box accuracy")
    saved = entry.string
    try:
        entry.string = "box accuracy"
        write_mo(broken, korean)
    finally:
        entry.string = saved
    assert broken.getvalue() != KOREAN_MO.read_bytes()


# --- choosing the language -------------------------------------------------------------------


def test_english_is_the_message_itself_and_korean_comes_from_the_catalog():
    assert get_language() == "en"
    assert tr("box accuracy") == "box accuracy"
    assert tr("a message the catalog does not have") == "a message the catalog does not have"
    set_language("ko")
    assert get_language() == "ko"
    assert tr("box accuracy") == "박스 정확도"
    assert tr("a message the catalog does not have") == "a message the catalog does not have"
    assert tr("") == ""  # gettext's empty id is the catalog's header
    set_language("en")
    assert tr("box accuracy") == "box accuracy"


def test_feedback_and_errors_speak_the_language_chosen():
    from course_checks import wrong
    from course_checks.trust import check_forward_passes
    from course_utils.errors import CourseValueError

    english = str(check_forward_passes(None))
    assert english.startswith("Not yet. Set `passes`")
    set_language("ko")
    korean = check_forward_passes(None)
    assert str(korean).startswith("아직 아닙니다. `passes`를")
    assert korean._repr_markdown_().startswith("✘ 아직 아닙니다.")
    assert str(wrong("x")) == "아직 아닙니다. x"
    try:
        raise CourseValueError("...")
    except CourseValueError as error:
        assert error.one_line().endswith(": ...")


def test_class_names_are_data_keys_in_code_and_korean_words_in_figures():
    from course_utils.plots import class_label

    set_language("ko")
    shown = [class_label(name) for name in CLASS_NAMES]
    assert shown == ["빨강", "초록", "파랑", "노랑"]
    assert CLASS_NAMES == ("red", "green", "blue", "yellow")


def test_an_unknown_language_is_refused_with_the_choices():
    with pytest.raises(ValueError, match=r"unknown language 'xx': choose one of 'en', 'ko'"):
        set_language("xx")
    assert LANGUAGES == ("en", "ko") and get_language() == "en"


@pytest.mark.parametrize("value, expected", [("ko", "ko"), ("en", "en"), ("", "en")])
def test_the_environment_variable_chooses_the_language_at_import(value, expected):
    env = {**os.environ, language.ENVIRONMENT_VARIABLE: value}
    code = "from course_utils.language import *; print(get_language(), tr('box accuracy'))"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[0] == expected
    assert (out.stdout.split(maxsplit=1)[1].strip() == "박스 정확도") == (expected == "ko")


def test_a_wrong_environment_variable_says_which_variable_and_what_to_set():
    env = {**os.environ, language.ENVIRONMENT_VARIABLE: "kr"}
    out = subprocess.run([sys.executable, "-c", "import course_utils.language"], env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode != 0
    assert "COURSE_LANGUAGE='kr' is not a course language: set it to one of en, ko" in out.stderr


# --- Hangul in figures -------------------------------------------------------------------------


def _font_files(families: list[str]) -> list[str]:
    """The font file of each named family, as matplotlib finds it (no silent fallback to DejaVu Sans)."""
    find = font_manager.findfont
    return [find(font_manager.FontProperties(family=name), fallback_to_default=False) for name in families]


def _missing_glyphs(text: str, families: list[str]) -> list[str]:
    """The characters of ``text`` that no font of ``families`` has (matplotlib uses the first that has it)."""
    fonts = [ft2font.FT2Font(path) for path in _font_files(families)]
    drawn = [c for c in text if not c.isspace()]
    return [c for c in drawn if all(font.get_char_index(ord(c)) == 0 for font in fonts)]


def _draw_title(title: str) -> list[str]:
    """Draw a figure titled ``title`` with the current settings: matplotlib's missing-glyph warnings."""
    figure = Figure()
    FigureCanvasAgg(figure)  # a real renderer: a bare Figure's canvas draws nothing, and never warns
    ax = figure.subplots()
    ax.set_title(title)
    ax.plot([-1, 1], [-2, 2])  # negative tick labels: the minus sign must be drawn too
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figure.canvas.draw()
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


KOREAN_TITLE = "클래스 활성화 맵(CAM): 지우기 임계값 δ = 0.50, 정답 박스 −1"


def test_a_korean_title_is_drawn_with_every_glyph():
    set_language("ko")
    families = list(matplotlib.rcParams["font.family"])
    assert families[0] == language.KOREAN_FONT
    assert "NanumGothic" in _font_files(families)[0]
    assert _missing_glyphs(KOREAN_TITLE, families) == []
    shown = tr("box accuracy") + tr("threshold t = {threshold:.2f}: mean IoU {iou:.2f}")
    assert _missing_glyphs(shown, families) == []
    assert _draw_title(KOREAN_TITLE) == []
    assert matplotlib.rcParams["axes.unicode_minus"], "the minus sign stays a real minus (U+2212)"


def test_the_default_font_lacks_hangul_so_the_check_can_fail():
    """The control: with DejaVu Sans alone the title has missing glyphs, and matplotlib says so."""
    missing = _missing_glyphs(KOREAN_TITLE, ["DejaVu Sans"])
    assert "클" in missing and "−" not in missing
    with matplotlib.rc_context({"font.family": ["DejaVu Sans"]}):
        assert any("missing from font(s) DejaVu Sans" in w for w in _draw_title(KOREAN_TITLE))


def test_nanum_gothic_alone_lacks_the_minus_sign_so_dejavu_sans_stands_behind_it():
    set_language("ko")  # registers NanumGothic with matplotlib
    assert _missing_glyphs("−", [language.KOREAN_FONT]) == ["−"]
    assert _missing_glyphs("−", list(matplotlib.rcParams["font.family"])) == []


def test_english_gets_its_font_settings_back():
    before = {key: matplotlib.rcParams[key] for key in language.FONT_SETTINGS}
    set_language("ko")
    assert matplotlib.rcParams["font.family"] != before["font.family"]
    set_language("ko")  # twice: what is given back is still the English settings
    set_language("en")
    assert {key: matplotlib.rcParams[key] for key in language.FONT_SETTINGS} == before
