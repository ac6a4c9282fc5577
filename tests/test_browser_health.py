# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""GNU Health: the patient form shows the packs, sells a pack and redeems
a session.

The demo clinic with GNU Health's `health` module activated on top, built
once as the template database "test_browser_health_template" (a copy of the
demo clinic's template, `trytond-admin -u health`, Jane made a patient) and
rebuilt when the modules or the demo data change.
"""
import contextlib
import os
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from psycopg2 import sql

from . import browser
from .test_browser_frontdesk import dialog_choose
from .test_browser_redeem import pack_balance

pytestmark = pytest.mark.skipif(not browser.HEALTH,
    reason="GNU Health's health module is not installed "
    "(GNU Health 5.0 runs on Tryton 7.0 only)")

# Must start with "test": setup/test drops those when the modules change.
HEALTH_TEMPLATE = 'test_browser_health_template'
HEALTH_CLONE = 'test_browser_health_'

# Jane Doe of the demo clinic becomes a GNU Health patient.
MAKE_PATIENT = '''
import sys
from proteus import Model, config
config.set_trytond(sys.argv[2], config_file=sys.argv[1])
Party = Model.get('party.party')
Patient = Model.get('gnuhealth.patient')
jane, = Party.find([('name', '=', 'Jane Doe')])
jane.is_person = True
jane.gender = 'f'
jane.is_patient = True
jane.save()
Patient(party=jane).save()
'''


def _comment(uri, name):
    with contextlib.closing(browser.connect(uri)) as connection:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT shobj_description(oid, 'pg_database') "
                "FROM pg_database WHERE datname = %s", (name,))
            row = cursor.fetchone()
            return row[0] if row else None


def _execute(uri, query, *names):
    with contextlib.closing(browser.connect(uri)) as connection:
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL(query).format(
                    *(sql.Identifier(n) for n in names)))


def ensure_health_template(uri, workdir):
    "The demo clinic's template with health activated and Jane a patient."
    browser.ensure_template_database(uri, workdir)
    wanted = browser.source_hash()
    if _comment(uri, HEALTH_TEMPLATE) == wanted:
        return
    building = '%sbuild_%s' % (HEALTH_CLONE, os.getpid())
    browser.drop_database(uri, building)
    _execute(uri, "CREATE DATABASE {} TEMPLATE {}",
        building, browser.TEMPLATE_DATABASE)
    config = browser.write_config(
        workdir / 'health.conf', uri, workdir / 'filestore',
        clean_timeout=300)
    log = workdir / 'health-build.log'
    try:
        browser._run([browser.VENV_BIN / 'trytond-admin', '-c', config,
                '-d', building, '-u', 'health', '--activate-dependencies'],
            log)
        browser._run([browser.VENV_BIN / 'python', '-c', MAKE_PATIENT,
                config, building], log)
    except BaseException:
        browser.drop_database(uri, building)
        raise
    browser.drop_database(uri, HEALTH_TEMPLATE)
    _execute(uri, "ALTER DATABASE {} RENAME TO {}", building, HEALTH_TEMPLATE)
    with contextlib.closing(browser.connect(uri)) as connection:
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL("COMMENT ON DATABASE {} IS %s").format(
                    sql.Identifier(HEALTH_TEMPLATE)), (wanted,))


@pytest.fixture(scope='module')
def health_server(tmp_path_factory):
    uri = os.environ.get('TRYTOND_DATABASE_URI', '')
    if not uri.startswith('postgresql'):
        pytest.fail(
            "browser tests need PostgreSQL in TRYTOND_DATABASE_URI: "
            "run them with setup/test")
    workdir = tmp_path_factory.mktemp('health-database')
    ensure_health_template(uri, workdir)
    name = '%s%s' % (HEALTH_CLONE, os.getpid())
    browser.drop_database(uri, name)
    _execute(uri, "CREATE DATABASE {} TEMPLATE {}", name, HEALTH_TEMPLATE)
    try:
        with browser.run_server(uri, name, workdir / 'server') as server:
            yield server
    finally:
        browser.drop_database(uri, name)


def test_patient_form_packs_and_redeem(page, health_server):
    """Jane, a GNU Health patient, has used 2 of her 6 physiotherapy
    sessions: her patient form shows the pack and her memberships, and
    Redeem on the form leaves 3."""
    server = health_server
    (number, remaining, value, state), = pack_balance(server, "Jane Doe")

    browser.login(page, server)
    browser.open_menu(page, 'Health', 'Patients')
    browser.open_row(page, 'Jane Doe')
    tab = browser.active_tab(page)
    tab.get_by_role('tab', name='Packs').click()
    browser.settle(page)
    row = tab.locator('tr', has_text=number)
    expect(row).to_contain_text('2 of 6 sessions used')
    expect(row).to_contain_text('183.34')
    # Sessions left, value left and expiry in one narrow list.
    for column in ['Progress', 'Remaining Value', 'Expiry Date']:
        expect(tab.locator('th:visible', has_text=column).first
            ).to_be_visible()
    tab.get_by_role('tab', name='Memberships').click()
    browser.settle(page)
    expect(tab.get_by_role('tab', name='Memberships')).to_be_visible()
    tab.get_by_role('tab', name='Packs').click()
    browser.settle(page)
    browser.screenshot(page, 'health-patient-packs')

    tab.get_by_role('button', name='Redeem', exact=True).click()
    dialog = page.locator('.modal-dialog:visible').last
    dialog.wait_for()
    browser.settle(page)
    # The wizard starts from the patient's party.
    expect(dialog.locator('input[name=party]').first).to_have_value(
        re.compile('Jane'))
    service = dialog.locator('input[name=product]').first
    service.fill('Physiotherapy session')
    service.press('Tab')
    browser.settle(page)
    search = page.locator('.modal-dialog:visible', has_text='Search Service')
    if search.count():
        search.locator('.treeview tr', has_text='Physiotherapy session'
            ).first.dblclick()
        search.wait_for(state='detached')
        browser.settle(page)
    expect(dialog.locator('input[name=pack]').first).to_have_value(number)
    dialog.get_by_role('button', name='Redeem').click()
    browser.settle(page)
    # The wizard ends saying which session it was.
    done = page.locator('.modal-dialog:visible').last
    expect(done.locator('[name=message]').first).to_have_value(
        re.compile('session 3 of 6'))
    done.get_by_role('button', name='Close').click()
    done.wait_for(state='detached')
    browser.settle(page)

    # The patient form is reloaded with the new balance.
    expect(row).to_contain_text('3 of 6 sessions used')
    browser.screenshot(page, 'health-patient-redeemed')
    assert pack_balance(server, "Jane Doe") == [
        (number, Decimal(3), Decimal('137.51'), 'active')]


def test_patient_form_sells_pack(page, health_server):
    """Sell Pack on Jane's patient form sells to her party: the invoice is
    posted at the template's price and her new pack opens, active."""
    server = health_server
    before = {number for number, *_ in pack_balance(server, "Jane Doe")}

    browser.login(page, server)
    browser.open_menu(page, 'Health', 'Patients')
    browser.open_row(page, 'Jane Doe')
    tab = browser.active_tab(page)
    tab.get_by_role('button', name='Sell Pack').click()
    dialog = page.locator('.modal-dialog:visible').first
    dialog.wait_for()
    browser.settle(page)
    # The wizard starts from the patient's party.
    expect(dialog.locator('input[name=party]').first).to_have_value(
        'Jane Doe')
    dialog_choose(page, dialog, 'template', 'Massage: buy 5 get 1 free')
    expect(dialog.locator('input[name=price]').first).to_have_value(
        re.compile(r'250\.00'))
    expect(dialog.locator('input[name=units]').first).to_have_value(
        '6 sessions (5 + 1 free)')
    browser.screenshot(page, 'health-patient-sell')
    dialog.get_by_role('button', name='Sell and Invoice').click()
    dialog.wait_for(state='detached')
    browser.settle(page)

    pack_form = browser.active_tab(page)
    expect(pack_form.locator('input[name=party]').first).to_have_value(
        'Jane Doe')
    expect(pack_form.locator('select[name=state] option:checked')
        ).to_have_text('Active')
    expect(pack_form.locator('[name=progress]').first).to_have_value(
        '0 of 6 sessions used')
    number = pack_form.locator('input[name=number]').first.input_value()
    assert number not in before
    browser.screenshot(page, 'health-patient-sold')
    (state, template, unit_price, invoice_state, party), = server.query(
        "SELECT p.state, t.name, l.unit_price, i.state, y.name "
        "FROM clinic_pack AS p "
        "JOIN clinic_pack_template AS t ON t.id = p.template "
        "JOIN account_invoice_line AS l "
        "ON p.origin = 'account.invoice.line,' || l.id "
        "JOIN account_invoice AS i ON i.id = l.invoice "
        "JOIN party_party AS y ON y.id = i.party "
        "WHERE p.number = %s", (number,))
    assert (state, template, unit_price, invoice_state, party) == (
        'active', 'Massage: buy 5 get 1 free', Decimal('250.00'), 'posted',
        'Jane Doe')
