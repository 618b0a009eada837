"""The learned half of crisis triage: a small linear model over word and character n-grams.

The phrase lists catch the ways of saying it they were written for and miss about half of
crisis messages worded otherwise (docs/triage.md). This model sits beside them: a logistic
regression over word unigrams and bigrams and character 3-5-grams inside words (which carry
Danish compounds and inflections, missing æøå and typos), trained offline by
`python -m bot.services.crisis.triage_training` on the project's labelled sentences (never the
sealed half) and committed as `bot/data/triage_model.tsv.gz` (a gzipped text file). A message is
flagged when its score passes the threshold written in that file, chosen by
cross-validation, not on the training fit.

It is a net, not a judge: a hit only says "this is worded like the crisis messages it learnt
from". Its result names one concept (`MODEL_CATEGORY`), never weights or n-grams.
"""

from __future__ import annotations

import gzip
import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

MODEL_FILE = "triage_model.tsv.gz"
# A message of fewer words is left to the lists ("nej", "not really", "farvel"): with so little
# to go on the model would flag everyday replies, and the lists know the short crisis forms
# ("kms", "vil dø", "💊💊💊").
MIN_WORDS = 3
_DIGITS = re.compile(r"\d+")
_REPEATS = re.compile(r"([^\W\d_])\1+")


def features(prepared: str, text: str) -> list[str]:
    """The distinct features of a message, in a fixed order (training is deterministic).

    `prepared` is the message as the lists see it (`triage._prepare`: lower case, æøå folded,
    slang and contractions expanded, small words dropped, one sentence per line); here repeated
    letters are collapsed and numbers become one token. Emoji and other symbols of the original
    `text` are features of their own.
    """
    return list(dict.fromkeys(_all_features(prepared, text)))


def _all_features(prepared: str, text: str) -> list[str]:
    """Every feature occurrence: "w word", "b word word" (bigrams within a sentence, with its
    ends), the character 3-5-grams of " word " (their spaces can only stand first or last, so
    they never equal a word or bigram feature) and "e <symbol>"."""
    found: list[str] = []
    for sentence in _REPEATS.sub(r"\1", prepared).split("\n"):
        words = _DIGITS.sub("0", sentence).split()
        if not words:
            continue
        found += ["w " + word for word in words]
        found += [
            "b " + a + " " + b for a, b in zip(["<s>", *words], [*words, "</s>"], strict=True)
        ]
        for word in words:
            padded = " " + word + " "
            size = len(padded)
            found += [padded[i : i + 3] for i in range(size - 2)]
            found += [padded[i : i + 4] for i in range(size - 3)]
            found += [padded[i : i + 5] for i in range(size - 4)]
    if not text.isascii():
        found += ["e " + ch for ch in text if unicodedata.category(ch) == "So"]
    return found


@dataclass(frozen=True)
class WordingModel:
    """Weights of a logistic regression and the decision threshold on its probability."""

    weights: dict[str, float]
    bias: float
    threshold: float

    def score(self, prepared: str, text: str) -> float:
        """The probability the model gives that the message is a crisis message (0..1)."""
        if len(prepared.split(maxsplit=MIN_WORDS)) < MIN_WORDS:
            return 0.0
        feats = set(_all_features(prepared, text))
        total = sum(filter(None, map(self.weights.get, feats)))
        z = self.bias + total / math.sqrt(len(feats))
        return 1.0 / (1.0 + math.exp(-z)) if z > -30 else 0.0

    def dump(self) -> str:
        """The committed file: a header, then one `weight<TAB>feature` line per feature."""
        lines = [
            "# Crisis-wording model, written by `python -m bot.services.crisis.triage_training`;",
            "# never edit by hand: tests/services/crisis/test_triage_model.py retrains, compares.",
            f"threshold\t{self.threshold:.4f}",
            f"bias\t{self.bias:.4f}",
        ]
        for feat in sorted(self.weights):
            lines.append(f"{self.weights[feat]:.3f}\t{_escape(feat)}")
        return "\n".join(lines) + "\n"

    @classmethod
    def parse(cls, text: str) -> WordingModel:
        threshold = bias = None
        weights: dict[str, float] = {}
        for line in text.splitlines():
            if not line or line.startswith("#"):
                continue
            key, value = line.split("\t", 1)
            if key == "threshold":
                threshold = float(value)
            elif key == "bias":
                bias = float(value)
            else:
                weights[_unescape(value)] = float(key)
        if threshold is None or bias is None:
            raise ValueError("model file lacks its threshold or bias line")
        return cls(weights, bias, threshold)


def _escape(feature: str) -> str:
    return feature.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def _unescape(feature: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"t": "\t", "n": "\n"}.get(m[1], m[1]), feature)


@cache
def load_default() -> WordingModel:
    """The committed model in bot/data, read once per process (it never changes at run time)."""
    data = (resources.files("bot") / "data" / MODEL_FILE).read_bytes()
    return WordingModel.parse(gzip.decompress(data).decode("utf-8"))


def compress(text: str) -> bytes:
    """The file's bytes: gzip without a time stamp, so the same model gives the same bytes."""
    return gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)


def rounded(weights: Iterable[tuple[str, float]], minimum: float) -> dict[str, float]:
    """Weights as the file keeps them: three decimals, and none smaller than `minimum`."""
    return {f: round(w, 3) for f, w in weights if abs(w) >= minimum}
