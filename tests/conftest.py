# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Fixtures of the browser tests (see browser.py for the helpers).

- browser_database: a copy, for this test session, of the PostgreSQL
  template database "test_browser_template" holding the demo clinic; the
  template is built once (trytond-admin, setup/demo_data.py) and rebuilt
  when the modules or the demo data change.
- trytond_server: trytond serving that database and the sao web client on a
  free 127.0.0.1 port.
- chromium: headless Debian Chromium driven by Playwright.
- page: a fresh browser context and page per test; a failing test leaves
  artifacts/FAILED-<test>.png, and a test whose page logged a console error
  other than sao's known ones (browser.KNOWN_CONSOLE_ERRORS) fails.
"""
import os
import re
import types

import pytest
from playwright.sync_api import expect, sync_playwright

from . import browser
from .conftest_rpc import rpc_clinic  # noqa: F401 (the RPC tests' fixture)

expect.set_options(timeout=browser.TIMEOUT)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, 'report_' + report.when, report)
    return report


@pytest.fixture(scope='session')
def browser_database(tmp_path_factory):
    "The database of this test session's server: uri and name."
    uri = os.environ.get('TRYTOND_DATABASE_URI', '')
    if not uri.startswith('postgresql'):
        pytest.fail(
            "browser tests need PostgreSQL in TRYTOND_DATABASE_URI: "
            "run them with setup/test")
    workdir = tmp_path_factory.mktemp('browser-database')
    browser.ensure_template_database(uri, workdir)
    name = browser.clone_template_database(uri)
    yield types.SimpleNamespace(uri=uri, name=name)
    browser.drop_database(uri, name)


@pytest.fixture(scope='session')
def trytond_server(browser_database, tmp_path_factory):
    "A browser.Server: url, database, login, password; query() for checks."
    workdir = tmp_path_factory.mktemp('trytond-server')
    with browser.run_server(
            browser_database.uri, browser_database.name, workdir) as server:
        yield server


@pytest.fixture(scope='session')
def chromium():
    # Never `playwright install`: drive the Debian package's Chromium.
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=browser.CHROMIUM, args=browser.CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(chromium, request):
    context = chromium.new_context(
        viewport={'width': 1400, 'height': 900}, locale='en-US')
    page = context.new_page()
    page.set_default_timeout(browser.TIMEOUT)
    errors = browser.watch_console(page)
    yield page
    report = getattr(request.node, 'report_call', None)
    if report is not None and report.failed:
        name = re.sub(r'[^A-Za-z0-9_.-]+', '_', request.node.name)
        browser.screenshot(page, 'FAILED-%s' % name)
    context.close()
    # A console error (a missing icon, a JavaScript exception) fails the
    # test, unless it is one of sao's own (browser.KNOWN_CONSOLE_ERRORS).
    unexpected = browser.unexpected_console_errors(errors)
    if unexpected and (report is None or report.passed):
        pytest.fail("console errors:\n%s" % '\n'.join(unexpected))
