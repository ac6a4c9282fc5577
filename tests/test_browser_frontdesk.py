# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The front desk sells a pack from the patient and is told why a
redemption is refused, in the web client, as the demo's front desk user."""
import re
from decimal import Decimal

from playwright.sync_api import expect

from . import browser


def open_patient(page, name):
    browser.open_menu(page, 'Parties', 'Parties')
    browser.open_row(page, name)
    return browser.active_tab(page)


def dialog_choose(page, dialog, name, text):
    """Take the record named text in the dialog's many2one name: clear it,
    type text and leave the field; when a search window opens, select the
    row whose cell is exactly text and confirm."""
    dialogs = page.locator('.modal-dialog:visible')
    count = dialogs.count()
    field = dialog.locator('input[name=%s]' % name).first
    if field.input_value():
        # Text filled over a chosen record is no new search in sao (it
        # listens to keydown): clear the record with the field's X first.
        field.locator('xpath=..').locator('.icon-secondary img').click()
        expect(field).to_have_value('')
        browser.settle(page)
    field.fill(text)
    field.press('Tab')
    page.wait_for_function(
        """([field, text, count]) => field.value.includes(text)
            || document.querySelectorAll(
                '.modal-dialog .treeview').length > 0
                && jQuery('.modal-dialog:visible').length > count""",
        arg=[field.element_handle(), text, count])
    browser.settle(page)
    if dialogs.count() > count:
        search = dialogs.last
        search.locator('td').filter(has_text=re.compile(
                r'^\s*%s\s*$' % re.escape(text))).first.click()
        search.get_by_role('button', name='OK', exact=True).click()
        expect(dialogs).to_have_count(count)
        browser.settle(page)
    expect(field).to_have_value(re.compile(re.escape(text)))


def dialog_number(page, dialog, name, value):
    "Numeric inputs show a text input until focused, then a number one."
    number = dialog.locator('input[type=number][name=%s]' % name).first
    if not number.is_visible():
        dialog.locator('input[type=text][name=%s]' % name).first.click()
    number.fill(str(value))
    number.press('Tab')
    browser.settle(page)


def close_error(page, text):
    "Expect the error dialog showing text and close it."
    error = page.locator('.modal-dialog:visible', has_text=text).last
    error.wait_for()
    error.get_by_role('button', name=re.compile('^(OK|Close)$')).first.click()
    error.wait_for(state='detached')
    browser.settle(page)


def test_sell_pack_from_patient(page, trytond_server):
    """Sofia buys six physiotherapy sessions at the desk: the dialog shows
    the price, units, expiry and the consent a template needs; selling
    posts the invoice and opens her active pack, linked to it."""
    browser.login(page, trytond_server, *browser.FRONT_DESK)
    tab = open_patient(page, 'Sofia Rossi')
    tab.get_by_role('button', name='Sell Pack').click()
    # The wizard's dialog; search and error windows open after it.
    dialog = page.locator('.modal-dialog:visible').first
    dialog.wait_for()
    browser.settle(page)

    # A template requiring a consent says so before anything is sold.
    dialog_choose(page, dialog, 'template', '4 psychology sessions')
    expect(dialog.locator('input[name=consent_template]').first
        ).to_have_value('Psychological therapy consent')
    expect(dialog.locator('input[name=consent_status]').first
        ).to_have_value(re.compile('^Not signed yet'))
    browser.screenshot(page, 'frontdesk-sell-consent')

    dialog_choose(page, dialog, 'template', '6 physiotherapy sessions')
    expect(dialog.locator('input[name=price]').first).to_have_value(
        re.compile(r'275\.00'))
    expect(dialog.locator('input[name=units]').first).to_have_value(
        '6 sessions')
    expect(dialog.locator('input[name=expiry_date]').first).not_to_have_value(
        '')
    expect(dialog.locator('input[name=consent_status]')).to_be_hidden()
    # She pays by card at the desk, with the host's invoice payment.
    dialog.locator('input[name=take_payment]').first.check()
    browser.settle(page)
    dialog.locator('select[name=payment_method]').first.select_option(
        label='Card')
    expect(dialog.locator('input[name=in_person]').first).to_be_checked()
    browser.screenshot(page, 'frontdesk-sell')
    dialog.get_by_role('button', name='Sell and Invoice').click()
    dialog.wait_for(state='detached')
    browser.settle(page)

    # The issued pack opens, active and linked to its invoice.
    pack_form = browser.active_tab(page)
    expect(pack_form.locator('input[name=party]').first).to_have_value(
        'Sofia Rossi')
    expect(pack_form.locator('select[name=state] option:checked')
        ).to_have_text('Active')
    expect(pack_form.locator('[name=progress]').first).to_have_value(
        '0 of 6 sessions used')
    number = pack_form.locator('input[name=number]').first.input_value()
    assert not browser.four_decimals(pack_form)
    pack_form.get_by_role('tab', name='Other Info').click()
    invoice = pack_form.locator('input[name=invoice]').first
    expect(invoice).to_have_value(re.compile('^INV'))
    browser.screenshot(page, 'frontdesk-sell-pack')

    (state, unit_price, invoice_state, party, login), = trytond_server.query(
        "SELECT p.state, l.unit_price, i.state, y.name, u.login "
        "FROM clinic_pack AS p "
        "JOIN account_invoice_line AS l "
        "ON p.origin = 'account.invoice.line,' || l.id "
        "JOIN account_invoice AS i ON i.id = l.invoice "
        "JOIN party_party AS y ON y.id = i.party "
        "JOIN res_user AS u ON u.id = i.create_uid "
        "WHERE p.number = %s", (number,))
    assert (state, unit_price, invoice_state, party, login) == (
        'active', Decimal('275.00'), 'paid', 'Sofia Rossi', 'frontdesk')
    # The payment: Dr Main Cash 275.00 / Cr Main Receivable 275.00 (7.0's
    # names, browser.ACCOUNT_NAMES) in the cash journal, reconciled with the
    # invoice; taken in person.
    assert trytond_server.query(
        "SELECT i.first_payment_in_person, a.name, ml.debit, ml.credit, "
        "ml.reconciliation IS NOT NULL, j.type, m.state "
        "FROM clinic_pack AS p "
        "JOIN account_invoice_line AS l "
        "ON p.origin = 'account.invoice.line,' || l.id "
        "JOIN account_invoice AS i ON i.id = l.invoice "
        "JOIN \"account_invoice-account_move_line\" AS r "
        "ON r.invoice = i.id "
        "JOIN account_move_line AS pl ON pl.id = r.line "
        "JOIN account_move AS m ON m.id = pl.move "
        "JOIN account_journal AS j ON j.id = m.journal "
        "JOIN account_move_line AS ml ON ml.move = m.id "
        "JOIN account_account AS a ON a.id = ml.account "
        "WHERE p.number = %s ORDER BY ml.debit DESC", (number,)) == [
        (True, browser.ACCOUNT_NAMES['cash'], Decimal('275.00'),
            Decimal('0'), False, 'cash', 'posted'),
        (True, browser.ACCOUNT_NAMES['receivable'], Decimal('0'),
            Decimal('275.00'), True, 'cash', 'posted')]
    assert invoice.input_value() == trytond_server.query(
        "SELECT i.number FROM clinic_pack AS p "
        "JOIN account_invoice_line AS l "
        "ON p.origin = 'account.invoice.line,' || l.id "
        "JOIN account_invoice AS i ON i.id = l.invoice "
        "WHERE p.number = %s", (number,))[0][0]
    # Whole sessions in the Packs list too, never "6.0000".
    packs = browser.open_menu(page, 'Clinic Packs', 'Packs')
    browser.filter_list(page, number)
    assert not browser.four_decimals(packs)


def test_redeem_refusals(page, trytond_server):
    """Tom has 5 massages left: asking for 9 is refused with what is left;
    a psychology session lists no pack and says why his pack cannot pay."""
    browser.login(page, trytond_server, *browser.FRONT_DESK)
    tab = open_patient(page, 'Tom Baker')
    tab.get_by_role('button', name='Redeem', exact=True).click()
    # The wizard's dialog; search and error windows open after it.
    dialog = page.locator('.modal-dialog:visible').first
    dialog.wait_for()
    browser.settle(page)

    dialog_choose(page, dialog, 'product', 'Sports massage')
    pack = dialog.locator('input[name=pack]').first
    expect(pack).to_have_value(re.compile('^PK'))
    dialog_number(page, dialog, 'quantity', 9)
    dialog.get_by_role('button', name='Redeem').click()
    close_error(page, 'only 5 left')

    dialog_choose(page, dialog, 'product', 'Psychology session')
    expect(pack).to_have_value('')
    explanation = dialog.locator('[name=explanation]').first
    expect(explanation).to_have_value(re.compile(
            'Tom Baker has no pack that can pay for'))
    expect(explanation).to_have_value(re.compile(
            r'Massage: buy 5 get 1 free\): does not pay for this service'))
    browser.screenshot(page, 'frontdesk-redeem-ineligible')
    dialog.get_by_role('button', name='Redeem').click()
    close_error(page, 'has no pack that can pay for')
    dialog.get_by_role('button', name='Cancel').click()
    dialog.wait_for(state='detached')

    (remaining,), = trytond_server.query(
        "SELECT p.remaining_quantity FROM clinic_pack AS p "
        "JOIN party_party AS y ON y.id = p.party WHERE y.name = %s "
        "AND p.state = 'active'", ('Tom Baker',))
    assert remaining == Decimal(5)
