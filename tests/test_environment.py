"""In CI the browser tests must run, not skip: this fails loudly when their tools are missing."""

import os
import shutil

import pytest


@pytest.mark.skipif(os.environ.get("SPINSCOPE_REQUIRE_BROWSER") != "1", reason="only where a browser is required (CI)")
def test_browser_tools_present():
    import playwright.sync_api  # noqa: F401

    assert shutil.which("/usr/bin/chromium"), "Debian's chromium is missing: apt-get install chromium"
