"""Crisis-signal triage measured on sentences written without sight of the phrase files.

tests/data/triage_blind_{dev,sealed}_{da,en}.tsv were written by someone who had not seen the
lists, then split once at random. The development half may be read and tuned on; the sealed
half is only ever measured. This module prints recall (crisis sentences flagged at any level)
and the false-positive rate (ordinary and hard-negative sentences flagged) per language and
half, and asserts them, for the whole detector (phrase lists, then the wording model). The
model was trained on the development half, so its figures there are a fit (cross-validated
figures: `python -m bot.services.crisis.triage_training`, docs/triage.md). Nothing here prints or
reports a sealed sentence: on the sealed half only the figures leave this module, so that the
half keeps measuring.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.services.crisis.triage import default_detector

DATA = Path(__file__).resolve().parents[2] / "data"
LANGUAGES = ("da", "en")
LABELS = ("crisis", "ordinary", "hard_negative")

# The targets for the sealed half (recall >= 0.95, false positives <= 5 %) are NOT met.
# What the sealed half is asserted against instead is what the lists and the wording model
# reached, per language, measured once at the end of the work on 2026-12-03 (docs/triage.md;
# nothing was changed because of it but these numbers): a change that does worse fails here.
TARGET_RECALL = 0.95
TARGET_FALSE_POSITIVE_RATE = 0.05
SEALED_FLOOR_RECALL = {"da": 358 / 491, "en": 329 / 472}
SEALED_CEILING_FALSE_POSITIVE_RATE = {"da": 50 / 315, "en": 32 / 306}
# Floors on the development half as measured with the lists and the model trained on it (a fit,
# not an estimate: the cross-validated figures are in docs/triage.md).
DEV_FLOOR_RECALL = {"da": 483 / 490, "en": 466 / 472}
DEV_CEILING_FALSE_POSITIVE_RATE = {"da": 18 / 313, "en": 6 / 304}
# The probe sentences were written while tuning and tuned on since.
PROBE_FLOOR_RECALL = 0.95
PROBE_CEILING_FALSE_POSITIVE_RATE = 0.05


@dataclass(frozen=True)
class Figures:
    crisis: int
    recalled: int
    negatives: int
    false_positives: int

    @property
    def recall(self) -> float:
        return self.recalled / self.crisis

    @property
    def false_positive_rate(self) -> float:
        return self.false_positives / self.negatives

    def line(self, half: str, language: str) -> str:
        return (
            f"{half:<7}{language:<4} recall {self.recall:.3f} ({self.recalled}/{self.crisis})"
            f"  false positives {self.false_positive_rate:.3f}"
            f" ({self.false_positives}/{self.negatives})"
        )


def rows(half: str, language: str) -> list[tuple[str, str]]:
    """(label, text) pairs of one file; a malformed line fails without quoting it."""
    path = DATA / f"triage_blind_{half}_{language}.tsv"
    found = []
    for line_no, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t", 2)
        assert len(parts) == 3 and parts[0] in LABELS, f"{path.name}, line {line_no}: bad row"
        found.append((parts[0], parts[2]))
    return found


def measure(half: str, language: str) -> Figures:
    detector = default_detector()
    crisis = recalled = negatives = false_positives = 0
    for label, text in rows(half, language):
        flagged = detector.check(text).flagged
        if label == "crisis":
            crisis += 1
            recalled += flagged
        else:
            negatives += 1
            false_positives += flagged
    return Figures(crisis, recalled, negatives, false_positives)


@pytest.mark.parametrize("half", ["dev", "sealed"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_sets_are_big_enough(half: str, language: str) -> None:
    labels = [label for label, _ in rows(half, language)]
    assert labels.count("crisis") >= 100
    assert labels.count("ordinary") + labels.count("hard_negative") >= 100


@pytest.mark.parametrize("language", LANGUAGES)
def test_development_half(language: str) -> None:
    """Tuned on: misses and false alarms are printed so they can be read and worked on."""
    detector = default_detector()
    figures = measure("dev", language)
    wrong = [
        f"  {label}: {text}"
        for label, text in rows("dev", language)
        if detector.check(text).flagged != (label == "crisis")
    ]
    print("\n" + figures.line("dev", language) + "\n" + "\n".join(wrong))
    assert figures.recall >= DEV_FLOOR_RECALL[language]
    assert figures.false_positive_rate <= DEV_CEILING_FALSE_POSITIVE_RATE[language]


@pytest.mark.parametrize("language", LANGUAGES)
def test_sealed_half(language: str) -> None:
    """Measured only: figures, never sentences (a failure message holds figures too)."""
    figures = measure("sealed", language)
    met = (
        figures.recall >= TARGET_RECALL
        and figures.false_positive_rate <= TARGET_FALSE_POSITIVE_RATE
    )
    print("\n" + figures.line("sealed", language) + ("" if met else "  (targets not met)"))
    assert figures.recall >= SEALED_FLOOR_RECALL[language], figures.line("sealed", language)
    assert figures.false_positive_rate <= SEALED_CEILING_FALSE_POSITIVE_RATE[language], (
        figures.line("sealed", language)
    )


def probe_rows(language: str) -> list[tuple[str, str]]:
    path = DATA / f"triage_probe_{language}.tsv"
    found = []
    for line in path.read_text("utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            label, text = line.split("\t", 1)
            assert label in ("crisis", "ordinary"), line
            found.append((label, text))
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_probe_sentences_stay_a_floor(language: str) -> None:
    """Written while tuning and tuned on since: misses and false alarms are printed."""
    detector = default_detector()
    rows_ = probe_rows(language)
    crisis = [text for label, text in rows_ if label == "crisis"]
    ordinary = [text for label, text in rows_ if label == "ordinary"]
    missed = [text for text in crisis if not detector.check(text).flagged]
    flagged = [text for text in ordinary if detector.check(text).flagged]
    print(f"\nprobe {language}: missed {missed}, false alarms {flagged}")
    assert len(crisis) >= 150 and len(ordinary) >= 75
    assert 1 - len(missed) / len(crisis) >= PROBE_FLOOR_RECALL
    assert len(flagged) / len(ordinary) <= PROBE_CEILING_FALSE_POSITIVE_RATE
