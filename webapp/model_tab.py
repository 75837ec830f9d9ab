"""The Model tab: what the loaded model is, how it was trained, and its training curves (for a weight average, how
its share was chosen), read from its metrics.json."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import pandas as pd

from sentiment.behaviour import WordRow, read_results
from sentiment.metrics import Metrics

from . import models
from .settings import ROOT

KNOWN_LIMITS = (
    "**Known limits.** Trained on movie reviews only: other domains (products, tweets), very short texts, "
    "sarcasm and irony, and reviews that weigh pros against cons are where it errs most; scores of very short texts "
    "are overconfident (the model card lists measured examples). It reads English words; "
    "other scripts become `<unk>`. The word highlights show how far the score moves when each word is read as unknown: "
    "a local explanation of this model, not proof of what a word means; in a short sentence every word moves it, "
    "and the integrated gradients in the token table can point against the words where praise and blame mix "
    "(the model card measures how often)."
)


def as_typed(command: str, folder: str | None = None) -> str:
    """A recorded command as the README gives it: the local data folder becomes PATH, and the output folder the
    one the model is loaded from (relative to the project when inside it)."""
    command = re.sub(r"--data \S+", "--data PATH", command)
    if folder:
        path = Path(folder).resolve()
        out = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        command = re.sub(r"--out \S+", f"--out {out.as_posix()}", command)
    return command


def _sentences(examples: int, augment: dict) -> str:
    sentences = "short labelled sentences with negation and contrast"
    if augment.get("pairs"):
        sentences += ", in minimal pairs (each beside a twin that differs only where its meaning turns)"
    if augment.get("idioms"):
        sentences += ', and negation idioms ("I couldn\'t stop watching this film.")'
    if augment.get("mild"):
        sentences += ', some of them with milder words ("The cast is likable.")'
    if augment.get("labels_from"):
        model = Path(augment["labels_from"]).resolve().name
        sentences += f", their labels taken from the probabilities of {model}, not from the rule"
    if augment.get("edits", True):
        return (
            f"{examples:,} more examples: the training reviews with their decisive words swapped for "
            f"opposites (label flipped) and {sentences}"
        )
    return f"{examples:,} more examples: {sentences}"


def _additions(added: dict) -> str:
    """What a later round's sentences add to the kinds an earlier round's had (milder words, model labels)."""
    said = []
    if added.get("mild"):
        said.append(f'{added["mild"]:.0%} of them with milder words ("The cast is likable.")')
    if added.get("labels_from"):
        said.append(f"labelled by the probabilities of {Path(added['labels_from']).name}")
    return ", " + " and ".join(said) if said else ""


def _augmented(m: Metrics) -> str:
    rounds = [*(m.earlier_rounds or []), {"augmented_examples": m.augmented_examples, "augment": m.augment}]
    taught = [(n, r) for n, r in enumerate(rounds, 1) if r.get("augmented_examples")]
    if not taught:
        return "no"
    if len(rounds) == 1:
        return _sentences(m.augmented_examples, m.augment or {})
    said, kinds_before = [], None
    for n, r in taught:
        kinds = {k: v for k, v in (r.get("augment") or {}).items() if k not in ("sentences", "seed")}
        examples = r["augmented_examples"]
        added = {k: v for k, v in kinds.items() if k not in (kinds_before or {})}
        if kinds_before and set(added) <= {"mild", "labels_from"} and {**kinds_before, **added} == kinds:
            what = f"{examples:,} more of the same kinds" + _additions(added)
        else:
            what = _sentences(examples, kinds)
        said.append(f"in round {n} of {len(rounds)}, {what}")
        kinds_before = kinds
    return "; ".join(said)


def _training_time(m: Metrics) -> str:
    this = f"{m.train_seconds / 60:.1f} min on {m.device or '?'}"
    rounds = m.earlier_rounds or []
    if not rounds:
        return this
    total = m.train_seconds + sum(r.get("train_seconds", 0) for r in rounds)
    return f"{this}, {total / 60:.0f} min with the {len(rounds)} earlier round{'s' * (len(rounds) > 1)} it continued"


def _started_from(m: Metrics) -> str:
    if m.pretrained:
        return (
            "an encoder pretrained as a forward and a backward language model on IMDb's training and unlabeled "
            f"reviews (held-out perplexity {m.pretrained['heldout_perplexity']:.0f})"
        )
    if m.init:
        return f"the model `{Path(m.init['path']).name}` ({m.init['test_accuracy']:.2%} test), continued"
    return "random weights"


def card_rows(m: Metrics) -> list[tuple[str, str]]:
    p = models.shipped_predictor()
    c = p.model.config
    direction = "bidirectional" if c.bidirectional else "unidirectional"
    teachers = ", ".join(f"`{Path(t['path']).name}` ({t['test_accuracy']:.2%} test)" for t in m.teachers or [])
    adversarial = (m.train_config or {}).get("adversarial")
    unknown = "unknown"
    return [
        (
            "architecture",
            f"embedding {c.embed_dim} → {direction} {c.rnn_type.upper()} × {c.num_layers}, {c.hidden_dim} units per "
            f"direction → {c.pooling} pooling → FC {c.fc_dim} → 1 logit",
        ),
        ("started from", _started_from(m)),
        (
            "distillation",
            f"also learned from teachers' probabilities on {m.unlabeled_reviews or 0:,} unlabeled IMDb reviews: {teachers}"
            if teachers
            else "none",
        ),
        (
            "adversarial training",
            f"embeddings pushed by {adversarial:g} (L2 per review) the way that raises the loss most, learned from too"
            if adversarial
            else "none",
        ),
        (
            "taught what changes meaning",
            _augmented(m),
        ),
        (
            "weights averaged",
            f"{1 - soup['alpha']:.0%} of the model it continued from, {soup['alpha']:.0%} of the fine-tuned one "
            "(weight interpolation, WiSE-FT)"
            + ("; how the share was chosen: under the plot below" if shares_scored(m) else "")
            if (soup := m.extra.get("soup"))
            else "no",
        ),
        ("parameters", f"{p.model.num_parameters():,}"),
        ("vocabulary", f"{len(p.vocab):,} tokens (`<pad>` = 0, `<unk>` = 1)"),
        ("trained on", f"{m.train_reviews:,} IMDb training reviews, {m.valid_reviews:,} held out for validation"),
        ("validation accuracy", f"{m.valid_accuracy:.2%}"),
        (
            f"test accuracy ({m.test_reviews:,} reviews)" if m.test_reviews else "test accuracy",
            f"{m.test_accuracy:.2%}" if m.test_accuracy is not None else unknown,
        ),
        ("training time", _training_time(m)),
        ("training command", f"`{as_typed(m.command, p.path)}`" if m.command else unknown),
        ("longest review read", f"{p.max_tokens:,} tokens (longer ones are cut)"),
    ]


CURVES_TITLE = "Training curves of the loaded model"
AVERAGED_CURVES_TITLE = "Training curves of the averaged-in round"  # an average that kept no scores of its shares
SHARES_TITLE = "Choosing the average's share: a = {alpha:g}"  # short: a phone's plot fits its title
SHARES_AXIS = "share of the fine-tuned round (a)"
SHARES_COLORS = {"validation": "#4c78a8", "dev. sentences": "#f58518", "floor": "#e45756", "chosen a": "#9ca3af"}


@dataclass(eq=False)  # a DataFrame has no truth value to compare by
class Curves:
    """The Model tab's plot: its data (x, accuracy, series), its title and which column is its x axis."""

    frame: pd.DataFrame
    title: str
    x: str = "epoch"  # "epoch" for training curves, "share" for how an average's share was chosen
    note: str = ""  # shown under the plot (Markdown)


def shares_scored(m: Metrics) -> dict | None:
    """An average's record (``soup``) when it scored several shares; their plot replaces the training curves."""
    soup = m.extra.get("soup")
    return soup if soup and soup.get("scored") else None


def share_table(soup: dict) -> str:
    """How the share was chosen, shown under the plot (whose scale cannot tell tenths of a point apart): each share
    tried with its validation and development-sentence accuracy, and the rule (``sentiment.soup``). A list, not a
    table: a phone's width keeps its words whole."""
    floor = soup.get("floor")
    lines = []
    for r in soup["scored"]:
        chosen = r["alpha"] == soup["alpha"]
        note = ", chosen" if chosen else (", under the floor" if floor and r["valid"] < floor else "")
        line = f"a = {r['alpha']:g}: validation {r['valid']:.2%}, sentences {r['sentences']:.2%}{note}"
        lines.append(f"- **{line}**" if chosen else f"- {line}")
    rule = f" among those with validation accuracy at or above the floor, {floor:.2%}," if floor else ""
    return (
        "**How the share was chosen.** The weights are (1 − a) × the model it continued from (a = 0) + a × the "
        "round fine-tuned from it (a = 1). Of the shares tried, the one that reads the most development sentences "
        f"right{rule} is taken: 2,000 short negated and contrasted sentences whose adjectives neither training nor the "
        "behaviour suite uses.\n\n" + "\n".join(lines)
    )


def model_card() -> tuple[str, Curves]:
    """The card's text and the loaded model's plot."""
    p = models.shipped_predictor()
    try:
        m = Metrics.from_dict(p.metrics)
    except ValueError as e:
        text = f"The loaded model's metrics.json cannot be read: {e}\n\n{KNOWN_LIMITS}"
        return text, Curves(pd.DataFrame(), CURVES_TITLE)
    # label/value pairs, not a table: they fit a phone's width
    text = "### The loaded model\n\n" + "\n".join(f"- **{k}**: {v}" for k, v in card_rows(m))
    return text + "\n\n" + KNOWN_LIMITS, curves(m)


def curves(m: Metrics) -> Curves:
    """The training curves (epoch, accuracy, series); for an average that scored several shares, how its share was
    chosen instead (share, accuracy, series): validation and development-sentence accuracy at each share, the
    rule's validation floor and the share chosen (a vertical line)."""
    if soup := shares_scored(m):
        rows = [(r["alpha"], r["valid"], "validation") for r in soup["scored"]]
        rows += [(r["alpha"], r["sentences"], "dev. sentences") for r in soup["scored"]]
        if soup.get("floor"):
            rows += [(a, soup["floor"], "floor") for a in (0.0, 1.0)]
        low, high = min(r[1] for r in rows), max(r[1] for r in rows)
        rows += [(soup["alpha"], low, "chosen a"), (soup["alpha"], high, "chosen a")]
        frame = pd.DataFrame(rows, columns=["share", "accuracy", "series"])
        return Curves(frame, SHARES_TITLE.format(alpha=soup["alpha"]), x="share", note=share_table(soup))
    frame = pd.DataFrame(
        [(h["epoch"], h["train_accuracy"], "training") for h in m.history if h["train_accuracy"] is not None]
        + [(h["epoch"], h["valid_accuracy"], "validation") for h in m.history],
        columns=["epoch", "accuracy", "series"],
    )
    return Curves(frame, AVERAGED_CURVES_TITLE if m.extra.get("soup") else CURVES_TITLE)


BEHAVIOUR_INTRO = (
    "### Does it read, or count words?\n\n"
    "Pass rates on the behaviour suite: short sentences and real test reviews where word order decides the label, "
    "beside the order-blind baseline. The model card says what each capability means and what was held out of "
    "training. This table for any checkpoint: `python -m sentiment.behaviour --checkpoint DIR`"
)


@dataclass
class SuiteView:
    """The Model tab's suite section: its text, the pass rates (capability, BiLSTM, baseline) and what each row
    checks, with its number of cases (a list under the table: three columns fit a phone)."""

    intro: str
    table: pd.DataFrame
    checks: str


def behaviour_table() -> SuiteView:
    """The suite's pass rates of the loaded model and of the baseline, from each checkpoint's behaviour.json."""
    model = read_results(models.shipped_predictor().path)
    baseline_model = models.baseline_predictor()
    baseline = read_results(baseline_model.path) if baseline_model else None
    if model is None:
        return SuiteView(BEHAVIOUR_INTRO + "\n\nNo suite results are stored with the loaded model.", pd.DataFrame(), "")
    rows, checks = [], []
    for name, r in model["capabilities"].items():
        other = (baseline or {}).get("capabilities", {}).get(name)
        rows.append((name, f"{r['pass_rate']:.1%}", f"{other['pass_rate']:.1%}" if other else "–"))
        checks.append(f"- **{name}** ({r['n']:,} cases): {r['description']}")
        sub, other_sub = r.get("read_and_flipping"), (other or {}).get("read_and_flipping")
        if sub and sub.get("n"):
            sub_name = f"{name}, read and really flipping"
            rows.append(
                (
                    sub_name,
                    f"{sub['pass_rate']:.1%}",
                    f"{other_sub['pass_rate']:.1%}" if other_sub and other_sub.get("n") else "–",
                )
            )
            checks.append(
                f"- **{sub_name}** ({sub['n']:,} cases): the {sub['n']} of {sub['read']} edits that a "
                "reader found to flip the review"
            )
    weak = [f"{name} ({r['pass_rate']:.0%} right)" for name, r in model["capabilities"].items() if r["pass_rate"] < 0.9]
    limits = f"\n\n**Where it still errs** (under 90% on the suite): {', '.join(weak)}." if weak else ""
    return SuiteView(
        BEHAVIOUR_INTRO + limits + misread_words(model.get("by_word") or []),
        pd.DataFrame(rows, columns=["capability", "BiLSTM", "baseline"]),
        "**What each row checks**\n\n" + "\n".join(checks),
    )


def misread_words(rows: list[dict]) -> str:
    """The suite's sentiment words the model reads the wrong way even alone, and how many of its misses on the
    made-up sentences turn on them (``behaviour.json``'s by_word, from ``python -m sentiment.behaviour --write``)."""
    words = [WordRow(**r) for r in rows]
    misread = [r for r in words if 2 * r.alone < r.frames]
    if not misread:
        return ""
    first, *rest = misread
    named = [
        f"*{first.word}* (read {'positive' if first.polarity else 'negative'} in {first.alone} of "
        f'{first.frames} plain sentences "{first.frame.format(noun="…")}", one per noun; '
        f"{first.missed} of the {first.cases} cases that turn on it missed)"
    ] + [f"*{r.word}* (right alone in {r.alone} of {r.frames}; {r.missed} of {r.cases} missed)" for r in rest]
    return (
        f"\n\n**Words it misreads even alone:** {', '.join(named)}. "
        f"{sum(r.missed for r in misread)} of its {sum(r.missed for r in words)} misses on the suite's made-up "
        "sentences turn on these words, not on the negation or the turn around them."
    )


class ModelTab:
    def __init__(self):
        with gr.Tab("Model"):
            self.card = gr.Markdown()
            self.plot = gr.LinePlot(x="epoch", y="accuracy", color="series", title=CURVES_TITLE, height=280)
            self.plot_note = gr.Markdown()
            self.behaviour_intro = gr.Markdown()
            self.behaviour = gr.Dataframe(
                interactive=False,
                wrap=True,
                show_label=False,
                column_widths=["46%", "27%", "27%"],  # fills a desktop, and a phone without scrolling
                elem_id="suite-table",
            )
            self.behaviour_checks = gr.Markdown()
        # the components load() fills
        self.outputs = [
            self.card,
            self.plot,
            self.plot_note,
            self.behaviour_intro,
            self.behaviour,
            self.behaviour_checks,
        ]

    def load(self) -> dict:
        text, shown = model_card()
        suite = behaviour_table()
        shares = shown.x == "share"
        plot = gr.LinePlot(
            value=shown.frame,
            x=shown.x,
            x_title=SHARES_AXIS if shares else "epoch",
            x_lim=[0, 1] if shares else None,
            color_map=SHARES_COLORS if shares else None,
            colors_in_legend=list(SHARES_COLORS)[:3] if shares else None,  # the title names the chosen a's line
            title=shown.title,
        )
        return {
            self.card: text,
            self.plot: plot,
            self.plot_note: shown.note,
            self.behaviour_intro: suite.intro,
            self.behaviour: suite.table,
            self.behaviour_checks: suite.checks,
        }
