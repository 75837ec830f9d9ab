"""Rule-made edits of real reviews, shared by the behaviour suite (on test reviews) and the training
augmentation (on training reviews): the words that decide a review swapped for their opposites, and
sentences that carry no sentiment, found by a word list.

``flip_review`` swaps every word of ``OPPOSITES`` found in a review, keeping its capitalisation,
and refuses (returns ``None``) a review that holds a sentiment cue it cannot swap (``CUES``), a
rating ("7/10", "3 out of 10") or no swappable word at all, since such an edit would not flip it.
"""

from __future__ import annotations

import re

# Pairs of opposites, "word/opposite" (_ for a space); each word maps to the first partner it is listed with.
PAIRS = [
    tuple(pair.replace("_", " ").split("/"))
    for pair in (
        "good/bad great/terrible excellent/awful best/worst better/worse love/hate loved/hated loves/hates "
        "loving/hating liked/disliked enjoyed/disliked enjoyable/unbearable wonderful/horrible beautiful/ugly "
        "brilliant/dreadful amazing/awful fantastic/horrible interesting/boring funny/unfunny hilarious/unfunny "
        "entertaining/boring perfect/flawed perfectly/poorly superb/abysmal outstanding/mediocre "
        "masterpiece/disaster gem/mess recommend/avoid recommended/avoided strong/weak powerful/weak "
        "impressive/unimpressive fascinating/tedious exciting/dull memorable/forgettable clever/stupid smart/dumb "
        "intelligent/stupid original/derivative fresh/stale believable/unbelievable convincing/unconvincing "
        "engaging/tedious gripping/tedious charming/annoying delightful/dreadful pleasant/unpleasant solid/weak "
        "nice/lousy greatest/worst success/failure successful/unsuccessful succeeds/fails succeeded/failed "
        "stunning/dreadful magnificent/miserable terrific/terrible poorly/superbly pointless/meaningful "
        "lame/witty pathetic/impressive disappointing/satisfying disappointed/impressed disappointment/triumph "
        "predictable/surprising cheesy/polished amateurish/polished bland/vibrant garbage/gem trash/gem crap/gem "
        "beautifully/clumsily brilliantly/clumsily wonderfully/horribly terribly/wonderfully awesome/awful "
        "fun/tedious enjoy/hate enjoying/hating favorite/least_favorite favourite/least_favourite "
        "excellently/dreadfully mess/gem waste/treat horrible/wonderful stupid/clever ridiculous/sensible "
        "silly/sensible poor/fine fine/poor worthless/worthwhile worthwhile/worthless flawless/flawed "
        "touching/hollow sweet/sour lovely/ugly classic/flop"
    ).split()
]
OPPOSITES: dict[str, str] = {}
for _a, _b in PAIRS:
    OPPOSITES.setdefault(_a, _b)
    OPPOSITES.setdefault(_b, _a)

# Words that decide reviews but have no clean opposite here, and words that voice an expectation or irony
# (swapping words there turns the sentence around instead of flipping the verdict): a review with one is not edited.
UNSWAPPABLE = set(
    (
        "annoyingly atrocious avoid awful awfully bad badly bomb boring crappy dire disaster dreadful dull "
        "embarrassing enjoyment excruciating fail failed fails failure genius gorgeous highly hilariously "
        "horrendous horrible horrid idiotic incompetent inferior insult junk laughable lousy masterful mediocre "
        "mess moving must overrated painful painfully pretentious refreshing rubbish stinker stinks suck sucked "
        "sucks superior tedious terrible ugly underrated unfunny unwatchable wasted wasting weak worst worth"
    ).split()
    + [
        "hoping",
        "hoped",
        "expected",
        "expecting",
        "expectations",
        "supposed",
        "sarcasm",
        "sarcastic",
        "irony",
        "ironic",
    ]
)
CUES = UNSWAPPABLE - set(OPPOSITES)  # cues with no opposite here
_RATING = re.compile(r"\b\d+(?:\.\d+)?\s*(?:/|out\s+of)\s*(?:10|ten|5|five|4|four)\b|\*\s*/|stars?\b", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")


def _match_case(word: str, like: str) -> str:
    if like.isupper() and len(like) > 1:
        return word.upper()
    return word[0].upper() + word[1:] if like[0].isupper() else word


def flip_review(
    text: str, opposites: dict[str, str] = OPPOSITES, cues: set[str] = CUES
) -> tuple[str, list[tuple[str, str]]] | None:
    """The review with every word of ``opposites`` swapped for its opposite, and the swaps made;
    ``None`` when the review holds a rating, one of ``cues`` with no opposite, or nothing to swap."""
    if _RATING.search(text):
        return None
    words = [m.group(0).lower() for m in _WORD.finditer(text)]
    if any(w in cues and w not in opposites for w in words):
        return None
    swaps: list[tuple[str, str]] = []

    def swap(m: re.Match) -> str:
        word = m.group(0)
        new = opposites.get(word.lower())
        if new is None:
            return word
        swaps.append((word.lower(), new))
        return _match_case(new, word)

    edited = _WORD.sub(swap, text)
    return (edited, swaps) if swaps else None


SENTIMENT_WORDS = (
    set(OPPOSITES)
    | UNSWAPPABLE
    | set(
        (
            "! ? alright although asleep average barely bored but cheap clich could cried cry decent disappoint "
            "disgrace enough even fan fault faults flaw flaws fortunately hardly honestly hope hours however joke "
            "just lacking lacks laugh laughed laughs least like luckily maybe mightily minutes money never no not "
            "nothing oh ok okay only perhaps pleasure pretty problem problems quite rather really sadly save "
            "seriously shocking should sleep slow so tears thankfully though thrilling time too tried try trying "
            "unfortunately very watchable well wish would wow yet"
        ).split()
    )
)
_SENTENCE = re.compile(r"[^.!?]+[.]")


def neutral_sentences(text: str, min_words: int = 6, max_words: int = 25) -> list[str]:
    """Plain statement sentences of a review (ending in a full stop) that hold no sentiment word,
    negation, contrast or HTML: plot summary and background, where a sentiment sentence can be set."""
    found = []
    for raw in _SENTENCE.findall(text.replace("<br />", " ")):
        sentence = " ".join(raw.split())
        words = [w.lower() for w in _WORD.findall(sentence)]
        if not (min_words <= len(words) <= max_words) or "<" in sentence or '"' in sentence:
            continue
        if any(w in SENTIMENT_WORDS or w.endswith("n't") for w in words) or not sentence[0].isupper():
            continue
        found.append(sentence)
    return found
