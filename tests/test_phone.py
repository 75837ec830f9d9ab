"""The app at phone width (390 px) in headless Chromium: no tab scrolls sideways, the verdict comes before the
example lists, the Model tab's labels stay whole, the suite table fits, wide tables scroll inside themselves."""

import os
import re
import shutil
from pathlib import Path

import pytest

from devtools import set_number

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium package is not installed")
WIDTH = 390


@pytest.fixture(scope="module")
def phone(app_server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": WIDTH, "height": 844})
        page.goto(app_server)
        page.get_by_label("Review").first.wait_for(timeout=60000)
        yield page
        browser.close()


def page_width(page) -> int:
    return page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")


def test_predict_at_phone_width_verdict_first_and_no_sideways_scroll(phone):
    phone.get_by_role("tab", name="Predict").click()
    phone.get_by_label("Review").first.fill(
        "A wonderful film with a weak, uncharacteristically silly ending that I still enjoyed a lot."
    )
    phone.get_by_role("button", name="Analyze").click()
    phone.get_by_text("unknown (").first.wait_for(timeout=30000)
    phone.get_by_text("After each of the").wait_for(timeout=30000)  # the explanations, after the verdict
    chart = phone.get_by_text("After each of the").bounding_box()  # the running verdict's caption, then the table
    assert phone.get_by_role("heading", name="What it read").bounding_box()["y"] > chart["y"] + chart["height"]
    verdict = phone.get_by_test_id("label-output-value").bounding_box()
    examples = phone.get_by_text("Try an example").first.bounding_box()
    assert verdict["y"] + verdict["height"] <= examples["y"], (verdict, examples)
    assert page_width(phone) <= WIDTH
    if os.environ.get("SCREENSHOTS_DIR"):  # the README's phone picture: the verdict at the top of the screen
        phone.get_by_label("Review").first.evaluate("el => el.scrollIntoView({block: 'start'})")
        phone.screenshot(path=Path(os.environ["SCREENSHOTS_DIR"]) / "phone.png")
    # the token table is wider than the phone: it scrolls inside itself, the page does not
    table = phone.locator("table", has=phone.get_by_text("token", exact=True)).last
    assert table.evaluate("el => el.closest('.table-wrap').clientWidth") <= WIDTH  # (the table's own class has "table")
    # ...but each word's push is in view without scrolling it, even beside a long word
    pushes = phone.locator('#token-table [aria-rowindex] [aria-colindex="4"]').all()
    assert pushes[0].inner_text().strip() == "push" and len(pushes) > 10
    assert all(0 < b.bounding_box()["x"] + b.bounding_box()["width"] <= WIDTH for b in pushes)


def test_a_long_reviews_verdict_shows_on_the_first_screen(phone):
    """A pasted review of many paragraphs scrolls inside its box: Analyze and the verdict stay on the first screen
    (a box as tall as the review would push them below it, and pressing Analyze would seem to do nothing)."""
    phone.get_by_role("tab", name="Predict").click()
    phone.evaluate("window.scrollTo(0, 0)")
    long = " ".join(["I loved the cast, the music and the photography, and for an hour it was a delight."] * 30)
    phone.get_by_label("Review").first.fill(long)
    phone.get_by_role("button", name="Analyze").click()
    from sentiment import tokenize

    phone.get_by_text(f"{len(tokenize(long)):,} tokens").wait_for(timeout=30000)  # this review's verdict, not the last
    verdict = phone.get_by_test_id("label-output-value")
    assert "positive" in verdict.inner_text()
    box = verdict.bounding_box()
    assert 0 <= box["y"] and box["y"] + box["height"] <= phone.viewport_size["height"], box
    assert phone.evaluate("window.scrollY") == 0  # nothing scrolled to show it


def test_under_the_verdict_a_link_skips_the_example_lists_to_the_explanations(phone):
    phone.get_by_role("tab", name="Predict").click()
    phone.get_by_label("Review").first.fill("The acting was weak, but the story was wonderful.")
    phone.get_by_role("button", name="Analyze").click()
    link = phone.get_by_role("link", name="Why: the words that pushed it")
    link.wait_for(timeout=30000)
    verdict = phone.get_by_test_id("label-output-value").bounding_box()
    assert link.bounding_box()["y"] > verdict["y"]  # with the verdict, before the examples
    assert link.bounding_box()["y"] < phone.get_by_text("Try an example").first.bounding_box()["y"]
    link.click()
    phone.wait_for_timeout(1000)
    why = phone.locator("#why").bounding_box()
    assert -5 <= why["y"] <= 100, why  # the explanations' heading at the top of the screen
    assert page_width(phone) <= WIDTH


def in_view(page, locator) -> bool:
    box = locator.bounding_box()
    return box is not None and -2 <= box["y"] and box["y"] + min(box["height"], 60) <= page.viewport_size["height"]


def test_an_example_below_the_verdict_brings_the_verdict_into_view(phone):
    """The phone's example lists run two screens long under the verdict: one clicked near their end scrolls the
    page up to its verdict instead of leaving it out of sight."""
    phone.get_by_role("tab", name="Predict").click()
    example = phone.get_by_role("button", name="negative, BiLSTM right:").first
    example.scroll_into_view_if_needed()
    assert not in_view(phone, phone.locator("#verdict"))  # scrolled down to the example, the verdict is above
    example.click()
    phone.wait_for_function(
        "() => { const t = document.getElementById('verdict').getBoundingClientRect().top;"
        " return t >= -2 && t < window.innerHeight / 2; }",
        timeout=30000,
    )
    verdict = phone.get_by_test_id("label-output-value")
    verdict.wait_for(timeout=30000)
    phone.wait_for_function(
        "() => document.querySelector('[data-testid=label-output-value]').innerText.includes('negative')",
        timeout=30000,
    )
    assert in_view(phone, verdict)


def test_a_comparison_comes_into_view_below_the_examples(phone):
    """Edit and compare's results come under its example list, a screen below the Compare button on a phone: the
    page scrolls to them when they land out of sight."""
    phone.get_by_role("tab", name="Predict").click()
    review = "The story was moving and the cast superb; I would watch it again."
    phone.get_by_label("Review").first.fill(review)
    phone.get_by_label("Edited review").fill(review.replace("moving", "dull").replace("superb", "dreadful"))
    button = phone.get_by_role("button", name="Compare")
    button.evaluate("el => el.scrollIntoView({block: 'end'})")  # at the bottom of the screen: results far below
    button.click()
    summary = phone.locator("#compare-results").get_by_text("words changed.)")
    summary.wait_for(timeout=30000)
    from sentiment import tokenize

    # the results above follow the new review too, and change size when their explanations come
    phone.get_by_text(f"{len(tokenize(review))} tokens").wait_for(timeout=30000)
    phone.get_by_text("After each of the").wait_for(timeout=30000)
    phone.wait_for_function(  # after the last change above, scrolled as far up as the page goes (the plot ends it)
        "() => { const t = document.getElementById('compare-results').getBoundingClientRect().top;"
        " return t >= -2 && t < 0.6 * window.innerHeight; }",
        timeout=5000,
    )
    assert in_view(phone, summary)
    assert page_width(phone) <= WIDTH


@pytest.mark.parametrize("tab", ["Train", "Model"])
def test_other_tabs_fit_the_phones_width(phone, tab):
    phone.get_by_role("tab", name=tab).click()
    phone.wait_for_timeout(1000)
    assert page_width(phone) <= WIDTH


def test_model_tab_labels_stay_whole_at_phone_width(phone):
    phone.get_by_role("tab", name="Model").click()
    phone.get_by_text("test accuracy").first.wait_for(timeout=30000)
    labels = phone.locator("li > strong")
    assert labels.count() >= 10
    # a label broken letter by letter spans many short lines; each word of a label fits on one line
    for words in labels.evaluate_all(
        """els => els.map(el => {
            const range = document.createRange(); range.selectNodeContents(el);
            return [el.textContent, range.getClientRects().length, el.textContent.split(' ').length];
        })"""
    ):
        text, lines, count = words
        assert lines <= count, f"{text!r} drawn on {lines} lines"


def test_suite_table_fits_the_phone_with_its_words_whole(phone):
    phone.get_by_role("tab", name="Model").click()
    suite = phone.locator("#suite-table")
    suite.scroll_into_view_if_needed(timeout=30000)
    suite.get_by_text("vocabulary", exact=True).last.wait_for(timeout=30000)
    # each word of a header or a capability's name is drawn whole: its text spans no more lines than words
    names = ["capability", "BiLSTM", "baseline", "vocabulary", "negated positive", "flipped edits"]
    for name in names:
        lines = suite.get_by_text(name, exact=True).last.evaluate(
            """el => { const range = document.createRange(); range.selectNodeContents(el.firstChild);
                return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size; }"""
        )
        assert 1 <= lines <= len(name.split()), f"{name!r} drawn on {lines} lines"
    # every column is on screen: the table does not scroll sideways, and each rate lies inside the phone's width
    scroller = suite.locator(".table-wrap").first
    assert scroller.evaluate("el => el.scrollWidth <= el.clientWidth + 1")
    rates = suite.locator('[aria-rowindex] [aria-colindex="3"]').all()
    assert rates[0].inner_text().strip() == "baseline" and len(rates) >= 8
    assert all(0 < r.bounding_box()["x"] + r.bounding_box()["width"] <= WIDTH for r in rates)
    # what each row checks is in a list under it, on screen without scrolling sideways
    checks = phone.get_by_text("What each row checks").first.bounding_box()
    assert checks["x"] + checks["width"] <= WIDTH
    assert page_width(phone) <= WIDTH


# What is drawn inside the Train tab's status line: each visible box that shows text, a border or a fill, and how
# many pairs of them (neither inside the other) overlap on screen.
DRAWN = """(id) => {
    const root = document.getElementById(id);
    const shown = [...root.querySelectorAll('*')].filter(el => {
        const s = getComputedStyle(el), r = el.getBoundingClientRect();
        if (s.visibility === 'hidden' || s.display === 'none' || r.width < 1 || r.height < 1) return false;
        const ownText = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
        const filled = s.backgroundColor !== 'rgba(0, 0, 0, 0)' || parseFloat(s.borderTopWidth) > 0;
        return ownText || filled;
    });
    const overlaps = [];
    for (const a of shown) for (const b of shown) {
        if (a === b || a.contains(b) || b.contains(a)) continue;
        const p = a.getBoundingClientRect(), q = b.getBoundingClientRect();
        if (p.left < q.right - 1 && q.left < p.right - 1 && p.top < q.bottom - 1 && q.top < p.bottom - 1)
            overlaps.push([a.textContent.trim() || a.className, b.textContent.trim() || b.className]);
    }
    return {text: root.innerText, overlaps};
}"""


@pytest.mark.alone
def test_train_progress_is_drawn_whole_at_phone_width(phone):
    """While a run trains, the status line shows its epoch and step, and nothing drawn there (the description, the
    bar, the seconds) lies over anything else; Train is off and Stop on meanwhile; the idle sentence comes back
    when the run stops, with Train on and Stop off."""
    from playwright.sync_api import expect

    phone.get_by_role("tab", name="Train").click()
    set_number(phone, "Training reviews", "4000")
    train, stop = phone.get_by_role("button", name="Train", exact=True), phone.get_by_role("button", name="Stop")
    assert stop.is_disabled() and train.is_enabled()  # nothing to stop yet
    train.click()
    samples = []
    for _ in range(120):
        phone.wait_for_timeout(500)
        sample = phone.evaluate(DRAWN, "train-status")
        if "step" in sample["text"]:
            samples.append(sample)
        if len(samples) >= 6:
            break
    expect(train).to_be_disabled()  # while it trains: no second run from here
    expect(stop).to_be_enabled()
    stop.click()
    assert len(samples) >= 6, "the run's progress was not shown on the status line"
    assert [s for s in samples if s["overlaps"]] == [], samples
    assert all("Press Train" not in s["text"] for s in samples), samples
    phone.get_by_text("Press Train to start a run").wait_for(timeout=60000)
    assert page_width(phone) <= WIDTH
    expect(stop).to_be_disabled()
    expect(train).to_be_enabled()


@pytest.mark.alone
def test_train_legend_shows_every_run_whole_at_phone_width(phone):
    """With two runs kept, the plots' legend shows both runs' curves, each entry drawn whole inside the phone's
    width (the chart's own one-line legend was cut after the first run)."""
    phone.get_by_role("tab", name="Train").click()
    for label, value in (("Training reviews", "300"), ("Epochs", "1"), ("Hidden size", "16")):
        set_number(phone, label, value)
    legend = phone.locator("#train-legend [data-series]")
    for _ in range(2):
        if legend.count() >= 4:
            break
        runs = phone.locator("[aria-rowindex] [aria-colindex]", has_text="BiLSTM 16").count()
        phone.get_by_role("button", name="Train", exact=True).click()
        phone.locator("[aria-rowindex] [aria-colindex]", has_text="BiLSTM 16").nth(runs).wait_for(timeout=180000)
        phone.get_by_text("Press Train to start a run").wait_for(timeout=30000)
    assert legend.count() >= 4, legend.all_inner_texts()
    boxes = [e.bounding_box() for e in phone.locator("#train-legend [data-series], #train-legend strong").all()]
    assert all(b and b["x"] >= 0 and b["x"] + b["width"] <= WIDTH and b["width"] > 0 for b in boxes), boxes
    text = phone.locator("#train-legend").inner_text()
    assert text.count("training") >= 2 and text.count("validation") >= 2, text
    assert page_width(phone) <= WIDTH
    # the runs table's figures to compare come first: each run's best validation accuracy shown without scrolling
    best = phone.locator("#runs-table [aria-rowindex] [aria-colindex]", has_text=re.compile(r"^\s*\d+\.\d%\s*$"))
    best = best.all()
    assert len(best) >= 2 and all(0 < b.bounding_box()["x"] + b.bounding_box()["width"] <= WIDTH for b in best)
