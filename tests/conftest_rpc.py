# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The fixture of the role-based RPC tests (tests/test_rpc_*.py).

rpc_clinic (session): the demo clinic of the browser tests (the same
PostgreSQL template database, "test_browser_template", built once) copied to
a database of this session, extended by tests/rpc_clinic.py (a second
company, the packs administrator, packs and memberships for each test) and
served by TWO trytond processes with `[cache] clean_timeout = 0`, so that
each follows the other's changes.  It yields an RPCClinic: the servers'
urls, login(user) for a JSON-RPC client (tests/rpc.py), query() and
snapshot() for checks in SQL, and the ids created (ids['packs'][...]).
"""
import contextlib
import json
import os
from pathlib import Path

import pytest
from psycopg2 import sql

from . import browser, rpc

SETUP_SCRIPT = Path(__file__).resolve().parent / 'rpc_clinic.py'
CLONE_PREFIX = 'test_rpc_'
SERVERS = 2

# The tables a refused call must leave as they were.
TOUCHED_TABLES = [
    'clinic_pack',
    'clinic_pack_redemption',
    'clinic_pack_event',
    'clinic_pack_template',
    'clinic_consent',
    'clinic_membership',
    'clinic_membership_period',
    'account_move',
    'account_move_line',
    'account_invoice',
    'account_invoice_line',
    'ir_attachment',
    ]


class RPCClinic:
    "The served clinic: servers, users, ids and SQL checks."

    def __init__(self, servers, ids, workdir):
        self.servers = servers
        self.urls = [s.url for s in servers]
        self.database = servers[0].database
        self.ids = ids
        self.passwords = ids['passwords']
        self.workdir = workdir

    def __repr__(self):
        return '<RPCClinic %s on %s>' % (self.database, ' '.join(self.urls))

    # --- clients ---------------------------------------------------------

    def client(self, server=0):
        "A client of server (0 or 1), not logged in."
        return rpc.Client(self.urls[server % len(self.urls)], self.database)

    def login(self, user, server=0):
        "A client logged in as user on server (0 or 1)."
        return self.client(server).login(user, self.passwords[user])

    # --- SQL -------------------------------------------------------------

    def connect(self):
        return self.servers[0].connect()

    def query(self, query, params=None):
        "Rows of an SQL query on the served database."
        return self.servers[0].query(query, params)

    def value(self, query, params=None):
        "The single value of an SQL query."
        (value,), = self.query(query, params)
        return value

    def row(self, table, id_):
        "The row id_ of table as a dict (None when there is none)."
        with contextlib.closing(self.connect()) as connection:
            with connection.cursor() as cursor:
                cursor.execute(sql.SQL("SELECT * FROM {} WHERE id = %s")
                    .format(sql.Identifier(table)), (id_,))
                row = cursor.fetchone()
                if row is None:
                    return None
                return {c.name: v for c, v in zip(cursor.description, row)}

    def counts(self, tables=TOUCHED_TABLES):
        "The number of rows of each table."
        with contextlib.closing(self.connect()) as connection:
            with connection.cursor() as cursor:
                result = {}
                for table in tables:
                    cursor.execute(sql.SQL("SELECT count(*) FROM {}")
                        .format(sql.Identifier(table)))
                    result[table], = cursor.fetchone()
                return result

    def snapshot(self, *records, tables=TOUCHED_TABLES):
        """Row counts of tables and the full rows of records, given as
        (table, id): what a refused call must leave unchanged."""
        return {
            'counts': self.counts(tables),
            'rows': {'%s,%s' % r: self.row(*r) for r in records},
            }

    def assert_unchanged(self, before, *records, tables=TOUCHED_TABLES):
        "Nothing written since before (a snapshot of the same records)."
        after = self.snapshot(*records, tables=tables)
        changed = {t: (before['counts'][t], n)
            for t, n in after['counts'].items() if before['counts'][t] != n}
        assert not changed, "rows were added or removed: %s" % changed
        for key, row in after['rows'].items():
            old = before['rows'][key]
            diff = {c: (old.get(c), v) for c, v in (row or {}).items()
                if old is None or old.get(c) != v}
            assert row == old, "%s was written: %s" % (key, diff)

    def pack(self, pack_id):
        "The pack's row."
        return self.row('clinic_pack', pack_id)

    def action_id(self, xml_id):
        "The id of the action (ir.action.wizard...) of xml_id module.fs_id."
        module, fs_id = xml_id.split('.')
        return self.value(
            "SELECT db_id FROM ir_model_data WHERE module = %s "
            "AND fs_id = %s", (module, fs_id))

    def moves_of(self, model, record_id, state='posted'):
        "The ids of the moves with the record as origin, in state."
        return [i for i, in self.query(
                "SELECT id FROM account_move WHERE origin = %s "
                "AND state = %s ORDER BY id",
                ('%s,%s' % (model, record_id), state))]


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clone_template(database_uri):
    """Copy the browser tests' template database for this session; drop the
    copies of sessions that are gone."""
    for name in browser.list_databases(
            database_uri, '^%s[0-9]+$' % CLONE_PREFIX):
        pid = int(name[len(CLONE_PREFIX):])
        if pid != os.getpid() and not _pid_alive(pid):
            browser.drop_database(database_uri, name)
    name = '%s%s' % (CLONE_PREFIX, os.getpid())
    browser.drop_database(database_uri, name)
    with contextlib.closing(browser.connect(database_uri)) as connection:
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(name),
                    sql.Identifier(browser.TEMPLATE_DATABASE)))
    return name


def extend_clinic(database_uri, database, workdir, data_path):
    "Run tests/rpc_clinic.py on database; return the ids it created."
    # Not clean_timeout = 0: no server runs yet, and the script needs no
    # cache listener.
    config = browser.write_config(
        workdir / 'setup.conf', database_uri, data_path, clean_timeout=300)
    output = workdir / 'clinic.json'
    log = workdir / 'setup.log'
    browser._run([browser.VENV_BIN / 'python', SETUP_SCRIPT,
            '--config', config, '--database', database,
            '--output', output], log)
    return json.loads(output.read_text())


@pytest.fixture(scope='session')
def rpc_clinic(tmp_path_factory):
    "The clinic served by two trytond processes: an RPCClinic."
    uri = os.environ.get('TRYTOND_DATABASE_URI', '')
    if not uri.startswith('postgresql'):
        pytest.fail(
            "RPC tests need PostgreSQL in TRYTOND_DATABASE_URI: "
            "run them with setup/test")
    workdir = tmp_path_factory.mktemp('rpc-clinic')
    browser.ensure_template_database(uri, workdir / 'template')
    name = clone_template(uri)
    try:
        data_path = workdir / 'filestore'
        data_path.mkdir()
        ids = extend_clinic(uri, name, workdir, data_path)
        with contextlib.ExitStack() as stack:
            servers = [
                stack.enter_context(browser.run_server(
                        uri, name, workdir / ('server%s' % i),
                        data_path=data_path))
                for i in range(SERVERS)]
            yield RPCClinic(servers, ids, workdir)
    finally:
        browser.drop_database(uri, name)
