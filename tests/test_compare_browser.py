"""The compare and pairs pages in a real browser (headless Chromium, as tests/test_report_browser.py drives it):
rows render, a header click sorts, every image loads, the links between the pages open.

Two reports: a synthetic pair of VBench-I2V runs with real mp4s and images (every dimension, per-video scores)
and the step sweep's real tiny runs (1 and 2 steps on the smoke suite). Screenshots go to the artifacts folder.
"""

from __future__ import annotations

import json
from pathlib import Path

from report_fixtures import rescore_videos, write_results
from test_report_browser import artifacts, browser, images_loaded  # noqa: F401  (fixtures)

from eval.benchmarks import get_benchmark
from eval.report import build_report

MINUS = "B \u2212 A"  # the pages' header: B &minus; A


def values(driver, table: str, column: int) -> list[str]:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0] + ' tbody tr'))"
        ".map(r => r.cells[arguments[1]].dataset.value);",
        f"#{table}",
        column,
    )


def assert_sorts(driver, table: str, label: str) -> None:
    """Clicking the header ``label`` sorts the numbers up, then down, with the empty cells last."""
    from selenium.webdriver.common.by import By

    headers = driver.find_elements(By.CSS_SELECTOR, f"#{table} thead th")
    column = [h.text for h in headers].index(label)
    before = values(driver, table, column)
    for direction in ("ascending", "descending"):
        headers[column].click()
        after = values(driver, table, column)
        numbers = [float(v) for v in after if v]
        assert numbers == sorted(numbers, reverse=direction == "descending") and len(numbers) > 1, (direction, after)
        assert after[len(numbers) :] == [""] * (len(after) - len(numbers)) and sorted(after) == sorted(before)
        assert headers[column].get_attribute("aria-sort") == direction


def test_compare_and_pairs_pages_in_chromium(tmp_path, browser, artifacts):  # noqa: F811
    from selenium.webdriver.common.by import By

    a = rescore_videos(write_results(tmp_path / "a", n_videos=6))
    b = rescore_videos(
        write_results(tmp_path / "b", n_videos=6, generator={"num_inference_steps": 50}), {"aesthetic_quality": 0.1}
    )
    index = build_report([a, b], tmp_path / "report")
    browser.get(index.as_uri())
    browser.find_element(By.CSS_SELECTOR, "#comparisons a.compare").click()
    assert browser.title.endswith("paired comparison")
    bench = get_benchmark("vbench_i2v")
    names = [r.get_attribute("data-name") for r in browser.find_elements(By.CSS_SELECTOR, "#compare tbody tr")]
    assert names == [*bench.dimensions, *bench.groups, "total"]
    marked = browser.find_element(By.CSS_SELECTOR, "#compare tr[data-name=aesthetic_quality]")
    assert "significant" in marked.get_attribute("class") and "interval excludes 0" in marked.text
    assert (
        "paired percentile bootstrap over prompts: 1000 resamples, seed 0" in browser.find_element(By.ID, "test").text
    )
    assert "num_inference_steps: 30 -> 50" in browser.find_element(By.TAG_NAME, "ul").text
    loaded = images_loaded(browser)
    assert len(loaded) == 1 and all(ok for _, ok in loaded), loaded  # the difference plot
    browser.save_screenshot(str(artifacts / "compare.png"))
    assert_sorts(browser, "compare", MINUS)

    browser.find_element(By.CSS_SELECTOR, "#compare tr[data-name=aesthetic_quality] a.pairs").click()
    assert browser.title.startswith("aesthetic quality")
    rows = browser.find_elements(By.CSS_SELECTOR, "#pairs tbody tr")
    assert len(rows) == 6
    loaded = images_loaded(browser)
    assert len(loaded) == 1 + 6 * 3 and all(ok for _, ok in loaded), loaded  # histogram; image + 2 previews a pair
    browser.save_screenshot(str(artifacts / "compare-pairs.png"))
    assert_sorts(browser, "pairs", MINUS)
    assert_sorts(browser, "pairs", "A score")


def test_the_step_sweeps_compare_page_in_chromium(step_sweep, browser, artifacts):  # noqa: F811
    from selenium.webdriver.common.by import By

    _, sweep = step_sweep
    browser.get((sweep / "vbench_i2v" / "leaderboard.html").as_uri())
    browser.find_element(By.CSS_SELECTOR, "#comparisons a.compare").click()
    names = [r.get_attribute("data-name") for r in browser.find_elements(By.CSS_SELECTOR, "#compare tbody tr")]
    assert names == ["subject_consistency", "i2v", "quality", "total"]
    assert all(ok for _, ok in images_loaded(browser))
    browser.find_element(By.CSS_SELECTOR, "a.pairs").click()
    runs = [json.loads(line)["run"] for line in (sweep / "runs.jsonl").read_text().splitlines()][1:]
    seeds = {str(v["seed"]) for run in runs for v in json.loads((Path(run) / "results.json").read_text())["videos"]}
    rows = [
        [td.text for td in r.find_elements(By.TAG_NAME, "td")]
        for r in browser.find_elements(By.CSS_SELECTOR, "#pairs tbody tr")
    ]
    assert len(rows) == 3 and all(row[7] == row[10] and row[7] in seeds for row in rows)  # same seeds, A and B
    loaded = images_loaded(browser)
    assert len(loaded) == 1 + 3 * 3 and all(ok for _, ok in loaded), loaded  # real previews and smoke images
    browser.save_screenshot(str(artifacts / "compare-sweep-pairs.png"))
    assert_sorts(browser, "pairs", MINUS)
