"""A real headless browser for the web book's tests: Chromium driven by Selenium, axe-core injected.

Not a test module. Chromium and chromedriver come from Debian packages
(``apt-get install -y chromium chromium-driver``, as ``.ci/run`` does); axe-core
comes from the npm registry (``npm install axe-core@AXE_VERSION``) into a cache
folder outside the repository, fetched once per machine. Run as a script to
check a built book by hand::

    python tests/report/browser.py report/_book            # axe on every page
    python tests/report/browser.py report/_book --shots /tmp/shots  # + screenshots
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

#: axe-core release the tests run (npm package ``axe-core``, licence MPL-2.0).
AXE_VERSION = "4.14.1"

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
DRIVER_NAMES = ("chromedriver",)


def find_browser() -> tuple[str, str] | None:
    """Paths of (Chromium, chromedriver), or None where either is not installed."""
    browser = os.environ.get("PRR_CHROMIUM") or next(filter(None, map(shutil.which, CHROMIUM_NAMES)), None)
    driver = os.environ.get("PRR_CHROMEDRIVER") or next(filter(None, map(shutil.which, DRIVER_NAMES)), None)
    if not browser or not driver:
        return None
    return browser, driver


def axe_script() -> str:
    """The text of ``axe.min.js`` (version AXE_VERSION), installed from npm into a cache folder once."""
    cache = Path(os.environ.get("PRR_AXE_CACHE")
                 or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "prr-report" / "axe-core")
    prefix = cache / AXE_VERSION
    script = prefix / "node_modules" / "axe-core" / "axe.min.js"
    if not script.is_file():
        npm = shutil.which("npm")
        if not npm:
            raise RuntimeError("npm is needed to install axe-core (apt-get install -y npm)")
        prefix.mkdir(parents=True, exist_ok=True)
        subprocess.run([npm, "install", "--no-save", "--no-audit", "--no-fund", "--silent",
                        "--prefix", str(prefix), f"axe-core@{AXE_VERSION}"], check=True)
    return script.read_text(encoding="utf-8")


@contextmanager
def chromium(width: int = 1280, height: int = 900):
    """A headless Chromium (Selenium WebDriver) with a window of ``width`` × ``height`` CSS pixels."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    found = find_browser()
    if found is None:
        raise RuntimeError("Chromium or chromedriver not installed (apt-get install -y chromium chromium-driver)")
    browser, driver_path = found
    profile = tempfile.mkdtemp(prefix="prr-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = browser
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--force-device-scale-factor=1",
                f"--window-size={width},{height}", f"--user-data-dir={profile}"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(options=opts, service=Service(executable_path=driver_path))
    try:
        driver.set_script_timeout(120)
        set_viewport(driver, width, height)
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def set_viewport(driver, width: int, height: int = 900) -> None:
    """Emulate a screen of ``width`` CSS pixels (a phone at 375, a laptop at 1280)."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})


def run_axe(driver, url: str, axe: str) -> list[dict]:
    """axe-core's violations (every rule axe runs by default, all impact levels) on the page at ``url``."""
    driver.get(url)
    driver.execute_script(axe)
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']})"
        ".then(r => done(JSON.stringify(r.violations))).catch(e => done(JSON.stringify({error: String(e)})));")
    data = json.loads(result)
    if isinstance(data, dict):
        raise RuntimeError(f"axe-core failed on {url}: {data['error']}")
    return data


def describe(violations: list[dict]) -> str:
    """One line per violation and node, for an assertion message."""
    lines = []
    for v in violations:
        for node in v["nodes"][:5]:
            lines.append(f"  {v['id']} ({v['impact']}): {' '.join(map(str, node['target']))} — {v['help']}")
        if len(v["nodes"]) > 5:
            lines.append(f"  … {len(v['nodes']) - 5} more {v['id']}")
    return "\n".join(lines)


def html_pages(book: Path) -> list[Path]:
    """Every page of a built web book."""
    return sorted(p for p in Path(book).rglob("*.html") if "site_libs" not in p.parts)


def main(argv: list[str]) -> int:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("book", type=Path)
    ap.add_argument("--shots", type=Path, help="also save screenshots at 375 and 1280 px here")
    ap.add_argument("--only", nargs="*", default=None, help="page paths relative to the book")
    ap.add_argument("--widths", nargs="*", type=int, default=[1280, 375], help="screen widths for axe")
    args = ap.parse_args(argv)
    axe = axe_script()
    pages = [args.book / p for p in args.only] if args.only else html_pages(args.book)
    total = 0
    with chromium() as driver:
        for width in args.widths:
            set_viewport(driver, width)
            for page in pages:
                violations = run_axe(driver, page.resolve().as_uri(), axe)
                total += sum(len(v["nodes"]) for v in violations)
                print(f"{page.relative_to(args.book)} at {width} px: {len(violations)} rule(s)")
                if violations:
                    print(describe(violations))
        if args.shots:
            args.shots.mkdir(parents=True, exist_ok=True)
            for width in (375, 1280):
                set_viewport(driver, width)
                for page in pages:
                    driver.get(page.resolve().as_uri())
                    name = page.relative_to(args.book).as_posix().replace("/", "_").removesuffix(".html")
                    driver.save_screenshot(str(args.shots / f"{name}-{width}.png"))
    print(f"{total} violation node(s) on {len(pages)} page(s)")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
