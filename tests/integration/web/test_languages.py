"""The app's pages negotiate every language of LANGUAGES and offer the others."""

from __future__ import annotations

import pytest

from onboarding.i18n import LANGUAGES


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_the_login_page_speaks_the_browsers_language_and_offers_the_others(client, language):
    page = client.get("/login", headers={"Accept-Language": language}).get_data(as_text=True)
    assert f'<html lang="{language}">' in page
    others = [code for code in LANGUAGES if code != language]
    assert all(f'href="?lang={code}" lang="{code}">{LANGUAGES[code]}<' in page for code in others)


def test_the_language_links_keep_the_request_and_change_only_the_language(client):
    page = client.get("/login?next=%2Fmeasurements&lang=en").get_data(as_text=True)
    assert 'href="?next=%2Fmeasurements&amp;lang=nl" lang="nl">' in page
