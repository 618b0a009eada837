"""The web chat's page and static files: translated, escaped, strict-CSP clean, AA contrast.

What a browser does with them (sending, polling, push) is for the Chromium tests; these check
what can be read from the files themselves.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from html.parser import HTMLParser
from importlib.resources import files
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.delivery.notices import help_now_label
from bot.i18n import LANGUAGES, Translator
from bot.web.page import render

STATIC = Path(str(files("bot.web"))) / "static"
ZONE = ZoneInfo("Europe/Copenhagen")
TEXTS_OPEN = '<script type="application/json" id="texts">'


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]


class Collector(HTMLParser):
    """Every element with its attributes, and the raw text of each script element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._script: dict[str, str | None] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append(Element(tag, dict(attrs)))
        if tag == "script":
            self._script, self._text = dict(attrs), []

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script, "".join(self._text)))
            self._script = None

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._text.append(data)


def parse(page: str) -> Collector:
    collector = Collector()
    collector.feed(page)
    collector.close()
    return collector


def texts_block(page: str) -> dict[str, object]:
    start = page.index(TEXTS_OPEN) + len(TEXTS_OPEN)
    return json.loads(page[start : page.index("</script>", start)])


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_page_is_whole_and_in_the_persons_language(language: str) -> None:
    t = Translator(language, ZONE)
    page = render(t, base="/chat")
    assert page.startswith("<!doctype html>")
    assert "$" not in page, "a placeholder was left unfilled"
    parsed = parse(page)
    html_tag = next(e for e in parsed.elements if e.tag == "html")
    assert html_tag.attrs["lang"] == language
    assert any(
        e.tag == "meta"
        and e.attrs.get("name") == "viewport"
        and "width=device-width" in (e.attrs.get("content") or "")
        for e in parsed.elements
    )
    assert any(
        e.tag == "link" and e.attrs.get("href") == "/chat/static/chat.css" for e in parsed.elements
    )
    # An empty icon of its own: otherwise the browser asks for /favicon.ico outside the chat's
    # path, which the web chat does not serve (a 404 in the console of every visit).
    assert any(
        e.tag == "link" and e.attrs.get("rel") == "icon" and e.attrs.get("href") == "data:,"
        for e in parsed.elements
    )
    script = next(attrs for attrs, _ in parsed.scripts if attrs.get("src"))
    assert script["src"] == "/chat/static/chat.js"
    assert "defer" in script
    for text in (
        t._("Start a conversation"),
        t._("Write a message"),
        t._("Send"),
        t._("Menu"),
        t._("My data"),
        t._("Delete my data"),
        t._("Notifications"),
        t._("Forget this device"),
        t._("Yes, forget it"),
        t._("No, go back"),
        t._("It is a conversation between equals, not an emergency service."),
    ):
        assert f">{text}<" in page or text in page, text
    # "I need help now" is in the header, labelled exactly as the bot listens for it.
    help_button = next(e for e in parsed.elements if e.attrs.get("id") == "help-now")
    assert help_button.tag == "button"
    assert f'id="help-now" class="help-now">{help_now_label(t)}</button>' in page
    texts = texts_block(page)
    assert texts["helpNow"] == help_now_label(t)
    assert texts["language"] == language
    assert texts["base"] == "/chat"
    assert texts["maxLength"] == 4096


def test_danish_and_english_pages_differ_in_their_texts() -> None:
    da = render(Translator("da", ZONE), base="/chat")
    en = render(Translator("en", ZONE), base="/chat")
    assert "Start en samtale" in da and "Start a conversation" in en
    assert "Start a conversation" not in da
    assert texts_block(da)["reconnecting"] == "Forbinder igen…"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_counter_gets_both_plural_forms_with_the_number_left_open(language: str) -> None:
    t = Translator(language, ZONE)
    texts = texts_block(render(t, base="/chat"))
    left = texts["charactersLeft"]
    assert isinstance(left, dict)
    for form, n in (("one", 1), ("other", 7)):
        assert "{n}" in left[form]
        expected = t.ngettext("You have {n} character left", "You have {n} characters left", n)
        assert left[form].replace("{n}", str(n)) == expected


class Hostile(Translator):
    """A catalog gone wrong: every text tries to leave its place in the page."""

    def _(self, message: str, **values: object) -> str:
        return '</script><script>alert("x")</script> & "q" <b>' + message

    def ngettext(self, singular: str, plural: str, n: int, **values: object) -> str:
        return "</SCRIPT>" + singular.format(n=n)


def test_no_translation_can_break_out_of_its_place() -> None:
    page = render(Hostile("en", ZONE), base="/chat")
    parsed = parse(page)
    assert "<b>" not in page
    assert 'alert("x")' not in page
    assert "&lt;/script&gt;&lt;script&gt;alert(&quot;x&quot;)" in page
    assert [e.tag for e in parsed.elements].count("script") == 2  # chat.js and the data block
    assert page.lower().count("</script>") == 2
    texts = texts_block(page)
    assert texts["sending"] == '</script><script>alert("x")</script> & "q" <b>Sending…'
    assert texts["charactersLeft"]["one"].startswith("</SCRIPT>")
    data = next(text for attrs, text in parsed.scripts if attrs.get("id") == "texts")
    assert "<" not in data and ">" not in data and "&" not in data


@pytest.mark.parametrize("base", ["", "/chat", "/hjaelp/chat"])
def test_the_page_works_under_any_base_path(base: str) -> None:
    page = render(Translator("da", ZONE), base=base)
    assert f'href="{base}/static/chat.css"' in page
    assert texts_block(page)["base"] == base


@pytest.mark.parametrize("base", ["/chat/", "chat", '/chat"><script>', "/chat?x=1", "//evil"])
def test_a_base_path_that_is_not_one_is_refused(base: str) -> None:
    with pytest.raises(ValueError):
        render(Translator("da", ZONE), base=base)


# ---- strict CSP: nothing inline, nothing parsed as HTML or code --------------------------

UNSAFE_IN_SCRIPT = {
    "innerHTML": r"\binnerHTML\b",
    "outerHTML": r"\bouterHTML\b",
    "insertAdjacentHTML": r"\binsertAdjacentHTML\b",
    "document.write": r"\bdocument\.write",
    "eval": r"\beval\s*\(",
    "new Function": r"\bnew\s+Function\b",
    "a string timer": r"\bset(Timeout|Interval)\s*\(\s*[\"'`]",
    "an inline style": r"\.style\b|setAttribute\(\s*[\"']style",
    "an on... attribute": r"setAttribute\(\s*[\"']on|\.on[a-z]+\s*=",
    "createContextualFragment": r"createContextualFragment",
}


def unsafe_in_script(source: str) -> list[str]:
    return [name for name, pattern in UNSAFE_IN_SCRIPT.items() if re.search(pattern, source)]


def unsafe_in_html(page: str) -> list[str]:
    parsed = parse(page)
    found = []
    for element in parsed.elements:
        for name in element.attrs:
            if name.startswith("on"):
                found.append(f"{element.tag} {name}=")
            if name == "style":
                found.append(f"{element.tag} style=")
        if element.tag == "style":
            found.append("<style>")
        href = element.attrs.get("href") or element.attrs.get("src") or ""
        if href.lower().startswith("javascript:"):
            found.append("javascript: url")
    for attrs, text in parsed.scripts:
        if not attrs.get("src") and attrs.get("type") != "application/json":
            found.append("inline script")
        if attrs.get("src") and text.strip():
            found.append("inline script")
    return found


@pytest.mark.parametrize("name", ["chat.js", "sw.js"])
def test_the_scripts_use_nothing_the_csp_forbids_or_that_parses_html(name: str) -> None:
    assert unsafe_in_script((STATIC / name).read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_page_has_no_inline_code_or_style(language: str) -> None:
    assert unsafe_in_html(render(Translator(language, ZONE), base="/chat")) == []


def test_the_csp_checks_catch_what_they_should() -> None:
    for example in [
        "node.innerHTML = text;",
        "x.outerHTML = y",
        "a.insertAdjacentHTML('beforeend', s)",
        "document.write(s)",
        "eval (s)",
        "const f = new Function('a', s);",
        "setTimeout('go()', 10)",
        "box.style.height = '3px'",
        "el.setAttribute('style', 'color: red')",
        "el.setAttribute('onclick', 'go()')",
        "button.onclick = go;",
        "range.createContextualFragment(s)",
    ]:
        assert unsafe_in_script(example), example
    assert unsafe_in_script("el.textContent = text; el.addEventListener('click', go);") == []
    for example in [
        '<button onclick="go()">x</button>',
        '<p style="color:red">x</p>',
        "<style>p{}</style>",
        "<script>go()</script>",
        '<a href="javascript:go()">x</a>',
        '<script src="a.js">go()</script>',
    ]:
        assert unsafe_in_html(example), example
    assert unsafe_in_html('<script type="application/json" id="t">{}</script>') == []


def test_every_element_and_text_the_script_uses_is_on_the_page() -> None:
    source = (STATIC / "chat.js").read_text(encoding="utf-8")
    page = render(Translator("da", ZONE), base="/chat")
    ids = {e.attrs["id"] for e in parse(page).elements if e.attrs.get("id")}
    wanted_ids = set(re.findall(r'byId\("([\w-]+)"\)', source))
    assert len(wanted_ids) > 10
    assert wanted_ids <= ids, wanted_ids - ids
    wanted_texts = set(re.findall(r"\bconfig\.(\w+)", source))
    assert {"helpNow", "reconnecting", "charactersLeft", "sendFailed"} <= wanted_texts
    assert wanted_texts <= set(texts_block(page)), wanted_texts - set(texts_block(page))


@pytest.mark.skipif(shutil.which("node") is None, reason="no node to check the syntax with")
@pytest.mark.parametrize("name", ["chat.js", "sw.js"])
def test_the_scripts_are_valid_javascript(name: str) -> None:
    result = subprocess.run(
        ["node", "--check", str(STATIC / name)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


# ---- contrast (WCAG 2.x) -----------------------------------------------------------------

COLOUR_LITERAL = re.compile(
    r"#[0-9a-fA-F]{3,8}\b|\b(rgb|rgba|hsl|hsla)\(|(?<![\w-])(white|black)(?![\w-])"
)


def luminance(colour: str) -> float:
    value = colour.strip().lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    assert re.fullmatch(r"[0-9a-fA-F]{6}", value), colour

    def channel(byte: str) -> float:
        c = int(byte, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(value[i : i + 2]) for i in (0, 2, 4))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(one: str, other: str) -> float:
    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def root_blocks(css: str) -> list[dict[str, str]]:
    """The custom properties of each :root block, in the order written."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
    return [
        dict(re.findall(r"(--[\w-]+)\s*:\s*([^;]+);", body))
        for body in re.findall(r":root\s*\{([^}]*)\}", css)
    ]


def colour_schemes(css: str) -> list[dict[str, str]]:
    """Each :root block (the light scheme first, then each override) as a full set."""
    blocks = root_blocks(css)
    return [{**blocks[0], **block} for block in blocks]


def resolve(scheme: dict[str, str], value: str) -> str:
    seen = 0
    while (match := re.fullmatch(r"var\((--[\w-]+)\)", value.strip())) and seen < 10:
        value, seen = scheme[match.group(1)], seen + 1
    return value.strip()


def contrast_problems(css: str) -> list[str]:
    """--X-fg on --X-bg must reach 4.5:1 (text), --X-line on --X-bg 3:1 (borders, rings)."""
    found = []
    for index, scheme in enumerate(colour_schemes(css)):
        for name in scheme:
            for suffix, needed in (("-fg", 4.5), ("-line", 3.0)):
                if not name.endswith(suffix):
                    continue
                background = name[: -len(suffix)] + "-bg"
                if background not in scheme:
                    found.append(f"scheme {index}: {name} has no {background}")
                    continue
                ratio = contrast(resolve(scheme, scheme[name]), resolve(scheme, scheme[background]))
                if ratio < needed:
                    found.append(f"scheme {index}: {name} on {background} is {ratio:.2f}:1")
    return found


def test_the_contrast_arithmetic_is_wcags() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert contrast("#fff", "#ffffff") == pytest.approx(1.0)
    assert contrast_problems(":root { --a-fg: #777777; --a-bg: #ffffff; }") == [
        "scheme 0: --a-fg on --a-bg is 4.48:1"
    ]
    assert contrast_problems(":root { --a-line: #999999; --a-bg: #ffffff; }")
    assert contrast_problems(":root { --a-fg: #000000; }") == ["scheme 0: --a-fg has no --a-bg"]
    dark = ":root { --a-fg: #000; --a-bg: #fff; } @media x { :root { --a-bg: #111; } }"
    assert contrast_problems(dark) == ["scheme 1: --a-fg on --a-bg is 1.11:1"]


def test_every_colour_pair_of_both_schemes_meets_wcag_aa() -> None:
    css = (STATIC / "chat.css").read_text(encoding="utf-8")
    schemes = colour_schemes(css)
    assert len(schemes) == 2, "a light and a dark scheme"
    pairs = [name for name in schemes[0] if name.endswith(("-fg", "-line"))]
    assert len(pairs) >= 20
    assert contrast_problems(css) == []


def test_colours_are_only_set_in_the_schemes_and_every_one_used_exists() -> None:
    css = (STATIC / "chat.css").read_text(encoding="utf-8")
    without_comments = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
    outside = re.sub(r":root\s*\{[^}]*\}", "", without_comments)
    assert not COLOUR_LITERAL.search(outside), COLOUR_LITERAL.search(outside)
    defined = set(colour_schemes(css)[0])
    used = set(re.findall(r"var\((--[\w-]+)\)", outside))
    assert used and used <= defined, used - defined
    # The dark scheme overrides every colour the light one sets.
    light, dark = root_blocks(css)
    assert set(dark) == set(light)


def test_movement_stops_for_those_who_ask_for_less() -> None:
    css = (STATIC / "chat.css").read_text(encoding="utf-8")
    reduced = css[css.index("@media (prefers-reduced-motion: reduce)") :]
    assert "animation: none" in reduced and "scroll-behavior: auto" in reduced
    # Animations are declared only inside the no-preference block.
    outside = css.replace(
        css[
            css.index("@media (prefers-reduced-motion: no-preference)") : css.index(
                "@media (prefers-reduced-motion: reduce)"
            )
        ],
        "",
    )
    assert not re.search(r"animation:(?!\s*none)", outside)
    assert not re.search(r"transition:(?!\s*none)", outside)
