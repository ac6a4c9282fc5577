# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The front desk redeems a session from a patient in the web client."""
import re
from decimal import Decimal

from playwright.sync_api import expect

from . import browser


def pack_balance(server, patient):
    return server.query(
        "SELECT p.number, p.remaining_quantity, p.remaining_amount, p.state "
        "FROM clinic_pack AS p JOIN party_party AS y ON y.id = p.party "
        "JOIN clinic_pack_template AS t ON t.id = p.template "
        "WHERE y.name = %s AND t.name = %s",
        (patient, "6 physiotherapy sessions"))


def test_front_desk_redeems_session(page, trytond_server):
    """Jane has used 2 of her 6 physiotherapy sessions; the front desk opens
    her record, redeems a session with the wizard and sees 3 left."""
    (number, remaining, value, state), = pack_balance(
        trytond_server, "Jane Doe")
    assert (remaining, value, state) == (Decimal(4), Decimal('183.34'), 'active')

    browser.login(page, trytond_server, *browser.FRONT_DESK)
    browser.open_menu(page, 'Parties', 'Parties')
    browser.open_row(page, 'Jane Doe')
    tab = browser.active_tab(page)
    tab.get_by_role('tab', name='Packs').click()
    browser.settle(page)
    row = tab.locator('tr', has_text=number)
    expect(row).to_contain_text('2 of 6 sessions used')

    # Redeem is a labelled button of the patient form.
    tab.get_by_role('button', name='Redeem', exact=True).click()
    dialog = page.locator('.modal-dialog:visible').last
    dialog.wait_for()
    browser.settle(page)

    # The wizard proposes the eligible pack that expires first.
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
    expect(service).to_have_value('[PHYSIO] Physiotherapy session')
    expect(dialog.locator('input[name=pack]').first).to_have_value(number)
    expect(dialog.locator('[name=remaining]').first).to_have_value(
        '2 of 6 sessions used')
    browser.screenshot(page, 'redeem-wizard')
    dialog.get_by_role('button', name='Redeem').click()
    browser.settle(page)
    # The wizard says which session it was.
    done = page.locator('.modal-dialog:visible').last
    expect(done.locator('[name=message]').first).to_have_value(
        re.compile('session 3 of 6'))
    browser.screenshot(page, 'redeem-done')
    done.get_by_role('button', name='Close').click()
    done.wait_for(state='detached')
    browser.settle(page)

    # The patient's Packs tab is reloaded with the new balance.
    expect(row).to_contain_text('3 of 6 sessions used')
    browser.open_menu(page, 'Clinic Packs', 'Packs')
    browser.open_row(page, number)
    pack_form = browser.active_tab(page)
    expect(pack_form.locator('[name=progress]').first).to_have_value(
        '3 of 6 sessions used')
    # Whole sessions, not 3.0000.
    expect(pack_form.locator('input[name=remaining_text]').first
        ).to_have_value('3')
    expect(pack_form.locator('input[name=redeemed_text]').first
        ).to_have_value('3')
    expect(pack_form.locator('input[name=remaining_amount]').first
        ).to_have_value('137.51')
    browser.screenshot(page, 'redeem-pack-form')

    assert pack_balance(trytond_server, "Jane Doe") == [
        (number, Decimal(3), Decimal('137.51'), 'active')]
    assert trytond_server.query(
        "SELECT r.quantity, r.units, r.amount, r.state, r.sequence_label, "
        "u.login FROM clinic_pack_redemption AS r "
        "JOIN clinic_pack AS p ON p.id = r.pack "
        "JOIN res_user AS u ON u.id = r.create_uid "
        "WHERE p.number = %s ORDER BY r.id DESC LIMIT 1", (number,)) == [
        (1.0, Decimal(1), Decimal('45.83'), 'done', 'session 3 of 6',
            'frontdesk')]
