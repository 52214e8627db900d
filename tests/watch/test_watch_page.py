"""The status page in a real browser (the system's headless Chromium, driven by Selenium), and the
zero-config demo that serves it: `reconcile watch` in a fresh checkout, on the embedded sandbox."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.watch.world import ADA_PROFILE, Agent, Repo, wait_for

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1280,1600",
)  # fmt: skip


@pytest.fixture
def browser() -> Iterator[Any]:
    if CHROMIUM is None or not Path(CHROMEDRIVER).exists():
        pytest.skip("no headless browser: install Debian's chromium and chromium-driver packages")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def visible_text(driver: Any) -> str:
    from selenium.webdriver.common.by import By

    return str(driver.find_element(By.TAG_NAME, "body").text)


def test_zero_config_demo_shows_its_cycles_on_a_page_a_person_can_read(
    repo: Repo, agents: Callable[..., Agent], browser: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    repo.write("profiles.d/ada.yaml", ADA_PROFILE)
    repo.commit("Ada")
    agent = agents(repo, "--interval", "1")  # no reconcile.toml: the embedded sandbox
    wait_for("two cycles", lambda: agent.output().count("local @ ") >= 2)
    assert f"page on {agent.url}/" in agent.output()
    assert "local @ " in agent.output() and "healed" in agent.output()

    browser.get(agent.url + "/")
    browser.save_screenshot(str(tmp_path / "status.png"))
    assert (tmp_path / "status.png").stat().st_size > 1000
    shown = visible_text(browser)
    for seen in ("reconcile watch", "Tenants", "local", "test", "self-heal", "in sync"):
        assert seen in shown
    assert "Recent cycles" in shown and "healed" in shown
    assert "ada@example.com" not in shown  # masked: a***@example.com
    assert "<script" not in browser.page_source

    browser.find_element(By.LINK_TEXT, "#1").click()
    browser.save_screenshot(str(tmp_path / "cycle.png"))
    shown = visible_text(browser)
    assert "Cycle 1: local" in shown and "healed" in shown
    assert "Plan" in shown and "1 to create" in shown
    assert "ada@example.com" not in shown
