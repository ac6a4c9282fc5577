# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Helpers of the browser tests: the server they drive and the sao client.

The fixtures in conftest.py build a PostgreSQL database holding the demo
clinic (setup/demo_data.py), serve it with trytond and the sao web client,
and open headless Chromium pages.  The functions below drive sao the way a
user does: log in, open a menu entry, fill a form, save, switch to the list.
"""
import contextlib
import dataclasses
import hashlib
import importlib.util
import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
from psycopg2 import sql
from playwright.sync_api import expect

from .rpc import rpc_url

REPO = Path(__file__).resolve().parent.parent
# setup/test --series names the Tryton series; each has its own virtualenv
# and web client (setup/install).
SERIES = os.environ.get('CLINIC_PACKS_SERIES', '7.0')
_SUFFIX = '' if SERIES == '7.0' else '-' + SERIES
VENV_BIN = REPO / '.local' / ('venv' + _SUFFIX) / 'bin'
SAO_ROOT = (
    REPO / '.local' / ('sao' + _SUFFIX) / 'node_modules' / 'tryton-sao')
# GNU Health 5.0 runs on Tryton 7.0 only: 8.0's virtualenv has no health
# module, so its patient form cannot be shown there.
HEALTH = importlib.util.find_spec('trytond.modules.health') is not None
CONFIG_TEMPLATE = REPO / 'setup' / 'trytond.conf.in'
DEMO_DATA = REPO / 'setup' / 'demo_data.py'
ARTIFACTS = REPO / 'artifacts'
MODULES = [
    'clinic_packs', 'clinic_packs_membership', 'clinic_packs_accounting']
ADMIN_LOGIN = 'admin'
ADMIN_PASSWORD = 'clinicadmin'
# Must start with "test": setup/test drops those when the modules change.
TEMPLATE_DATABASE = 'test_browser_template'
# The attachment filestore of the template and its clones, beside the
# PostgreSQL cluster that holds them.
FILESTORE = Path(os.environ.get(
        'CLINIC_PACKS_PGDATA', REPO / '.local' / 'pg')).with_name(
    Path(os.environ.get('CLINIC_PACKS_PGDATA', 'pg')).name + '-filestore')
CLONE_PREFIX = 'test_browser_'

CHROMIUM = '/usr/bin/chromium'
CHROMIUM_ARGS = [
    '--headless', '--no-sandbox', '--disable-gpu',
    '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run',
    ]
TIMEOUT = 30_000  # ms, for any single wait in the client
# Console errors sao 7.0 logs on its own: the translation file of a language
# it has none for ("en", "en_US", "en_GB": English is its source language).
KNOWN_CONSOLE_ERRORS = [
    re.compile(r'/locale/[A-Za-z_]+\.json\b'),
    # Its long polling of the bus, which trytond without [bus] answers 501.
    re.compile(r'status of 501 .*/bus\)$'),
    ]
FRONT_DESK = ('frontdesk', 'clinicdesk')
# The demo's chart is the account module's minimal English one, whose
# accounts 8.0 names after the universal chart.
ACCOUNT_NAMES = {
    'cash': "Main Cash",
    'receivable': "Main Receivable",
    } if SERIES == '7.0' else {
    'cash': "Cash and Cash Equivalents",
    'receivable': "Accounts, Notes And Loans Receivable",
    }
ACCOUNTANT = ('accountant', 'clinicbooks')


@dataclasses.dataclass
class Server:
    "A running trytond serving sao and one database."
    url: str
    database: str
    login: str
    password: str
    config: Path
    database_uri: str

    def connect(self):
        "A psycopg2 connection to the served database."
        return connect(self.database_uri, self.database)

    def query(self, query, params=None):
        "Rows of an SQL query on the served database."
        with contextlib.closing(self.connect()) as connection:
            with connection.cursor() as cursor:
                cursor.execute(query, params)
                return cursor.fetchall()


# --- configuration, databases and server ---------------------------------

def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def write_config(path, database_uri, data_path, port=8000,
        email_uri='smtp://127.0.0.1:9', clean_timeout=0):
    """Write a trytond configuration from setup/trytond.conf.in.

    The default email URI is a closed port: nothing is ever sent."""
    values = {
        'DATABASE_URI': database_uri,
        'DATA_PATH': str(data_path),
        'PORT': str(port),
        'SAO_ROOT': str(SAO_ROOT),
        'EMAIL_URI': email_uri,
        'CACHE_CLEAN_TIMEOUT': str(clean_timeout),
        }
    text = CONFIG_TEMPLATE.read_text()
    for key, value in values.items():
        text = text.replace('@%s@' % key, value)
    assert not re.search(r'@[A-Z_]+@', text), "unfilled placeholder"
    Path(path).write_text(text)
    return Path(path)


def connect(database_uri, database='postgres'):
    "Connect to database on the server of database_uri, in autocommit."
    parts = urlsplit(database_uri)
    connection = psycopg2.connect(
        urlunsplit(parts._replace(path='/' + database)))
    connection.autocommit = True
    return connection


def list_databases(database_uri, pattern):
    with contextlib.closing(connect(database_uri)) as connection:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT datname FROM pg_database WHERE datname ~ %s",
                (pattern,))
            return [name for name, in cursor]


def drop_database(database_uri, name):
    with contextlib.closing(connect(database_uri)) as connection:
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                .format(sql.Identifier(name)))


def source_hash():
    """The hash of what the template database is made of: the modules'
    code and the demo data script."""
    digest = hashlib.sha256()
    files = [DEMO_DATA]
    for module in MODULES:
        files += sorted(
            p for p in (REPO / module).rglob('*')
            if p.is_file() and p.suffix in {'.py', '.xml', '.cfg', '.fodt'}
            and 'tests' not in p.relative_to(REPO / module).parts)
    for path in files:
        digest.update(str(path.relative_to(REPO)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _template_hash(database_uri):
    with contextlib.closing(connect(database_uri)) as connection:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT shobj_description(oid, 'pg_database') "
                "FROM pg_database WHERE datname = %s", (TEMPLATE_DATABASE,))
            row = cursor.fetchone()
            return row[0] if row else None


def _run(args, log, **kwargs):
    "Run a setup command; its output goes to log, shown when it fails."
    with open(log, 'ab') as output:
        output.write(('$ %s\n' % ' '.join(map(str, args))).encode())
        output.flush()
        result = subprocess.run(
            [str(a) for a in args], stdout=output, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, **kwargs)
    if result.returncode:
        tail = Path(log).read_text(errors='replace')[-4000:]
        raise RuntimeError("%s failed (%s):\n%s" % (
                ' '.join(map(str, args[:2])), result.returncode, tail))


def ensure_template_database(database_uri, workdir):
    """Build the demo clinic database used as template, unless it is there
    and made of the current sources.

    It is built under a temporary name and renamed when complete, so an
    interrupted build never passes for a template."""
    wanted = source_hash()
    if (_template_hash(database_uri) == wanted
            and (FILESTORE / TEMPLATE_DATABASE).exists()):
        return False
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    # Not clean_timeout = 0 here: its cache listener thread gets the pool
    # refresh that trytond-admin notifies after creating the database and
    # stops the pool under it (KeyError on the database name).
    config = write_config(
        workdir / 'build.conf', database_uri, FILESTORE,
        clean_timeout=300)
    log = workdir / 'build.log'
    building = '%sbuild_%s' % (CLONE_PREFIX, os.getpid())
    drop_database(database_uri, building)
    with contextlib.closing(connect(database_uri)) as connection:
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0")
                .format(sql.Identifier(building)))
    passfile = workdir / 'admin-password'
    passfile.write_text(ADMIN_PASSWORD + '\n')
    env = dict(os.environ, TRYTONPASSFILE=str(passfile))
    try:
        _run([VENV_BIN / 'trytond-admin', '-c', config, '-d', building,
                '--all', '--email', 'admin@riverside-physio.example'],
            log, env=env)
        _run([VENV_BIN / 'trytond-admin', '-c', config, '-d', building,
                '-u', *MODULES, '--activate-dependencies'], log)
        _run([VENV_BIN / 'python', DEMO_DATA,
                '--config', config, '--database', building], log)
    except BaseException:
        drop_database(database_uri, building)
        raise
    drop_database(database_uri, TEMPLATE_DATABASE)
    # The demo's attachments (a signed consent) are files of the filestore,
    # by database name: they follow the template.
    shutil.rmtree(FILESTORE / TEMPLATE_DATABASE, ignore_errors=True)
    if (FILESTORE / building).exists():
        (FILESTORE / building).rename(FILESTORE / TEMPLATE_DATABASE)
    with contextlib.closing(connect(database_uri)) as connection:
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
                    sql.Identifier(building),
                    sql.Identifier(TEMPLATE_DATABASE)))
            cursor.execute(sql.SQL("COMMENT ON DATABASE {} IS %s").format(
                    sql.Identifier(TEMPLATE_DATABASE)), (wanted,))
    return True


def clone_template_database(database_uri):
    """Copy the template into a database of this test session; drop the
    copies of sessions that are gone."""
    for name in list_databases(database_uri, '^%s[0-9]+$' % CLONE_PREFIX):
        pid = int(name[len(CLONE_PREFIX):])
        if pid != os.getpid() and not _pid_alive(pid):
            drop_database(database_uri, name)
    name = '%s%s' % (CLONE_PREFIX, os.getpid())
    drop_database(database_uri, name)
    shutil.rmtree(FILESTORE / name, ignore_errors=True)
    if (FILESTORE / TEMPLATE_DATABASE).exists():
        shutil.copytree(FILESTORE / TEMPLATE_DATABASE, FILESTORE / name)
    with contextlib.closing(connect(database_uri)) as connection:
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(name), sql.Identifier(TEMPLATE_DATABASE)))
    return name


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def run_server(database_uri, database, workdir, data_path=None):
    """Serve database and sao with trytond on a free port; yield a Server.

    data_path: the attachment filestore, workdir/filestore by default;
    servers of one database share it."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = write_config(
        workdir / 'server.conf', database_uri,
        data_path or FILESTORE, port)
    log = workdir / 'server.log'
    url = 'http://127.0.0.1:%s/' % port
    command = [str(VENV_BIN / 'trytond'), '-c', str(config)]
    if SERIES != '7.0':
        # 8.0 loads a database's pool at the first login only if the
        # process has no Pool of that name yet, but the login's transaction
        # creates one, empty, before (Cache.sync calls Pool()): the login
        # then fails with KeyError 'res.user'.  The server loads the pool
        # of the databases it is given at start.
        command += ['-d', database]
    with open(log, 'wb') as output:
        process = subprocess.Popen(
            command,
            stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        _wait_until_serving(url, process, log)
        _load_database(url, database, process, log)
        yield Server(
            url=url, database=database, login=ADMIN_LOGIN,
            password=ADMIN_PASSWORD, config=config,
            database_uri=database_uri)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_serving(url, process, log, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("trytond exited (%s):\n%s" % (
                    process.returncode,
                    Path(log).read_text(errors='replace')[-4000:]))
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("trytond does not answer on %s:\n%s" % (
            url, Path(log).read_text(errors='replace')[-4000:]))


def _load_database(url, database, process, log, timeout=120):
    """Make the server load database before the browser comes.

    trytond 7.0 with clean_timeout = 0 starts a cache listener thread at the
    first request on a database; when it starts while the request loads the
    database's pool, it stops that pool and the request fails ("Application
    Error" in the client).  Retry until a login answers as it should: asking
    for the password."""
    request = urllib.request.Request(
        rpc_url(url, database), method='POST',
        headers={'Content-Type': 'application/json'},
        data=json.dumps({
                'id': 0, 'method': 'common.db.login',
                'params': [ADMIN_LOGIN, {}, 'en'],
                }).encode())
    deadline = time.monotonic() + timeout
    answer = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                answer = json.load(response)
        except urllib.error.HTTPError as exception:
            answer = exception
            # 8.0 asks for the password with 401 Unauthorized.
            if exception.code == 401:
                return
        except OSError as exception:
            answer = exception
        else:
            if (answer.get('error') or [None])[0] == 'LoginException':
                return
        time.sleep(0.5)
    raise RuntimeError("trytond does not serve %s: %r\n%s" % (
            database, answer, Path(log).read_text(errors='replace')[-4000:]))


# --- driving sao -----------------------------------------------------------

def watch_console(page):
    """Collect the page's console errors and uncaught exceptions; return
    the list, which unexpected_console_errors() filters."""
    errors = []

    def on_console(message):
        if message.type == 'error':
            location = message.location or {}
            errors.append('%s (%s)' % (message.text, location.get('url', '')))

    page.on('console', on_console)
    page.on('pageerror', lambda error: errors.append('uncaught: %s' % error))
    return errors


def unexpected_console_errors(errors):
    "The errors that are not sao's known ones."
    return [e for e in errors
        if not any(p.search(e) for p in KNOWN_CONSOLE_ERRORS)]


def settle(page, quiet=300):
    """Wait until the client has had no RPC in flight for quiet ms.

    sao calls the server through jQuery.ajax, often in chains of requests;
    Playwright's "networkidle" only concerns page loads."""
    page.evaluate('() => { window.__quietSince = null; }')
    page.wait_for_function(
        """(quiet) => {
            if (!window.jQuery || jQuery.active) {
                window.__quietSince = null;
                return false;
            }
            window.__quietSince = window.__quietSince || Date.now();
            return Date.now() - window.__quietSince >= quiet;
        }""", arg=quiet, polling=50)


def active_tab(page):
    "The content of the active tab (not a notebook page inside a form)."
    return page.locator('#tabcontent > .tab-pane.active')


def tab_title(page, name, active=False):
    "The title in the tab bar of the tab named name."
    # 8.0's sao writes the title twice, one per screen size: the shown one.
    return page.locator('#tablist li%s span%s' % (
            '.active' if active else '',
            '' if SERIES == '7.0' else ':visible')
        ).filter(has_text=re.compile('^%s$' % re.escape(name)))


def login(page, server, user=None, user_password=None):
    """Log in (as the server's admin by default) and wait for the menu.

    Closes the "Module Configuration" wizard that Tryton opens at the first
    login of a database whose configuration items are still open."""
    page.set_default_timeout(TIMEOUT)
    page.goto('%s#%s' % (server.url, server.database))
    # The dialog shows a select (several databases) or an input (one) once
    # the database list has arrived; logging in before fails silently.
    database = page.locator('.modal-dialog [name=database]:visible')
    database.wait_for()
    if database.evaluate('e => e.tagName') == 'SELECT':
        database.select_option(server.database)
    elif database.input_value() != server.database:
        database.fill(server.database)
    page.locator('#login').fill(user or server.login)
    page.locator('.modal-dialog button[type=submit]').click()
    password = page.locator('.modal-dialog input[type=password]')
    password.fill(user_password or server.password)
    password.press('Enter')
    menu = page.locator('#menu .column-char').first
    menu.wait_for()
    settle(page)
    wizard = tab_title(page, "Module Configuration")
    if wizard.count():
        active_tab(page).get_by_role('button', name='Cancel').click()
        wizard.wait_for(state='detached')
        # Cancelling reloads the menu: wait for it to be drawn again.
        settle(page)
        menu.wait_for()


def _menu_row(page, name, after=None):
    cell = '[.//div[contains(@class, "column-char") and @title=%s]]' % (
        _xpath_literal(name))
    if after is None:
        return page.locator('xpath=//*[@id="menu"]//tr' + cell).first
    return after.locator('xpath=following-sibling::tr' + cell).first


def open_menu(page, *names, double_click=False):
    """Open the menu entry at the path names, e.g. open_menu(page,
    'Clinic Packs', 'Pack Templates'), and return its tab's content; with
    double_click, as users of the desktop client do."""
    *folders, entry = names
    row = None
    for name in folders:
        row = _menu_row(page, name, row)
        # A click on the label expands a folder (and never collapses it).
        row.locator('.column-char').click()
    row = _menu_row(page, entry, row)
    # One click: sao runs a menu entry on every click of its row (a
    # double-click runs it three times, a wizard opening three dialogs).
    cell = row.locator('.column-char')
    if double_click:
        cell.dblclick()
    else:
        cell.click()
    tab_title(page, entry, active=True).wait_for()
    tab = active_tab(page)
    tab.locator('.treeview, .form').first.wait_for()
    settle(page)
    return tab


def toolbar(page, title):
    "The button titled title in the active tab's toolbar."
    return active_tab(page).locator(
        'button[title=%s]' % _css_string(title)).first


def current_record_id(page):
    """The id of the active tab's current record: negative while it is
    not saved, None without a record."""
    return page.evaluate(_CURRENT_RECORD_ID)


_CURRENT_RECORD_ID = """() => {
    const id = jQuery('#tablist li.active a').attr('aria-controls');
    const tab = Sao.Tab.tabs.find(t => t.id === id);
    const record = tab && tab.screen && tab.screen.current_record;
    return record ? record.id : null;
}"""


def new_record(page):
    "Click New and wait for the form showing the new record's defaults."
    toolbar(page, 'New').click()
    # sao shows the form with the selected record first, then fetches the
    # defaults: what is typed before lands in the wrong record.
    page.wait_for_function(
        "() => { const id = (%s)(); return id !== null && id < 0; }"
        % _CURRENT_RECORD_ID)
    active_tab(page).locator('.form').first.wait_for()
    settle(page)


def fill_char(page, name, value):
    "Type value in the char field name and leave it."
    field = active_tab(page).locator('input[name=%s]' % _css_string(name))
    field.fill(value)
    field.press('Tab')


def fill_number(page, name, value):
    """Numeric widgets show a text input until focused, then a number
    input: focus the one, fill the other."""
    tab = active_tab(page)
    number = tab.locator('input[type=number][name=%s]' % _css_string(name))
    if not number.is_visible():
        tab.locator(
            'input[type=text][name=%s]' % _css_string(name)).click()
    number.fill(str(value))
    number.press('Tab')


def select(page, name, label):
    "Choose label in the selection field name."
    active_tab(page).locator(
        'select[name=%s]' % _css_string(name)).select_option(label=label)


def fill_many2one(page, name, text):
    """Type text in a many2one and leave it: sao fills in the only match
    or opens a search window, where the first row showing text is taken.
    Return the record name displayed."""
    field = active_tab(page).locator(
        'input[name=%s]' % _css_string(name)).first
    field.fill(text)
    field.press('Tab')
    settle(page)
    search = page.locator('.modal-dialog:visible')
    if search.count():
        search.locator('.treeview tr', has_text=text).first.dblclick()
        search.wait_for(state='hidden')
        settle(page)
    value = field.input_value()
    if not value:
        raise AssertionError("no %s matches %r" % (name, text))
    return value


def save(page):
    """Save the current record, wait for "Record saved." and return its id;
    a validation message, an error or a warning fails with its text."""
    alerts = active_tab(page).locator('.infobar .alert')
    count = alerts.count()
    toolbar(page, 'Save').click()
    dialog = page.locator('.modal-dialog:visible')
    alert = alerts.nth(count)
    alert.or_(dialog).first.wait_for()
    if dialog.count():
        raise AssertionError(
            "saving failed: %s" % dialog.first.inner_text().strip())
    if 'alert-info' not in alert.get_attribute('class').split():
        raise AssertionError("saving failed: %s" % alert.inner_text().strip())
    settle(page)
    record_id = current_record_id(page)
    assert record_id is not None and record_id > 0, record_id
    return record_id


def dismiss_infobar(page):
    """Close the active tab's messages ("Record saved."): 8.0's sao shows
    them floating over the toolbar, where they take the clicks (7.0's sit
    above the form and stay)."""
    if SERIES == '7.0':
        return
    for close in active_tab(page).locator(
            '.infobar .alert .close:visible').all():
        close.click()


def toggle_menu(page):
    """Fold the menu away (or show it again), as the button at the top left
    does: sao 7.0 names it offcanvas, 8.0 menu."""
    page.locator('[data-toggle="%s"]' % (
            'offcanvas' if SERIES == '7.0' else 'menu')).click()
    settle(page)


def switch_view(page):
    "Switch the active tab between its form and its list."
    dismiss_infobar(page)
    toolbar(page, 'Switch').click()
    settle(page)


def list_row(page, text):
    "The row of the active tab's list that has a cell titled text."
    return active_tab(page).locator(
        'xpath=.//div[contains(@class, "treeview")]//tr[.//*[@title=%s]]'
        % _xpath_literal(text))


def all_rows(page):
    """Every record row of the active tab's list: sao shows 20 rows and a
    More button below them, so press More until the list is whole."""
    tab = active_tab(page)
    more = tab.locator('.treeview tbody tr.more-row button')
    while more.count():
        more.first.click()
        settle(page)
    return tab.locator('.treeview tbody tr:not(.more-row)')


def four_decimals(locator):
    """The texts and field values under locator that show a stored
    quantity's four decimals ("6.0000"), which no clinic screen should."""
    texts = locator.all_inner_texts() + [
        i.input_value() for i in locator.locator('input:visible').all()]
    return [t for t in texts if re.search(r'\d\.\d{4}', t)]


def filter_list(page, text):
    """Search the active tab's list for text, as a user types in its search
    box: sao renders only the first 20 rows of a list, so a record further
    down is found by searching, not by scrolling."""
    entry = active_tab(page).locator(
        '.screen-container input[placeholder="Search"]').first
    entry.fill(text)
    entry.press('Enter')
    expect(list_row(page, text).first).to_be_visible()
    settle(page)


def open_row(page, text):
    "Open the record of the list row showing text in its form."
    filter_list(page, text)
    cell = list_row(page, text).first.locator(
        'xpath=./td[.//*[@title=%s]]' % _xpath_literal(text)).first
    # A click writes the list's address (with its search) in the page's
    # URL; the browser tells sao of the change later (hashchange), and sao
    # opens a new tab for an address that no tab has.  At a robot's speed
    # the double-click had switched the list to its form before that, so
    # sao opened the list again in a tab of its own (seen on 8.0).  Click
    # first and let the address settle, as a person's hand does.
    cell.click()
    page.wait_for_function(_URL_IS_TAB_URL)
    settle(page)
    cell.dblclick()
    active_tab(page).locator('.form').first.wait_for()
    settle(page)


_URL_IS_TAB_URL = """() => {
    const tab = Sao.Tab.tabs.get_current();
    return tab && decodeURIComponent(window.location.hash).endsWith(
        decodeURIComponent(tab.get_url()));
}"""


def screenshot(page, name):
    "Save a screenshot as artifacts/NAME.png and return its path."
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / ('%s.png' % name)
    page.screenshot(path=str(path))
    return path


def _css_string(value):
    return '"%s"' % value.replace('\\', '\\\\').replace('"', '\\"')


def _xpath_literal(value):
    if "'" not in value:
        return "'%s'" % value
    if '"' not in value:
        return '"%s"' % value
    return "concat('%s')" % value.replace("'", "', \"'\", '")
