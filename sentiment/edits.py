"""Rule-made edits of real reviews, shared by the behaviour suite (on test reviews) and the training
augmentation (on training reviews): the words that decide a review swapped for their opposites, and
sentences that carry no sentiment, found by a word list.

``flip_review`` swaps every word of ``OPPOSITES`` found in a review, keeping its capitalisation,
and refuses (returns ``None``) a review that holds a sentiment cue it cannot swap (``CUES``), a
rating ("7/10", "3 out of 10") or no swappable word at all, since such an edit would not flip it.
"""

from __future__ import annotations

import re

# Pairs of opposites; each word maps to the first partner it is listed with.
PAIRS = [
    ("good", "bad"),
    ("great", "terrible"),
    ("excellent", "awful"),
    ("best", "worst"),
    ("better", "worse"),
    ("love", "hate"),
    ("loved", "hated"),
    ("loves", "hates"),
    ("loving", "hating"),
    ("liked", "disliked"),
    ("enjoyed", "disliked"),
    ("enjoyable", "unbearable"),
    ("wonderful", "horrible"),
    ("beautiful", "ugly"),
    ("brilliant", "dreadful"),
    ("amazing", "awful"),
    ("fantastic", "horrible"),
    ("interesting", "boring"),
    ("funny", "unfunny"),
    ("hilarious", "unfunny"),
    ("entertaining", "boring"),
    ("perfect", "flawed"),
    ("perfectly", "poorly"),
    ("superb", "abysmal"),
    ("outstanding", "mediocre"),
    ("masterpiece", "disaster"),
    ("gem", "mess"),
    ("recommend", "avoid"),
    ("recommended", "avoided"),
    ("strong", "weak"),
    ("powerful", "weak"),
    ("impressive", "unimpressive"),
    ("fascinating", "tedious"),
    ("exciting", "dull"),
    ("memorable", "forgettable"),
    ("clever", "stupid"),
    ("smart", "dumb"),
    ("intelligent", "stupid"),
    ("original", "derivative"),
    ("fresh", "stale"),
    ("believable", "unbelievable"),
    ("convincing", "unconvincing"),
    ("engaging", "tedious"),
    ("gripping", "tedious"),
    ("charming", "annoying"),
    ("delightful", "dreadful"),
    ("pleasant", "unpleasant"),
    ("solid", "weak"),
    ("nice", "lousy"),
    ("greatest", "worst"),
    ("success", "failure"),
    ("successful", "unsuccessful"),
    ("succeeds", "fails"),
    ("succeeded", "failed"),
    ("stunning", "dreadful"),
    ("magnificent", "miserable"),
    ("terrific", "terrible"),
    ("poorly", "superbly"),
    ("pointless", "meaningful"),
    ("lame", "witty"),
    ("pathetic", "impressive"),
    ("disappointing", "satisfying"),
    ("disappointed", "impressed"),
    ("disappointment", "triumph"),
    ("predictable", "surprising"),
    ("cheesy", "polished"),
    ("amateurish", "polished"),
    ("bland", "vibrant"),
    ("garbage", "gem"),
    ("trash", "gem"),
    ("crap", "gem"),
    ("beautifully", "clumsily"),
    ("brilliantly", "clumsily"),
    ("wonderfully", "horribly"),
    ("terribly", "wonderfully"),
    ("awesome", "awful"),
    ("fun", "tedious"),
    ("enjoy", "hate"),
    ("enjoying", "hating"),
    ("favorite", "least favorite"),
    ("favourite", "least favourite"),
    ("excellently", "dreadfully"),
    ("mess", "gem"),
    ("waste", "treat"),
    ("horrible", "wonderful"),
    ("stupid", "clever"),
    ("ridiculous", "sensible"),
    ("silly", "sensible"),
    ("poor", "fine"),
    ("fine", "poor"),
    ("worthless", "worthwhile"),
    ("worthwhile", "worthless"),
    ("flawless", "flawed"),
    ("touching", "hollow"),
    ("sweet", "sour"),
    ("lovely", "ugly"),
    ("classic", "flop"),
]
OPPOSITES: dict[str, str] = {}
for _a, _b in PAIRS:
    OPPOSITES.setdefault(_a, _b)
    OPPOSITES.setdefault(_b, _a)

# Words that decide reviews but have no clean opposite here: a review holding one is not edited.
UNSWAPPABLE = {
    "worst",
    "worth",
    "avoid",
    "crappy",
    "sucks",
    "sucked",
    "suck",
    "awfully",
    "badly",
    "rubbish",
    "unwatchable",
    "insult",
    "laughable",
    "pretentious",
    "overrated",
    "underrated",
    "wasted",
    "wasting",
    "excruciating",
    "painful",
    "painfully",
    "embarrassing",
    "incompetent",
    "idiotic",
    "lousy",
    "atrocious",
    "horrendous",
    "horrid",
    "junk",
    "dire",
    "superior",
    "inferior",
    "moving",
    "masterful",
    "genius",
    "refreshing",
    "enjoyment",
    "stinker",
    "stinks",
    "bomb",
    "fail",
    "failed",
    "fails",
    "failure",
    "highly",
    "must",
    "gorgeous",
    "hilariously",
    "annoyingly",
    "tedious",
    "dull",
    "boring",
    "mediocre",
    "weak",
    "mess",
    "terrible",
    "awful",
    "bad",
    "disaster",
    "unfunny",
    "dreadful",
    "horrible",
    "ugly",
    # where an expectation or irony is voiced, swapping words turns it around instead of flipping the verdict
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
}
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
    | {
        "not",
        "no",
        "never",
        "nothing",
        "but",
        "however",
        "although",
        "though",
        "yet",
        "hardly",
        "barely",
        "love",
        "loved",
        "enjoy",
        "enjoyed",
        "like",
        "liked",
        "fan",
        "disappoint",
        "recommend",
        "worth",
        "wow",
        "oh",
        "sadly",
        "unfortunately",
        "fortunately",
        "luckily",
        "thankfully",
        "cheap",
        "lacks",
        "lacking",
        "problem",
        "problems",
        "fault",
        "faults",
        "flaw",
        "flaws",
        "stupid",
        "silly",
        "dumb",
        "bored",
        "sleep",
        "asleep",
        "slow",
        "stinks",
        "joke",
        "insult",
        "okay",
        "ok",
        "decent",
        "average",
        "alright",
        "well",
        "really",
        "just",
        "even",
        "only",
        "enough",
        "too",
        "quite",
        "rather",
        "so",
        "pretty",
        "very",
        "!",
        "?",
        "funny",
        "laugh",
        "laughs",
        "laughed",
        "cry",
        "cried",
        "tears",
        "fun",
        "hope",
        "wish",
        "should",
        "could",
        "would",
        "tried",
        "trying",
        "try",
        "supposed",
        "minutes",
        "hours",
        "money",
        "time",
        "watchable",
        "save",
        "annoying",
        "waste",
        "clich",
        "pleasure",
        "disgrace",
        "shocking",
        "favorite",
        "favourite",
        "masterpiece",
        "brilliant",
        "mightily",
        "awesome",
        "dreadful",
        "thrilling",
        "hoping",
        "hoped",
        "expected",
        "expecting",
        "seriously",
        "honestly",
        "maybe",
        "perhaps",
        "least",
    }
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
