"""Theme colours for Rich text (DataTable cells and log lines cannot use `$variables`).

Only the theme's text colours are used (text-success, text-warning, text-error, text-accent),
made for the theme's own background, so cells stay readable on dark and light themes.
"""

from __future__ import annotations

from typing import Any

from rich.style import Style
from rich.text import Text
from textual.app import App

Palette = dict[str, str]


def palette(app: App[Any]) -> Palette:
    return app.get_css_variables()


def styled(colours: Palette, text: str, name: str = "", bold: bool = False) -> Text:
    """`text` (never parsed as markup) in the theme colour `name` (e.g. text-error)."""
    value = colours.get(name, "")
    colour = value if value.startswith("#") and len(value) == 7 else None
    dim = name == "text-muted"
    return Text(text, style=Style(color=colour, bold=bold, dim=dim), end="")


def plain(text: str) -> Text:
    return Text(text, end="")
