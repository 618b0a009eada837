"""Crisis-signal triage: both directions on written test sets, the pattern language, extension.

The sentence sets in tests/data are the measured basis of docs/triage.md: every crisis sentence
must flag and no ordinary sentence may, each as its own test so a failure names the sentence.

The blind sets: triage measured on sentences written without sight of the phrase files.

tests/data/triage_blind_{dev,sealed}_{da,en}.tsv were written by someone who had not seen the
lists, then split once at random. The development half may be read and tuned on; the sealed
half is only ever measured. This module prints recall (crisis sentences flagged at any level)
and the false-positive rate (ordinary and hard-negative sentences flagged) per language and
half, and asserts them. Nothing here prints or reports a sealed sentence: on the sealed half
only the figures leave this module, so that the half keeps measuring.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bot.services.crisis.triage import (
    NOT_FLAGGED,
    CrisisDetector,
    Level,
    PhraseFileError,
    TriageResult,
    default_detector,
    normalise,
)

DATA = Path(__file__).resolve().parents[2] / "data"
LANGUAGES = ("da", "en")
BUILT_IN_CATEGORIES = frozenset(
    {"suicidal_ideation", "self_harm", "method", "plan", "farewell", "burden", "distress"}
    # the wording model's one concept (tests/services/crisis/test_triage_model.py)
    | {"crisis_wording"}
)


def sentences(kind: str, language: str) -> list[str]:
    lines = (DATA / f"triage_{kind}_{language}.txt").read_text("utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def cases(kind: str) -> list[object]:
    return [
        pytest.param(text, id=f"{language}: {text}")
        for language in LANGUAGES
        for text in sentences(kind, language)
    ]


def detector_with(tmp_path: Path, files: dict[str, str]) -> CrisisDetector:
    for name, text in files.items():
        (tmp_path / name).write_text(text, "utf-8")
    return CrisisDetector.load(extra_dirs=[tmp_path])


def only(*lines: str) -> CrisisDetector:
    return CrisisDetector.from_sources([("test", "\n".join(lines))])


# --- the measured sets ----------------------------------------------------------------------


@pytest.mark.parametrize("text", cases("crisis"))
def test_crisis_sentence_flags(text: str) -> None:
    assert default_detector().check(text).flagged


@pytest.mark.parametrize("text", cases("ordinary"))
def test_ordinary_sentence_does_not_flag(text: str) -> None:
    assert default_detector().check(text) == NOT_FLAGGED


@pytest.mark.parametrize("language", LANGUAGES)
def test_sets_are_big_enough_to_mean_something(language: str) -> None:
    assert len(sentences("ordinary", language)) >= 40
    assert len(sentences("crisis", language)) >= 30


# --- categories and results -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("i just want to die", {"suicidal_ideation"}),
        ("jeg har tænkt på selvmord", {"suicidal_ideation"}),
        ("ive been cutting myself again", {"self_harm"}),
        ("jeg har skadet mig selv igen", {"self_harm"}),
        ("jeg skærer i mig selv og vil ikke leve mere", {"suicidal_ideation", "self_harm"}),
        ("I self-harm. Sometimes I want to kill myself.", {"suicidal_ideation", "self_harm"}),
    ],
)
def test_categories(text: str, expected: set[str]) -> None:
    assert default_detector().check(text) == TriageResult(True, frozenset(expected), Level.THOUGHTS)


def test_built_in_categories() -> None:
    assert default_detector().categories == BUILT_IN_CATEGORIES


def test_result_carries_no_text() -> None:
    text = "jeg vil ikke leve mere, hilsen Karen"
    result = default_detector().check(text)
    assert result.flagged
    assert {f.name for f in dataclasses.fields(result)} == {"flagged", "categories", "level"}
    assert result.categories <= BUILT_IN_CATEGORIES
    for word in ("leve mere", "Karen", "jeg"):
        assert word not in repr(result)


def test_default_detector_is_cached() -> None:
    assert default_detector() is default_detector()


# --- spelling, normalisation, scope -----------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "jeg vil bare dø",
        "jeg vil bare doe",
        "jeg vil bare do",
        "jeg vil bare dö",
        "JEG VIL BARE DØ",
        "jeg har tænkt på at tage mit eget liv",
        "jeg har taenkt paa at tage mit eget liv",
        "jeg har tankt pa at tage mit eget liv",
        "jeg skærer i mig selv",
        "jeg skaerer i mig selv",
        "jeg skarer i mig selv",
        "jeg skerer i mig selv",
        "jg ka ik mer leve",
        "I'm going to kill myself",
        "I’m going to kill myself",
        "im going to kill myself",
        "i am going to kill my self",
        "i wanna kiiiill myself",
        "i want to diiiie",
        "sucidal",
        "self-harm",
        "selfharm",
        "i want\nto die",
        "😭i want to die😭",
        "«jeg vil bare dø»",
    ],
)
def test_spelling_variants_flag(text: str) -> None:
    assert default_detector().check(text).flagged


def test_normalise_meets_both_spellings_halfway() -> None:
    assert normalise("I'm") == normalise("i am") == "i am"
    assert normalise("don't") == normalise("do not")
    assert normalise("Dø, Æble og Ål!") == "doe aeble og aal"
    assert normalise("self-harm") == "self harm"
    assert normalise("one. two\nthree\n\nfour") == "one\ntwo three\nfour"


def test_a_sentence_end_separates_phrases() -> None:
    # The phrase matcher's rule; the wording model reads the whole message and may well flag
    # "to die" on its own (a human look, at DISTRESS).
    lists = CrisisDetector.load(with_model=False)
    assert not lists.check("I want. To die").flagged
    assert not lists.check("i want\n\nto die").flagged
    assert lists.check("I want to die").flagged


def test_an_exclusion_cancels_only_what_it_overlaps() -> None:
    detector = default_detector()
    assert not detector.check("jeg vil dø af grin").flagged
    assert detector.check("I'm dying to see it, but honestly i want to die").flagged
    assert detector.check("hahaha jeg døde af grin. men jeg vil ikke leve mere").flagged


def test_mentions_of_suicide_flag_even_about_others() -> None:
    # Decided on purpose: bereavement by suicide is worth a coordinator's look.
    assert default_detector().check("min onkel begik selvmord sidste år").flagged
    assert default_detector().check("my uncle died by suicide").flagged


# --- robustness -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "\n\n\n",
        "...!!!???",
        "😀" * 2000,
        "🏳️‍🌈👨‍👩‍👧",
        "a" * 100_000,
        "x" + "\x00\x1e\x1f\u200b\ufeff" * 500,
        "".join(chr(c) for c in range(0x20, 0x3000)),
        "٣ مرحبا Привет ☃ 你好",
    ],
)
def test_odd_text_does_not_crash(text: str) -> None:
    assert default_detector().check(text) == NOT_FLAGGED


def test_huge_message_still_finds_the_phrase() -> None:
    text = "ganske almindelig tekst om vejret. " * 3000 + "jeg vil ikke leve mere"
    assert default_detector().check(text).flagged


# --- the pattern language -------------------------------------------------------------------


def test_gap_allows_up_to_three_words() -> None:
    detector = only("[x]", "want ~ die")
    assert detector.check("want die").flagged
    assert detector.check("want x b c die").flagged
    assert not detector.check("want x b c d die").flagged


def test_star_optional_and_alternatives() -> None:
    detector = only("[x]", "take/took my (own) life", "selvmord*")
    for text in ("take my life", "took my own life", "selvmordstanker", "selvmord"):
        assert detector.check(text).flagged, text
    for text in ("take my whole life", "taking my life", "selvmor"):
        assert not detector.check(text).flagged, text


def test_words_match_whole_words_only() -> None:
    detector = only("[x]", "kill myself")
    assert not detector.check("skill myselfie").flagged
    assert detector.check("kill myself").flagged


def test_leading_and_trailing_optional_words() -> None:
    detector = only("[x]", "(i) want to die (now)")
    assert detector.check("want to die").flagged
    assert detector.check("i want to die now").flagged


@pytest.mark.parametrize(
    ("text", "line_no"),
    [
        ("kill myself", 1),
        ("[x]\n\nwant ~", 3),
        ("[x]\n~ die", 2),
        ("[x]\nwant ~ ~ die", 2),
        ("[x]\n(only optional)", 2),
        ("[x]\n(only) (optional)", 2),
        ("[x]\nsel*mord", 2),
        ("[x]\na//b", 2),
        ("[x]\n!!!", 2),
        ("# comment\n[Not A Header]\nword", 2),
        ("[x]\nwant (to die", 2),
    ],
)
def test_a_broken_line_is_reported_with_its_place(text: str, line_no: int) -> None:
    with pytest.raises(PhraseFileError) as caught:
        CrisisDetector.from_sources([("org.txt", text)])
    assert caught.value.source == "org.txt"
    assert caught.value.line_no == line_no
    assert f"org.txt, line {line_no}:" in str(caught.value)


def test_no_patterns_is_an_error() -> None:
    with pytest.raises(ValueError, match="no crisis patterns"):
        CrisisDetector.from_sources([("empty.txt", "# nothing\n[exclude]\nfoo")])


# --- an organisation's own lists --------------------------------------------------------------


def test_extra_directory_adds_a_pattern_an_exclusion_and_a_category(tmp_path: Path) -> None:
    planned = "jeg planlægger min sidste rejse"
    course = "vi øvede selvmordssamtalen på kurset"
    purging = "jeg kaster op efter hvert måltid"
    default = default_detector()
    assert not default.check(planned).flagged
    assert default.check(course).flagged
    assert not default.check(purging).flagged

    detector = detector_with(
        tmp_path,
        {
            "org.txt": (
                "# Our own additions.\n"
                "[suicidal_ideation]\nsidste rejse*\n"
                "[eating_disorder]\nkaste/kaster/kastede op efter ~ måltid*\n"
                "[exclude]\nselvmordssamtale*\n"
            ),
            "notes.md": "[x]\nthis file is ignored: only *.txt is read\n",
        },
    )
    assert detector.check(planned) == TriageResult(
        True, frozenset({"suicidal_ideation"}), Level.THOUGHTS
    )
    assert not detector.check(course).flagged
    assert detector.check(purging) == TriageResult(
        True, frozenset({"eating_disorder"}), Level.THOUGHTS
    )
    assert detector.categories == BUILT_IN_CATEGORIES | {"eating_disorder"}
    assert detector.check("jeg vil ikke leve mere").flagged  # built-ins still apply


def test_missing_extra_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        CrisisDetector.load(extra_dirs=[tmp_path / "missing"])


def test_broken_extra_file_fails_loudly(tmp_path: Path) -> None:
    with pytest.raises(PhraseFileError, match=r"org\.txt, line 2"):
        detector_with(tmp_path, {"org.txt": "[self_harm]\nwant ~\n"})


# --- levels, negation and the labelled evaluation set ---------------------------------------

EVAL_LABELS = {
    "method": Level.METHOD,
    "thoughts": Level.THOUGHTS,
    "distress": Level.DISTRESS,
    "none": None,
}
MIN_RECALL = 0.95
MAX_FALSE_POSITIVE_RATE = 0.05


def eval_rows(language: str) -> list[tuple[str, str]]:
    rows = []
    for line in (DATA / f"triage_eval_{language}.tsv").read_text("utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            label, sentence = line.split("\t", 1)
            assert label in EVAL_LABELS, line
            rows.append((label, sentence.strip()))
    return rows


def test_evaluation_set() -> None:
    """Recall per level (detected at its level or higher) and false positives on "none"."""
    detector = default_detector()
    lines = [
        f"{'lang':<5}{'label':<10}{'n':>5}{'exact':>8}{'recall':>8}  (recall: level or higher)"
    ]
    failures = []
    misses = []
    for language in LANGUAGES:
        rows = eval_rows(language)
        assert len(rows) >= 150
        for label, expected in EVAL_LABELS.items():
            results = [(s, detector.check(s).level) for lab, s in rows if lab == label]
            if expected is None:
                fp = [s for s, level in results if level is not None]
                rate = len(fp) / len(results)
                lines.append(
                    f"{language:<5}{label:<10}{len(results):>5}{'':>8}{'':>8}  FP {rate:.3f}"
                )
                misses += [f"{language} none -> flagged: {s}" for s in fp]
                if rate > MAX_FALSE_POSITIVE_RATE:
                    failures.append(f"{language}: false-positive rate {rate:.3f}")
                continue
            exact = sum(level == expected for _, level in results) / len(results)
            recall = sum(level is not None and level >= expected for _, level in results) / len(
                results
            )
            lines.append(f"{language:<5}{label:<10}{len(results):>5}{exact:>8.3f}{recall:>8.3f}")
            misses += [
                f"{language} {label} -> {level.name if level else None}: {s}"
                for s, level in results
                if level != expected
            ]
            if expected >= Level.THOUGHTS and recall < MIN_RECALL:
                failures.append(f"{language}: {label} recall {recall:.3f}")
    print("\n" + "\n".join(lines) + "\n" + "\n".join(misses))
    assert not failures, failures


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("jeg har samlet piller", Level.METHOD),
        ("i have the pills ready", Level.METHOD),
        ("i've written a goodbye letter", Level.METHOD),
        ("jeg har taget 20 piller", Level.METHOD),
        ("i want to die 💊", Level.METHOD),
        ("i want to die", Level.THOUGHTS),
        ("jeg kan ikke mere", Level.DISTRESS),
        ("everything is hopeless", Level.DISTRESS),
        ("jeg har ikke tænkt på at tage mit liv", Level.DISTRESS),
        ("I'm not going to kill myself", Level.DISTRESS),
        ("I don't want to die", Level.DISTRESS),
        ("jeg kan ikke mere, jeg vil bare dø", Level.THOUGHTS),
        ("💊💊", Level.DISTRESS),
    ],
)
def test_levels_and_negation(text: str, level: Level) -> None:
    result = default_detector().check(text)
    assert result.flagged and result.level == level


@pytest.mark.parametrize(
    "text",
    [
        "død træt",
        "dødtræt",
        "I'm dying to see it",
        "that joke killed me",
        "jeg var ved at dø af grin",
        "kill the lights",
        "husk din 💊 i morgen",
    ],
)
def test_idioms_stay_unflagged(text: str) -> None:
    assert default_detector().check(text) == NOT_FLAGGED


def test_a_header_can_name_a_level(tmp_path: Path) -> None:
    detector = detector_with(tmp_path, {"org.txt": "[eating_disorder:distress]\nkaster op\n"})
    assert detector.check("jeg kaster op efter maden").level == Level.DISTRESS
    with pytest.raises(PhraseFileError, match="a level is one of"):
        CrisisDetector.from_sources([("org.txt", "[x:urgent]\nword")])


# --- concepts: word lists, compounds, two-part matches, contexts, small words ----------------


def test_word_lists_compound_heads_and_two_word_alternatives() -> None:
    detector = only(
        "$pill = *piller/*tabletter",
        "$soon = i_aften/i_nat",
        "[plan]",
        "tager ~ $pill ~ $soon",
    )
    assert detector.check("jeg tager alle sovepiller i aften").flagged
    assert detector.check("tager morfintabletter i nat").flagged
    assert not detector.check("jeg tager sovepillerne i morgen").flagged
    assert not detector.check("tager aften piller").flagged


def test_a_word_list_is_shared_with_later_files_and_unknown_lists_are_errors() -> None:
    detector = CrisisDetector.from_sources(
        [("a.txt", "$self = mig/mig_selv\n[x]\nhænge $self"), ("b.txt", "[y]\nkvæle $self")]
    )
    assert detector.check("vil kvæle mig selv").categories == {"y"}
    with pytest.raises(PhraseFileError, match="unknown word list"):
        CrisisDetector.from_sources([("c.txt", "[x]\nhænge $nobody")])


def test_wide_gap_reaches_eight_words_in_one_sentence() -> None:
    detector = only("[x]", "piller ~~ i_aften")
    assert detector.check("piller har jeg og dem tager jeg så i aften").flagged
    assert not detector.check("piller. i aften").flagged
    assert not detector.check("piller x1 x2 x3 x4 x5 x6 x7 x8 x9 i aften").flagged


def test_two_part_concept_may_span_sentences_and_names_its_category() -> None:
    detector = only("[farewell:method]", "undskyld til alle & elsker jer")
    result = detector.check("Undskyld til alle. Jeg elsker jer")
    assert result == TriageResult(True, frozenset({"farewell"}), Level.METHOD)
    assert not detector.check("undskyld til alle, jeg kommer for sent").flagged


def test_a_context_voids_matches_that_do_not_name_the_writer() -> None:
    detector = only("[x]", "selvmord*", "jeg cutter", "[context]", "statistik*/film")
    assert not detector.check("statistikken viser at mænd oftere dør af selvmord").flagged
    assert detector.check("statistik er kedeligt. jeg tænker på selvmord").flagged
    assert detector.check("jeg cutter igen og ser film for at glemme det").flagged


def test_small_words_are_dropped_from_messages_and_patterns_alike() -> None:
    detector = only("[x]", "skærer i mig selv", "have a rope", "(the) plan is set")
    assert detector.check("jeg skærer stadig i mig selv").flagged
    assert detector.check("i have a rope").flagged
    assert detector.check("i have rope").flagged
    assert detector.check("my plan is set").flagged
    assert normalise("I just have a rope") == "i have rope"


def test_built_in_concepts_on_new_phrasing() -> None:
    detector = default_detector()
    assert detector.check("har fået fat i nogle morfinpiller").level == Level.METHOD
    assert "burden" in detector.check("jeg er bare en byrde for alle").categories
    assert "farewell" in detector.check("giving away my stuff, i won't need it").categories
    assert detector.check("kms seriøst, kan ikke mere").flagged
    assert not detector.check("mange unge har selvmordstanker ifølge en undersøgelse").flagged
    assert not detector.check("min gamle bil er mest en byrde nu").flagged
