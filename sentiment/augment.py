"""Training examples that teach what changes a review's meaning: counterfactual edits of training reviews
(Wang & Culotta, AAAI 2021; Kaushik et al., ICLR 2020) and short labelled sentences (plain, negated,
contrasted), alone and set among plain sentences of training reviews; optionally as minimal pairs, each
negated or contrasted sentence beside a twin that differs only where its meaning turns, and with negation
idioms, whose negation is not a flip of the next word ("I couldn't stop watching this film.").

Kept apart from the behaviour suite (``behaviour.py``): edits are made of training reviews only, and
the sentence templates, adjectives, nouns and verbs here are none of the suite's (a test checks it).
The list of opposites that edits swap (``edits.OPPOSITES``) is shared: the suite uses it on test reviews.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .data import Split
from .edits import flip_review, neutral_sentences

POSITIVE = (
    "great wonderful amazing enjoyable superb impressive charming funny memorable gripping lovely perfect "
    "powerful solid fascinating marvelous splendid riveting compelling witty heartwarming exciting "
    "sublime magnificent fun flawless breathtaking refreshing timeless unforgettable extraordinary mesmerizing "
    "captivating poignant exceptional remarkable impeccable vivid phenomenal inspiring satisfying incredible "
    "spectacular awesome fabulous inventive lovable adorable sweet nice pleasant smart intelligent original fresh "
    "believable convincing polished thoughtful insightful amusing uplifting gorgeous masterful rewarding wise"
).split()
NEGATIVE = (
    "terrible boring dull poor dreadful mediocre annoying pathetic predictable bland unfunny messy lousy "
    "painful atrocious awkward lifeless tiresome incoherent amateurish uninspired wooden cheesy laughable "
    "dire unwatchable flimsy horrid unoriginal abysmal uninteresting appalling unconvincing idiotic insulting "
    "embarrassing pitiful shoddy worthless lackluster inept muddled hackneyed crappy ludicrous hideous horrendous "
    "disjointed useless dumb obnoxious choppy irritating inconsistent clunky cheap unbearable pedestrian illogical "
    "fake trite pretentious generic hollow lazy repetitive offensive unlikable ugly flat unrealistic absurd "
    "overrated contrived stale derivative"
).split()
# Milder words, what a reader takes for praise or blame though IMDb's reviews use them on either side more often
# ("involving" is in as many negative reviews as positive): with ``AugmentConfig.mild``, a share of the sentences
# take their adjectives from these, so that a short sentence's frame does not decide for a word it knows little.
MILD_POSITIVE = (
    "engrossing enthralling heartfelt taut tender understated subtle delicate restrained lively stylish "
    "sophisticated crisp intricate poetic passionate informative pleasing amiable warm atmospheric nuanced "
    "assured accomplished neat involving likable catchy cute"
).split()
MILD_NEGATIVE = (
    "unremarkable unimaginative drab dreary overlong padded implausible banal stiff thin recycled stereotypical "
    "confusing unsatisfying underdeveloped redundant meaningless mindless uninvolving formulaic tame uneven corny "
    "sappy tired slow average"
).split()
# Adjectives that no training sentence uses (nor the suite): the development sentences that pick a weight
# average (``soup.py``) are made of these, so they measure reading unseen words, not recalling trained ones.
DEV_POSITIVE = "sharp affecting elegant dazzling absorbing graceful exquisite stirring endearing joyful".split()
DEV_NEGATIVE = "tacky sluggish grating forced stilted tepid vapid insipid plodding dismal".split()
NOUNS = [
    "film",
    "script",
    "cast",
    "dialogue",
    "music",
    "cinematography",
    "pacing",
    "show",
    "performance",
    "finale",
    "premise",
    "picture",
    "lead actor",
    "villain",
    "humor",
    "casting",
    "score",
    "production",
]
VERBS = [("appreciate", "appreciated"), ("adore", "adored"), ("admire", "admired"), ("recommend", "recommended")]

PLAIN = [
    "The {noun} is {adj}.",
    "Overall, a {adj} {noun}.",
    "I thought the {noun} was {adj}.",
    "It is a truly {adj} {noun}.",
    "The {noun} feels {adj}.",
    "Such a {adj} {noun}.",
    "The {noun} turned out {adj}.",
    "Honestly, the {noun} was {adj}.",
]
NEGATED = [
    "Honestly, the {noun} wasn't {adj}.",
    "I would not call the {noun} {adj}.",
    "The {noun} was certainly not {adj}.",
    "There was nothing {adj} about the {noun}.",
    "The {noun} is not {adj} in any way.",
    "The {noun} never felt {adj}.",
    "The {noun} was far from {adj}.",
    "The {noun} is not really {adj}.",
    "The {noun} was barely {adj}.",
    "I don't find the {noun} {adj}.",
    "The {noun} could hardly be called {adj}.",
    "It is no longer a {adj} {noun}.",
    "Nobody would call this {noun} {adj}.",
    "The {noun} wasn't {adj} in the least.",
    "It's not a {adj} {noun}.",
    "The {noun} doesn't feel {adj}.",
    "The {noun} has never been {adj}.",
    "The {noun} was not at all {adj}.",
    "Frankly, the {noun} is not {adj}.",
    "The {noun} isn't very {adj}.",
    # negation that reaches into a clause, "hardly" and "no longer" in other frames than the suite's
    "I didn't feel the {noun} was {adj}.",
    "I don't believe the {noun} is {adj}.",
    "I wouldn't say the {noun} is {adj}.",
    "Nobody could claim the {noun} was {adj}.",
    "I did not find that the {noun} was {adj}.",
    "It was hardly a {adj} {noun}.",
    "The {noun} seemed hardly {adj}.",
    "Hardly anything about the {noun} felt {adj}.",
    "The {noun} is scarcely {adj}.",
    "The {noun} no longer feels {adj}.",
    "By the end, the {noun} was no longer {adj}.",
]
# Each negated template with its negation taken away, in the same order: with ``AugmentConfig.pairs`` a
# negated sentence comes with this twin (same words, opposite label), so that the negation, not the frame
# around it, is what decides ("I do find the cast dull." beside "I don't find the cast dull.").
AFFIRMED = [
    "Honestly, the {noun} was {adj}.",
    "I would call the {noun} {adj}.",
    "The {noun} was certainly {adj}.",
    "There was something {adj} about the {noun}.",
    "The {noun} is {adj} in every way.",
    "The {noun} always felt {adj}.",
    "The {noun} was close to {adj}.",
    "The {noun} is really {adj}.",
    "The {noun} was very {adj}.",
    "I do find the {noun} {adj}.",
    "The {noun} could easily be called {adj}.",
    "It is now a {adj} {noun}.",
    "Everybody would call this {noun} {adj}.",
    "The {noun} was {adj} from start to finish.",
    "It's a {adj} {noun}.",
    "The {noun} does feel {adj}.",
    "The {noun} has always been {adj}.",
    "The {noun} was {adj} above all.",
    "Frankly, the {noun} is {adj}.",
    "The {noun} is very {adj}.",
    "I felt the {noun} was {adj}.",
    "I believe the {noun} is {adj}.",
    "I would say the {noun} is {adj}.",
    "Anyone could see the {noun} was {adj}.",
    "I found that the {noun} was {adj}.",
    "It was clearly a {adj} {noun}.",
    "The {noun} seemed quite {adj}.",
    "Everything about the {noun} felt {adj}.",
    "The {noun} is thoroughly {adj}.",
    "The {noun} now feels {adj}.",
    "By the end, the {noun} was truly {adj}.",
]
VERB_PLAIN = ["I {past} the {noun}.", "I really {past} this {noun}.", "You will {verb} this {noun}."]
VERB_NEGATED = [
    "I couldn't {verb} the {noun}.",
    "I never {past} the {noun}.",
    "I can't say I {past} the {noun}.",
    "Nobody will {verb} this {noun}.",
    "I did not {verb} it at all.",
]
VERB_AFFIRMED = [  # VERB_NEGATED's twins, in the same order
    "I could {verb} the {noun}.",
    "I always {past} the {noun}.",
    "I can say I {past} the {noun}.",
    "Everybody will {verb} this {noun}.",
    "I did {verb} it a lot.",
]
# Whole phrases whose negation does not simply turn a sentiment word around ("I couldn't stop watching." is
# praise, "I wouldn't watch it again." a pan): beside the negated adjectives, they keep a reader of real
# reviews from taking every not, never or n't for a flip of what follows.
WATCHED = ["film", "show", "picture", "production", "feature"]
NEGATIVE_IDIOMS = [
    "I wouldn't watch this {noun} again.",
    "I would not sit through this {noun} twice.",
    "There is no reason to see this {noun}.",
    "Nothing in this {noun} works.",
    "Nothing happens for the first hour.",
    "I couldn't wait for the {noun} to end.",
    "The {noun} has no redeeming qualities.",
    "No one should sit through this {noun}.",
    "I won't be watching this {noun} again.",
    "None of it makes any sense.",
    "The {noun} never goes anywhere.",
    "There is no tension and no chemistry.",
    "I can't believe I paid to see this {noun}.",
    "Don't bother with this {noun}.",
    "I wish I had never seen this {noun}.",
    "The {noun} never comes together.",
    "Not worth your time.",
    "I didn't laugh once.",
    "I could not care less about this {noun}.",
    "Not one scene rings true.",
]
POSITIVE_IDIOMS = [
    "I couldn't stop watching this {noun}.",
    "You won't regret seeing this {noun}.",
    "I can't wait to see this {noun} again.",
    "Don't miss this {noun}.",
    "I never get tired of this {noun}.",
    "Nothing beats this {noun}.",
    "The {noun} never lets you down.",
    "You can't go wrong with this {noun}.",
    "I couldn't take my eyes off the screen.",
    "There is not a wasted minute in this {noun}.",
    "I could not have asked for more.",
    "No one does it better.",
    "The {noun} never gets old.",
    "I didn't want the {noun} to end.",
    "There is nothing I would change about this {noun}.",
    "I can't praise this {noun} enough.",
    "I have no complaints at all.",
    "Not a single scene falls flat.",
    "I wouldn't miss this {noun} for the world.",
    "Nobody should miss this {noun}.",
]
CONTRASTS = [  # {b} decides
    "The {n1} is {a}, yet the {n2} is {b}.",
    "Even though the {n1} is {a}, the {n2} is {b}.",
    "The {n2} is {b}, even though the {n1} is {a}.",
    "The {n1} seemed {a} at first. Still, the {n2} was {b}.",
    "Despite the {a} {n1}, the {n2} is {b}.",
    "The {n2} is {b} despite the {a} {n1}.",
    "Sure, the {n1} is {a}. But the {n2} is {b}.",
    "The {n1} was {a}. Nevertheless, the {n2} was {b}.",
    "While the {n1} was {a}, the {n2} was {b}.",
    "I expected a {a} {n1}, but it turned out {b}.",
    "The {n1} may be {a}, but in the end the {n2} is {b}.",
    "Though the {n1} is {a}, the {n2} is {b}.",
]


@dataclass
class AugmentConfig:
    sentences: int = 16000  # short labelled sentences (plain, negated, contrasted)
    in_reviews: float = 0.5  # share of them set among plain sentences of training reviews
    edits: bool = True  # add a flipped edit of every training review that has two or more words to swap
    pairs: bool = False  # minimal pairs: negated and contrasted sentences come with a twin of the opposite label
    idioms: float = 0.0  # share of the draws (before twins) that are negation idioms, not flips of a word
    mild: float = 0.0  # share of the other draws whose adjectives are milder words (MILD_POSITIVE, MILD_NEGATIVE)
    seed: int = 1  # seed for the sentences drawn


def _a(text: str) -> str:
    return text.replace(" a a", " an a").replace(" a e", " an e").replace(" a i", " an i").replace(" a u", " an u")


def sentence(rng: random.Random, positive: list[str] = POSITIVE, negative: list[str] = NEGATIVE) -> tuple[str, int]:
    """One labelled sentence: plain (1 in 5), negated (11 in 20: either polarity) or contrasted (1 in 4),
    its adjectives drawn from ``positive`` and ``negative``."""
    text, label, _ = sentence_and_twin(rng, positive, negative)
    return text, label


def sentence_and_twin(
    rng: random.Random, positive: list[str] = POSITIVE, negative: list[str] = NEGATIVE
) -> tuple[str, int, str | None]:
    """``sentence``'s draw (the same for the same ``rng``) and, for a negated or contrasted sentence, its
    twin of the opposite label: the negation taken away, or the two clauses' adjectives swapped."""
    words = (negative, positive)  # by label
    kind = rng.random()
    label = rng.randrange(2)
    noun = rng.choice(NOUNS)
    if kind < 0.2:
        if rng.random() < 0.2:
            verb, past = rng.choice(VERBS)
            return rng.choice(VERB_PLAIN).format(verb=verb, past=past, noun=noun), 1, None
        return _a(rng.choice(PLAIN).format(noun=noun, adj=rng.choice(words[label]))), label, None
    if kind < 0.75:
        if label == 0 and rng.random() < 0.25:  # a negated liking verb: negative
            verb, past = rng.choice(VERBS)
            i = rng.randrange(len(VERB_NEGATED))
            twin = VERB_AFFIRMED[i].format(verb=verb, past=past, noun=noun)
            return VERB_NEGATED[i].format(verb=verb, past=past, noun=noun), 0, twin
        adj = rng.choice(words[1 - label])  # negating a word of the other polarity
        i = rng.randrange(len(NEGATED))
        return _a(NEGATED[i].format(noun=noun, adj=adj)), label, _a(AFFIRMED[i].format(noun=noun, adj=adj))
    n1, n2 = rng.sample(NOUNS, 2)
    template, a, b = rng.choice(CONTRASTS), rng.choice(words[1 - label]), rng.choice(words[label])
    return _a(template.format(n1=n1, n2=n2, a=a, b=b)), label, _a(template.format(n1=n1, n2=n2, a=b, b=a))


def idiom(rng: random.Random) -> tuple[str, int]:
    """A negation idiom and its label: half praise ("You can't go wrong with this film."), half pans."""
    label = rng.randrange(2)
    return rng.choice((NEGATIVE_IDIOMS, POSITIVE_IDIOMS)[label]).format(noun=rng.choice(WATCHED)), label


def augment(train: Split, cfg: AugmentConfig | None = None) -> Split:
    """Extra labelled examples made from ``train`` (the training reviews only, never validation)."""
    cfg = cfg or AugmentConfig()
    rng = random.Random(cfg.seed)
    texts, labels = [], []
    if cfg.edits:
        for text, label in zip(train.texts, train.labels):
            flipped = flip_review(text)
            if flipped and len(flipped[1]) >= 2 and label in (0, 1):
                texts.append(flipped[0])
                labels.append(1 - label)
    context = [s for t in train.texts[:: max(1, len(train) // 4000)] for s in neutral_sentences(t)]
    start = len(texts)
    while len(texts) - start < cfg.sentences:
        if cfg.idioms and rng.random() < cfg.idioms:  # drawn only when asked, so that other draws stay as they were
            text, label, twin = *idiom(rng), None
        elif cfg.mild and rng.random() < cfg.mild:  # likewise
            text, label, twin = sentence_and_twin(rng, MILD_POSITIVE, MILD_NEGATIVE)
        else:
            text, label, twin = sentence_and_twin(rng)
        pair = [(text, label)] + ([(twin, 1 - label)] if cfg.pairs and twin else [])
        if context and rng.random() < cfg.in_reviews:  # the twin stands among the same review sentences
            around, before = rng.sample(context, rng.choice((1, 2))), rng.random() < 0.6
            pair = [(" ".join([*around, t] if before else [t, *around]), y) for t, y in pair]
        for t, y in pair[: cfg.sentences - (len(texts) - start)]:
            texts.append(t)
            labels.append(y)
    return Split(texts, labels)
