"""Browser tests: a package, so its conftest is ``browser.conftest`` and ``from conftest import`` elsewhere gets tests/conftest.py."""
