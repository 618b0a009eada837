"""The crisis-wording model beside the phrase lists: reproducible, named, and heard by humans.

The weights in bot/data/triage_model.tsv.gz are only ever written by
`python -m bot.services.crisis.triage_training`; retraining here must give the same file, so a
hand-edited weight or a changed training set fails. The model's hits carry one concept
("crisis_wording", at DISTRESS) and travel the same path to a coordinator as a phrase hit.
"""

from __future__ import annotations

import gzip

from bot.services.crisis import triage_model, triage_training
from bot.services.crisis.triage import (
    MODEL_CATEGORY,
    MODEL_RESULT,
    CrisisDetector,
    Level,
    default_detector,
)
from bot.services.crisis.triage_model import WordingModel
from tests.helpers.flows import coordinator, in_contact
from tests.helpers.harness import COORDINATOR, Harness

# Worded like crisis messages, but no phrase in the lists matches: the model alone flags them.
MODEL_ONLY = ("hvad er meningen med noget som helst", "i keep thinking about not being here")


def committed() -> WordingModel:
    return WordingModel.parse(gzip.decompress(triage_training.MODEL_PATH.read_bytes()).decode())


def test_retraining_reproduces_the_committed_model() -> None:
    """Same data, same seed, same order: the same weights (to the three decimals kept; pure
    Python floats, so only a last-digit rounding of the platform's exp could differ)."""
    fresh = triage_training.build(log=lambda _: None)
    kept = committed()
    assert fresh.threshold == kept.threshold
    assert abs(fresh.bias - kept.bias) <= 1e-3
    assert fresh.weights.keys() == kept.weights.keys()
    assert max(abs(fresh.weights[f] - kept.weights[f]) for f in kept.weights) <= 1e-3


def test_training_never_reads_the_sealed_half() -> None:
    dev = [e for language in ("da", "en") for e in triage_training.development_examples(language)]
    sources = {e.source for e in [*dev, *triage_training.other_examples()]}
    assert sources and not any("sealed" in source for source in sources)


def test_the_model_file_round_trips_and_stays_small() -> None:
    kept = committed()
    assert WordingModel.parse(kept.dump()) == kept
    assert triage_training.MODEL_PATH.stat().st_size < 300_000
    assert 0 < kept.threshold < 1


def test_a_model_hit_names_its_own_concept_at_distress() -> None:
    lists_only = CrisisDetector.load(with_model=False)
    for text in MODEL_ONLY:
        assert not lists_only.check(text).flagged, text
        assert default_detector().check(text) == MODEL_RESULT, text
    assert MODEL_RESULT.categories == {MODEL_CATEGORY}
    assert MODEL_RESULT.level == Level.DISTRESS
    assert MODEL_CATEGORY in default_detector().categories
    assert default_detector().level_of(MODEL_CATEGORY) == Level.DISTRESS
    assert MODEL_CATEGORY not in lists_only.categories


def test_a_phrase_hit_is_explained_by_its_phrase_concept() -> None:
    """The lists decide first: a phrase hit names its concept and level, not the model's."""
    result = default_detector().check("jeg har samlet piller og vil ikke leve mere")
    assert result.level == Level.METHOD
    assert MODEL_CATEGORY not in result.categories


def test_scores_are_probabilities_and_empty_text_scores_nothing() -> None:
    model = triage_model.load_default()
    assert model.score("", "") == 0.0
    assert not default_detector().check("").flagged
    for text in (*MODEL_ONLY, "hej, tak for i går"):
        assert 0.0 <= model.score(" " + text, text) <= 1.0


async def test_a_model_hit_reaches_the_coordinator_as_deep_distress(harness: Harness) -> None:
    h = harness
    coco = await coordinator(h)
    _, citizen = await in_contact(h)
    citizen.send_text(MODEL_ONLY[1])
    await h.settle()
    assert "112" in citizen.texts[-1]
    assert "wrote words of deep distress" in h.fake.user(COORDINATOR).texts[-1]
    assert coco.texts[-1] == h.fake.user(COORDINATOR).texts[-1]
    rows = await h.rt.storage.fetchall("SELECT reason, categories FROM escalations")
    assert [(r[0], set(r[1].split(","))) for r in rows] == [("signal", {MODEL_CATEGORY, "level:1"})]
