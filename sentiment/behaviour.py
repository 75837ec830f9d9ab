"""A behaviour suite: does a model read what changes a review's meaning? (in the spirit of CheckList,
Ribeiro et al., ACL 2020)

    python -m sentiment.behaviour --checkpoint checkpoints/bilstm-imdb [--data PATH] [--by-word] [--json] [--write]

Capabilities, each a set of cases with the label a reader gives them:

- vocabulary: plain sentiment words in short sentences ("The ending was brilliant.");
- negated positive / negated negative: not, never, n't, no longer, hardly before a sentiment word
  ("The plot was not clever.", "The ending was never tedious."), alone and set after plain sentences of
  real test reviews;
- contrast: "X, but Y", "Although X, Y", "X; however, Y", where the clause the conjunction favours (Y)
  decides, alone and inside real review text;
- flipped edits: short real IMDb test reviews with every decisive word swapped for its opposite
  (``edits.flip_review``) and the label flipped. Swapping words often leaves a review's sense standing
  (irony, phrases with no opposite), so each edit was also read: ``edits_read.json`` lists those that
  really flip, and the pass rate on them is reported beside the rule-made one;
- invariance: real test reviews with a name, a film title, a year, two typos in words that carry no
  sentiment or the punctuation changed; the model's label must not change.

Every case is made by rules from the lists below and the IMDb test reviews, the same every run. The
training augmentation (``augment.py``) uses other templates, adjectives, nouns and names, and edits
training reviews only. ``--by-word`` also tells, for each sentiment word the made-up cases use, how the model
reads it alone and how many of the cases that turn on it it misses: a model that negates well but misreads a
word shows there. ``--write`` stores the result as ``behaviour.json`` in the checkpoint folder,
where the app's Model tab reads it.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .checkpoint import CheckpointError
from .data import DataUnavailableError, Split, load_imdb
from .edits import CUES, OPPOSITES, SENTIMENT_WORDS, flip_review, neutral_sentences
from .text import tokenize

RESULTS_FILE = "behaviour.json"
READ_FILE = Path(__file__).with_name("edits_read.json")  # which of the suite's edits a reader found to flip the review
SEED = 20261130

# The suite's own word lists (the training augmentation uses none of these words in its templates).
POSITIVE = (
    "good excellent brilliant fantastic beautiful entertaining delightful outstanding terrific touching "
    "clever moving stunning engaging hilarious"
).split()
NEGATIVE = (
    "bad awful horrible stupid weak pointless tedious lame disappointing forgettable silly ridiculous "
    "clumsy shallow sloppy"
).split()
NOUNS = ("movie story plot ending direction soundtrack screenplay acting").split()
LIKE_VERBS = [("enjoy", "enjoyed"), ("love", "loved"), ("like", "liked")]
NAMES = (
    "John Michael David James Robert Mary Susan Paul Peter George Richard Jack Tom Frank Steve Anne Kate "
    "Sarah Linda Helen"
).split()
OTHER_NAMES = ("Arthur Oscar Hugo Walter Edith Marion Felix Vera").split()
TITLES = [
    "Harbor Lights",
    "The Long Way North",
    "A Quiet Street",
    "Winter Station",
    "The Glass River",
    "Northbound",
    "The Lantern Room",
    "Seven Bridges",
]

NEGATIONS = [  # (template, may take an adjective of either polarity)
    "The {noun} was not {adj}.",
    "This {noun} is not {adj} at all.",
    "The {noun} was never {adj}.",
    "The {noun} isn't {adj}.",
    "The {noun} is no longer {adj}.",
    "The {noun} was hardly {adj}.",
    "I didn't think the {noun} was {adj}.",
]
NEGATED_VERBS = ["I did not {verb} this {noun}.", "I didn't {verb} the {noun}.", "I never {past} this {noun}."]
PLAIN = ["The {noun} was {adj}.", "What a {adj} {noun}!", "I found the {noun} {adj}.", "This is a {adj} {noun}."]
CONTRASTS = [
    "The {n1} was {a}, but the {n2} was {b}.",
    "Although the {n1} was {a}, the {n2} was {b}.",
    "The {n1} was {a}; however, the {n2} was {b}.",
]


# Stricter rules for the suite's edits than for training: no swap that reads oddly ("avoid it to anyone",
# "a treat of time") and more cues that a word swap leaves standing ("skip it", "yawn", "sadly").
EDIT_OPPOSITES = {
    w: o for w, o in OPPOSITES.items() if w not in {"recommend", "recommended", "avoid", "avoided", "waste", "treat"}
}
EDIT_CUES = CUES | set(
    (
        "recommend recommended avoid avoided waste skip miss yawn sadly unfortunately fortunately wish "
        "cheated muddled slow slowest dreary butchered laughs laughing funniest bizarre plus fabulous "
        "ingenious catchy remarkable striking potent honest sincerity intriguing impeccable highlights cool "
        "happy glad sad lacks lacking boredom bored joke cliche cliches clich insomnia nonsense plagiarized "
        "forget enjoyed enjoy enjoyable fun thrills thrilling excitement pleasure treat wow"
    ).split()
)
EDIT_MAX_TOKENS = 60  # short reviews, where swapping the decisive words is likeliest to flip the whole


@dataclass
class Case:
    text: str
    label: int | None  # 1 positive, 0 negative; None: must keep the label of ``original``
    original: str | None = None  # the unedited text (invariance: whose label must be kept)
    source: int | None = None  # index of the IMDb test review it was made from
    word: str | None = None  # the sentiment word a made-up sentence turns on (contrast: the one after the turn)


@dataclass
class Capability:
    name: str
    description: str
    cases: list[Case] = field(default_factory=list)
    reserve: list[Case] = field(default_factory=list)  # more cases made the same way, scored only where read


def _in_review(sentence: str, context: list[str], rng: random.Random) -> str:
    """``sentence`` set after one or two plain sentences of a real review."""
    return " ".join(rng.sample(context, rng.choice((1, 2))) + [sentence])


def vocabulary(n: int, rng: random.Random) -> Capability:
    cap = Capability("vocabulary", "plain sentiment words in short sentences")
    for k in range(n):
        label = k % 2
        template, noun = rng.choice(PLAIN), rng.choice(NOUNS)  # drawn in this order: the suite stays the same
        adj = rng.choice(POSITIVE if label else NEGATIVE)
        cap.cases.append(Case(_article(template.format(noun=noun, adj=adj)), label, word=adj))
    return cap


def _article(text: str) -> str:
    return re.sub(r"\ba ([aeiou])", r"an \1", text)


def negated(polarity: int, n: int, context: list[str], rng: random.Random) -> Capability:
    """Sentences negating a word of ``polarity``; the label is the opposite. Half set inside real review text."""
    name = "negated positive" if polarity else "negated negative"
    cap = Capability(name, f"not, never, n't, no longer, hardly before a {'positive' if polarity else 'negative'} word")
    for k in range(n):
        if polarity and rng.random() < 0.25:
            word, past = rng.choice(LIKE_VERBS)
            text = rng.choice(NEGATED_VERBS).format(verb=word, past=past, noun=rng.choice(NOUNS))
        else:
            word = rng.choice(POSITIVE if polarity else NEGATIVE)
            text = rng.choice(NEGATIONS).format(noun=rng.choice(NOUNS), adj=word)
        if k % 2:
            text = _in_review(text, context, rng)
        cap.cases.append(Case(text, 1 - polarity, word=word))
    return cap


def contrast(n: int, context: list[str], rng: random.Random) -> Capability:
    cap = Capability("contrast", '"X, but Y", "Although X, Y", "X; however, Y": the clause after the turn decides')
    for k in range(n):
        label = k % 2
        b = rng.choice(POSITIVE if label else NEGATIVE)
        a = rng.choice(NEGATIVE if label else POSITIVE)
        n1, n2 = rng.sample(NOUNS, 2)
        text = CONTRASTS[(k // 2) % len(CONTRASTS)].format(n1=n1, n2=n2, a=a, b=b)
        if (k // 6) % 2:
            text = _in_review(text, context, rng)
        cap.cases.append(Case(text, label, word=b))
    return cap


def flipped_edits(
    test: Split, n: int, rng: random.Random, max_tokens: int = EDIT_MAX_TOKENS, reserve: int = 0
) -> Capability:
    """Short test reviews with at least two decisive words swapped for their opposites, label flipped;
    half of them made from positive reviews, half from negative ones. The next ``reserve`` edits of the
    same kind (half of each label) are kept apart for reading (``edits_read.json``)."""
    cap = Capability(
        "flipped edits", "real test reviews with their decisive words swapped for opposites; label flipped"
    )
    order = list(range(len(test)))
    rng.shuffle(order)
    per_label, extra = [0, 0], [0, 0]
    for i in order:
        label = test.labels[i]
        full = per_label[label] >= n // 2 and extra[label] >= reserve // 2
        if full or len(tokenize(test.texts[i])) > max_tokens:
            continue
        flipped = flip_review(test.texts[i], EDIT_OPPOSITES, EDIT_CUES)
        if flipped and len(flipped[1]) >= 2:
            case = Case(flipped[0], 1 - label, original=test.texts[i], source=i)
            if per_label[label] < n // 2:
                cap.cases.append(case)
                per_label[label] += 1
            else:
                cap.reserve.append(case)
                extra[label] += 1
        if len(cap.cases) >= n and len(cap.reserve) >= reserve:
            break
    return cap


_YEAR = re.compile(r"\b(19[3-9]\d|20[0-2]\d)\b")
_THIS_FILM = re.compile(r"\b([Tt]his|[Tt]he) (movie|film)\b")


def _typos(text: str, rng: random.Random, count: int = 2) -> str | None:
    words = [
        m for m in re.finditer(r"[a-z]{6,}", text) if m.group(0) not in SENTIMENT_WORDS and m.group(0) not in OPPOSITES
    ]
    if len(words) < count:
        return None
    for m in sorted(rng.sample(words, count), key=lambda m: -m.start()):
        w = m.group(0)
        j = rng.randrange(1, len(w) - 2)
        text = text[: m.start()] + w[:j] + w[j + 1] + w[j] + w[j + 2 :] + text[m.end() :]
    return text


def _perturbations(rng: random.Random) -> list[tuple[str, Callable[[str], str | None]]]:
    def name(t: str) -> str | None:
        found = [x for x in NAMES if re.search(rf"\b{x}\b", t)]
        return re.sub(rf"\b{found[0]}\b", rng.choice(OTHER_NAMES), t) if found else None

    def title(t: str) -> str | None:
        return _THIS_FILM.sub(f'"{rng.choice(TITLES)}"', t, count=1) if _THIS_FILM.search(t) else None

    def year(t: str) -> str | None:
        return _YEAR.sub(lambda m: str(int(m.group(0)) + rng.choice((-7, -3, 2, 5))), t) if _YEAR.search(t) else None

    def punctuation(t: str) -> str | None:
        changed = (
            re.sub(r"!+", ".", t).replace("...", ".").rstrip(".") if "!" in t or "..." in t else t.rstrip(".") + "!"
        )
        return changed if changed != t else None

    return [
        ("name", name),
        ("film title", title),
        ("year", year),
        ("typos", lambda t: _typos(t, rng)),
        ("punctuation", punctuation),
    ]


def invariance(test: Split, n: int, rng: random.Random, max_tokens: int = 200) -> Capability:
    cap = Capability("invariance", "a name, a film title, a year, two typos or the punctuation changed: same label")
    kinds = _perturbations(rng)
    order = list(range(len(test)))
    rng.shuffle(order)
    per_kind = n // len(kinds)
    for _kind, perturb in kinds:
        made = 0
        for i in order:
            text = test.texts[i]
            if len(tokenize(text)) > max_tokens:
                continue
            changed = perturb(text)
            if changed and changed != text:
                cap.cases.append(Case(changed, None, original=text))
                made += 1
                if made >= per_kind:
                    break
    return cap


def build_suite(test: Split, n: int = 100) -> list[Capability]:
    """All capabilities, about ``n`` cases each (``invariance``: twice that)."""
    rng = random.Random(SEED)
    context = sorted({s for t in test.texts[:: max(1, len(test) // 3000)] for s in neutral_sentences(t)})
    if len(context) < 10:
        raise DataUnavailableError("the test reviews given hold too few plain sentences to build the suite from")
    return [
        vocabulary(n, rng),
        negated(1, n, context, rng),
        negated(0, n, context, rng),
        contrast(n + 20, context, rng),
        flipped_edits(test, n, rng, reserve=2 * n),
        invariance(test, 2 * n, rng),
    ]


def run_suite(predictor, suite: list[Capability], failed_shown: int = 5) -> dict:
    """{"capabilities": {name: {"pass_rate", "n", "description", "failed": [...]}}} for ``predictor``."""
    out = {}
    for cap in suite:
        texts = [c.text for c in cap.cases]
        originals = [c.original for c in cap.cases if c.label is None]
        reserve = [c.text for c in cap.reserve]
        probs = [p.probability for p in predictor.predict_batch(texts + originals + reserve, batch_size=128)]
        before = iter(probs[len(texts) : len(texts) + len(originals)])
        passed, failed = 0, []
        for case, p in zip(cap.cases, probs):
            want = case.label if case.label is not None else int(next(before) >= 0.5)
            if int(p >= 0.5) == want:
                passed += 1
            elif len(failed) < failed_shown:
                failed.append(
                    {
                        "text": case.text[:300],
                        "expected": "positive" if want else "negative",
                        "probability": round(p, 4),
                    }
                )
        out[cap.name] = {
            "pass_rate": passed / len(cap.cases),
            "n": len(cap.cases),
            "description": cap.description,
            "failed": failed,
        }
        if cap.name == "flipped edits":
            scored = probs[: len(texts)] + probs[len(texts) + len(originals) :]  # the cases, then the reserve
            out[cap.name]["read_and_flipping"] = _on_read_flips(cap.cases + cap.reserve, scored)
    return {"capabilities": out}


def _on_read_flips(cases: list[Case], probs: list[float]) -> dict:
    """The pass rate on the edits that a reader found to really flip the review (``edits_read.json``), of the
    capability's cases and its reserve."""
    read = json.loads(READ_FILE.read_text(encoding="utf-8"))
    flips, was_read = set(read["flips"]), set(read["read"])
    kept = [(c, p) for c, p in zip(cases, probs) if c.source in flips]
    passed = sum(int(p >= 0.5) == c.label for c, p in kept)
    return {
        "pass_rate": passed / len(kept) if kept else None,
        "n": len(kept),
        "read": sum(c.source in was_read for c in cases),
        "to_positive": sum(c.label for c, _ in kept),
    }


ALONE = "The {noun} was {word}."  # a sentiment adjective alone, in the suite's plainest frame
ALONE_VERB = "I {past} the {noun}."  # the same for a verb ("I loved the movie.")
BY_WORD = ("vocabulary", "negated positive", "negated negative", "contrast")  # the capabilities made of the lists


@dataclass
class WordRow:
    """How a model reads one of the suite's sentiment words, alone and in the cases that turn on it."""

    word: str
    polarity: int  # 1 positive, 0 negative: what the suite takes the word to say
    alone: int  # in how many of ``frames`` plain sentences (ALONE, verbs ALONE_VERB) the model reads it so
    frames: int  # plain sentences tried: one per noun of the suite
    frame: str  # the plain sentence, its noun left open ("The {noun} was clever.")
    misses: dict[str, tuple[int, int]]  # capability -> (cases missed, cases) among those that turn on the word
    reviews: int  # IMDb test reviews that hold the word
    positive: int  # how many of them are positive

    @property
    def missed(self) -> int:
        return sum(m for m, _ in self.misses.values())

    @property
    def cases(self) -> int:
        return sum(n for _, n in self.misses.values())


def by_word(predictor, suite: list[Capability], test: Split) -> list[WordRow]:
    """For each of the suite's sentiment words: how the model reads it alone, how many of the made-up cases
    that turn on it it misses, and how IMDb's test reviews that hold it are labelled; most missed first.
    Tells a model that negates well but misreads a word from one that misreads negation."""
    words = [(w, 1) for w in POSITIVE] + [(w, 0) for w in NEGATIVE] + [(verb, 1) for verb, _ in LIKE_VERBS]
    past = dict(LIKE_VERBS)
    frame = {
        w: ALONE_VERB.format(past=past[w], noun="{noun}") if w in past else ALONE.format(word=w, noun="{noun}")
        for w, _ in words
    }
    frames = {w: [frame[w].format(noun=n) for n in NOUNS] for w, _ in words}
    alone = iter(p.probability for p in predictor.predict_batch([f for w, _ in words for f in frames[w]]))
    misses = {w: {} for w, _ in words}
    for cap in suite:
        if cap.name not in BY_WORD:
            continue
        probs = [p.probability for p in predictor.predict_batch([c.text for c in cap.cases], batch_size=128)]
        for case, p in zip(cap.cases, probs):
            missed, n = misses[case.word].get(cap.name, (0, 0))
            misses[case.word][cap.name] = (missed + (int(p >= 0.5) != case.label), n + 1)
    forms = {w: {w, past[w]} if w in past else {w} for w, _ in words}
    every = sorted(set().union(*forms.values()), key=len, reverse=True)  # "loved" before "love"
    found = [set(re.findall(rf"\b({'|'.join(every)})\b", t.lower())) for t in test.texts]  # one pass a review
    rows = []
    for w, polarity in words:
        holding = [y for f, y in zip(found, test.labels) if f & forms[w]]
        right = sum(int(next(alone) >= 0.5) == polarity for _ in frames[w])
        rows.append(WordRow(w, polarity, right, len(frames[w]), frame[w], misses[w], len(holding), sum(holding)))
    return sorted(rows, key=lambda r: -r.missed)


def word_table(rows: list[WordRow]) -> str:
    """The words with a missed case, one row each; the others named on one line."""
    header = f"{'word':<14} {'alone':>6} " + " ".join(f"{name:>16}" for name in BY_WORD) + "  IMDb test reviews with it"
    lines = [
        f'by word: cases missed, of those that turn on the word; alone: "{ALONE}" (verbs: "{ALONE_VERB}") '
        f"read as the word says, of {len(NOUNS)} nouns",
        header,
    ]
    for r in rows:
        if not r.missed:
            continue
        cells = [f"{r.misses[name][0]}/{r.misses[name][1]}" if name in r.misses else "-" for name in BY_WORD]
        share = f"{r.reviews:,}, {r.positive / r.reviews:.0%} positive" if r.reviews else "none"
        lines.append(f"{r.word:<14} {f'{r.alone}/{r.frames}':>6} " + " ".join(f"{c:>16}" for c in cells) + f"  {share}")
    clean = [r.word for r in rows if not r.missed]
    if clean:
        lines.append(f"no case missed ({len(clean)}): " + ", ".join(clean))
    return "\n".join(lines)


def table(result: dict) -> str:
    rows = [f"{'capability':<20} {'pass rate':>9} {'cases':>6}"]
    for name, r in result["capabilities"].items():
        rows.append(f"{name:<20} {r['pass_rate']:>9.1%} {r['n']:>6}")
        sub = r.get("read_and_flipping")
        if sub and sub["n"]:
            rows.append(
                f"{'  read, really flip':<20} {sub['pass_rate']:>9.1%} {sub['n']:>6}  ({sub['n']} of {sub['read']} read flip the review)"
            )
    return "\n".join(rows)


def side_by_side(names: list[str], results: list[dict], metrics: list[dict]) -> str:
    """Several checkpoints' results in one table, a column each, with the accuracies in their metrics.json."""
    width = [max(9, len(n)) for n in names]
    header = f"{'capability':<20} " + " ".join(f"{n:>{w}}" for n, w in zip(names, width)) + f" {'cases':>6}"

    def row(label: str, cells: list[str], cases: str = "") -> str:
        return f"{label:<20} " + " ".join(f"{c:>{w}}" for c, w in zip(cells, width)) + f" {cases:>6}"

    rows = [header]
    for name, first in results[0]["capabilities"].items():
        caps = [r["capabilities"][name] for r in results]
        rows.append(row(name, [f"{c['pass_rate']:.1%}" for c in caps], str(first["n"])))
        subs = [c.get("read_and_flipping") or {} for c in caps]
        if subs[0].get("n"):
            rows.append(row("  read, really flip", [f"{s['pass_rate']:.1%}" for s in subs], str(subs[0]["n"])))
    for label, key in (("validation", "valid_accuracy"), ("IMDb test", "test_accuracy")):
        rows.append(row(label, [f"{m[key]:.2%}" if m.get(key) is not None else "-" for m in metrics]))
    return "\n".join(rows)


def read_results(checkpoint: str | Path) -> dict | None:
    """The suite's stored result for a checkpoint folder (``--write``), or None."""
    path = Path(checkpoint) / RESULTS_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def main(argv: list[str] | None = None) -> int:
    from .predict import load_predictor

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--checkpoint",
        action="append",
        help="checkpoint folder (a BiLSTM, the n-gram baseline or a Train tab run; default checkpoints/bilstm-imdb); "
        "given twice or more, their results side by side",
    )
    ap.add_argument("--data", default=None, help="local IMDb folder; default $IMDB_DATA, else the Hugging Face Hub")
    ap.add_argument("--cases", type=int, default=100, help="cases per capability (twice this for edits and invariance)")
    ap.add_argument("--json", action="store_true", help="also print the result as one JSON line, last")
    ap.add_argument("--write", action="store_true", help=f"store the result as {RESULTS_FILE} in the checkpoint folder")
    ap.add_argument(
        "--by-word",
        action="store_true",
        help="also print, for each sentiment word the suite uses, how the model reads it alone and the cases it "
        "misses that turn on it (--json and --write always carry it, as by_word)",
    )
    ap.add_argument("--device", default=None, help="cuda, mps or cpu (default: best available)")
    args = ap.parse_args(argv)
    folders = args.checkpoint or ["checkpoints/bilstm-imdb"]
    if len(folders) > 1 and (args.json or args.write):
        print("--json and --write take one --checkpoint", file=sys.stderr)
        return 2
    for folder in folders:
        if not Path(folder).is_dir():
            print(f"{folder}: no such checkpoint folder", file=sys.stderr)
            return 2
    try:
        predictors = [load_predictor(folder, device=args.device) for folder in folders]
        test = load_imdb(args.data, splits=("test",))["test"]
    except (CheckpointError, DataUnavailableError) as e:
        print(e, file=sys.stderr)
        return 2
    start = time.perf_counter()
    suite = build_suite(test, args.cases)
    results = [run_suite(p, suite) for p in predictors]
    seconds = round(time.perf_counter() - start, 1)
    if len(folders) > 1:
        names = [Path(f).name for f in folders]
        if len(set(names)) < len(names):  # runs/a/ckpt beside runs/b/ckpt: the whole paths tell them apart
            names = list(folders)
        print(side_by_side(names, results, [p.metrics or {} for p in predictors]))
        print(f"({seconds} s)")
        for name, predictor in zip(names, predictors) if args.by_word else ():
            print(f"\n{name}\n" + word_table(by_word(predictor, suite, test)))
        return 0
    (folder,), (result,) = folders, results
    result["seconds"] = seconds
    print(table(result))
    print(f"({result['seconds']} s)")
    words = by_word(predictors[0], suite, test)
    result["by_word"] = [dataclasses.asdict(r) for r in words]
    if args.by_word:
        print("\n" + word_table(words))
    if args.write:
        (Path(folder) / RESULTS_FILE).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
