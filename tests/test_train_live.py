"""The Train tab watched while a run trains, in headless Chromium: both curves of the run drawn and nothing
covering the plots, from the first point to the end (sampled every half second)."""

import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium package is not installed")

# For each chart: is any of five points of its drawing area under something else (a progress overlay), and,
# for each line drawn, its series and how many points it joins. Null when the chart is not on the page.
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
    return {covered, lines};
})"""


@pytest.fixture(scope="module")
def browser(app_server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        yield browser
        browser.close()


def set_number(page, label: str, value: str) -> None:
    block = page.get_by_label(label, exact=False)
    box = block.locator("xpath=ancestor::div[contains(@class,'block')][1]//input[@type='number']").first
    box.fill(value)
    box.press("Enter")


def test_both_curves_stay_drawn_and_uncovered_while_a_run_trains(browser, app_server):
    page = browser.new_page(viewport={"width": 1366, "height": 1400})
    page.goto(app_server)
    page.get_by_role("tab", name="Train").click()
    set_number(page, "Training reviews", "2000")
    set_number(page, "Epochs", "1")
    # the plots in view (where the visitor looks): the row of buttons at the top of the window
    page.get_by_role("button", name="Clear runs").evaluate("el => el.scrollIntoView({block: 'start'})")
    page.get_by_role("button", name="Train", exact=True).click()
    name, samples = "#1 BiLSTM 32", []
    done = page.locator("[aria-rowindex] [aria-colindex]", has_text=name)
    for _ in range(600):  # at most 5 minutes on a busy machine
        samples.append(page.evaluate(PROBE, ["Accuracy", "Loss"]))
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
    # and the curves grew while the run went: both have several points before it ended
    last = during[-2] if len(during) > 1 else during[-1]
    assert all(n >= 2 for n in last[0]["lines"].values()), last
    page.close()
