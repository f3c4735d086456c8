"""French-aware text normalisation shared by every matcher in this package.

Users type on phones: accents go missing, apostrophes come in three shapes,
SMS spellings abound ("jveux", "pk", "bcp"). Every matcher compares
normalised forms on both sides, so a single function decides what "equal"
means. Pure functions, no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

MAX_INPUT_CHARS: Final = 2_000
"""Inputs are cut to this many characters first, so cost is bounded."""

# Apostrophe look-alikes, mapped before NFKC (which would turn the acute
# accent U+00B4 into a space plus a combining mark).
_APOSTROPHES: Final = str.maketrans(
    {c: "'" for c in "\u2019\u2018\u02bc\u02b9\u0060\u00b4\u2032\uff07\u201b"}
)
_LIGATURES: Final = str.maketrans({"œ": "oe", "æ": "ae"})

# "j'ai" -> "ai": the elided article or pronoun carries no meaning for matching.
_ELISION: Final = re.compile(r"\b(?:jusqu|lorsqu|puisqu|qu|[jldnstmc])'")
# Inclusive writing "libéral·e", "salarié·e·s": keep the base form only.
_INCLUSIVE: Final = re.compile(r"(?<=[^\W\d_])[·⋅‧•∙][^\W\d_]{1,5}")
_NON_WORD: Final = re.compile(r"[\W_]+")
# "mouriiiir", "nooon": French never triples a letter.
_STRETCHED: Final = re.compile(r"([^\W\d_])\1{2,}")

ELIDED_LETTERS: Final = frozenset({"j", "l", "d", "n", "s", "t", "m", "c", "qu"})
"""Left alone after "j ai" (space instead of apostrophe); dropped like elisions."""

_VOWELS: Final = frozenset("aeiouy")

SMS_SPELLINGS: Final[dict[str, str]] = {
    # Elided subject pronoun glued to the verb.
    "jai": "ai",
    "jen": "en",
    "jaime": "aime",
    "jaimerais": "aimerais",
    "jarrive": "arrive",
    "jy": "y",
    "g": "ai",
    "chui": "suis",
    "chuis": "suis",
    "jsui": "suis",
    "chai": "sais",
    "chais": "sais",
    "jpp": "en peux plus",
    "jsp": "sais pas",
    # Common abbreviations.
    "pk": "pourquoi",
    "pq": "pourquoi",
    "pkoi": "pourquoi",
    "koi": "quoi",
    "kwa": "quoi",
    "ke": "que",
    "ki": "qui",
    "bcp": "beaucoup",
    "medoc": "medicament",
    "medocs": "medicaments",
    "cachetons": "cachets",
    "tjrs": "toujours",
    "tjr": "toujours",
    "tjs": "toujours",
    "qqn": "quelqu un",
    "qqun": "quelqu un",
    "qq1": "quelqu un",
    "qqch": "quelque chose",
    "qqc": "quelque chose",
    "qd": "quand",
    "pcq": "parce que",
    "pck": "parce que",
    "psk": "parce que",
    "paske": "parce que",
    "dc": "donc",
    "ds": "dans",
    "ns": "nous",
    "vs": "vous",
    "tt": "tout",
    "tte": "toute",
    "pr": "pour",
    "pa": "pas",
    "plu": "plus",
    "ve": "veux",
    "veu": "veux",
    "vx": "veux",
    "mm": "meme",
    "mtn": "maintenant",
    "mnt": "maintenant",
    "auj": "aujourdhui",
    "ajd": "aujourdhui",
    "ya": "y a",
    "bjr": "bonjour",
    "slt": "salut",
    "dsl": "desole",
    "svp": "il vous plait",
    "stp": "il te plait",
    "pb": "probleme",
    "pbm": "probleme",
    "rdv": "rendez vous",
    "msg": "message",
    "st": "saint",
    "ste": "sainte",
}
"""Whole-token rewrites applied after punctuation is removed (linguistic data)."""

_STOP_TEXT: Final = """
    le la les un une des du de au aux ce cet cette ces
    mon ma mes ton ta tes son sa ses notre nos votre vos leur leurs
    je tu il elle on nous vous ils elles se lui y en eux
    a et ou mais donc ni car que qui quoi dont pour par sur sous dans avec chez vers entre
    est es suis sont sommes etes etre ai as avons avez ont avoir etait etais
    tres trop bien aussi deja encore alors comme ca cela ceci tout tous toute toutes meme si
    oui bonjour salut merci hello coucou euh ben bah voila
    j l d n s t m c qu
"""
STOP_WORDS: Final = frozenset(_STOP_TEXT.split())
"""Compact French stop list. Deliberately keeps negations (ne, pas, plus, jamais,
rien, personne, aucun, non, sans) and the pronouns me/moi/te/toi: "plus envie
de vivre" must not collapse to "envie vivre"."""


def _strip_marks(text: str) -> str:
    """Drop accents, zero-width and format characters; controls become spaces."""
    if text.isascii():
        return text  # controls are non-word characters: they become spaces later
    out: list[str] = []
    for ch in unicodedata.normalize("NFKD", text):
        category = unicodedata.category(ch)
        if category[0] == "M" or category == "Cf":
            continue
        out.append(" " if category[0] == "C" else ch)
    return "".join(out)


def _rewrite(token: str) -> str:
    """Apply SMS spellings, "jveux" -> "veux", and drop stray elided letters."""
    mapped = SMS_SPELLINGS.get(token)
    if mapped is not None:
        return mapped
    if token in ELIDED_LETTERS:
        return ""
    # French words never start with "j" + consonant, nor "d" + consonant other
    # than r/h/j: that is "j'" or "d'" glued on ("jveux", "dmourir").
    glued = token[0] == "j" or (token[0] == "d" and token[1:2] not in ("r", "h", "j"))
    if glued and len(token) >= 3 and token[1].isalpha() and token[1] not in _VOWELS:
        token = token[1:]
        return SMS_SPELLINGS.get(token, token)
    return token


def normalise(text: str, *, max_chars: int = MAX_INPUT_CHARS) -> str:
    """Return a lowercase, accentless, space-separated form of ``text`` for matching.

    Two spellings a French reader would take for the same words normalise
    equal ("FIÈVRE", " fievre!"). Numbers are kept ("14000", "2a").
    """
    text = text[:max_chars].translate(_APOSTROPHES)
    text = unicodedata.normalize("NFKC", text).casefold().translate(_LIGATURES)
    text = _strip_marks(text)
    text = text.replace("aujourd'hui", "aujourdhui")
    text = _INCLUSIVE.sub("", text)
    text = _ELISION.sub("", text)
    text = _STRETCHED.sub(r"\1", text)
    words = (_rewrite(token) for token in _NON_WORD.sub(" ", text).split())
    return " ".join(word for word in words if word)


def tokens(text: str) -> list[str]:
    """Normalised tokens of ``text``, in order."""
    return normalise(text).split()


def content_words(text: str) -> list[str]:
    """Normalised tokens minus stop words (negations and me/moi are kept)."""
    return [token for token in tokens(text) if token not in STOP_WORDS]
