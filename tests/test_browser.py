"""The app in a real headless Chromium (Debian's package), driven by Playwright.

Screenshots of each tab go to the test's temporary folder; with SCREENSHOTS_DIR set they are
also written there (``SCREENSHOTS_DIR=docs/screenshots python -m pytest tests/test_browser.py``
refreshes the README's pictures).
"""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium package is not installed")


@pytest.fixture(scope="module")
def page(app_server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(app_server)
        page.get_by_label("Review").first.wait_for(timeout=30000)
        yield page
        browser.close()


def snap(page, tmp_path: Path, name: str) -> None:
    page.screenshot(path=tmp_path / f"{name}.png", full_page=True)
    if os.environ.get("SCREENSHOTS_DIR"):
        Path(os.environ["SCREENSHOTS_DIR"]).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=Path(os.environ["SCREENSHOTS_DIR"]) / f"{name}.png", full_page=True)
    assert (tmp_path / f"{name}.png").stat().st_size > 10000


def test_predict_tab_shows_label_and_tokens(page, tmp_path):
    page.get_by_label("Review").first.fill("A wonderful film with brilliant acting. I loved it, not bad at all!")
    page.get_by_role("button", name="Analyze").click()
    page.get_by_text("Probability of positive").wait_for()
    page.get_by_text("unknown (").first.wait_for(timeout=20000)
    page.locator("[aria-rowindex] [aria-colindex]", has_text="brilliant").first.wait_for(timeout=20000)  # the token table
    assert "positive" in page.get_by_test_id("label-output-value").inner_text().lower()
    snap(page, tmp_path, "predict")


def test_train_tab_runs_and_draws_the_plot(page, tmp_path):
    page.get_by_role("tab", name="Train").click()
    reviews = page.get_by_label("Training reviews", exact=False).locator("xpath=ancestor::div[contains(@class,'block')][1]//input[@type='number']").first
    reviews.fill("300")
    reviews.press("Enter")
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text("Validation accuracy").wait_for(timeout=120000)
    page.wait_for_timeout(1000)
    assert page.locator(".vega-embed canvas, .vega-embed svg").count() >= 1
    assert "300 training reviews" in page.get_by_label("Log").input_value()
    snap(page, tmp_path, "train")


def test_model_tab(page, tmp_path):
    page.get_by_role("tab", name="Model").click()
    page.get_by_text("test accuracy (25,000 reviews)").wait_for()
    snap(page, tmp_path, "model")


def test_html_in_a_review_is_shown_as_text_never_run(page):
    page.get_by_role("tab", name="Predict").click()
    attack = '<script>window.__owned = 1</script><img src=x onerror="window.__owned = 2"> "><svg onload=window.__owned=3> great film'
    page.get_by_label("Review").first.fill(attack)
    page.get_by_role("button", name="Analyze").click()
    page.locator("[aria-rowindex] [aria-colindex]", has_text="__owned").first.wait_for(timeout=20000)
    assert page.evaluate("window.__owned") is None
    assert page.locator("img[src='x'], svg[onload]").count() == 0
