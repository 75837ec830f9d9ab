"""The app at phone width (390 px) in headless Chromium: no tab scrolls sideways, the verdict comes before the
example lists, the Model tab's labels stay whole, wide tables scroll inside themselves."""

import os
import shutil
from pathlib import Path

import pytest

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
    phone.get_by_label("Review").first.fill("A wonderful film with a weak, silly ending that I still enjoyed a lot.")
    phone.get_by_role("button", name="Analyze").click()
    phone.get_by_text("unknown (").first.wait_for(timeout=30000)
    verdict = phone.get_by_test_id("label-output-value").bounding_box()
    examples = phone.get_by_text("Try an example").first.bounding_box()
    assert verdict["y"] + verdict["height"] <= examples["y"], (verdict, examples)
    assert page_width(phone) <= WIDTH
    if os.environ.get("SCREENSHOTS_DIR"):  # the README's phone picture: the verdict at the top of the screen
        phone.get_by_label("Review").first.evaluate("el => el.scrollIntoView({block: 'start'})")
        phone.screenshot(path=Path(os.environ["SCREENSHOTS_DIR"]) / "phone.png")
    # the token table is wider than the phone: it scrolls inside itself, the page does not
    table = phone.locator("table", has=phone.get_by_text("token", exact=True)).last
    assert table.evaluate("el => el.closest('.table-wrap, [class*=table]').clientWidth") <= WIDTH


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


def test_suite_table_words_stay_whole_and_the_table_scrolls_inside_itself(phone):
    phone.get_by_role("tab", name="Model").click()
    suite = phone.locator("#suite-table")
    suite.scroll_into_view_if_needed(timeout=30000)
    suite.get_by_text("vocabulary", exact=True).last.wait_for(timeout=30000)
    # each word of a header or a capability's name is drawn whole: its text spans no more lines than words
    names = ["capability", "BiLSTM", "baseline", "cases", "vocabulary", "negated positive", "flipped edits"]
    for name in names:
        lines = suite.get_by_text(name, exact=True).last.evaluate(
            """el => { const range = document.createRange(); range.selectNodeContents(el.firstChild);
                return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size; }"""
        )
        assert 1 <= lines <= len(name.split()), f"{name!r} drawn on {lines} lines"
    # the rates are on screen; the descriptions are reached by scrolling the table, not the page
    rate = suite.get_by_text("baseline", exact=True).last.bounding_box()
    assert rate["x"] + rate["width"] <= WIDTH
    assert suite.get_by_text("what it checks", exact=True).last.bounding_box()["x"] >= WIDTH - 40
    assert page_width(phone) <= WIDTH
