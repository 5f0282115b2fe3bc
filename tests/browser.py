"""Headless Chromium from Debian's packages, driven by selenium: for the browser test and the scale benchmark."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1600,2000",
)


class BrowserMissing(RuntimeError):
    pass


def chromium(profile: Path):
    """A selenium driver of headless Chromium (installed by scripts/install_browser.sh where missing)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        done = subprocess.run(["bash", str(REPO / "scripts" / "install_browser.sh")], capture_output=True, text=True)
        if done.returncode:
            raise BrowserMissing(
                f"headless Chromium is missing and could not be installed: {done.stderr.strip()}; "
                "run `sudo bash scripts/install_browser.sh` (Debian's chromium and chromium-driver)"
            )
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver")))
    driver.set_page_load_timeout(60)
    return driver


def first_paint_ms(driver) -> float | None:
    """The loaded page's first-contentful-paint, in ms after navigation start (None if it reported none)."""
    return driver.execute_script(
        "var p = performance.getEntriesByName('first-contentful-paint')[0]; return p ? p.startTime : null;"
    )
