# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The web client end to end: log in, open the pack templates, create one."""
from decimal import Decimal

from playwright.sync_api import expect

from . import browser


def test_create_pack_template(page, trytond_server):
    "An administrator creates a pack template through the sao form."
    browser.login(page, trytond_server)
    browser.open_menu(page, 'Clinic Packs', 'Pack Templates')
    # The demo clinic's templates are listed.
    for name in ['6 physiotherapy sessions', 'Massage: buy 5 get 1 free']:
        expect(browser.list_row(page, name)).to_have_count(1)

    browser.new_record(page)
    browser.fill_char(page, 'name', '10 physio sessions')
    product = browser.fill_many2one(page, 'product', '10 Physio sessions pack')
    assert product == '[PACK-PHYSIO10] 10 Physio sessions pack'
    browser.fill_number(page, 'quantity', 10)
    browser.fill_number(page, 'validity_months', 12)
    template_id = browser.save(page)

    browser.switch_view(page)
    row = browser.list_row(page, '10 physio sessions')
    expect(row).to_have_count(1)
    cells = row.locator('td').all_inner_texts()
    assert [c.strip() for c in cells[2:6]] == [
        '10 physio sessions', '[PACK-PHYSIO10] 10 Physio sessions pack',
        'Sessions', '10']
    browser.screenshot(page, 'spine-templates')

    assert trytond_server.query(
        "SELECT t.id, t.quantity, t.bonus_quantity, t.unit, "
        "t.validity_months, t.grace_days, t.refund_policy, pt.name "
        "FROM clinic_pack_template AS t "
        "JOIN product_product AS p ON p.id = t.product "
        "JOIN product_template AS pt ON pt.id = p.template "
        "WHERE t.name = %s", ('10 physio sessions',)) == [
        (template_id, Decimal('10'), Decimal('0'), 'session', 12, 0,
            'pro_rata', '10 Physio sessions pack')]
