"""The sweep report in headless Chromium (Debian's), driven by Playwright: it must fit a
laptop screen (1366 px wide) without the page scrolling sideways, show the sweep's own
name and question, list the design with seeds, and load every figure.

Set CADRESIM_SCREENSHOT=path to keep a full-page screenshot.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sim import report

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
LAPTOP = {"width": 1366, "height": 768}


@pytest.fixture(scope="module")
def sweep_report(tmp_path_factory):
    from test_discover import synthetic_sweep

    folder = synthetic_sweep(tmp_path_factory.mktemp("rep"), n=90)
    import json

    m = json.loads((folder / "manifest.json").read_text())
    m["sweep"].update(
        name="legitimacy_vs_stance_synthetic",
        description="A synthetic sweep with a planted interaction.",
        question="Does a soft stance raise protest only when legitimacy is low?",
        replicates=1,
        seed=12345,
    )
    m["root_seed"] = 12345
    (folder / "manifest.json").write_text(json.dumps(m))
    return report.write_report(folder, folder / "report.html", ["protest_events", "legitimacy"])


def test_sweep_report_fits_a_laptop_screen(sweep_report):
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is missing: run scripts/install-browser.sh")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport=LAPTOP)
        page.goto(sweep_report.as_uri())
        page.wait_for_load_state("load")
        layout = page.evaluate(
            """() => ({
                scroll: document.documentElement.scrollWidth,
                inner: window.innerWidth,
                widest: Math.max(...[...document.querySelectorAll('table, img, figure, pre, p')]
                    .map(e => e.getBoundingClientRect().right)),
                broken: [...document.images].filter(i => !i.complete || i.naturalWidth === 0)
                    .length,
                images: document.images.length,
                h1: document.querySelector('h1').textContent,
                question: document.querySelector('.question').textContent,
            })"""
        )
        page.click("text=Seeds of all")  # open the collapsed seed list: still no overflow
        opened = page.evaluate("document.documentElement.scrollWidth")
        seeds = page.locator("details table td").all_text_contents()
        if os.environ.get("CADRESIM_SCREENSHOT"):
            page.screenshot(path=os.environ["CADRESIM_SCREENSHOT"], full_page=True)
        browser.close()
    assert layout["scroll"] <= layout["inner"], layout
    assert layout["widest"] <= layout["inner"], layout
    assert opened <= layout["inner"]
    assert layout["images"] >= 2 and layout["broken"] == 0
    assert layout["h1"] == "legitimacy_vs_stance_synthetic"
    assert "soft stance" in layout["question"]
    assert any(len(s) >= 15 and s.isdigit() for s in seeds)  # full seeds, not 1.2e+18


def test_report_numbers_use_one_format(sweep_report):
    import re

    text = re.sub(r"base64,[^']*'", "", sweep_report.read_text())  # figures are not text
    text = text.split("<h2 id='manifest'>")[0]  # the raw manifest is JSON as written
    assert re.search(r"\d\.\d+e[+-]\d", text) is None  # no exponent notation anywhere
    assert "Varied parameters" in text and "params.legitimacy" in text
