"""The Predict tab (its layout and its handler; its "Edit and compare" section is ``webapp.compare``) and the Gradio
API's ``/predict``."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr
import pandas as pd
import torch

from sentiment import Prediction, Predictor
from sentiment.text import UNK_ID, tokenize

from . import models, settings
from .compare import RESULTS_ID, EditCompare, refuse_too_long
from .memory import release_memory
from .plots import RUNNING_VERDICT_AXES, data_first, word_axis
from .runs import RunUnavailable, Visitor
from .scroll import into_view
from .settings import LABEL_CHARS, MAX_REVIEW_CHARS, SHIPPED, TRIM_EVERY_S

VERDICT_ID = "verdict"  # the verdict's column, scrolled into view after an example clicked far below it
# (what kind of review it is, the review); FOOLED names the one the shipped BiLSTM gets wrong (checked by a test)
FOOLED = "sarcasm, the BiLSTM is fooled"
EXAMPLES = [
    (
        "praise",
        "What a wonderful surprise. The two leads have real chemistry, the script is sharp and funny, "
        "and the last twenty minutes had the whole audience cheering. I will happily watch it again.",
    ),
    (
        "a pan",
        "A tedious, badly acted mess. The plot makes no sense, the jokes fall flat and I checked my watch "
        "every ten minutes. Save your money and skip this one.",
    ),
    (
        "mixed",
        "The photography is gorgeous and the score is lovely, but the story drags badly in the middle "
        "and the ending felt rushed. Worth seeing once, I suppose.",
    ),
    (
        "not bad at all",
        "I expected a cheap cash-in, but honestly it was not bad at all. Not a masterpiece, yet I was never bored.",
    ),
    (
        "turns at the end",
        "I loved the cast, the music and the photography, and for an hour it was a delight. "
        "Then came the ending: stupid, lazy and insulting. A total waste of my time.",
    ),
    (
        FOOLED,
        "Oh great, another two hours of my life I will never get back. Truly a triumph of cinema, if you enjoy "
        "staring at walls.",
    ),
]

# Real test reviews on which the two shipped models disagree (found by scoring both on the short test
# reviews; tests/test_predict_tab.py checks each claim): (review, its IMDb label, which model is right).
DISAGREEMENTS = [
    (
        "For the most part, romance films were never my cup of tea. But Valley Girl is one of the few romance films I not only "
        "could sit through, but actually enjoy. Nicholas Cage is great in his first role and Deborah Foreman is cute beyond "
        "belief. There are some side stories that tend to become muddled, but not enough to diminish this film.",
        "positive",
        "BiLSTM",
    ),
    (
        "A professional production with quality actors that simply never touched the heart or the funny bone no matter how "
        "hard it tried. The quality cast, stark setting and excellent cinemetography made you hope for Fargo or High Plains "
        "Drifter but sorry, the soup had no seasoning...or meat for that matter. A 3 (of 10) for effort.",
        "negative",
        "BiLSTM",
    ),
    (
        "A very courageous attempt to bring one of the most intricate books of literature to the screen. The story manages to "
        "get most of Conrad's basic messages across and the acting is superb. The liberties taken by the script often deepen "
        "the meaning and do seldom distort it. Compliments to writer and director.",
        "positive",
        "baseline",
    ),
    (
        '"Death Promise" is a lost 70\'s exploitation gem and deserves to be seen. Technically somewhat of a mess and boasting a '
        "stock of amateur New Yawk types, this film never bores. I highly recommend tracking this down. It's a hoot and a half.",
        "positive",
        "baseline",
    ),
]
# Sentences of the behaviour suite's kinds where the shipped BiLSTM is right and the order-blind baseline is not
# (tests/test_predict_tab.py checks each): (text, the label a reader gives it, capability).
READING = [
    ("The movie was not great.", "negative", "negated positive"),
    ("I did not like the ending.", "negative", "negated positive"),
    ("I didn't enjoy this movie.", "negative", "negated positive"),
    ("The movie was not bad.", "positive", "negated negative"),
    ("It was never boring.", "positive", "negated negative"),
    ("The acting was weak, but the story was wonderful.", "positive", "contrast"),
    ("Although the cast is good, the film is boring.", "negative", "contrast"),
]
COLORS = {"strongly positive": "#16a34a", "positive": "#86efac", "negative": "#fca5a5", "strongly negative": "#dc2626"}
WHY = (
    "### Why\nEach word is coloured by how far the verdict moves when the model reads the review without it: green "
    "where taking the word out makes the review less **positive** (the word pushed toward positive), red where it "
    "makes it less **negative**, darker for a stronger push, uncoloured for little effect (the legend names each "
    "colour). Method: occlusion, the model's score (its logit) on the review minus its score with that word read as "
    "unknown (`<unk>`); in a long review, groups of neighbouring words are taken out together. The token table's "
    "**push** column gives these pushes, and the column beside it those of integrated gradients over the word "
    "embeddings, which share out how far the score is from that of the review with every word unknown: in a "
    "sentence that turns on *but*, they can point against a word's own meaning."
)
WHILE_IT_READS = (
    "### While it reads\nThe probability of **positive** after the model has read only the first words, for every "
    "length: the model applied to each beginning of the review, the last point being its verdict on the whole. "
    "Hover a point to see the word (or find its number in the token table's # column). Where the line jumps, that "
    "word changed the model's mind."
)
WHAT_IT_READ = (
    "### What it read\nEach token as the model read it, its id in the vocabulary, and its push measured both ways "
    "(see Why); words outside the vocabulary are read as `<unk>`."
)


def disagreement_label(text: str, gold: str, right: str) -> str:
    """Who is right and the review's first words."""
    return first_words(f"{gold}, {'BiLSTM' if right == 'BiLSTM' else 'baseline'} right:", text)


def first_words(label: str, text: str) -> str:
    """``label``, then the review's first words, whole, within what Gradio shows of a label."""
    for word in text.split():
        if len(label) + len(word) + 3 > LABEL_CHARS:
            return label + " …"
        label += " " + word
    return label


# What the example lists show for each example (within LABEL_CHARS, checked by a test)
READING_LABELS = [f"{capability}: {text}" for text, _, capability in READING]
EXAMPLE_LABELS = [first_words(f"{kind}:", text) for kind, text in EXAMPLES]
DISAGREEMENT_LABELS = [disagreement_label(*d) for d in DISAGREEMENTS]


PUSH_COLUMNS = ["push", "push (integrated gradients)"]
# under the verdict: on a phone the example lists lie between it and the explanations
TO_WHY = "\n\n[Why: the words that pushed it, and the verdict as it read ↓](#why)"
CLOSE_CALL = 0.1  # a verdict within this of 50% positive (40% to 60%) is called a close call beside its label
PUSH_FLOOR = 0.05  # pushes smaller than this (in logit units) stay uncoloured, however small the largest one is


def buckets(attributions: list[float]) -> list[str | None]:
    """Each push's colour name, relative to the largest push of the review; pushes under PUSH_FLOOR get none."""
    scale = max((abs(a) for a in attributions), default=0.0) or 1.0
    out = []
    for a in attributions:
        r = a / scale if abs(a) >= PUSH_FLOOR else 0.0
        out.append(
            "strongly positive"
            if r > 0.5
            else "positive"
            if r > 0.15
            else "strongly negative"
            if r < -0.5
            else "negative"
            if r < -0.15
            else None
        )
    return out


def pushes_label(n: int) -> str:
    """The highlights' label for a review of ``n`` tokens: what was taken out to measure each push."""
    width = Predictor.occlusion_width(n)
    if width == 1:
        return "Words that pushed the decision (each taken out in turn)"
    return f"Words that pushed the decision (a long review: taken out {width} at a time)"


def plural(n: int, word: str) -> str:
    """Say "1 token" or "3,000 tokens"."""
    return f"{n:,} {word}" + ("" if n == 1 else "s")


EMPTY = "Please enter a review first: the text box is empty."
WORKING = "Working out which words pushed the verdict, and how it formed as the model read…"


def run_predict(text: str, predictor: Predictor, explain: bool = True, baseline: bool | None = None) -> Prediction:
    """One prediction with the app's rules: a text is required and at most MAX_REVIEW_CHARS long; one CPU thread.
    ``explain`` and ``baseline`` as in ``Predictor.predict``."""
    if not isinstance(text, str) or not text.strip():
        raise gr.Error(EMPTY)
    refuse_too_long(text, predictor)
    torch.set_num_threads(settings.SETTINGS.predict_threads)
    try:
        p = predictor.predict(text, explain=explain, baseline=baseline)
    except ValueError as e:
        raise gr.Error(str(e)) from None
    if explain:
        release_memory(at_most_every_s=TRIM_EVERY_S)
    return p


def add_explanations(p: Prediction, predictor: Predictor) -> Prediction:
    """``run_predict``'s explanations, added after the verdict was shown."""
    torch.set_num_threads(settings.SETTINGS.predict_threads)
    predictor.explain(p)
    release_memory(at_most_every_s=TRIM_EVERY_S)
    return p


@dataclass(frozen=True)
class Analysed:
    """What the results on the page are of: the review and the model picked when it was read."""

    review: str = ""
    model: str = SHIPPED


@dataclass
class Reading:
    """A review's verdict as the Predict tab reads it first: the updates that show it and, unless the review was
    refused (empty, no words, too long), the prediction (not yet explained) and the model that made it."""

    out: dict  # the verdict's updates, keyed by component
    prediction: Prediction | None = None
    predictor: Predictor | None = None


def signed(push: float) -> str:
    """A push as the token table shows it: signed, to two decimals, and "+0.00" for one that rounds to zero (not
    "-0.00")."""
    return f"{round(push, 2) + 0.0:+.2f}"


def close_call(p: Prediction, name: str = "BiLSTM") -> str:
    """A line when the verdict is within CLOSE_CALL of 50% (the label alone would look sure), else nothing."""
    if abs(p.probability - 0.5) >= CLOSE_CALL:
        return ""
    return (
        f"**A close call**: the {name} gives {p.probability:.1%} positive, near the 50% that separates the labels; "
        "a small edit may tip it.\n\n"
    )


def comparison(p: Prediction, name: str = "BiLSTM") -> str:
    """One line on the order-blind baseline's verdict for the same review, and what differs from ``name``'s."""
    if not p.baseline:
        return ""
    b = p.baseline
    line = (
        "**Order-blind baseline** (counts words and phrases of up to 3 words, ignores their order): "
        f"{b['label']}, {b['probability']:.1%} positive. "
    )
    if b["label"] != p.label:
        return line + (
            f"**They disagree**: reading the words in order, the {name} says {p.label}; "
            f"counting them, the baseline says {b['label']}."
        )
    gap = p.probability - b["probability"]
    if abs(gap) < 0.2:
        return line + f"Both say {p.label}, about as surely: here word order changes little."
    surer = name if (gap > 0) == (p.label == "positive") else "baseline"
    return line + f"Both say {p.label}; the {surer} is more sure of it."


def trajectory_frame(p: Prediction) -> pd.DataFrame:
    """The running verdict's points (word read, probability of positive, token). A one-word review is drawn as a
    short flat line from that word (a line through one point would not show)."""
    rows = [(i, prob, tok) for i, (tok, prob) in enumerate(zip(p.tokens, p.trajectory), start=1) if prob is not None]
    if len(rows) == 1:
        rows.append((1.5, *rows[0][1:]))
    return pd.DataFrame(rows, columns=["word", "positive", "token"]).astype(
        {"word": float, "positive": float, "token": str}
    )


def predict(text: str, explain: bool | None = True) -> dict:
    """Score one review with the shipped model.

    With explain (the default): label ("positive"/"negative"), probability (of positive), tokens, ids
    (same length), occlusion (per token: how far the score falls when the word is read as unknown; + it pushed
    toward positive, - toward negative), attributions (per token: integrated gradients, signed as occlusion), trajectory
    (per token: probability of positive after reading up to it; null where not computed), baseline
    (the order-blind n-gram model's label and probability), unknown (count of <unk> tokens) and
    truncated (the review was cut to the maximum length). With explain false: label and probability only, fast.
    An explain of null is the default (true): Gradio's HTTP API needs every value sent, null included.
    """
    explain = True if explain is None else explain
    if not isinstance(explain, bool):
        raise gr.Error(f"explain must be true or false; got {explain!r}.")
    p = run_predict(text, models.shipped_predictor(), explain, baseline=explain)
    return p.to_dict() if explain else {"label": p.label, "probability": p.probability}


def shown_probability(p: float) -> float:
    """``p`` to four significant digits of its distance from the nearer end, so that a clear pan (0.00003659)
    or rave (0.99996341) is not drawn as a flat 0 or 1."""
    if p < 0.5:
        return float(f"{p:.4g}")
    return round(1 - float(f"{1 - p:.4g}"), 12)


class PredictTab:
    """The Predict tab's components, built inside the caller's ``gr.Blocks``, and its handler."""

    def __init__(self, visitor: gr.State):
        with gr.Tab("Predict"):
            with gr.Row():
                with gr.Column(scale=3):
                    self.review = gr.Textbox(  # a long review scrolls inside the box: Analyze and the verdict stay near
                        label="Review", lines=6, max_lines=12, placeholder="Type or paste a movie review…"
                    )
                    with gr.Row():
                        self.model_choice = gr.Radio(
                            [SHIPPED], value=SHIPPED, label="Model (your Train tab runs appear here)", scale=3
                        )
                        self.analyze_btn = gr.Button("Analyze", variant="primary", scale=1)
                with gr.Column(scale=2, elem_id=VERDICT_ID):
                    self.label = gr.Label(label="Prediction", num_top_classes=2)
                    # empty until a review is read: Gradio draws value=None as 0 (gradio-app/gradio#6728), a
                    # callable's None as empty; then shown_probability's digits
                    self.probability = gr.Number(value=lambda: None, label="Probability of positive")
                    self.compare = gr.Markdown()
            # below the verdict, so on a phone (where columns stack) the verdict comes first
            examples = [
                gr.Examples(
                    [text for _, text in EXAMPLES],
                    inputs=self.review,
                    label="Try an example",
                    example_labels=EXAMPLE_LABELS,
                ),
                gr.Examples(
                    [t for t, _, _ in READING],
                    inputs=self.review,
                    label="Where word order decides: the BiLSTM is right here, the word-counting baseline is not",
                    example_labels=READING_LABELS,
                ),
                gr.Examples(
                    [t for t, _, _ in DISAGREEMENTS],
                    inputs=self.review,
                    label="Real IMDb test reviews where the BiLSTM and the order-blind baseline disagree",
                    example_labels=DISAGREEMENT_LABELS,
                ),
            ]
            gr.Markdown(WHY, elem_id="why")
            self.highlights = gr.HighlightedText(
                label=pushes_label(1), color_map=COLORS, show_legend=True, combine_adjacent=False
            )
            # side by side on a desktop (a point's word number beside the table's #), stacked on a tablet or phone
            with gr.Row():
                with gr.Column(min_width=400):
                    gr.Markdown(WHILE_IT_READS)
                    self.trajectory = gr.LinePlot(
                        **RUNNING_VERDICT_AXES,
                        tooltip=["word", "token", "positive"],
                        title="Running verdict",
                        height=260,
                    )
                    self.trajectory_note = gr.Markdown()
                with gr.Column(min_width=400):
                    gr.Markdown(WHAT_IT_READ)
                    self.counts = gr.Markdown()
                    self.tokens = gr.Dataframe(
                        label="Tokens and vocabulary ids",
                        elem_id="token-table",
                        headers=[  # the pushes before the mostly empty unknown column: on a phone, in view
                            "#",
                            "token",
                            "id",
                            "push",
                            "push (integrated gradients)",
                            "unknown",
                        ],
                        interactive=False,
                        max_height=320,
                        wrap=True,  # a long token wraps in its column: on a phone the pushes stay in view
                        column_widths=["52px", "136px", "62px", "66px", "160px", "84px"],
                    )
            self.edit_compare = EditCompare(self.review, self.model_choice, visitor)
        self.analysed = gr.State(Analysed())  # what the results above are of
        outputs = [self.label, self.probability, self.tokens, self.counts, self.highlights, self.compare]
        outputs += [self.trajectory, self.trajectory_note, self.analysed]
        for trigger in (self.analyze_btn.click, self.review.submit):  # a press while one is answered runs after it
            trigger(
                self.analyze_page,
                [self.review, self.model_choice, visitor],
                outputs,
                api_visibility="private",
                trigger_mode="always_last",
            )
        # the results above growing or shrinking can move the comparison's out of sight: brought back after them
        comparison = into_view(RESULTS_ID)
        # Compare reads the review box: the results above follow it when it changed since they were drawn
        for trigger in (self.edit_compare.compare_btn.click, self.edit_compare.edited.submit):
            trigger(
                self.analyze_if_changed,
                [self.review, self.analysed, self.model_choice, visitor],
                outputs,
                api_visibility="private",
                show_progress="hidden",  # no overlay over the results when they stay as they are
            ).then(None, js=comparison)
        # an example, its own or Edit and compare's, is analysed as soon as it fills the review; a second click
        # while the first is analysed is answered after it, with the review then in the box: no stale result
        verdict = into_view(VERDICT_ID)
        for e in (*examples, self.edit_compare.examples):
            analysed = e.load_input_event.then(
                self.analyze_page,
                [self.review, self.model_choice, visitor],
                outputs,
                api_visibility="private",
                trigger_mode="always_last",
            )
            if e is self.edit_compare.examples:
                analysed.then(None, js=comparison)
            else:  # on a phone, the verdict sits above the examples, often out of sight
                e.load_input_event.then(None, js=verdict)

    def analyze_page(self, text: str, model_choice: str, visitor: Visitor):
        """``analyze`` for the page, in two steps: the verdict (and the baseline's) as soon as it is read, then
        what explains it, which takes most of the time (the running verdict's data before its axis: ``plots``)."""
        visitor.analyses += 1
        mine = visitor.analyses
        # a later analysis (an example clicked while this one explains) has the page: this one then sends a
        # no-change update, since Gradio's end of a generator redraws its last update
        superseded = {self.counts: gr.skip()}
        read = self._verdict(text, model_choice, visitor)
        yield read.out if visitor.analyses == mine else superseded
        if read.prediction is not None and visitor.analyses == mine:
            out, frame = self._explained(read)
            if visitor.analyses != mine:
                yield superseded
                return
            yield from data_first(read.out | out, {self.trajectory: frame})  # the verdict again, with its words

    def analyze_if_changed(self, text: str, analysed: Analysed, model_choice: str, visitor: Visitor):
        """``analyze_page`` when the review box holds another review than the results above show, or another model
        was picked since (a visitor who typed a new review, or trained a run, and pressed Compare saw the old
        verdict over a comparison of the new); nothing otherwise. A review
        Predict would refuse (empty, too long, no words) is left as it is: Compare says what is wrong with it."""
        unchanged = {self.analysed: analysed}
        if (
            not isinstance(text, str)
            or Analysed(text, model_choice) == analysed
            or len(text) > MAX_REVIEW_CHARS
            or not tokenize(text)
        ):
            yield unchanged
            return
        updates = self.analyze_page(text, model_choice, visitor)
        try:
            first = next(updates)
        except gr.Error:  # a chosen Train-tab run now gone: said when Analyze is pressed
            first, updates = unchanged, iter(())
        yield first
        yield from updates

    def analyze(self, text: str, model_choice: str, visitor: Visitor) -> dict:
        """Label, probability, token table, counts, highlighted words, the running verdict, the baseline's
        verdict and, for a model trained in the Train tab, its verdict beside the shipped model's."""
        read = self._verdict(text, model_choice, visitor)
        return read.out if read.prediction is None else read.out | self._explained(read)[0]

    def _verdict(self, text: str, model_choice: str, visitor: Visitor) -> Reading:
        if not isinstance(text, str) or not text.strip():
            return self.refused(EMPTY)
        try:
            predictor, trained = models.chosen_predictor(model_choice, visitor)
        except RunUnavailable as e:
            raise gr.Error(str(e)) from None
        try:
            p = run_predict(text, predictor, explain=False, baseline=True)
        except gr.Error as e:  # too long, or no words to read
            return self.refused(e.message)
        compare = ""
        if trained:
            ref = models.shipped_predictor().predict(text)
            compare = (
                f"**{model_choice}** (trained here): {p.label}, {p.probability:.1%} positive · "
                f"**{SHIPPED}**: {ref.label}, {ref.probability:.1%} positive"
                + (" · they **disagree**" if ref.label != p.label else "")
                + "\n\n"
            )
        name = model_choice if trained else "BiLSTM"
        counts = f"**{plural(len(p.tokens), 'token')}**, **{p.unknown:,}** unknown (`<unk>`, id {UNK_ID})"
        if p.truncated:
            counts = f"The review was cut to its first **{plural(predictor.max_tokens, 'token')}**; " + counts
        out = self.empty() | {  # the last review's explanations go: they would sit under this verdict
            self.label: {"positive": p.probability, "negative": 1 - p.probability},
            self.probability: shown_probability(p.probability),
            self.counts: counts,
            self.compare: compare + close_call(p, name) + comparison(p, name) + TO_WHY,
            self.trajectory_note: WORKING,
            self.analysed: Analysed(text, model_choice),
        }
        return Reading(out, p, predictor)

    def _explained(self, read: Reading) -> tuple[dict, pd.DataFrame]:
        """The updates that explain ``read``'s verdict, and the running verdict's data."""
        p = add_explanations(read.prediction, read.predictor)
        table = pd.DataFrame(
            {
                "#": range(1, len(p.tokens) + 1),
                "token": p.tokens,
                "id": p.ids,
                "push": p.occlusion,
                "push (integrated gradients)": p.attributions,
                "unknown": ["<unk>" if i == UNK_ID else "" for i in p.ids],
            }
        )
        computed = sum(v is not None for v in p.trajectory)
        caption = (
            ("After the one word read" if len(p.tokens) == 1 else f"After each of the {len(p.tokens):,} words read")
            if computed == len(p.tokens)
            else f"After {computed:,} evenly spaced words of the {len(p.tokens):,} read"
        )
        caption += "; the last point is the prediction."
        if p.truncated:
            caption += " The review was cut: the words after these were not read."
        frame = trajectory_frame(p)
        return {
            self.tokens: table.style.format(signed, subset=PUSH_COLUMNS),
            self.highlights: gr.HighlightedText(
                [(tok + " ", cat) for tok, cat in zip(p.tokens, buckets(p.occlusion))], label=pushes_label(len(p.ids))
            ),
            self.trajectory: gr.LinePlot(value=frame, x_lim=word_axis(frame["word"].max())),
            self.trajectory_note: caption,
        }, frame

    def refused(self, message: str) -> Reading:
        """A review the page does not read: one message, as a toast and under the verdict, and no earlier review's
        results left beside it (a warning, not an error: no error badge over every output)."""
        gr.Warning(message)
        return Reading(self.empty() | {self.compare: message})

    def empty(self) -> dict:
        """Every output cleared."""
        return {
            self.label: None,
            self.probability: None,
            self.tokens: None,
            self.counts: "",
            self.highlights: gr.HighlightedText(None, label=pushes_label(1)),
            self.compare: "",
            self.trajectory: gr.LinePlot(value=None),
            self.trajectory_note: "",
            self.analysed: Analysed(),
        }
