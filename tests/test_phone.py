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
