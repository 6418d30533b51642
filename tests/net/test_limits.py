"""What a player may type: one rule for names, device ids, friend codes and server addresses (net/limits.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from net.address import ServerAddress
from net.limits import (
    MAX_NAME_LENGTH,
    InvalidInput,
    check_device_id,
    check_friend_code,
    check_server,
    name_key,
    normalize_name,
)


def test_a_name_is_trimmed_normalised_and_given_one_space_between_words():
    assert normalize_name("  ann  ") == "ann"
    assert normalize_name("Ann   Lee") == "Ann Lee"
    assert normalize_name("\uff41\uff44\uff4d\uff49\uff4e") == "admin", "fullwidth letters are their ASCII twins"
    assert normalize_name("\ufb01sh") == "fish", "a ligature is its letters"
    assert normalize_name("x" * MAX_NAME_LENGTH) == "x" * MAX_NAME_LENGTH
    assert normalize_name("Zoë 🐙") == "Zoë 🐙"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "Type your name"),
        ("   ", "Type your name"),
        ("x" * (MAX_NAME_LENGTH + 1), f"at most {MAX_NAME_LENGTH} characters"),
        ("tab\tname", "letters, digits, spaces and punctuation"),
        ("bell\x07", "letters, digits, spaces and punctuation"),
        ("new\nline", "letters, digits, spaces and punctuation"),
        ("bad\ufffdbytes", "valid text"),
        ("lone\ud800surrogate", "valid text"),
    ],
)
def test_a_name_that_cannot_be_one_is_refused_with_a_sentence(text: str, says: str):
    with pytest.raises(InvalidInput, match=says):
        normalize_name(text)


def test_the_length_counts_after_normalisation():
    wide = "\uff21" * MAX_NAME_LENGTH  # fullwidth A, one character each before and after
    assert normalize_name(wide) == "A" * MAX_NAME_LENGTH
    with pytest.raises(InvalidInput):
        normalize_name("\u3392" * MAX_NAME_LENGTH)  # the square "MHz" is three letters once normalised


def test_names_that_differ_only_by_case_or_width_share_one_key():
    assert name_key("Ann") == name_key("ANN") == name_key("\uff21\uff4e\uff4e") == name_key("ann")
    assert name_key("Straße") == name_key("STRASSE")
    assert name_key("Ann Lee") == name_key("ann  lee")
    assert name_key("Ann") != name_key("Anna")


@given(st.text(min_size=1, max_size=30))
def test_a_normalised_name_is_a_fixed_point_and_keeps_its_key(text: str):
    try:
        name = normalize_name(text)
    except InvalidInput:
        return
    assert normalize_name(name) == name
    assert name_key(name) == name_key(text)
    assert 1 <= len(name) <= MAX_NAME_LENGTH and name.isprintable()


def test_device_ids_follow_nakamas_rule():
    assert check_device_id("a" * 10) == "a" * 10
    assert check_device_id("é" * 64) == "é" * 64, "128 bytes of UTF-8"
    for bad, says in [
        (None, "required"), ("", "required"), (42, "required"),
        ("a" * 9, "10-128 bytes"), ("é" * 65, "10-128 bytes"),
        ("has a space", "no spaces"), ("tab\tinside00", "no spaces"), ("nul\x00inside00", "no spaces"),
    ]:
        with pytest.raises(InvalidInput, match=says):
            check_device_id(bad)


def test_friend_codes_are_read_case_blind_and_say_which_characters_they_use():
    assert check_friend_code(" k7q-xm ") == "K7QXM"
    with pytest.raises(InvalidInput, match="Type the code"):
        check_friend_code("  ")
    with pytest.raises(InvalidInput, match="A code has no 0 1 I L O"):
        check_friend_code("O0I1L")
    with pytest.raises(InvalidInput, match="4 to 6 characters"):
        check_friend_code("K7Q")


def test_a_server_address_is_parsed_or_refused_with_an_example():
    assert check_server(" 127.0.0.1:7350 ") == ServerAddress("127.0.0.1", 7350, False)
    assert check_server("https://example.test") == ServerAddress("example.test", 443, True)
    with pytest.raises(InvalidInput, match=r"^The port .* for example 127\.0\.0\.1:7350\.$"):
        check_server("host:99999")
    with pytest.raises(InvalidInput, match="Type host:port or https://host"):
        check_server("ftp://host")
