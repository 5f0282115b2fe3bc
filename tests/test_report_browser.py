"""The HTML report in a real browser: headless Chromium from Debian's packages, driven by selenium.

Opens the default job's ``leaderboard.html`` from disk (the session's ``scored`` run, every stage)
and checks that the table renders, a header click sorts it, every image loads and the drill-down
link opens. Screenshots go to ``$SKYREELS_TEST_ARTIFACTS`` (default ``test-artifacts/``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from browser import BrowserMissing, chromium
from conftest import HAVE_THIRD_PARTY

from eval.baselines import load_baselines

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    try:
        driver = chromium(tmp_path_factory.mktemp("chromium-profile"))
    except BrowserMissing as err:
        pytest.fail(str(err))
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def artifacts() -> Path:
    folder = Path(os.environ.get("SKYREELS_TEST_ARTIFACTS") or REPO / "test-artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def column_values(driver, column: int) -> list[str]:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#leaderboard tbody tr'))"
        ".map(r => r.cells[arguments[0]].dataset.value);",
        column,
    )


def images_loaded(driver) -> list[tuple[str, bool]]:
    """Every <img> scrolled into view (lazy ones load), then whether it decoded."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.execute_script("document.querySelectorAll('img').forEach(i => i.scrollIntoView());")
    WebDriverWait(driver, 30).until(
        lambda d: d.execute_script("return Array.from(document.images).every(i => i.complete);")
    )
    return driver.execute_script(
        "return Array.from(document.images).map(i => [i.getAttribute('src').slice(0, 60), i.naturalWidth > 0]);"
    )


def test_leaderboard_in_chromium(scored, browser, artifacts):
    from selenium.webdriver.common.by import By

    run_dir, results = scored
    page = run_dir / "report" / "leaderboard.html"
    browser.get(page.as_uri())
    rows = browser.find_elements(By.CSS_SELECTOR, "#leaderboard tbody tr")
    models = [r.get_attribute("data-model") for r in rows]
    assert sorted(models) == sorted([results["model"], *load_baselines("vbench_i2v")["model"]])
    measured = browser.find_element(By.CSS_SELECTOR, "#leaderboard tr.measured")
    assert ("partial" in measured.text) != HAVE_THIRD_PARTY and "measured" in measured.text  # camera_motion
    assert "meaningless" in browser.find_element(By.ID, "banner").text
    browser.save_screenshot(str(artifacts / "report-leaderboard.png"))

    headers = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#leaderboard thead th")]
    quality = headers.index("Quality")
    before = column_values(browser, quality)
    header = browser.find_elements(By.CSS_SELECTOR, "#leaderboard thead th")[quality]
    for direction in ("ascending", "descending"):
        header.click()
        values = column_values(browser, quality)
        numbers = [float(v) for v in values if v]
        assert numbers == sorted(numbers, reverse=direction == "descending"), direction
        assert values[len(numbers) :] == [""] * (len(values) - len(numbers))  # empty cells last
        assert sorted(values) == sorted(before) and header.get_attribute("aria-sort") == direction
    model_header = browser.find_elements(By.CSS_SELECTOR, "#leaderboard thead th")[1]
    model_header.click()
    names = [r.get_attribute("data-model") for r in browser.find_elements(By.CSS_SELECTOR, "#leaderboard tbody tr")]
    assert names == sorted(names, key=str.lower) or names == sorted(names)

    loaded = images_loaded(browser)
    assert len(loaded) == 4 and all(ok for _, ok in loaded), loaded

    browser.find_element(By.CSS_SELECTOR, "a.drilldown").click()
    assert browser.title.endswith("per-video scores")
    videos = browser.find_elements(By.CSS_SELECTOR, "#videos tbody tr")
    assert len(videos) == len(results["videos"]) == 6
    loaded = images_loaded(browser)
    assert len(loaded) == 12 and all(ok for _, ok in loaded), loaded  # 6 previews, 6 image thumbnails
    browser.save_screenshot(str(artifacts / "report-videos.png"))


def displayed(driver) -> list[str]:
    """The seeds of the drill-down rows on screen, in order."""
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#videos tbody tr'))"
        ".filter(r => r.offsetParent !== null).map(r => r.cells[5].dataset.value);"
    )


def test_long_drilldown_pages_sorts_and_filters(browser, tmp_path, artifacts):
    """250 videos: 100 a page, a sort orders all of them (then page 1), a filter searches all of them."""
    import json

    from report_fixtures import write_results
    from selenium.webdriver.common.by import By

    from eval.report import build_report
    from eval.report.html import PAGE_SIZE

    path = write_results(tmp_path / "run", n_videos=2)
    results = json.loads(path.read_text())
    n, dim = 250, "dynamic_degree"
    results["videos"] = [
        {
            **results["videos"][i % 2],
            "key": f"item{i}-0",
            "item_id": f"item{i}",
            "seed": i,
            "prompt": f"prompt number {i}",
            "scores": {dim: (i * 97 % n) / n},
        }
        for i in range(n)
    ]
    path.write_text(json.dumps(results))
    page = tmp_path / "out" / f"videos-vbench_i2v-{results['fingerprint']}.html"
    build_report([path], tmp_path / "out")
    browser.get(page.as_uri())
    label = browser.find_element(By.CSS_SELECTOR, ".pager .page-label")
    assert displayed(browser) == [str(i) for i in range(PAGE_SIZE)] and label.text == "page 1 of 3 (250 of 250 videos)"
    browser.find_element(By.CSS_SELECTOR, ".pager .next").click()
    assert displayed(browser) == [str(i) for i in range(PAGE_SIZE, 2 * PAGE_SIZE)]
    browser.find_element(By.CSS_SELECTOR, ".pager .next").click()
    assert len(displayed(browser)) == n - 2 * PAGE_SIZE
    assert not browser.find_element(By.CSS_SELECTOR, ".pager .next").is_enabled()

    headers = browser.find_elements(By.CSS_SELECTOR, "#videos thead th")
    next(h for h in headers if h.text == dim.replace("_", " ")).click()  # ascending, over every page
    by_value = sorted(range(n), key=lambda i: (i * 97 % n, i))
    assert displayed(browser) == [str(i) for i in by_value[:PAGE_SIZE]] and label.text.startswith("page 1 of 3")

    box = browser.find_element(By.CSS_SELECTOR, ".pager input.filter")
    box.send_keys("prompt number 24")
    matches = [i for i in by_value if f"prompt number {i}".startswith("prompt number 24")]
    assert displayed(browser) == [str(i) for i in matches] and label.text == "page 1 of 1 (11 of 250 videos match)"
    browser.save_screenshot(str(artifacts / "report-videos-paged.png"))
