"""The app in a real headless Chromium (Debian's package), driven by Playwright: each tab used as a visitor
would, and the Train tab watched while a run trains.

Screenshots of each tab go to the test's temporary folder; with SCREENSHOTS_DIR set they are
also written there (``SCREENSHOTS_DIR=docs/screenshots python -m pytest tests/test_browser.py``
refreshes the README's pictures).
"""

import io
import os
import re
import shutil
from pathlib import Path

import pytest

from devtools import set_number

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium package is not installed")


@pytest.fixture(scope="module")
def page(app_server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(app_server)
        page.get_by_label("Review").first.wait_for(timeout=120000)  # a busy machine can take a while
        yield page
        browser.close()


def snap(page, tmp_path: Path, name: str, readme: bool = True) -> None:
    page.screenshot(path=tmp_path / f"{name}.png", full_page=True)
    if readme and os.environ.get("SCREENSHOTS_DIR"):
        Path(os.environ["SCREENSHOTS_DIR"]).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=Path(os.environ["SCREENSHOTS_DIR"]) / f"{name}.png", full_page=True)
    assert (tmp_path / f"{name}.png").stat().st_size > 10000


LATE_TURN = (
    "I loved the cast, the music and the photography, and for an hour it was a delight. "
    "Then came the ending: stupid, lazy and insulting. A total waste of my time."
)


def test_predict_tab_shows_label_tokens_running_verdict_and_baseline(page, tmp_path):
    page.get_by_label("Review").first.fill(LATE_TURN)
    page.get_by_role("button", name="Analyze").click()
    page.get_by_text("Probability of positive", exact=True).wait_for()
    page.get_by_text("unknown (").first.wait_for(timeout=20000)
    page.locator("[aria-rowindex] [aria-colindex]", has_text="photography").first.wait_for(
        timeout=20000
    )  # the token table
    assert "negative" in page.get_by_test_id("label-output-value").inner_text().lower()
    baseline = page.locator("p", has_text="Order-blind baseline (counts words and phrases").first
    baseline.wait_for(timeout=20000)
    assert "% positive" in baseline.inner_text()
    page.wait_for_timeout(1000)
    lines = drawn_lines(page, "Running verdict")
    assert lines == [31], lines  # one line through one point per word read
    snap(page, tmp_path, "predict")
    # on a desktop the running verdict and the token table sit side by side: a point's word number beside the #
    left = page.get_by_role("heading", name="While it reads").bounding_box()
    right = page.get_by_role("heading", name="What it read").bounding_box()
    assert abs(left["y"] - right["y"]) < 5 and right["x"] > left["x"] + left["width"], (left, right)
    # a shorter review next: its own line on its own axis, not the previous review's line (a known Gradio redraw race)
    page.get_by_label("Review").first.fill("The movie was not bad at all.")
    page.get_by_role("button", name="Analyze").click()
    page.get_by_text("After each of the 7 words read").wait_for(timeout=20000)
    page.wait_for_timeout(1500)
    assert drawn_lines(page, "Running verdict") == [7]
    assert word_ticks(page, "Running verdict") == [str(i) for i in range(1, 8)]
    page.get_by_label("Review").first.fill(LATE_TURN)  # as it was, for the tests that follow


def test_a_long_review_shows_its_verdict_while_its_explanations_are_worked_out(page):
    """Integrated gradients and occlusion take seconds on a review of a thousand words: the verdict is drawn first,
    and the last review's pushes, table and running verdict are not left under it meanwhile."""
    from webapp import models
    from webapp.predict_tab import WORKING

    page.get_by_label("Review").first.fill(LATE_TURN)
    page.get_by_role("button", name="Analyze").click()
    page.get_by_text("After each of the 31 words read").wait_for(timeout=20000)
    long = " ".join([LATE_TURN] * 40)  # 1,240 words
    page.get_by_label("Review").first.fill(long)
    page.get_by_role("button", name="Analyze").click()
    page.get_by_text("1,240 tokens").first.wait_for(timeout=20000)  # drawn with this review's verdict
    wait_for_probability(page, models.shipped_predictor().predict(long).probability)
    assert page.get_by_text(WORKING).is_visible()  # the verdict is drawn, its explanations are still worked out
    assert not page.get_by_text("After each of the 31 words read").is_visible()
    assert page.locator("#token-table [aria-rowindex] [aria-colindex]", has_text="photography").count() == 0
    page.get_by_text("evenly spaced words of the 1,240 read").wait_for(timeout=60000)
    assert not page.get_by_text(WORKING).is_visible()
    page.locator("#token-table [aria-rowindex] [aria-colindex]", has_text="photography").first.wait_for()
    page.get_by_label("Review").first.fill(LATE_TURN)  # as it was, for the tests that follow


def test_an_example_clicked_while_a_long_review_is_explained_keeps_the_page_on_the_example(page):
    """The long review's explanations, ready seconds after the example's, must not land over the example's results
    (nor may the end of its update stream redraw the long review's verdict)."""
    import time

    import torch

    from webapp import models
    from webapp.predict_tab import READING, READING_LABELS

    long = " ".join([LATE_TURN] * 40)
    page.get_by_label("Review").first.fill(long)
    page.get_by_role("button", name="Analyze").click()
    page.get_by_text("1,240 tokens").first.wait_for(timeout=20000)
    page.get_by_text(READING_LABELS[3], exact=True).click()  # "The movie was not bad.": positive, 5 words
    page.get_by_text("After each of the 5 words read").wait_for(timeout=30000)
    shipped = models.shipped_predictor()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as the server explains
    start = time.perf_counter()
    shipped.explain(shipped.predict(long))  # about how long the server takes to explain the long review
    torch.set_num_threads(threads)
    page.wait_for_timeout(1000 * (time.perf_counter() - start) + 2000)
    assert page.get_by_label("Review").first.input_value() == READING[3][0]
    assert "positive" in page.get_by_test_id("label-output-value").inner_text().lower()
    assert page.get_by_text("After each of the 5 words read").is_visible()
    assert not page.get_by_text("1,240").first.is_visible() and page.get_by_text("Error", exact=True).count() == 0
    page.get_by_label("Review").first.fill(LATE_TURN)  # as it was, for the tests that follow


PROBABILITY_BOX = "Probability of positive"
# Whether the probability box shows ``expected`` (to within its four significant digits, webapp.predict_tab.shown_probability).
SHOWS = """([label, expected]) => {
    const box = [...document.querySelectorAll('.block')].find(b => b.innerText.startsWith(label));
    const value = box && box.querySelector('input').value;
    return value !== '' && value !== undefined && Math.abs(Number(value) - expected) < 6e-5;
}"""


def probability_box(page) -> str:
    return page.locator(".block", has_text=PROBABILITY_BOX).locator("input").first.input_value()


def wait_for_probability(page, probability: float) -> None:
    page.wait_for_function(SHOWS, arg=[PROBABILITY_BOX, probability], timeout=30000)


def test_a_clicked_example_is_analysed_and_nothing_stale_is_left(page):
    """Before any review, the probability box is empty (not a 0 that reads as a verdict). Clicking an example, of
    the Predict tab's own or of Edit and compare, shows that example's verdict, never the previous review's."""
    from sentiment.compare_examples import load_examples
    from webapp import models
    from webapp.compare import _example_label
    from webapp.predict_tab import DISAGREEMENT_LABELS, READING, READING_LABELS

    page.reload()
    page.get_by_label("Review").first.wait_for(timeout=60000)
    page.wait_for_timeout(1000)
    assert probability_box(page) == ""
    # each example's label is drawn whole (Gradio cuts a longer one mid-word, with "...")
    labels = READING_LABELS + DISAGREEMENT_LABELS + [_example_label(e) for e in load_examples()]
    cut = [label for label in labels if not page.get_by_text(label, exact=True).is_visible()]
    assert cut == [], cut
    shipped = models.shipped_predictor()
    page.get_by_label("Review").first.fill(LATE_TURN)
    page.get_by_role("button", name="Analyze").click()
    wait_for_probability(page, shipped.predict(LATE_TURN).probability)

    text = READING[3][0]  # "The movie was not bad.": positive, the previous review negative
    page.get_by_text(READING_LABELS[3], exact=True).click()
    wait_for_probability(page, shipped.predict(text).probability)
    assert page.get_by_label("Review").first.input_value() == text
    assert "positive" in page.get_by_test_id("label-output-value").inner_text().lower()

    example = load_examples()[0]
    page.get_by_text(_example_label(example), exact=True).click()
    wait_for_probability(page, shipped.predict(example.original).probability)
    page.get_by_text("Running verdicts, review and edited copy").first.wait_for(timeout=20000)
    page.get_by_label("Review").first.fill(LATE_TURN)  # as it was, for the tests that follow


def drawn_series(page, title: str) -> dict[str, int]:
    """What a Train plot has drawn, read from its SVG: for each line on it in the colour that the tab's legend
    (under the plots) shows for its series, the series and how many points the line joins."""
    chart = page.locator(".vega-embed", has=page.locator("text", has_text=title)).first
    legend = page.locator("#train-legend [data-series]").evaluate_all(
        "els => Object.fromEntries(els.map(e => [e.dataset.series, e.dataset.color.toLowerCase()]))"
    )
    return chart.evaluate(
        """(el, legend) => {
            const out = {};
            el.querySelectorAll('path[aria-roledescription="line mark"]').forEach(p => {
                const m = (p.getAttribute('aria-label') || '').match(/series: (.*)$/);
                if (m && legend[m[1]] && (p.getAttribute('stroke') || '').toLowerCase() === legend[m[1]])
                    out[m[1]] = (p.getAttribute('d') || '').split(/[ML]/).length - 1;
            });
            return out;
        }""",
        legend,
    )


def drawn_lines(page, title: str) -> list[int]:
    """How many points each line drawn on a chart without a legend joins."""
    chart = page.locator(".vega-embed", has=page.locator("text", has_text=title)).first
    return chart.evaluate(
        """(el) => [...el.querySelectorAll('path[aria-roledescription="line mark"]')]
                     .map(p => (p.getAttribute('d') || '').split(/[ML]/).length - 1)"""
    )


def word_ticks(page, title: str) -> list[str]:
    """The labels of a chart's x axis, left to right."""
    chart = page.locator(".vega-embed", has=page.locator("text", has_text=title)).first
    return chart.evaluate(
        """(el) => [...el.querySelectorAll('g.role-axis')].filter(a => a.getAttribute('aria-label')?.startsWith('X-axis'))
                     .flatMap(a => [...a.querySelectorAll('g.role-axis-label text')].map(t => t.textContent))"""
    )


# For each chart: is any of five points of its drawing area under something else (a progress overlay), and,
# for each line drawn, its series and how many points it joins, and its x axis' labels. Null when the chart is not
# on the page.
PROBE = """(titles) => titles.map(title => {
    const chart = [...document.querySelectorAll('.vega-embed')].find(el =>
        [...el.querySelectorAll('text')].some(t => t.textContent === title));
    if (!chart) return null;
    const box = (chart.querySelector('svg') || chart).getBoundingClientRect();
    const points = [[0.5, 0.5], [0.25, 0.25], [0.75, 0.25], [0.25, 0.75], [0.75, 0.75]];
    const covered = points.some(([fx, fy]) => {
        const el = document.elementFromPoint(box.left + fx * box.width, box.top + fy * box.height);
        return !el || !chart.contains(el);
    });
    const lines = {};
    chart.querySelectorAll('path[aria-roledescription="line mark"]').forEach(p => {
        const m = (p.getAttribute('aria-label') || '').match(/series: (.*)$/);
        if (m) lines[m[1]] = (p.getAttribute('d') || '').split(/[ML]/).length - 1;
    });
    const xAxis = [...chart.querySelectorAll('g.role-axis')].find(a => a.getAttribute('aria-label')?.startsWith('X-axis'));
    const ticks = xAxis ? [...xAxis.querySelectorAll('g.role-axis-label text')].map(t => t.textContent) : [];
    return {covered, lines, ticks};
})"""


@pytest.mark.alone
def test_train_tab_curves_stay_drawn_and_uncovered_while_a_run_trains_then_runs_compare(page, tmp_path):
    """A run watched from the click to its end (the page sampled every half second): both curves of the run drawn
    and nothing covering the plots (a progress overlay once did). Then a second run: both runs' curves in colour
    with their legend, and both in the runs table."""
    page.set_viewport_size({"width": 1366, "height": 1400})
    page.get_by_role("tab", name="Train").click()
    set_number(page, "Training reviews", "2000")
    set_number(page, "Epochs", "1")
    # the plots in view (where the visitor looks): the row of buttons at the top of the window
    page.get_by_role("button", name="Clear runs").evaluate("el => el.scrollIntoView({block: 'start'})")
    page.get_by_role("button", name="Train", exact=True).click()
    done = page.locator("[aria-rowindex] [aria-colindex]", has_text="#1 BiLSTM 32")
    samples, status_lines = [], []
    for _ in range(600):  # at most 5 minutes on a busy machine
        samples.append(page.evaluate(PROBE, ["Accuracy", "Loss"]))
        status_lines.append(page.locator("#train-status").inner_text())
        if done.count():
            break
        page.wait_for_timeout(500)
    else:
        pytest.fail("the run did not end within 5 minutes")
    # from the first sample showing a point of the run to the end of the run
    started = next(i for i, (acc, _) in enumerate(samples) if acc and acc["lines"])
    during = samples[started:]

    def drawn(chart, curve: str) -> bool:  # the run's curve ("#1 training", or "#1 BiLSTM 32 · training")
        return any(k.startswith("#1 ") and k.endswith(curve) and n >= 1 for k, n in chart["lines"].items())

    good = [
        s
        for s in during
        if all(
            chart and not chart["covered"] and drawn(chart, "training") and drawn(chart, "validation") for chart in s
        )
    ]
    print(f"\nboth plots uncovered with both curves of the run drawn: {len(good)} of {len(during)} samples")
    assert len(during) >= 6, f"too few samples during the run to judge: {len(during)}"
    assert len(good) == len(during), [s for s in during if s not in good][:3]
    # the x axis spans the run's one epoch from its first point on: the curves grow across it, it does not stretch
    ends = [chart["ticks"][-1] if chart["ticks"] else None for s in during for chart in s]
    assert all(end is not None and float(end) == 1.0 for end in ends), ends[:6]
    # and the curves grew while the run went: both have several points before it ended
    last = during[-2] if len(during) > 1 else during[-1]
    assert all(n >= 2 for n in last[0]["lines"].values()), last
    assert "2,000 training reviews" in page.get_by_label("Log").input_value()
    # the status line carries the run's progress alone (the idle sentence once showed through it), then comes back
    running = status_lines[started:-1]
    assert any("epoch 1/1" in line for line in running), running[:3]
    # with the seconds since the run started, which grow with it (Gradio's own timer restarted at each update)
    seconds = [int(m.group(1)) for line in running if (m := re.search(r"· (\d+) s", line))]
    assert seconds == sorted(seconds) and seconds[-1] - seconds[0] >= 3, seconds
    assert not any("Press Train" in line for line in running), [line for line in running if "Press" in line][:3]
    from playwright.sync_api import expect

    expect(page.locator("#train-status")).to_contain_text("Press Train to start a run", timeout=10000)

    # a second, smaller run: its own two series beside the first, and a second row in the runs table
    set_number(page, "Training reviews", "300")
    set_number(page, "Hidden size", "16")
    assert page.get_by_text("Best validation accuracy").count() == 1  # the first run's summary
    page.get_by_role("button", name="Train", exact=True).click()
    expect(page.get_by_text("Best validation accuracy")).to_have_count(0, timeout=5000)  # gone while the next runs
    page.locator("[aria-rowindex] [aria-colindex]", has_text="#2 BiLSTM 16").first.wait_for(timeout=120000)
    for _ in range(30):  # the chart redraws after the table on a busy machine
        page.wait_for_timeout(500)
        series = drawn_series(page, "Accuracy")
        if len(series) == 4:
            break
    assert {k for k, v in series.items() if v >= 2} == {
        f"#{i} {c}" for i in (1, 2) for c in ("training", "validation")
    }, series
    assert page.locator("[aria-rowindex] [aria-colindex]", has_text="#1 BiLSTM 32").count() >= 1
    assert "300 training reviews" in page.get_by_label("Log").input_value()
    for title in ("Accuracy", "Loss"):  # one legend under both plots: the charts draw none of their own
        chart = page.locator(".vega-embed", has=page.locator("text", has_text=title)).first
        assert chart.locator("g.role-legend-label").count() == 0, title
    snap(page, tmp_path, "train-tiny", readme=False)
    page.set_viewport_size({"width": 1280, "height": 1000})


@pytest.mark.alone
def test_a_run_stopped_while_it_waits_for_another_visitors_does_not_start(page):
    """Two visitors: the second presses Train while the first's run trains, sees that it waits, presses Stop, is told
    it will not start; when the first run ends, the second page is idle again with no run of its own."""
    from playwright.sync_api import expect

    url, browser = page.url, page.context.browser  # two new pages, two new visitors: the shared page left alone
    first = browser.new_page(viewport={"width": 1280, "height": 1000})
    other = browser.new_page(viewport={"width": 390, "height": 844})
    try:
        for p in (first, other):
            p.goto(url)
            p.get_by_label("Review").first.wait_for(timeout=60000)
        page = first
        page.get_by_role("tab", name="Train").click()
        other.get_by_role("tab", name="Train").click()
        set_number(page, "Training reviews", "2000")
        set_number(page, "Epochs", "1")
        page.get_by_role("button", name="Train", exact=True).click()
        expect(page.locator("#train-status")).to_contain_text(" s", timeout=30000)  # the first run is on
        other.get_by_role("button", name="Train", exact=True).click()
        status, stop = other.locator("#train-status"), other.get_by_role("button", name="Stop")
        expect(status).to_contain_text("Waiting: another visitor's run is training", timeout=10000)
        expect(stop).to_be_enabled()
        stop.click()
        expect(status).to_contain_text("Stopped: this run will not start", timeout=10000)
        assert status.is_visible()
        page.locator("[aria-rowindex] [aria-colindex]", has_text="#1 BiLSTM 32").first.wait_for(timeout=180000)
        expect(status).to_contain_text("Press Train to start a run", timeout=30000)
        expect(other.get_by_role("button", name="Train", exact=True)).to_be_enabled()
        assert other.locator("[aria-rowindex] [aria-colindex]", has_text="BiLSTM").count() == 0  # no run kept
    finally:
        first.close()
        other.close()


@pytest.mark.skipif(
    not os.environ.get("SCREENSHOTS_DIR"), reason="the README's Train pictures: run only when refreshing screenshots"
)
@pytest.mark.alone
def test_readme_pictures_of_a_default_run_while_it_learns(page, tmp_path):
    """A run of the tab's default settings filmed from the click to its end: a frame a second of the plots (made
    into docs/screenshots/train-run.gif) and, part-way, the README's Train picture with both curves drawn."""
    from PIL import Image

    out = Path(os.environ["SCREENSHOTS_DIR"])
    page.set_viewport_size({"width": 1366, "height": 1000})
    page.reload()
    page.get_by_role("tab", name="Train").click()
    page.get_by_role("button", name="Clear runs").evaluate("el => el.scrollIntoView({block: 'start'})")
    page.get_by_role("button", name="Train", exact=True).click()
    done = page.locator("[aria-rowindex] [aria-colindex]", has_text="#1 BiLSTM 32")
    frames, pictured = [], False
    for _ in range(600):
        frames.append(Image.open(io.BytesIO(page.screenshot())).convert("RGB").resize((683, 500)))
        drawn = drawn_series(page, "Accuracy") if page.get_by_text("Accuracy", exact=True).count() else {}
        if not pictured and drawn.get("#1 validation", 0) >= 5 and drawn.get("#1 training", 0) >= 10:
            page.screenshot(path=out / "train.png")  # both curves part-way through the run
            pictured = True
        if done.count():
            break
        page.wait_for_timeout(1000)
    page.wait_for_timeout(1500)
    frames += [Image.open(io.BytesIO(page.screenshot())).convert("RGB").resize((683, 500))] * 3  # the end, held
    assert pictured and len(frames) >= 10
    frames = [f.quantize(colors=64, method=Image.Quantize.MEDIANCUT) for f in frames]
    frames[0].save(out / "train-run.gif", save_all=True, append_images=frames[1:], duration=500, loop=0, optimize=True)
    assert (out / "train-run.gif").stat().st_size <= 2 * 1024 * 1024


@pytest.mark.alone
def test_a_tiny_time_budget_stops_the_run_with_a_message(page, monkeypatch):
    import dataclasses

    from webapp import settings

    monkeypatch.setattr(settings, "SETTINGS", dataclasses.replace(settings.SETTINGS, budget_s=2.0))
    page.get_by_role("tab", name="Train").click()
    set_number(page, "Training reviews", "5000")
    set_number(page, "Epochs", "3")
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text("Time budget reached").wait_for(timeout=120000)
    assert "stopped at the 2 s budget" in page.get_by_label("Log").input_value()


def test_a_refused_run_says_why_and_the_status_line_and_train_button_come_back(page):
    from playwright.sync_api import expect

    page.get_by_role("tab", name="Train").click()
    lr = page.get_by_label("Learning rate")
    lr.fill("5")
    lr.press("Tab")
    page.get_by_role("button", name="Train", exact=True).click()
    expect(page.get_by_text("greater than maximum value 0.1").first).to_be_visible(timeout=20000)
    expect(page.locator("#train-status")).to_contain_text("Press Train to start a run", timeout=10000)
    expect(page.get_by_role("button", name="Train", exact=True)).to_be_enabled()  # on again for a corrected run
    expect(page.get_by_role("button", name="Stop")).to_be_disabled()
    lr.fill("0.005")
    lr.press("Tab")


def test_model_tab(page, tmp_path):
    from sentiment.metrics import Metrics
    from webapp import models
    from webapp.model_tab import curves

    page.get_by_role("tab", name="Model").click()
    page.get_by_text("test accuracy (25,000 reviews)").wait_for()
    # the plot draws every series it is sent (an average's share choice, or the training curves), point for point
    shown = curves(Metrics.from_dict(models.shipped_predictor().metrics))
    sent = shown.frame["series"].value_counts().to_dict()
    for _ in range(20):
        if (drawn := lines_by_text(page, shown.title)) == sent:
            break
        page.wait_for_timeout(500)
    assert drawn == sent, (drawn, sent)
    misread = page.get_by_text("Words it misreads even alone")  # drawn under the suite's intro, from behaviour.json
    misread.scroll_into_view_if_needed()
    assert misread.is_visible() and misread.bounding_box()["width"] > 0
    snap(page, tmp_path, "model")


def test_html_in_a_review_is_shown_as_text_never_run(page):
    page.get_by_role("tab", name="Predict").click()
    attack = '<script>window.__owned = 1</script><img src=x onerror="window.__owned = 2"> "><svg onload=window.__owned=3> great film'
    page.get_by_label("Review").first.fill(attack)
    page.get_by_role("button", name="Analyze").click()
    page.locator("[aria-rowindex] [aria-colindex]", has_text="__owned").first.wait_for(timeout=20000)
    assert page.evaluate("window.__owned") is None
    assert page.locator("img[src='x'], svg[onload]").count() == 0


def marked_words(page, elem_id: str) -> list[tuple[str, str]]:
    """The marked pieces of a review as drawn: each one's text and its mark."""
    return page.locator(f"#{elem_id} mark").evaluate_all("els => els.map(m => [m.textContent, m.dataset.mark])")


# Every word of an element's text that is drawn across two lines (its characters' boxes on different lines).
SPLIT_WORDS = """(el) => {
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT), split = [];
    const words = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode())
        for (const m of node.textContent.matchAll(/\\S+/g)) words.push([node, m.index, m[0]]);
    for (const [node, at, word] of words) {
        const range = document.createRange();
        range.setStart(node, at); range.setEnd(node, at + word.length);
        const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
        if (tops.size > 1) split.push(word);
    }
    return split;
}"""


def lines_by_text(page, title: str) -> dict[str, int]:
    """Each line drawn on a chart: its series (read from the line's label) and how many points it joins."""
    chart = page.locator(".vega-embed", has=page.locator("text", has_text=title)).first
    return chart.evaluate(
        """(el) => {
            const out = {};
            el.querySelectorAll('path[aria-roledescription="line mark"]').forEach(p => {
                const m = (p.getAttribute('aria-label') || '').match(/series: ([^;]+)/);
                if (m) out[m[1]] = (p.getAttribute('d') || '').split(/[ML]/).length - 1;
            });
            return out;
        }"""
    )


def chart_labels(page, title: str) -> list[str]:
    """What a chart's marks say of themselves (to show when a test fails)."""
    return page.locator(".vega-embed", has=page.locator("text", has_text=title)).first.evaluate(
        """(el) => [...el.querySelectorAll('path[aria-roledescription="line mark"]')].slice(0, 6).map(p =>
            (p.getAttribute('aria-label') || '').slice(-120))"""
    )


def test_edit_and_compare_draws_both_lines_and_marks_the_changed_words(page, tmp_path):
    """The example the BiLSTM follows and the baseline does not, edited in the browser as a visitor would."""
    from sentiment import tokenize
    from sentiment.compare_examples import load_examples
    from sentiment.diff import diff_texts
    from webapp.compare import MARKER_COLOR, _example_label

    example = next(e for e in load_examples() if e.model_follows and not e.baseline_follows)
    page.set_viewport_size({"width": 1366, "height": 1000})
    page.reload()  # the page's first comparison: the one whose colours were once lost now and then
    page.get_by_label("Review").first.wait_for(timeout=60000)
    page.get_by_role("tab", name="Predict").click()
    # before a comparison its result blocks are hidden: the examples sit right above the plot, no empty gap
    assert not page.locator("#marked-review").is_visible()
    boxes = [page.get_by_role("button", name=_example_label(e)).bounding_box() for e in load_examples()]
    examples_bottom = max(b["y"] + b["height"] for b in boxes)
    plot_top = page.locator(".vega-embed", has=page.locator("text", has_text="Running verdicts")).first.evaluate(
        "el => el.closest('.block').getBoundingClientRect().top"
    )
    assert plot_top - examples_bottom < 40, plot_top - examples_bottom  # 84 px with the empty blocks shown
    page.get_by_label("Review").first.fill(example.original)
    page.get_by_role("button", name="Copy the review").click()
    edited_box = page.get_by_label("Edited review")
    page.wait_for_function(
        "([el, text]) => el.value === text", arg=[edited_box.element_handle(), example.original], timeout=20000
    )
    edited_box.fill(example.edited)
    page.get_by_role("button", name="Compare", exact=True).click()
    page.get_by_text("The edit flipped the BiLSTM").first.wait_for(timeout=60000)
    assert "the baseline stayed" in page.get_by_text("The edit flipped the BiLSTM").first.inner_text()
    from webapp import models

    # the results above follow the review box, which the visitor typed into and never analysed
    wait_for_probability(page, models.shipped_predictor().predict(example.original).probability)
    chart = "Running verdicts, review and edited copy"
    for _ in range(60):  # the chart draws a moment after the answer arrives
        drawn = lines_by_text(page, chart)
        if drawn.get("review") and drawn.get("edited copy"):
            break
        page.wait_for_timeout(500)
    d = diff_texts(example.original, example.edited)
    assert drawn == {"review": len(tokenize(example.original)), "edited copy": len(tokenize(example.edited))} | {
        f"changed {n}": 2 for n in range(1, len(d.changes) + 1)
    }, (
        drawn,
        chart_labels(page, chart),
    )  # a point per word read on each line, and a vertical line (two points) per change
    strokes = page.locator(".vega-embed", has=page.locator("text", has_text=chart)).first.evaluate(
        """(el) => [...el.querySelectorAll('path[aria-roledescription="line mark"]')].map(p =>
            [(p.getAttribute('aria-label') || '').match(/series: ([^;]+)/)[1], p.getAttribute('stroke')])"""
    )
    assert {k: v for k, v in strokes if k.startswith("changed")} == {
        f"changed {n}": MARKER_COLOR for n in range(1, len(d.changes) + 1)
    }, strokes  # the changes' grey lines drawn in grey, not left without a colour
    expected = {"original": [], "edited": []}
    for c in d.changes:
        if c.before:
            expected["original"].append(c.kind)
        if c.after:
            expected["edited"].append(c.kind)
    for side, elem_id in (("original", "marked-review"), ("edited", "marked-edited")):
        marked = marked_words(page, elem_id)
        assert [kind for _, kind in marked] == expected[side], marked
        words = [
            c.before if side == "original" else c.after
            for c in d.changes
            if (c.before if side == "original" else c.after)
        ]
        assert len(marked) == len(words)  # each change marked, as whole words around its tokens ("I'm" for "m")
        assert all(" ".join(w) in " ".join(tokenize(text)) for (text, _), w in zip(marked, words)), (marked, words)
        assert page.locator(f"#{elem_id}").evaluate(SPLIT_WORDS) == []  # lines break between words only
    page.get_by_text("Edit and compare").first.scroll_into_view_if_needed()
    snap(page, tmp_path, "compare")
    page.set_viewport_size({"width": 390, "height": 900})
    page.wait_for_timeout(1500)
    assert lines_by_text(page, chart) == drawn  # still both lines on a phone
    for elem_id in ("marked-review", "marked-edited"):
        assert page.locator(f"#{elem_id}").evaluate(SPLIT_WORDS) == [], elem_id
    snap(page, tmp_path, "compare-phone")
    page.set_viewport_size({"width": 1280, "height": 1000})
