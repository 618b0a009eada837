"""How long the crisis detector takes per citizen message (the relay runs it on every one).

    .venv/bin/python bench/triage.py

Prints CPU microseconds per `check` of a 200-character message, without and with a hit, Danish
and English, for the whole detector (phrase lists, then the wording model when no phrase
matched) and for the lists alone, plus the time to load and compile the lists and the model.
The fastest of several rounds of process CPU time is shown, so a busy neighbour on the machine
moves it less.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.services.crisis import triage_model
from bot.services.crisis.triage import CrisisDetector

LENGTH = 200
ROUNDS = 7

# Ordinary chat of the kind peers and citizens exchange, cut to LENGTH characters.
MESSAGES = {
    "da, no hit": (
        "Hej, tak for sidst. Jeg har haft en lang uge på arbejdet, og i går var jeg ude at gå en "
        "tur med hunden i skoven. Min søster kommer på besøg i weekenden, og vi skal lave mad "
        "sammen og se en film. Hvordan har du det?"
    ),
    "en, no hit": (
        "Hi, thanks for yesterday. It has been a long week at work and last night I went for a "
        "walk with the dog in the woods. My sister is visiting this weekend, we are going to "
        "cook together and watch a film. How are you?"
    ),
    "da, hit at the end": (
        "Hej, tak for sidst. Jeg har haft en lang uge på arbejdet, og i går var jeg ude at gå en "
        "tur med hunden i skoven. Min søster kommer på besøg, men ærligt: jeg har samlet "
        "piller og vil ikke leve mere."
    ),
    "en, hit at the end": (
        "Hi, thanks for yesterday. It has been a long week at work and last night I went for a "
        "walk with the dog in the woods. My sister is visiting, but honestly: I have saved up "
        "my pills and I want to die."
    ),
}


def per_call_us(detector: CrisisDetector, text: str, calls: int) -> float:
    rounds = []
    for _ in range(ROUNDS):
        start = time.process_time()
        for _ in range(calls):
            detector.check(text)
        rounds.append((time.process_time() - start) / calls * 1e6)
    return min(rounds)


def main() -> None:
    start = time.process_time()
    lists = CrisisDetector.load(with_model=False)
    lists_ms = (time.process_time() - start) * 1000
    start = time.process_time()
    triage_model.load_default()
    model_ms = (time.process_time() - start) * 1000
    detector = CrisisDetector.load()
    print(f"load and compile: lists {lists_ms:.0f} ms, model {model_ms:.0f} ms")
    print(f"{'':<20} {'lists + model':>16} {'lists alone':>14}")
    for name, text in MESSAGES.items():
        message = text[:LENGTH].ljust(LENGTH)
        assert detector.check(message).flagged == ("hit" in name and "no hit" not in name)
        both = per_call_us(detector, message, 2000)
        alone = per_call_us(lists, message, 2000)
        print(f"{name:<20} {both:13.1f} µs {alone:11.1f} µs")


if __name__ == "__main__":
    main()
