"""Made-up names: a real first name and two digits, never a word that reads like a typo; a
peer's and a citizen's chosen names are checked for what could reach them outside the bot."""

from __future__ import annotations

import re

import pytest

from bot.errors import UserInputError
from bot.services import pseudonyms


def test_a_made_up_name_is_one_of_the_words_and_two_digits() -> None:
    for _ in range(200):
        word, digits = pseudonyms.citizen_pseudonym().split(" ")
        assert word in pseudonyms.WORDS and re.fullmatch(r"[1-9]\d", digits)


def test_no_word_is_so_short_or_odd_that_it_reads_like_a_typo() -> None:
    for word in pseudonyms.WORDS:
        assert len(word) >= 3 and word[0].isupper() and word[1:].islower(), word
    assert not {"Å", "Sø", "Eg", "Eng", "Stær", "Tåge"} & set(pseudonyms.WORDS)
    assert len(set(pseudonyms.WORDS)) == len(pseudonyms.WORDS)


def test_suggestions_have_different_first_words_and_never_the_current_one() -> None:
    for _ in range(50):
        found = pseudonyms.suggestions("Birk 42")
        words = [name.split(" ")[0] for name in found]
        assert len(found) == pseudonyms.SUGGESTIONS and len(set(words)) == len(words)
        assert "Birk" not in words


def test_a_peers_name_is_one_printable_line_of_at_most_32_characters() -> None:
    assert pseudonyms.clean_display_name("  Anne \n Marie ") == "Anne Marie"
    assert pseudonyms.clean_display_name("x" * 33) is None
    assert pseudonyms.clean_display_name("/start") is None
    assert pseudonyms.clean_display_name("  ") is None
    assert pseudonyms.clean_display_name("Bo\u200b") == "Bo"  # invisible characters go


@pytest.mark.parametrize(
    "name",
    [
        "see www.example.dk",
        "me.com",
        "t.me/someone",
        "https://x",
        "@birk",
        "Birk 12345678",
        "2 0 2 0 1",
        "(coordinator)",
        "Birk [staff]",
        "1234",
        "x" * 25,
    ],
)
def test_a_citizens_own_name_cannot_hold_a_way_to_reach_them_or_look_like_staff(
    name: str,
) -> None:
    with pytest.raises(UserInputError):
        pseudonyms.chosen_name(name)


@pytest.mark.parametrize("name", ["Sol", "Anne-Marie", "Birk 42", "Jo 2024", "Ørn"])
def test_ordinary_names_are_kept_as_written(name: str) -> None:
    assert pseudonyms.chosen_name(f"  {name} ") == name
