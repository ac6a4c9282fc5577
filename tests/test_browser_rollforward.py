# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The accountant reads the contract liability roll-forward in the web
client and finds the ledger's balance."""
import calendar
import datetime as dt
from decimal import Decimal

from playwright.sync_api import expect

from . import browser


# The net contract liability: the contract liability and breakage accrual
# accounts (credit - debit, so the accrual lowers it).
LIABILITY_LINES = (
    "FROM account_move_line AS l "
    "JOIN account_move AS m ON m.id = l.move "
    "JOIN account_configuration_pack_account AS c "
    "ON c.company = m.company AND l.account IN "
    "(c.contract_liability_account, c.breakage_accrual_account) ")


def ledger_liability(server, date):
    """The net contract liability at the end of date, in SQL: the contract
    liability account's credit balance less the accrual's debit balance."""
    (balance,), = server.query(
        "SELECT COALESCE(SUM(l.credit - l.debit), 0) " + LIABILITY_LINES
        + "WHERE m.date <= %s", (date,))
    return balance


def packs_remaining(server):
    """Σ (G - A) per template: the net value the packs still hold.  Packs
    issued at 0.00 (the demo's funded referrals, entered by hand) post
    nothing: their templates have no roll-forward row."""
    return dict(server.query(
            "SELECT t.name, "
            "SUM(p.remaining_amount - COALESCE(p.breakage_accrued, 0)) "
            "FROM clinic_pack AS p "
            "JOIN clinic_pack_template AS t ON t.id = p.template "
            "WHERE (p.state != 'draft' OR p.origin IS NOT NULL) "
            "AND p.amount != 0 "
            "GROUP BY t.name"))


def membership_fees(server, date):
    """The membership fees on the liability per plan: the fee invoices and
    refunds of the periods and the moves of the periods, but for the lines
    of those moves that credit an allotment pack its share of the fee
    (they are the pack's, counted with its template)."""
    return dict(server.query(
            "SELECT pl.name, SUM(l.credit - l.debit) " + LIABILITY_LINES
            + "LEFT JOIN account_invoice_line AS il "
            "ON l.origin = 'account.invoice.line,' || il.id "
            "JOIN clinic_membership_period AS pe "
            "ON COALESCE(il.origin, m.origin) "
            "= 'clinic.membership.period,' || pe.id "
            "JOIN clinic_membership AS ms ON ms.id = pe.membership "
            "JOIN clinic_membership_plan AS pl ON pl.id = ms.plan "
            "WHERE m.date <= %s "
            "AND (l.origin IS NULL OR l.origin NOT LIKE 'clinic.pack,%%') "
            "GROUP BY pl.name", (date,)))


def open_report(page, *names):
    """Double-click the menu entry at the path names, as users of the
    desktop client do, and return the report's tab.  sao runs an entry on
    each click of its row (three times for a double click): a report is a
    list with its context form, so it opens in one tab, never in several
    dialogs."""
    tab = browser.open_menu(page, *names, double_click=True)
    expect(browser.tab_title(page, names[-1])).to_have_count(1)
    expect(page.locator('.modal-dialog:visible')).to_have_count(0)
    return tab


def set_dates(tab, page, **dates):
    """Type dates in the report's context form (British dates, as the
    demo's users read them); the list reloads."""
    for name, date in dates.items():
        field = tab.locator('input[type=text][name=%s]' % name).first
        field.fill(date.strftime('%d/%m/%Y'))
        field.press('Tab')
        browser.settle(page)


def amount(text):
    "The amount of a cell as sao shows it (en-US, maybe a symbol)."
    return Decimal(text.strip().lstrip('£').replace(',', ''))


def test_accountant_rollforward(page, trytond_server):
    """The demo sold Jane's six physiotherapy sessions (two used) and Tom's
    massage 5+1 (one used) today, other tests may have redeemed or enrolled
    members since.  The accountant opens the roll-forward of this month and
    reads, per template and plan, the closing net balance the packs and the
    membership fees hold, and in total the ledger's net balance (contract
    liability less breakage accrual), with the accrual's own column."""
    today = dt.date.today()
    start = today.replace(day=1)
    end = today.replace(day=calendar.monthrange(today.year, today.month)[1])
    ledger = ledger_liability(trytond_server, end)
    packs = packs_remaining(trytond_server)
    fees = membership_fees(trytond_server, end)
    assert set(packs) >= {
        '6 physiotherapy sessions', 'Massage: buy 5 get 1 free'}
    assert ledger == sum(packs.values()) + sum(fees.values())

    # Wide enough for every column of the roll-forward in the screenshot
    # once the menu is folded away.
    page.set_viewport_size({'width': 2200, 'height': 800})
    browser.login(page, trytond_server, *browser.ACCOUNTANT)
    tab = open_report(
        page, 'Clinic Packs', 'Accounting', 'Contract Liability Roll-forward')
    set_dates(tab, page, from_date=start, to_date=end)
    rows = browser.all_rows(page)
    expect(rows).to_have_count(len(packs) + len(fees))
    browser.settle(page)

    header = browser.active_tab(page).locator('.treeview thead th')
    names = [t.strip() for t in header.all_inner_texts()]
    column = names.index('Closing')
    assert 'Breakage Accrued' in names
    by_template, by_plan = {}, {}
    for row in rows.all():
        cells = [c.strip() for c in row.locator('td').all_inner_texts()]
        template = cells[names.index('Pack Template')]
        plan = cells[names.index('Membership Plan')]
        if template:
            by_template[template] = amount(cells[column])
        else:
            by_plan[plan] = amount(cells[column])
    assert by_template == packs
    assert by_plan == fees

    browser.toggle_menu(page)
    # The footer sums the column: the selected rows, then all of them.
    footer = browser.active_tab(page).locator(
        '.treeview tfoot th, .treeview tfoot td').nth(column)
    selected, total = footer.inner_text().strip().split('\n')[-2:]
    assert amount(total) == ledger
    browser.screenshot(page, 'rollforward')
