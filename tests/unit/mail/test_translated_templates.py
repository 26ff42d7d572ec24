"""Templates translated at compile time render exactly as with Jinja's runtime gettext."""

import pytest
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from onboarding.i18n import translations
from onboarding.mail.compose import LANGUAGES, TEMPLATES_DIR, _common_context, _environment

# Values that escaping would change, in every place a template can put them.
CONTEXT = {
    "first_name": "Ada <b>&</b>",
    "organization": 'O\'Brien & "Sons"',
    "roles": ["editor <x>", "viewer"],
    "invited_by": "Bob & Eve",
    "trigger": "resend",
    "expires_at": "2026-12-25T10:00:00+00:00",
    "email": "ada@example.com",
    "valid_for": "24 hours & <more>",
    "enabled": True,
    "added": True,
    "passkey": "Laptop <1> & co",
    "join_code": "ABCD-<EF>",
    **{
        name: "http://app.test/x?a=1&b=<2>"
        for name in (
            "accept_url",
            "join_url",
            "activate_url",
            "login_url",
            "register_url",
            "reset_url",
            "security_url",
            "unsubscribe_url",
            "url",
        )
    },
}
TEMPLATES = sorted(
    f"{folder.name}/{part.name}"
    for folder in TEMPLATES_DIR.iterdir()
    if folder.is_dir()
    for part in folder.iterdir()
)


def runtime_gettext_environment(language: str) -> Environment:
    """The environment of `language` as Jinja's own i18n extension would build it."""
    compiled = _environment(language)
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        extensions=["jinja2.ext.i18n"],
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    env.globals["language"] = language
    env.filters.update(compiled.filters)
    return env


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_template_renders_as_with_runtime_gettext(language, settings):
    compiled, runtime = _environment(language), runtime_gettext_environment(language)
    context = {**_common_context(settings), **CONTEXT}
    for name in TEMPLATES:
        expected = runtime.get_template(name).render(context)
        assert compiled.get_template(name).render(context) == expected, name
