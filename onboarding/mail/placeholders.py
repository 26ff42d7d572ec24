"""A mail template rendered once for many recipients, each mail's personal values put in after.

The mails of a bulk invitation differ only in each recipient's name, link and join code, and
rendering the templates is most of what composing a mail costs. So a template is rendered once
per shape (template, language and every value but the personal ones) with a placeholder for
each personal value, and every mail of that shape gets its own values put into the
placeholders, escaped where the template escaped them: the same text as rendering the template
with the values. A shape's first mail is rendered as it is: most shapes have one mail (a
reminder, a single invitation), and a pattern pays only from its second.

Templates may print a personal value, pass it to a macro that prints it, or test whether it is
empty; nothing else (tests/unit/mail/test_placeholders.py renders every template both ways). A
placeholder that a filter changed is noticed, and the mails of that shape are then rendered one
by one.
"""

from __future__ import annotations

import json
import re
from typing import Any

from jinja2 import Environment
from markupsafe import escape

# Context values that differ from one recipient to the next.
PERSONAL = frozenset(
    {
        "first_name",
        "email",
        "accept_url",
        "join_code",
        "activate_url",
        "register_url",
        "reset_url",
        "unsubscribe_url",
        "url",
    }
)
PARTS = ("subject.txt", "body.txt", "body.html")

# Private-use characters frame a placeholder: no template text contains them. The "&" inside
# makes its escaped form differ from its raw form.
_OPEN, _CLOSE = "\ue000", "\ue001"


def _mark(name: str) -> str:
    return f"{_OPEN}{name}&{_CLOSE}"


_MARKS = {
    mark: (name, escaped)
    for name in PERSONAL
    for escaped, mark in enumerate([_mark(name), str(escape(_mark(name)))])
}
_MARK = re.compile("(" + "|".join(map(re.escape, _MARKS)) + ")")
_MAX_SHAPES = 256

# A part split at its placeholders: text, (name, escaped), text, (name, escaped), …, text.
Pattern = list[Any]
_SEEN_ONCE: tuple[Pattern, ...] = ()  # a shape's entry until its second mail
_shapes: dict[tuple[str, str, str, tuple[str, ...]], tuple[Pattern, ...] | None] = {}


def render_parts(
    env: Environment, language: str, template: str, context: dict[str, Any]
) -> tuple[str, ...]:
    """Subject, text and HTML of `template`, rendered by `env` (the environment of `language`)
    with `context`, as Jinja writes them."""
    personal = {
        name: value
        for name, value in context.items()
        if name in PERSONAL and isinstance(value, str) and value
    }
    if not personal:
        return _render(env, template, context)
    shared = {name: value for name, value in context.items() if name not in personal}
    # repr tells apart what renders differently (1, True and "1"; a list and a string).
    key = (template, language, repr(shared), tuple(personal))
    if key not in _shapes:  # its first mail, rendered as it is
        if len(_shapes) >= _MAX_SHAPES:
            _shapes.clear()
        _shapes[key] = _SEEN_ONCE
        return _render(env, template, context)
    if _shapes[key] is _SEEN_ONCE:
        marked = {name: _mark(name) for name in personal}
        written = json.dumps(shared, ensure_ascii=False, default=str)
        # A value of the shape that holds a placeholder's characters would pass for one.
        clear = _OPEN not in written and _CLOSE not in written
        _shapes[key] = _patterns(_render(env, template, {**shared, **marked})) if clear else None
    patterns = _shapes[key]
    if patterns is None:
        return _render(env, template, context)
    values = {name: (value, str(escape(value))) for name, value in personal.items()}
    return tuple(
        "".join(
            piece if isinstance(piece, str) else values[piece[0]][piece[1]] for piece in pattern
        )
        for pattern in patterns
    )


def _patterns(parts: tuple[str, ...]) -> tuple[Pattern, ...] | None:
    """The parts split at their placeholders, or None if a template changed a placeholder."""
    patterns = []
    for part in parts:
        pieces: Pattern = _MARK.split(part)
        texts = pieces[::2]
        if any(_OPEN in text or _CLOSE in text for text in texts):
            return None
        pieces[1::2] = [_MARKS[mark] for mark in pieces[1::2]]
        patterns.append(pieces)
    return tuple(patterns)


def _render(env: Environment, template: str, context: dict[str, Any]) -> tuple[str, ...]:
    return tuple(env.get_template(f"{template}/{part}").render(context) for part in PARTS)
