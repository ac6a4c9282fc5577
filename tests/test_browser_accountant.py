# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The accountant reconciles the contract liability and reads the pack
balances in the web client, as the demo's accountant user, on a 1280 px
wide screen."""
import datetime as dt
from decimal import Decimal

from playwright.sync_api import expect

from . import browser
from .rpc import SPARE_BALANCE_ACCOUNT, Client
from .test_browser_rollforward import open_report

# The contract liability account alone (credit - debit).
LIABILITY = (
    "SELECT COALESCE(SUM(l.credit - l.debit), 0) "
    "FROM account_move_line AS l "
    "JOIN account_move AS m ON m.id = l.move "
    "JOIN account_configuration_pack_account AS c "
    "ON c.company = m.company AND l.account = c.contract_liability_account "
    "WHERE m.date <= %s")
# The packs issued, as Pack Balances lists them.
PACKS = (
    "SELECT p.number, y.name, p.quantity, p.remaining_quantity, "
    "p.remaining_amount, COALESCE(p.breakage_accrued, 0) "
    "FROM clinic_pack AS p JOIN party_party AS y ON y.id = p.party "
    "WHERE p.state != 'draft' OR p.origin IS NOT NULL")
# The figures of the reconciliation, as its form names them.
FIGURES = [
    'ledger', 'packs', 'fees', 'exceptions', 'difference',
    'ledger_accrual', 'packs_accrual', 'accrual_exceptions',
    'accrual_difference']


def money(value):
    "An amount as the accountant's client shows it (en_GB)."
    return '£{:,.2f}'.format(value)


def units(value):
    "Whole sessions as the client shows them (the demo sells sessions)."
    assert value == value.to_integral(), value
    return '{:,}'.format(int(value))


def clipped(locator):
    """Whether the widget shows less than its text: wider content than box,
    or a box that ends past its dialog's right edge."""
    return locator.evaluate("""e => {
        const dialog = e.closest('.modal-content') || document.body;
        return e.scrollWidth > e.clientWidth
            || e.getBoundingClientRect().right
                > dialog.getBoundingClientRect().right;
    }""")


def test_accountant_reconciles_and_reads_balances(page, trytond_server):
    """The demo's ledger agrees with the packs: the reconciliation shows a
    difference of £0.00 and every figure in full at 1280 px; Pack Balances
    reads in words, one row a pack with what was bought, used and left and
    the liability it still holds, without scrolling sideways once the menu
    is folded."""
    today = dt.date.today()
    (ledger,), = trytond_server.query(LIABILITY, (today,))
    packs = trytond_server.query(PACKS)
    assert packs
    liability = sum(p[4] for p in packs)

    page.set_viewport_size({'width': 1280, 'height': 900})
    browser.login(page, trytond_server, *browser.ACCOUNTANT)
    tab = open_report(
        page, 'Clinic Packs', 'Accounting', 'Reconcile Contract Liability')
    # One row, the accountant's company, today: its main figures in the
    # list, in words.
    row, = browser.all_rows(page).all()
    header = [t.strip() for t in tab.locator(
            '.treeview thead th').all_text_contents()]
    cells = dict(zip(header, (c.strip() for c in
                row.locator('td').all_text_contents())))
    assert cells['Ledger Contract Liability'] == money(ledger)
    assert cells['Packs Liability'] == money(liability)
    assert cells['Difference'] == money(0)
    assert cells['Accrual Difference'] == money(0)
    # With the menu folded the list fits 1280 px: no sideways scrolling.
    browser.toggle_menu(page)
    assert tab.locator('.treeview').first.evaluate(
        'e => e.scrollWidth <= e.clientWidth')
    browser.toggle_menu(page)

    # Every figure in its form, none clipped.
    row.locator('td').nth(header.index('Difference')).dblclick()
    # The tab's form (its context form, above the list, has no figures).
    result = tab
    result.locator('input[name=difference]').first.wait_for()
    browser.settle(page)

    def figure(name):
        field = result.locator('input[name=%s]' % name).first
        assert not clipped(field), name
        return field.input_value()
    shown = {name: figure(name) for name in FIGURES}
    assert shown['difference'] == '0.00'
    assert shown['accrual_difference'] == '0.00'
    assert shown['ledger'] == '{:,.2f}'.format(ledger)
    assert shown['packs'] == '{:,.2f}'.format(liability)
    assert shown['exceptions'] == '0.00'
    assert Decimal(shown['ledger'].replace(',', '')) == (
        Decimal(shown['packs'].replace(',', ''))
        + Decimal(shown['fees'].replace(',', '')))
    labels = [t.strip() for t in result.locator('label').all_inner_texts()]
    for label in [
            'Ledger Contract Liability:', 'Packs Liability:',
            'Membership Fees:', 'Exceptions:', 'Difference:']:
        assert label in labels
    browser.screenshot(page, 'accountant-reconcile')

    # Its exceptions: none in the demo.
    result.get_by_role('button', name='Exceptions').click()
    browser.tab_title(page, 'Contract Liability Exceptions (%s)'
        % cells['Company'], active=True).wait_for()
    browser.active_tab(page).locator('.treeview').first.wait_for()
    browser.settle(page)
    expect(browser.all_rows(page)).to_have_count(0)

    tab = browser.open_menu(page, 'Clinic Packs', 'Accounting', 'Pack Balances')
    rows = browser.all_rows(page)
    expect(rows).to_have_count(len(packs))
    # With the menu folded the list fits 1280 px: no sideways scrolling.
    browser.toggle_menu(page)
    assert tab.locator('.treeview').first.evaluate(
        'e => e.scrollWidth <= e.clientWidth')
    header = tab.locator('.treeview thead th:visible')
    # The row selection and column chooser have no title.
    names = [n for n in (t.strip() for t in header.all_inner_texts()) if n]
    assert names == COLUMNS, names
    all_names = [t.strip() for t in tab.locator(
            '.treeview thead th').all_text_contents()]
    shown = {}
    for row in rows.all():
        for column in ['Liability', 'Breakage Accrued', 'Net Liability']:
            td = row.locator('td').nth(all_names.index(column))
            assert not clipped(td.locator('span, div, a').last), column
        cells = [c.strip() for c in row.locator('td').all_text_contents()]
        cell = dict(zip(all_names, cells))
        shown[cell['Pack']] = (
            cell['Patient'], cell['Sessions Bought'], cell['Left'],
            cell['Liability'], cell['Breakage Accrued'])
    assert shown == {
        number: (party, units(quantity), units(left), money(amount),
            money(accrued))
        for number, party, quantity, left, amount, accrued in packs}
    # Per unit, never the stored four decimals: "6", not "6.0000".
    assert not browser.four_decimals(rows)
    browser.screenshot(page, 'accountant-balances')


def test_accountant_sets_pack_opening_account(page, trytond_server):
    """Before a migration the accountant sets the pack opening balance
    account in Clinic Packs > Configuration > Pack Accounting Configuration
    (the message on missing pack accounts names that path), and can empty
    it again."""
    (company,), = trytond_server.query(
        "SELECT company FROM account_configuration_pack_account "
        "WHERE contract_liability_account IS NOT NULL")
    (account, name), = trytond_server.query(
        SPARE_BALANCE_ACCOUNT, {'company': company})
    setting = (
        "SELECT pack_opening_account FROM account_configuration_pack_account "
        "WHERE company = %s")
    assert trytond_server.query(setting, (company,)) == [(None,)]

    browser.login(page, trytond_server, *browser.ACCOUNTANT)
    # Where the missing-accounts message sends them; of Clinic Packs >
    # Configuration, only that entry is theirs.
    tab = browser.open_menu(
        page, 'Clinic Packs', 'Configuration', 'Pack Accounting Configuration')
    expect(page.locator(
            '#menu .column-char[title="Consent Templates"]')).to_have_count(0)
    expect(tab.locator('label', has_text='Pack Opening Balance')).to_be_visible()
    assert name in browser.fill_many2one(page, 'pack_opening_account', name)
    browser.save(page)
    assert trytond_server.query(setting, (company,)) == [(account,)]
    browser.screenshot(page, 'accountant-pack-opening-account')

    # Emptied again: the other tests' packs entered by hand post nothing.
    field = tab.locator('input[name=pack_opening_account]').first
    field.fill('')
    field.press('Tab')
    browser.settle(page)
    browser.save(page)
    assert trytond_server.query(setting, (company,)) == [(None,)]


def test_accountant_posts_opening_of_early_pack(page, trytond_server):
    """A pack the front desk entered by hand before the pack opening balance
    account was set posted nothing: once the account is set, the
    accountant opens the pack and clicks Post Opening Balance, and its
    value reaches the contract liability."""
    (company, liability), = trytond_server.query(
        "SELECT company, contract_liability_account "
        "FROM account_configuration_pack_account "
        "WHERE contract_liability_account IS NOT NULL")
    (account, _), = trytond_server.query(
        SPARE_BALANCE_ACCOUNT, {'company': company})
    desk = Client(trytond_server.url, trytond_server.database).login(
        *browser.FRONT_DESK)
    (template, quantity), = trytond_server.query(
        "SELECT t.id, t.quantity FROM clinic_pack_template AS t "
        "WHERE t.name = %s", ("6 physiotherapy sessions",))
    (party,), = trytond_server.query(
        "SELECT id FROM party_party WHERE name = %s", ("Liam O'Brien",))
    (currency,), = trytond_server.query(
        "SELECT currency FROM company_company WHERE id = %s", (company,))
    pack_id, = desk.model('clinic.pack').create([{
                'company': company, 'party': party, 'template': template,
                'currency': currency, 'start_date': dt.date.today(),
                'quantity': quantity, 'amount': Decimal('180.00'),
                }])
    desk.button('clinic.pack', 'activate', [pack_id])
    pack = "SELECT number, opening_move FROM clinic_pack WHERE id = %s"
    (number, move), = trytond_server.query(pack, (pack_id,))
    assert move is None

    accountant = Client(trytond_server.url, trytond_server.database).login(
        *browser.ACCOUNTANT)
    configuration = accountant.model('account.configuration')
    configuration.write([1], {'pack_opening_account': account},
        context={'company': company})
    try:
        browser.login(page, trytond_server, *browser.ACCOUNTANT)
        tab = browser.open_menu(page, 'Clinic Packs', 'Packs')
        browser.open_row(page, number)
        tab.get_by_role('button', name='Post Opening Balance').click()
        browser.settle(page)
        (_, move), = trytond_server.query(pack, (pack_id,))
        assert trytond_server.query(
            "SELECT account, debit, credit FROM account_move_line "
            "WHERE move = %s ORDER BY debit", (move,)) == [
            (liability, Decimal('0'), Decimal('180.00')),
            (account, Decimal('180.00'), Decimal('0')),
            ]
        # Posted once: the button is gone.
        expect(tab.get_by_role(
                'button', name='Post Opening Balance')).to_have_count(0)
        browser.screenshot(page, 'accountant-post-opening-balance')
    finally:
        configuration.write([1], {'pack_opening_account': None},
            context={'company': company})


COLUMNS = [
    'Patient', 'Pack', 'Template', 'Sessions Bought', 'Used', 'Left',
    'Liability', 'Breakage Accrued', 'Net Liability', 'Expiry Date',
    'Expiry']


def test_rollforward_fits_1366(page, trytond_server):
    """On a 1366 px screen, with the menu folded, the roll-forward of this
    year shows its figures without scrolling sideways; the usually empty
    columns are in the column chooser."""
    page.set_viewport_size({'width': 1366, 'height': 768})
    browser.login(page, trytond_server, *browser.ACCOUNTANT)
    tab = open_report(
        page, 'Clinic Packs', 'Accounting', 'Contract Liability Roll-forward')
    tab.locator('.treeview tbody tr').first.wait_for()
    browser.toggle_menu(page)
    names = [n for n in (t.strip() for t in tab.locator(
                '.treeview thead th:visible').all_inner_texts()) if n]
    assert names == [
        'Pack Template', 'Membership Plan', 'Opening', 'Billings',
        'Cancellations', 'Service Revenue', 'Breakage Accrued', 'Breakage',
        'Refunds', 'Closing'], names
    assert tab.locator('.treeview').first.evaluate(
        'e => e.scrollWidth <= e.clientWidth')
    all_names = [t.strip() for t in tab.locator(
            '.treeview thead th').all_text_contents()]
    for row in tab.locator('.treeview tbody tr').all():
        for column in names[2:]:
            td = row.locator('td').nth(all_names.index(column))
            assert not clipped(td.locator('span, div, a').last), column
    browser.screenshot(page, 'accountant-rollforward-1366')
