"""Join codes: short, without look-alikes, read however they are typed, stored keyed."""

import pytest

from onboarding.journeys import join_codes


def test_a_new_code_has_eight_characters_none_of_which_look_alike():
    codes = [join_codes.new() for _ in range(200)]
    assert all(len(code) == 8 for code in codes)
    assert not set("".join(codes)) & set("ILOU01")
    assert len(set(codes)) == len(codes)


def test_a_code_is_shown_in_two_groups():
    assert join_codes.shown("ABCDEFGH") == "ABCD-EFGH"


@pytest.mark.parametrize(
    "typed", ["ABCD-EFGH", "abcd-efgh", "ABCDEFGH", " abcd efgh ", "Ab-Cd-Ef-Gh"]
)
def test_a_code_is_read_in_any_case_with_or_without_separators(typed):
    assert join_codes.normalised(typed) == "ABCDEFGH"


@pytest.mark.parametrize(
    "typed", [None, "", "ABCD-EFG", "ABCD-EFGHJ", "ABCD-EFGI", "ABCD-EFG0", "ABCD_EFGH"]
)
def test_what_cannot_be_a_code_is_refused(typed):
    assert join_codes.normalised(typed) is None


def test_the_stored_digest_depends_on_the_secret_key():
    one = join_codes.digest("ABCDEFGH", "first-secret-key-0123")
    assert one == join_codes.digest("ABCDEFGH", "first-secret-key-0123")
    assert one != join_codes.digest("ABCDEFGH", "other-secret-key-0123")
    assert "ABCDEFGH" not in one
