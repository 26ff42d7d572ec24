"""A template rendered once per shape gives every mail exactly what rendering it would."""

import pytest
from jinja2 import DictLoader, Environment, select_autoescape

from onboarding.mail import placeholders
from onboarding.mail.compose import LANGUAGES, TEMPLATES_DIR, _common_context, _environment
from onboarding.mail.placeholders import PARTS, PERSONAL, render_parts
from tests.unit.mail.test_translated_templates import CONTEXT

TEMPLATES = sorted(folder.name for folder in TEMPLATES_DIR.iterdir() if folder.is_dir())


def rendered(env, template, context):
    """What Jinja writes for the parts of `template`, without placeholders."""
    return tuple(env.get_template(f"{template}/{part}").render(context) for part in PARTS)


def others(number):
    """Personal values of another recipient, with what escaping changes in other places."""
    return {name: f"{name} {number * 'n'} 'Zoë' & <i>x</i>" for name in PERSONAL}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("template", TEMPLATES)
def test_every_mail_of_a_shape_reads_as_its_template_rendered_with_its_own_values(
    template, language, settings
):
    env = _environment(language)
    first = {**_common_context(settings), **CONTEXT}
    # Each shape (with a first name, and without) for its first mail and from its pattern.
    without_name = [{**first, **others(number), "first_name": ""} for number in (4, 5)]
    for context in (first, {**first, **others(2)}, {**first, **others(3)}, *without_name):
        assert render_parts(env, language, template, context) == rendered(env, template, context)


def test_a_shape_is_rendered_for_its_first_mail_and_once_for_its_pattern(settings, monkeypatch):
    env = _environment("nl")
    shared = {**_common_context(settings), **CONTEXT, "organization": "Shape test"}
    renders = []
    real = placeholders._render
    monkeypatch.setattr(
        placeholders, "_render", lambda *args: renders.append(args[1]) or real(*args)
    )
    for number in range(5):
        render_parts(env, "nl", "invitation", {**shared, **others(number)})
    assert renders == ["invitation", "invitation"]
    render_parts(env, "nl", "invitation", {**shared, **others(5), "organization": "Another"})
    assert len(renders) == 3


def environment(templates):
    return Environment(
        loader=DictLoader({f"t/{part}": text for part, text in zip(PARTS, templates, strict=True)}),
        autoescape=select_autoescape(["html"]),
    )


@pytest.mark.parametrize("changed", ["{{ first_name|upper }}", "{{ url[:3] }}", "{{ url[-2:] }}"])
def test_a_template_that_changes_a_personal_value_gets_each_mail_rendered_with_its_own(changed):
    env = environment(["Hello {{ first_name }}", changed, "<p>{{ first_name }}</p>"])
    for name, url in (("ada", "http://a.test/1"), ("bob", "http://b.test/22")):
        context = {"first_name": name, "url": url}
        assert render_parts(env, "en", "t", context) == rendered(env, "t", context)


def test_values_that_look_like_placeholders_are_written_as_they_are():
    env = environment(
        ["{{ first_name }}", "{{ url }} {{ org }}", "<a href='{{ url }}'>{{ org }}</a>"]
    )
    render_parts(env, "en", "t", {"first_name": "Ada", "url": "http://a.test/", "org": "Acme"})
    mark = "\ue000url&\ue001"
    for context in (
        {"first_name": mark, "url": "http://b.test/?a=1&b=2", "org": "Acme"},
        {"first_name": "Ada", "url": "http://b.test/?a=1&b=2", "org": mark},
    ):
        assert render_parts(env, "en", "t", context) == rendered(env, "t", context)
