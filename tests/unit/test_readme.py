"""The README's configuration table and internal links stay true to the code and to itself."""
from __future__ import annotations

import re
from pathlib import Path

from loyalty_plugin.config import _SETTINGS, ENV_PREFIX

README = Path(__file__).resolve().parents[2] / "README.md"
ROW = re.compile(r"^\| `(LOYALTY_[A-Z0-9_]+)` \| ([^|]*) \|", re.MULTILINE)
LINK = re.compile(r"\]\(#([^)\s]+)\)")
HEADING = re.compile(r"^(#{1,6}) (.+)$")


def _text() -> str:
    return README.read_text(encoding="utf-8")


def _section(text: str, title: str) -> str:
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else len(text)]


def _headings(text: str) -> list[tuple[int, str]]:
    """(level, title) of every Markdown heading, skipping `#` comment lines in code blocks."""
    found, fenced = [], False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and (match := HEADING.match(line)):
            found.append((len(match.group(1)), match.group(2).strip()))
    return found


def _anchor(title: str) -> str:
    # GitHub's rule: lower case, punctuation dropped, spaces become hyphens.
    return re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")


def _configuration_rows() -> dict[str, str]:
    return dict(ROW.findall(_section(_text(), "Configuration")))


def test_configuration_table_lists_exactly_the_settings():
    documented = set(_configuration_rows())
    settings = {ENV_PREFIX + name for name in _SETTINGS}
    assert settings - documented == set(), "add these settings to the README's configuration table"
    assert documented - settings == set(), "the README documents settings config.py does not read"


def test_configuration_table_states_the_defaults():
    for key, cell in _configuration_rows().items():
        default, parse = _SETTINGS[key.removeprefix(ENV_PREFIX)]
        literal = re.match(r"`([^`]*)`", cell.strip())
        if default is None:
            # Derived when the app is built (a path in the instance folder, a random key).
            assert cell.strip(), f"{key}: say what the default is derived from"
        elif default == "":
            assert cell.strip().startswith("empty"), f"{key}: the default is empty, README says {cell!r}"
        else:
            assert literal is not None, f"{key}: give the default as a `literal`, not {cell!r}"
            assert parse(literal.group(1)) == default, f"{key}: README says {cell!r}, config.py {default!r}"


def test_internal_links_resolve_to_headings():
    text = _text()
    anchors = {_anchor(title) for _, title in _headings(text)}
    broken = sorted(set(LINK.findall(text)) - anchors)
    assert broken == [], f"README links to anchors no heading makes: {broken}"


def test_headings_are_unique():
    titles = [_anchor(title) for _, title in _headings(_text())]
    repeated = sorted({title for title in titles if titles.count(title) > 1})
    assert repeated == [], f"README has these sections twice: {repeated}"


def test_contents_lists_every_section():
    text = _text()
    listed = set(LINK.findall(_section(text, "Contents")))
    sections = {_anchor(title) for level, title in _headings(text) if level in (2, 3) and title != "Contents"}
    assert sections - listed == set(), "add these sections to the README's Contents"
