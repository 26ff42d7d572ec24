"""Error pages say what happened and what to do, in the reader's language, never a bare
status code or a library's message."""

from __future__ import annotations

import pytest

from web import create_app


def heading(page: str) -> str:
    return page.split("<h1>", 1)[1].split("</h1>", 1)[0]


@pytest.mark.parametrize(
    ("language", "title", "advice"),
    [
        ("en", "Page not found", "Check the address, or go to the start page."),
        ("nl", "Pagina niet gevonden", "Controleer het adres, of ga naar de startpagina."),
    ],
)
def test_a_missing_page_says_so_in_the_readers_language(client, language, title, advice):
    response = client.get(f"/no/such/page?lang={language}")
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert heading(page) == title and advice in page


def test_an_expired_form_says_what_to_do(factory):
    client = create_app({"TESTING": True}).test_client()
    response = client.post("/logout?lang=nl")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Dit formulier is verlopen of werd van elders verstuurd." in page
    assert "verstuur het formulier nog eens" in page and "CSRF" not in page


def test_an_unexpected_error_is_a_page_in_words(factory):
    app = create_app({"TESTING": True, "PROPAGATE_EXCEPTIONS": False})

    @app.get("/broken")
    def broken() -> str:
        raise RuntimeError("a bug")

    response = app.test_client().get("/broken")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert heading(page) == "Something went wrong on our side"
    assert "a bug" not in page and "Traceback" not in page
