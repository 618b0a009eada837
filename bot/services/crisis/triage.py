"""Crisis-signal triage: notice words that suggest risk of suicide or self-harm, so humans look.

Curated phrase lists first: they are transparent, auditable and extensible by an
organisation without code, and they behave the same on every run. Patterns are written as
concepts that combine (word lists such as $pille, compound heads such as *piller, two-part
matches "a & b"), small words are ignored on both sides, and a sentence about something else
(news, statistics, a film: [context]) only counts when it names the writer. Measured on
sentences never used for tuning, the lists flag about half of crisis messages
(docs/triage.md, tests/services/crisis/test_triage_blind.py), so when no phrase matches, a small
learned model of crisis wording (bot/services/crisis/triage_model.py) has the last word; its hit
names one concept, "crisis_wording", at DISTRESS. A hit only raises a flag
(the caller shows emergency resources and alerts coordinators, who decide); it never blocks a
message and never judges risk (DESIGN, principle 2). Results carry categories, never text, so
they can be logged by id. The pattern language is documented in the data files and in
docs/triage.md.

Speed comes from the shape of the compiled regexes: every match must start right after a space
or newline (so `re` skips to word starts in C), and all patterns share one character trie (so a
word start costs a few comparisons, not one per pattern). Repeated letters are tolerated by the
patterns (each letter may repeat), not by rewriting the message.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from functools import cache
from importlib import resources
from pathlib import Path

from bot.services.crisis.triage_model import WordingModel
from bot.services.crisis.triage_model import load_default as load_default_model

EXCLUDE_SECTION = "exclude"
CONTEXT_SECTION = "context"
RESERVED_SECTIONS = frozenset({EXCLUDE_SECTION, CONTEXT_SECTION})
MAX_GAP_WORDS = 3
# "~~": a wider gap, for concepts that combine across a clause ("jeg har ... klar til i aften").
MAX_WIDE_GAP_WORDS = 8
# How many words before a match are searched for a negation ("ikke", "not", "never" ...).
NEGATION_WINDOW_WORDS = 4
PHRASE_FILE_SUFFIX = ".txt"

_APOSTROPHES = "'’‘`´ʼ′"
_APOSTROPHE_RX = re.compile(f"[{_APOSTROPHES}]")
# Messages are folded to ASCII so "dø", "dö" and "doe" meet; patterns keep æ/ø as markers that
# compile to every spelling people use without a Danish keyboard (see _letters_regex).
_TEXT_FOLD = (("æ", "ae"), ("ø", "oe"), ("å", "aa"), ("ä", "ae"), ("ö", "oe"))
_PATTERN_FOLD = str.maketrans({"å": "aa", "ä": "æ", "ö": "ø"})
_MARKS = re.compile(r"[\u0300-\u036f]+")
# Sentence ends become a record separator first, then a newline once other line breaks have
# become spaces: people break lines mid-sentence in chat, so only . ! ? ; … or a blank line
# ends a sentence.
_SENTENCE_END = re.compile(r"(?:[.!?;\u2026]|\n[ \t\r]*\n)[\s.!?;\u2026]*")
_SEPARATOR = "\x1e"
_ASCII_PUNCTUATION = str.maketrans(
    {
        chr(i): (None if chr(i) in _APOSTROPHES else " ")
        for i in range(128)
        if not chr(i).isalnum() and chr(i) not in " " + _SEPARATOR
    }
    | {_SEPARATOR: "\n"}
)
_NON_WORD_CHAR = re.compile(rf"[^\w{_SEPARATOR} ]")
_REPEATS = re.compile(r"([^\W\d_])\1+")
_SECTION = re.compile(r"\[([a-z][a-z0-9_]*)(?::([a-z]+))?\]")
_MACRO_START = re.compile(r"\$\w+\s*=")
_MACRO = re.compile(r"\$([a-z][a-z0-9_]*)\s*=\s*(\S+)")
_GAP = rf"(?: \w+){{0,{MAX_GAP_WORDS}}}"
_WIDE_GAP = rf"(?: \w+){{0,{MAX_WIDE_GAP_WORDS}}}"
# Method emoji become words, so that a pattern can name them beside other words ("🔪 igen i
# aften"): emojipille, emojikniv ... Other emoji stay word breaks.
_EMOJI_WORDS = {
    "\U0001f48a": "emojipille",
    "\U0001f52a": "emojikniv",
    "\U0001faa2": "emojireb",
    "\U0001fa78": "emojiblod",
    "\u26b0": "emojikiste",
    "\U0001f52b": "emojipistol",
    "\U0001f309": "emojibro",
}
_ANY_BEGINNING = r"\w*"
_EMOJI_RX = re.compile("[" + "".join(_EMOJI_WORDS) + "]")

# Contractions and slang, expanded in messages and patterns alike, so that a pattern written
# either way matches a message written either way. Expanding (never merging) keeps every
# pattern alternative a self-contained phrase.
_SYNONYM_SOURCE = {
    "im": "i am",
    "id": "i would",
    "ill": "i will",
    "youre": "you are",
    "theyd": "they would",
    "theyll": "they will",
    "itll": "it will",
    "its": "it is",
    "thats": "that is",
    "tonights": "tonight is",
    "whos": "who is",
    "ive": "i have",
    "dont": "do not",
    "doesnt": "does not",
    "didnt": "did not",
    "cant": "can not",
    "cannot": "can not",
    "couldnt": "could not",
    "wouldnt": "would not",
    "shouldnt": "should not",
    "isnt": "is not",
    "wasnt": "was not",
    "arent": "are not",
    "havent": "have not",
    "wanna": "want to",
    "gonna": "going to",
    "goin": "going",
    "gunna": "going to",
    "tryna": "trying to",
    "gotta": "got to",
    "wont": "will not",
    "u": "you",
    "r": "are",
    "ur": "your",
    "rly": "really",
    "abt": "about",
    "bc": "because",
    "cuz": "because",
    "2": "to",
    "jus": "just",
    "thinkin": "thinking",
    "bout": "about",
    "ska": "skal",
    "myself": "my self",
    "ik": "ikke",
    "ka": "kan",
    "mer": "mere",
    "jg": "jeg",
    "migselv": "mig selv",
    "sigselv": "sig selv",
    "ikk": "ikke",
    "nogn": "nogen",
}


# Small words that change nothing about a crisis phrase but break it when they stand in the
# middle ("jeg skærer stadig i mig selv", "i have a rope"): dropped from messages and patterns
# alike, so a pattern never needs them and a message that has them still matches.
_FILLER_SOURCE = (
    "a an the just really still even actually literally honestly kinda totally"
    " truly lowkey basically"
    " en et bare lige stadig ogsaa altsaa jo vel egentlig virkelig totalt sgu fandme"
    " simpelthen faktisk aerligt serioest"
)


def _collapse(text: str) -> str:
    return _REPEATS.sub(r"\1", text)


_SYNONYMS = {_collapse(k): v for k, v in _SYNONYM_SOURCE.items()}
_FILLERS = frozenset(_collapse(w) for w in _FILLER_SOURCE.split())


class Level(IntEnum):
    """How urgent a signal looks; higher is more urgent. Coordinators still decide."""

    DISTRESS = 1  # general distress: "jeg kan ikke mere", "everything is hopeless"
    THOUGHTS = 2  # suicidal or self-harm thoughts: "i want to die", "jeg skærer i mig selv"
    METHOD = 3  # a method or a plan: "20 piller", "i have the pills ready", "hænge mig"


# Built-in categories and their levels; any other category is THOUGHTS unless its header says
# otherwise ("[eating_disorder:distress]").
METHOD_CATEGORY = "method"
DISTRESS_CATEGORY = "distress"
CATEGORY_LEVELS = {
    METHOD_CATEGORY: Level.METHOD,
    DISTRESS_CATEGORY: Level.DISTRESS,
    "plan": Level.METHOD,
    "farewell": Level.METHOD,
    "burden": Level.THOUGHTS,
    "suicidal_ideation": Level.THOUGHTS,
    "self_harm": Level.THOUGHTS,
}
DEFAULT_LEVEL = Level.THOUGHTS


@dataclass(frozen=True)
class TriageResult:
    """Whether a message suggests crisis, which kinds and how urgent. Never the text."""

    flagged: bool
    categories: frozenset[str]
    level: Level | None = None  # None exactly when not flagged


NOT_FLAGGED = TriageResult(flagged=False, categories=frozenset())

# A hit of the wording model (bot/services/crisis/triage_model.py) when no phrase matched: the
# concept a coordinator may see is "worded like crisis messages", never weights or n-grams.
# DISTRESS, because the model cannot tell a method from a thought or from deep distress, and its
# cross-validated false alarms are ordinary sentences; the alert still reaches a human.
MODEL_CATEGORY = "crisis_wording"
MODEL_LEVEL = Level.DISTRESS
MODEL_RESULT = TriageResult(flagged=True, categories=frozenset({MODEL_CATEGORY}), level=MODEL_LEVEL)

# Method emoji. Next to a flagged phrase they raise the level to METHOD; a message made only of
# emoji that holds one of them flags DISTRESS; inside ordinary text they are ignored.
_METHOD_EMOJI = re.compile("[\U0001f48a\U0001f52a\U0001faa2\u26b0\U0001fa78]")
_ONLY_SYMBOLS = re.compile(r"[\W_]*", re.UNICODE)
# Amounts: ten or more pills flag METHOD alone; a large mg amount only raises a flag already
# raised by a phrase ("800mg" alone is often an ordinary prescription).
_PILL_COUNT = re.compile(
    r"[ \n](?:[1-9]\d+|hundred|hundrede) (?:x )?(?:piller|pills|tabletter|tablets|tabs|pamol\w*"
    r"|panodil\w*|paracetamol\w*|ipren\w*|ibuprofen\w*|tylenol\w*|advil\w*|aspirin\w*"
    r"|panadol\w*|\w*piller\w*|\w*pills|painkillers|tabs)(?!\w)"
)
_MG_AMOUNT = re.compile(r"[ \n]\d{3,} ?(?:mg|milligram)(?!\w)")
# Negations, as they look in prepared text (letters may repeat; "dont" is already "do not").
_NEGATION = re.compile(r"(?<!\w)(?:n+o+t+|n+e+v+e+r+|i+k+e+|a+l+d+r+i+g+|n+o+ l+o+n+g+e+r+)(?!\w)")
# Words by which a writer names themself: in a sentence about something else (a context), a
# match still counts when it holds one of them ("jeg cutter igen og ser film").
_FIRST_PERSON = re.compile(r"(?<!\w)(?:jeg|mig|i|me)(?!\w)")
# Words that start a new clause: a negation before them belongs to another clause.
_CLAUSE_START = frozenset({"i", "jeg", "but", "men", "and", "og", "so", "saa"})


class PhraseFileError(ValueError):
    """A phrase-file line that cannot be understood; names file and line for its author."""

    def __init__(self, source: str, line_no: int, problem: str) -> None:
        super().__init__(f"{source}, line {line_no}: {problem}")
        self.source = source
        self.line_no = line_no
        self.problem = problem


# --- compiling patterns -------------------------------------------------------------------

# An entry is one way a pattern can begin: a literal prefix (shared in the character trie) and
# the regex pieces for everything after it (shared in a trie of pieces: one per word or gap).
_Entry = tuple[str, tuple[str, ...]]


def _letter_regex(ch: str) -> str:
    """One pattern character; letters may repeat in the message ("diiie"), æ/ø have fallbacks."""
    if ch == "æ":
        return "(?:a+e*|e+)"
    if ch == "ø":
        return "o+e*"
    if ch.isalpha():
        return re.escape(ch) + "+"
    return re.escape(ch)


def _letters_regex(text: str) -> str:
    return "".join(_letter_regex(ch) for ch in text)


@dataclass(frozen=True)
class _Word:
    text: str  # normalised and collapsed; may hold spaces ("my self") and æ/ø markers
    star: bool
    lead: bool = False  # "*piller": any beginning, for the heads of compounds

    def regex(self) -> str:
        lead = _ANY_BEGINNING if self.lead else ""
        return lead + _letters_regex(self.text) + (r"\w*" if self.star else "")

    def entries(self) -> list[tuple[str, str]]:
        """Split into literal prefix and the rest, so patterns can share a trie."""
        if self.lead:
            return [("", self.regex()[len(_ANY_BEGINNING) :])]
        cut = next((i for i, ch in enumerate(self.text) if ch in "æø"), len(self.text))
        prefix, rest = self.text[:cut], self.text[cut:]
        star = r"\w*" if self.star else ""
        if prefix or not rest:
            return [(prefix, _letters_regex(rest) + star)]
        tail = _letters_regex(rest[1:]) + star
        if rest[0] == "ø":
            return [("o", "e*" + tail)]
        return [("a", "e*" + tail), ("e", tail)]


@dataclass(frozen=True)
class _Slot:
    kind: str  # "word", "optional", "gap" or "wide_gap"
    words: tuple[_Word, ...] = ()

    def regex(self) -> str:
        return "(?:" + "|".join(dict.fromkeys(w.regex() for w in self.words)) + ")"


def _normalise_pattern_word(word: str, *, expand: bool) -> str:
    """Normalise one pattern alternative like a message, keeping æ/ø as spelling markers."""
    word = unicodedata.normalize("NFKC", word).casefold().translate(_PATTERN_FOLD)
    word = unicodedata.normalize("NFC", _MARKS.sub("", unicodedata.normalize("NFKD", word)))
    word = _APOSTROPHE_RX.sub("", word).replace("_", " ")
    words = _collapse(_NON_WORD_CHAR.sub(" ", word)).split()
    if expand:
        words = [_SYNONYMS.get(w, w) for w in words]
        words = [w for w in " ".join(words).split() if _collapse(_fold_ascii(w)) not in _FILLERS]
    return _collapse(" ".join(words))


def _fold_ascii(word: str) -> str:
    """A pattern word as the message would spell it (æ/ø markers to ae/oe)."""
    return word.replace("æ", "ae").replace("ø", "oe")


def _parse_word(alternative: str) -> _Word | None:
    """One alternative; None for a small word that messages drop (see _FILLER_SOURCE)."""
    lead = alternative.startswith("*") and len(alternative) > 1
    star = alternative.endswith("*")
    core = alternative[1 if lead else 0 : -1 if star else None]
    if "*" in core:
        raise ValueError(f"'*' may only begin or end a word: {alternative!r}")
    text = _normalise_pattern_word(core, expand=not (star or lead))
    if not text:
        if _normalise_pattern_word(core, expand=False):
            return None
        raise ValueError(f"no letters in {alternative!r}")
    return _Word(text, star, lead)


# Named word lists ("$self = mig/mig_selv"), shared by every file loaded after the definition.
Macros = dict[str, tuple[str, ...]]


def _alternatives(token: str, macros: Macros) -> list[str]:
    """The alternatives of one slot, with $name replaced by the named list."""
    found: list[str] = []
    for alt in token.split("/"):
        if not alt:
            raise ValueError(f"empty alternative in {token!r}")
        if alt.startswith("$"):
            if alt[1:] not in macros:
                raise ValueError(f"unknown word list {alt!r} (define it first: {alt} = a/b)")
            found.extend(macros[alt[1:]])
        else:
            found.append(alt)
    return found


def _parse_slot(token: str, kind: str, macros: Macros) -> _Slot | None:
    """One slot; a slot that allows a small word messages drop becomes optional (the message
    may have had it), and a slot made only of such words disappears (None)."""
    if any(ch in token for ch in "()~[]&"):
        raise ValueError(f"misplaced bracket, '~' or '&' in {token!r}")
    parsed = [_parse_word(alt) for alt in _alternatives(token, macros)]
    words = tuple(dict.fromkeys(w for w in parsed if w is not None))
    if not words:
        return None
    return _Slot("optional" if None in parsed else kind, words)


def _parse_pattern(pattern: str, macros: Macros | None = None) -> list[_Slot]:
    macros = macros or {}
    tokens = pattern.split()
    if not tokens:
        raise ValueError("empty pattern")
    gaps = [token in ("~", "~~") for token in tokens]
    if gaps[0] or gaps[-1] or any(a and b for a, b in itertools.pairwise(gaps)):
        raise ValueError("'~' must stand between two words")
    slots: list[_Slot | None] = []
    for token, gap in zip(tokens, gaps, strict=True):
        if gap:
            slots.append(_Slot("gap" if token == "~" else "wide_gap"))
        elif token.startswith("(") and token.endswith(")") and len(token) > 2:
            slots.append(_parse_slot(token[1:-1], "optional", macros))
        else:
            slots.append(_parse_slot(token, "word", macros))
    if not any(slot is not None and slot.kind == "word" for slot in slots):
        raise ValueError("a pattern needs at least one word that is not optional")
    # Small words dropped from a slot (see _FILLER_SOURCE) can leave a gap at an end or two
    # gaps together: keep the wider one.
    kept: list[_Slot] = []
    for slot in slots:
        if slot is None:
            continue
        if slot.kind.endswith("gap") and (not kept or kept[-1].kind.endswith("gap")):
            if kept and slot.kind == "wide_gap":
                kept[-1] = slot
            continue
        kept.append(slot)
    while kept and kept[-1].kind.endswith("gap"):
        kept.pop()
    return kept


def _rest_pieces(slots: Sequence[_Slot]) -> tuple[str, ...]:
    parts = []
    for slot in slots:
        if slot.kind == "gap":
            parts.append(_GAP)
        elif slot.kind == "wide_gap":
            parts.append(_WIDE_GAP)
        elif slot.kind == "optional":
            parts.append(f"(?: {slot.regex()})?")
        else:
            parts.append(f" {slot.regex()}")
    return tuple(parts)


def _entries(slots: Sequence[_Slot]) -> list[_Entry]:
    """Every way the pattern can begin; a leading optional word doubles the entries."""
    while slots and slots[0].kind.endswith("gap"):
        slots = slots[1:]
    first, rest = slots[0], slots[1:]
    entries = _entries(rest) if first.kind == "optional" else []
    tail = _rest_pieces(rest)
    for word in first.words:
        lead = (_ANY_BEGINNING,) if word.lead else ()
        for prefix, regex in word.entries():
            entries.append((prefix, lead + ((regex,) if regex else ()) + tail))
    return entries


def _compile_pattern(pattern: str, macros: Macros | None = None) -> list[_Entry]:
    """Check one line of the pattern language and return its (literal prefix, regex) entries.

    Raises ValueError with a message meant for the person who wrote the line.
    """
    return _entries(_parse_pattern(pattern, macros))


class _TrieNode:
    """One character position shared by every pattern entry whose prefix passes through it."""

    __slots__ = ("children", "tails")

    def __init__(self) -> None:
        self.children: dict[str, _TrieNode] = {}
        self.tails: dict[tuple[str, ...], None] = {}  # ordered set: pieces that finish entries

    def regex(self) -> str:
        branches = [
            # A letter is written cc* (not c+) so that `re` can reject a branch on its first
            # character without entering it.
            re.escape(ch) + (re.escape(ch) + "*" if ch.isalpha() else "") + child.regex()
            for ch, child in sorted(self.children.items())
        ]
        tails = _pieces_regex(list(self.tails))
        if tails is not None:
            branches.append(tails)
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"


def _pieces_regex(tails: list[tuple[str, ...]]) -> str | None:
    """One alternation for many piece sequences, sharing their common first pieces, so that a
    gap or word several patterns begin with is tried once (None: no tails at all)."""
    if not tails:
        return None
    groups: dict[str, list[tuple[str, ...]]] = {}
    ends = False
    for tail in tails:
        if tail:
            groups.setdefault(tail[0], []).append(tail[1:])
        else:
            ends = True
    branches = [piece + (_pieces_regex(rest) or "") for piece, rest in groups.items()]
    if ends:
        branches.append("")
    if len(branches) == 1:
        return branches[0]
    return "(?:" + "|".join(branches) + ")"


def _trie_regex(entries: Iterable[_Entry]) -> str:
    """Merge entries into one alternation that shares common prefixes.

    Entries that may begin anywhere in a word ("*piller") share one leading \\w* piece, so a
    word start backtracks through the word once for all of them, not once each.
    """
    root = _TrieNode()
    for prefix, tail in entries:
        node = root
        for ch in prefix:
            node = node.children.setdefault(ch, _TrieNode())
        node.tails[tail] = None
    return root.regex()


def _word_start_regex(entries: Iterable[_Entry]) -> re.Pattern[str]:
    """Whole-word matching over prepared text: start at the space or newline before a word."""
    return re.compile(r"[ \n]" + _trie_regex(entries) + r"(?!\w)")


_SYNONYM_RX = _word_start_regex((key, ()) for key in _SYNONYMS)


_FILLER_RX = re.compile(_word_start_regex((key, ()) for key in _FILLERS).pattern + r"(?= |$)", re.M)


def _drop(match: re.Match[str]) -> str:
    """Drop a small word with the space before it; a sentence start stays."""
    return "" if match.group()[0] == " " else "\n"


def _expand(match: re.Match[str]) -> str:
    word = match.group()
    return word[0] + _SYNONYMS[_collapse(word[1:])]


# --- normalising messages -----------------------------------------------------------------


def _prepare(text: str) -> str:
    """The message as patterns see it, with a leading space so every word follows a separator."""
    if text.isascii():
        text = text.lower()
    else:
        text = unicodedata.normalize("NFKC", text).casefold()
        for letter, ascii_form in _TEXT_FOLD:
            text = text.replace(letter, ascii_form)
        if not text.isascii() and not unicodedata.is_normalized("NFKD", text):
            text = unicodedata.normalize("NFKD", text)
            text = unicodedata.normalize("NFC", _MARKS.sub("", text))
    text = _SENTENCE_END.sub(_SEPARATOR, text)
    if not text.isascii():
        text = _EMOJI_RX.sub(lambda m: f" {_EMOJI_WORDS[m.group()]} ", text)
    if text.isascii():
        text = text.translate(_ASCII_PUNCTUATION)
    else:
        text = _APOSTROPHE_RX.sub("", text).replace("_", " ")
        text = _NON_WORD_CHAR.sub(" ", text).replace(_SEPARATOR, "\n")
    while "  " in text:
        text = text.replace("  ", " ")
    text = _SYNONYM_RX.sub(_expand, " " + text)
    return _FILLER_RX.sub(_drop, text)


def normalise(text: str) -> str:
    """Reduce a message to the form patterns are matched against (useful to explain a match).

    Lower case, NFKC, æ/ø/å (and ä/ö) folded to ae/oe/aa, accents and apostrophes dropped,
    punctuation and line breaks turned into single spaces, sentence ends (. ! ? ; … or a blank
    line) into newlines, contractions expanded. Repeated letters are kept: patterns allow
    them. Other scripts keep their letters, so an organisation can add lists in more languages.
    """
    return _prepare(text).strip()


# --- loading and checking -----------------------------------------------------------------


@dataclass
class _Lists:
    """Everything read from the phrase files, before compiling."""

    categories: dict[str, list[_Entry]] = field(default_factory=dict)
    # Concepts spread over a message: every part must match somewhere ("a & b").
    combos: dict[str, list[list[list[_Entry]]]] = field(default_factory=dict)
    exclusions: list[_Entry] = field(default_factory=list)
    contexts: list[_Entry] = field(default_factory=list)
    levels: dict[str, Level] = field(default_factory=dict)
    macros: Macros = field(default_factory=dict)


def _parse_phrase_file(source: str, text: str, lists: _Lists) -> None:
    """Read one phrase file into `lists` (sections, word lists, levels named in headers)."""
    section: str | None = None
    for line_no, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if _MACRO_START.match(line):
            macro = _MACRO.fullmatch(line)
            if macro is None:
                raise PhraseFileError(source, line_no, "a word list looks like $name = a/b/c")
            try:
                alternatives = _alternatives(macro.group(2), lists.macros)
                for alternative in alternatives:
                    _parse_word(alternative)
            except ValueError as exc:
                raise PhraseFileError(source, line_no, str(exc)) from None
            lists.macros[macro.group(1)] = tuple(alternatives)
            continue
        if line.startswith("["):
            header = _SECTION.fullmatch(line)
            if header is None:
                raise PhraseFileError(
                    source, line_no, "a section header looks like [self_harm] (a-z, 0-9, _)"
                )
            section, level_name = header.group(1), header.group(2)
            if level_name is not None:
                if level_name.upper() not in Level.__members__ or section in RESERVED_SECTIONS:
                    raise PhraseFileError(
                        source, line_no, "a level is one of :method, :thoughts, :distress"
                    )
                lists.levels[section] = Level[level_name.upper()]
            continue
        if section is None:
            raise PhraseFileError(source, line_no, "pattern before any [category] header")
        try:
            parts = [_compile_pattern(part, lists.macros) for part in line.split(" & ")]
        except ValueError as exc:
            raise PhraseFileError(source, line_no, str(exc)) from None
        if len(parts) > 1:
            if section in RESERVED_SECTIONS:
                raise PhraseFileError(source, line_no, "'&' belongs in a category, not here")
            lists.combos.setdefault(section, []).append(parts)
        elif section == EXCLUDE_SECTION:
            lists.exclusions.extend(parts[0])
        elif section == CONTEXT_SECTION:
            lists.contexts.extend(parts[0])
        else:
            lists.categories.setdefault(section, []).extend(parts[0])


def _package_sources() -> list[tuple[str, str]]:
    folder = resources.files("bot") / "data" / "crisis_phrases"
    files = sorted(
        (f for f in folder.iterdir() if f.is_file() and f.name.endswith(PHRASE_FILE_SUFFIX)),
        key=lambda f: f.name,
    )
    return [(f"bot/data/crisis_phrases/{f.name}", f.read_text("utf-8")) for f in files]


def _directory_sources(directory: Path) -> list[tuple[str, str]]:
    if not directory.is_dir():
        raise FileNotFoundError(f"triage phrase directory not found: {directory}")
    files = sorted(p for p in directory.iterdir() if p.suffix == PHRASE_FILE_SUFFIX and p.is_file())
    return [(str(p), p.read_text("utf-8")) for p in files]


class CrisisDetector:
    """Checks text against every loaded list at once, whatever language the person chose.

    People mix languages and write without æ/ø/å, so every message meets every list.
    """

    def __init__(self, lists: _Lists, model: WordingModel | None = None) -> None:
        self._model = model
        names = sorted(set(lists.categories) | set(lists.combos))
        if not names:
            raise ValueError("no crisis patterns loaded")
        single = [e for entries in lists.categories.values() for e in entries]
        first_parts = [e for combos in lists.combos.values() for c in combos for e in c[0]]
        self._any = _word_start_regex(single + first_parts)
        self._by_category = {
            name: _word_start_regex(entries)
            for name, entries in sorted(lists.categories.items())
            if entries
        }
        self._combos = {
            name: [[_word_start_regex(part) for part in combo] for combo in combos]
            for name, combos in sorted(lists.combos.items())
        }
        # Per category, one regex for the first parts of all its two-part concepts, so that a
        # message none of them begins in skips them all at once.
        self._combo_starts = {
            name: _word_start_regex(e for combo in combos for e in combo[0])
            for name, combos in lists.combos.items()
        }
        self._exclusions = _word_start_regex(lists.exclusions) if lists.exclusions else None
        self._contexts = _word_start_regex(lists.contexts) if lists.contexts else None
        self._levels = {
            name: lists.levels.get(name, CATEGORY_LEVELS.get(name, DEFAULT_LEVEL)) for name in names
        }
        if model is not None:
            self._levels[MODEL_CATEGORY] = MODEL_LEVEL

    def level_of(self, category: str) -> Level:
        """The level a match in this category reports when not negated."""
        return self._levels[category]

    @property
    def categories(self) -> frozenset[str]:
        """Every category a result can name, so callers can map each to a label up front."""
        return frozenset(self._levels)

    @classmethod
    def from_sources(
        cls, sources: Iterable[tuple[str, str]], model: WordingModel | None = None
    ) -> CrisisDetector:
        """Build from (name, file text) pairs; the name only appears in error messages.

        Word lists ($name) defined in one source can be used by every later one. Without a
        `model` only the lists decide.
        """
        lists = _Lists()
        for source, text in sources:
            _parse_phrase_file(source, text, lists)
        return cls(lists, model)

    @classmethod
    def load(cls, extra_dirs: Sequence[Path] = (), *, with_model: bool = True) -> CrisisDetector:
        """Load the built-in lists plus every *.txt file in each of an organisation's dirs,
        and the built-in wording model (`with_model=False`: the lists alone).

        Extra files add patterns, exclusions and contexts, and may use the built-in word
        lists; they cannot remove built-in patterns. A broken line raises PhraseFileError at
        start-up rather than silently weakening detection.
        """
        sources = _package_sources()
        for directory in extra_dirs:
            sources.extend(_directory_sources(Path(directory)))
        return cls.from_sources(sources, load_default_model() if with_model else None)

    def check(self, text: str) -> TriageResult:
        """Say whether the text holds a crisis phrase that no exclusion cancels, and its level;
        if no phrase does, whether the wording model flags it (category `MODEL_CATEGORY`).

        The level is the highest over all matches; a match with a negation shortly before it
        ("i am not going to kill myself") counts as DISTRESS, so it still flags. A match in a
        sentence that is about something else (news, statistics, a film: [context]) or that an
        exclusion overlaps does not count. A hit of the model alone is DISTRESS: it says the
        message is worded like crisis messages, not which kind of risk.
        """
        if not text:
            return NOT_FLAGGED
        prepared = _prepare(text)
        result = self._check_lists(text, prepared)
        if result.flagged or self._model is None:
            return result
        if self._model.score(prepared, text) >= self._model.threshold:
            return MODEL_RESULT
        return NOT_FLAGGED

    def _check_lists(self, text: str, prepared: str) -> TriageResult:
        """The phrase lists' verdict alone."""
        emoji = _METHOD_EMOJI.search(text) is not None
        first = self._any.search(prepared)
        pills = _PILL_COUNT.search(prepared) is not None
        if first is None and pills:
            return TriageResult(True, frozenset({METHOD_CATEGORY}), Level.METHOD)
        if first is None:
            if emoji and _ONLY_SYMBOLS.fullmatch(text):
                return TriageResult(True, frozenset({METHOD_CATEGORY}), Level.DISTRESS)
            return NOT_FLAGGED
        sentences = _Sentences(self._exclusions, self._contexts, prepared)
        # Every word start where some pattern matches: each category is then tried only there,
        # instead of scanning the whole message once per category.
        starts = [first.start()]
        while (more := self._any.search(prepared, starts[-1] + 1)) is not None:
            starts.append(more.start())
        found: dict[str, list[tuple[int, int]]] = {}
        for name, regex in self._by_category.items():
            spans = sentences.counted_matches(regex, starts)
            if spans:
                found[name] = spans
        for name, combos in self._combos.items():
            if not any(self._combo_starts[name].match(prepared, pos) for pos in starts):
                continue
            for first_part, *other_parts in combos:
                spans = sentences.counted_matches(first_part, starts)
                for part in other_parts:
                    if not spans:
                        break
                    spans = sentences.unexcluded_matches(part, 0)
                if spans:
                    found.setdefault(name, []).append(spans[0])
        if not found:
            if pills:
                return TriageResult(True, frozenset({METHOD_CATEGORY}), Level.METHOD)
            if emoji and _ONLY_SYMBOLS.fullmatch(text):
                return TriageResult(True, frozenset({METHOD_CATEGORY}), Level.DISTRESS)
            return NOT_FLAGGED
        covered = [span for spans in found.values() for span in spans]
        level = max(
            Level.DISTRESS if _negated(prepared, start, covered) else self._levels[name]
            for name, spans in found.items()
            for start, _ in spans
        )
        names = frozenset(found)
        if emoji or pills or _MG_AMOUNT.search(prepared):
            level = Level.METHOD
            names |= {METHOD_CATEGORY}
        return TriageResult(flagged=True, categories=names, level=level)


def _negated(prepared: str, start: int, covered: Sequence[tuple[int, int]]) -> bool:
    """Whether a negation stands within a few words before `start`, in the same clause.

    A negation that is part of another match ("jeg kan ikke mere, jeg vil dø") does not count.
    """
    sentence_start = prepared.rfind("\n", 0, start) + 1
    before = prepared[sentence_start:start]
    words = list(re.finditer(r"\w+", before))
    window = words[-NEGATION_WINDOW_WORDS:]
    for word in reversed(window):
        if word.group() in _CLAUSE_START:
            return False
        pos = sentence_start + word.start()
        if _NEGATION.match(before, word.start()) and not any(a <= pos < b for a, b in covered):
            return True
    return False


class _Sentences:
    """Exclusion spans and contexts of one prepared message, per sentence and only on demand.

    Exclusions and contexts never cross a sentence end, so a candidate match only needs its
    own sentence searched; most messages have no candidate at all and pay nothing here.
    """

    def __init__(
        self,
        exclusions: re.Pattern[str] | None,
        contexts: re.Pattern[str] | None,
        prepared: str,
    ) -> None:
        self._exclusions = exclusions
        self._contexts = contexts
        self._text = prepared
        self._spans: dict[int, tuple[list[tuple[int, int]], bool]] = {}

    def _spans_around(self, start: int, end: int) -> tuple[list[tuple[int, int]], bool]:
        """Exclusion spans of the sentence holding start..end, and whether it has a context."""
        sentence_start = max(self._text.rfind("\n", 0, start), 0)
        if sentence_start in self._spans:
            return self._spans[sentence_start]
        sentence_end = self._text.find("\n", end)
        if sentence_end < 0:
            sentence_end = len(self._text)
        spans: list[tuple[int, int]] = []
        if self._exclusions is not None:
            pos = sentence_start
            while (match := self._exclusions.search(self._text, pos, sentence_end)) is not None:
                spans.append((match.start() + 1, match.end()))
                pos = match.start() + 1
        context = self._contexts is not None and (
            self._contexts.search(self._text, sentence_start, sentence_end) is not None
        )
        self._spans[sentence_start] = (spans, context)
        return spans, context

    def counts(self, start: int, end: int) -> bool:
        """Whether a match counts: no exclusion overlaps it and, in a sentence with a context,
        it names the writer."""
        spans, context = self._spans_around(start, end)
        return not any(a < end and start < b for a, b in spans) and (
            not context or _FIRST_PERSON.search(self._text, start, end) is not None
        )

    def unexcluded_matches(self, regex: re.Pattern[str], pos: int) -> list[tuple[int, int]]:
        """Every match that counts, as (start, end); after a cancelled match the next word is
        tried too."""
        found: list[tuple[int, int]] = []
        while (match := regex.search(self._text, pos)) is not None:
            start, end = match.start() + 1, match.end()
            if self.counts(start, end):
                found.append((start, end))
            pos = start
        return found

    def counted_matches(
        self, regex: re.Pattern[str], starts: Sequence[int]
    ) -> list[tuple[int, int]]:
        """The matches that count among those beginning at the given word starts."""
        found = []
        for pos in starts:
            match = regex.match(self._text, pos)
            if match is not None and self.counts(pos + 1, match.end()):
                found.append((pos + 1, match.end()))
        return found


@cache
def default_detector() -> CrisisDetector:
    """The built-in lists only, compiled once per process (organisation dirs: use load())."""
    return CrisisDetector.load()
