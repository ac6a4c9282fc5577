# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The front desk enrols a patient in a membership plan from the web client
and finds the first fee invoice posted."""
import datetime as dt
from decimal import Decimal

from playwright.sync_api import expect

from . import browser

def choose(page, name, text):
    """Type text in the many2one name and take the record named text, from
    the search window if one opens (its rows link other records: select the
    row on its name cell and confirm rather than double-click it)."""
    field = browser.active_tab(page).locator('input[name=%s]' % name).first
    field.fill(text)
    field.press('Tab')
    dialog = page.locator('.modal-dialog:visible')
    page.wait_for_function(
        """([field, text]) => field.value === text
            || document.querySelector('.modal-dialog .treeview')""",
        arg=[field.element_handle(), text])
    if dialog.count():
        dialog.locator('td', has_text=text).first.click()
        dialog.get_by_role('button', name='OK', exact=True).click()
        dialog.wait_for(state='detached')
    expect(field).to_have_value(text)
    browser.settle(page)


def test_enrol_member(page, trytond_server):
    """The front desk (the demo's, without accounting rights) enrols Sofia
    in the monthly plan and sees the fee, the next invoice date and her
    invoice on the membership."""
    browser.login(page, trytond_server, *browser.FRONT_DESK)

    browser.open_menu(page, 'Clinic Packs', 'Memberships', 'Memberships')
    browser.new_record(page)
    choose(page, 'party', 'Sofia Rossi')
    choose(page, 'plan', 'Wellness Monthly')
    browser.save(page)

    tab = browser.active_tab(page)
    tab.get_by_role('button', name='Activate').click()
    browser.settle(page)
    expect(tab.locator('select[name=state] option:checked')).to_have_text(
        'Active')
    number = tab.locator('input[name=number]').input_value()
    (state, start, end, invoice_number, invoice_state, invoice_date,
        unit_price), = trytond_server.query(
        "SELECT m.state, p.start_date, p.end_date, i.number, i.state, "
        "i.invoice_date, l.unit_price "
        "FROM clinic_membership AS m "
        "JOIN clinic_membership_period AS p ON p.membership = m.id "
        "JOIN account_invoice_line AS l ON l.id = p.invoice_line "
        "JOIN account_invoice AS i ON i.id = l.invoice "
        "WHERE m.number = %s", (number,))
    # The membership starts today, the clinic's (London) day, which the
    # first period and its posted invoice share.
    assert abs(start - dt.date.today()) <= dt.timedelta(days=1)
    assert (state, invoice_state, invoice_date, unit_price) == (
        'active', 'posted', start, Decimal('49.0000'))
    # The first period is listed on the membership.
    periods = tab.locator('.treeview tbody tr:visible')
    expect(periods).to_have_count(1)
    assert [t for t in texts(periods.first.locator('td:visible')) if t] == [
        date(start), date(end)]
    # The fee and the next invoice date.
    expect(tab.locator('input[name=fee]').first).to_have_value('49.00')
    expect(tab.locator('input[name=next_invoice_date]').first).to_have_value(
        date(end + dt.timedelta(days=1)))
    browser.screenshot(page, 'membership-enrol')

    # The posted fee invoice is listed on the membership.
    tab.get_by_role('tab', name='Invoices').click()
    browser.settle(page)
    row = tab.locator('.treeview tbody tr:visible', has_text=invoice_number)
    expect(row).to_have_count(1)
    cells = texts(row.locator('td'))
    number_column = cells.index(invoice_number)
    assert cells[number_column:number_column + 8] == [
        invoice_number, '', date(start), 'Sofia Rossi',
        '£ 49.00', '£ 0.00', '£ 49.00', 'Posted']
    browser.screenshot(page, 'membership-invoice')


def texts(cells):
    "The texts of cells, blanks collapsed."
    return [' '.join(c.split()) for c in cells.all_inner_texts()]


def date(value):
    "A date as the client shows it to the clinic's users (en_GB)."
    return value.strftime('%d/%m/%Y')
