# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Bad requests on packs, redemptions and pack invoices write nothing.

Each test makes one bad request, checks the exact message and then reads the
records back in the same transaction: a partial write would show even though
the request's transaction is rolled back in production.
"""
import datetime as dt
import unittest
from decimal import Decimal

from trytond.modules.account.tests import create_chart, get_fiscalyear
from trytond.modules.account_invoice.tests import set_invoice_sequences
from trytond.modules.clinic_packs.exceptions import (
    PackAccessError, PackError, RedemptionError)
from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    activate_module, drop_db, with_transaction)

START = dt.date(2025, 1, 10)
EXPIRY = dt.date(2025, 7, 9)
GRACE_END = dt.date(2025, 7, 23)
CREDIT_DATE = dt.date(2025, 2, 1)


class PackTestCase(unittest.TestCase):
    "Test bad input on packs, redemptions and invoices"

    @classmethod
    def setUpClass(cls):
        drop_db()
        activate_module('clinic_packs')
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        drop_db()

    def setup_clinic(self, company, accounting=False):
        """Create services, templates and two patients.

        With accounting, also a chart, a fiscal year and product categories
        with accounts, to post invoices.
        """
        pool = Pool()
        Party = pool.get('party.party')
        Address = pool.get('party.address')
        Uom = pool.get('product.uom')
        Category = pool.get('product.category')
        ProductTemplate = pool.get('product.template')
        Template = pool.get('clinic.pack.template')
        Account = pool.get('account.account')
        FiscalYear = pool.get('account.fiscalyear')

        category_values = {}
        if accounting:
            create_chart(company)
            # Refunds are dated today.
            for year in sorted({START.year, dt.date.today().year}):
                fiscalyear = get_fiscalyear(
                    company, today=dt.date(year, 1, 1))
                fiscalyear.invoice_sequences = []
                fiscalyear.save()
                set_invoice_sequences(fiscalyear)
                FiscalYear.create_period([fiscalyear])
            revenue, = Account.search([
                    ('type.revenue', '=', True),
                    ('company', '=', company.id),
                    ], limit=1)
            expense, = Account.search([
                    ('type.expense', '=', True),
                    ('company', '=', company.id),
                    ], limit=1)
            category_values = {
                'accounting': True,
                'account_revenue': revenue.id,
                'account_expense': expense.id,
                }
        physio_category = Category(name="Physiotherapy", **category_values)
        massage_category = Category(name="Massage", **category_values)
        Category.save([physio_category, massage_category])

        unit, = Uom.search([('name', '=', 'Unit')])
        hour, = Uom.search([('name', '=', 'Hour')])

        def service(name, price, category, uom=unit):
            values = {
                'name': name,
                'type': 'service',
                'default_uom': uom.id,
                'list_price': Decimal(price),
                'categories': [('add', [category.id])],
                'products': [('create', [{}])],
                }
            if accounting:
                values['account_category'] = category.id
            template, = ProductTemplate.create([values])
            return template.products[0]

        self.physio = service("Physiotherapy session", '50.00',
            physio_category)
        self.massage = service("Sports massage", '45.00', massage_category)
        self.massage_hour = service("Massage time", '60.00',
            massage_category, hour)
        self.unit, self.hour = unit, hour

        def template(name, price='275.00', quantity=6, uom=unit, **values):
            record = Template(name=name, company=company,
                product=service(name, price, physio_category, uom),
                quantity=Decimal(quantity), validity_months=6,
                grace_days=14, **values)
            record.save()
            return record

        self.templates = {
            'sessions': template("6 sessions", services=[self.physio]),
            'gift': template("6 sessions, gift", services=[self.physio],
                transferable=True),
            'hours': template("10 massage hours", price='500.00',
                quantity=10, unit='hour',
                service_categories=[massage_category]),
            'block': template("Hydrotherapy block", price='300.00',
                quantity=5, uom=hour),
            }
        self.jane = Party(name="Jane Doe", addresses=[Address()])
        self.joe = Party(name="Joe Bloggs", addresses=[Address()])
        self.ndis = Party(name="NDIS Plan Manager", addresses=[Address()])
        Party.save([self.jane, self.joe, self.ndis])

    def issue(self, company, template='sessions', party=None,
            amount='275.00', activate=True, **values):
        "Issue a pack by hand; activate it unless told otherwise."
        pool = Pool()
        Pack = pool.get('clinic.pack')
        template = self.templates[template]
        values.setdefault('expiry_date', EXPIRY)
        values.setdefault('quantity', template.total_quantity)
        pack = Pack(company=company, currency=company.currency,
            party=party or self.jane, template=template, start_date=START,
            amount=Decimal(amount), **values)
        pack.save()
        if activate:
            Pack.activate([pack])
        return pack

    def redemption(self, pack, product=None, date=None, quantity=1,
            do=False, **values):
        "Create a draft redemption from pack; do it if told."
        pool = Pool()
        Redemption = pool.get('clinic.pack.redemption')
        redemption = Redemption(pack=pack, party=pack.party,
            company=pack.company, product=product or self.physio,
            date=date or dt.date(2025, 1, 15), quantity=quantity, **values)
        redemption.save()
        if do:
            Redemption.do([redemption])
        return redemption

    def assertPack(self, pack, **values):
        "Assert the stored pack has values."
        pool = Pool()
        Pack = pool.get('clinic.pack')
        pack = Pack(pack.id)
        for name, value in values.items():
            self.assertEqual(getattr(pack, name), value, msg=name)

    def assertNotDone(self, redemption):
        "Assert the stored redemption was not done."
        pool = Pool()
        Redemption = pool.get('clinic.pack.redemption')
        redemption = Redemption(redemption.id)
        self.assertEqual(
            (redemption.state, redemption.units, redemption.amount,
                redemption.sequence_label),
            ('draft', None, None, None))

    def assertRefused(self, redemption, message):
        "Assert doing redemption raises message and writes nothing."
        pool = Pool()
        Redemption = pool.get('clinic.pack.redemption')
        with self.assertRaises(RedemptionError) as cm:
            Redemption.do([redemption])
        self.assertEqual(cm.exception.message, message)
        self.assertNotDone(redemption)

    def assertUntouched(self, pack, quantity=6, amount='275.00',
            state='active'):
        "Assert pack is still as issued, nothing redeemed."
        self.assertPack(pack, state=state,
            redeemed_quantity=0, remaining_quantity=quantity,
            remaining_amount=Decimal(amount))

    def invoice(self, company, party, product, quantity=1, unit_price=None,
            pack=None, date=START):
        "Return a saved draft customer invoice of product."
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Line = pool.get('account.invoice.line')
        invoice = Invoice(type='out', company=company,
            currency=company.currency, party=party, invoice_date=date)
        invoice.on_change_type()
        line = Line(type='line', company=company, currency=company.currency,
            invoice_type='out', party=party, product=product,
            quantity=quantity)
        line.on_change_product()
        if pack is not None:
            line.pack = pack
            line.on_change_pack()
        else:
            line.unit_price = Decimal(unit_price or product.list_price)
        invoice.lines = [line]
        invoice.save()
        return invoice

    def sell(self, company, template='sessions', party=None, quantity=1):
        "Post an invoice selling template; return the invoice and packs."
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Pack = pool.get('clinic.pack')
        template = self.templates[template]
        invoice = self.invoice(company, party or self.jane, template.product,
            quantity=quantity)
        Invoice.post([invoice])
        line, = invoice.lines
        packs = Pack.search([('origin', '=', str(line))],
            order=[('id', 'ASC')])
        return invoice, packs

    def assertInvoiceRefused(self, invoice, message):
        "Assert posting invoice raises message and leaves it a draft."
        pool = Pool()
        Invoice = pool.get('account.invoice')
        state = invoice.state
        with self.assertRaises(PackError) as cm:
            Invoice.post([invoice])
        self.assertEqual(cm.exception.message, message)
        invoice = Invoice(invoice.id)
        self.assertEqual(
            (invoice.state, invoice.number, invoice.move),
            (state, None, None))

    @with_transaction()
    def test_redeem_zero(self):
        "Redeem zero sessions is refused"
        company = create_company()
        with set_company(company):
            self.setup_clinic(company)
            pack = self.issue(company)
            redemption = self.redemption(pack, quantity=0)

            self.assertRefused(redemption,
                'The quantity redeemed from pack "%s" must be greater than '
                'zero.' % pack.number)
            self.assertUntouched(pack)

    @with_transaction()
    def test_redeem_negative(self):
        "Redeem a negative quantity is refused"
        company = create_company()
        with set_company(company):
            self.setup_clinic(company)
            pack = self.issue(company)
            self.redemption(pack, do=True)
            redemption = self.redemption(pack, quantity=-1)

            self.assertRefused(redemption,
                'The quantity redeemed from pack "%s" must be greater than '
                'zero.' % pack.number)
            self.assertPack(pack, redeemed_quantity=1, remaining_quantity=5,
                remaining_amount=Decimal('229.17'))

    @with_transaction()
    def test_redeem_before_start(self):
        "Redeem before the pack starts is refused"
        company = create_company()
        with set_company(company):
            self.setup_clinic(company)
            pack = self.issue(company)
            redemption = self.redemption(pack, date=dt.date(2025, 1, 9))

            self.assertRefused(redemption,
                'Pack "%s" cannot be redeemed on 2025-01-09: it is valid '
                'from 2025-01-10 until 2025-07-23.' % pack.number)
            self.assertUntouched(pack)

    @with_transaction()
    def test_redeem_after_grace(self):
        "Redeem after the grace period is refused, even before the cron"
        company = create_company()
        with set_company(company):
            self.setup_clinic(company)
            pack = self.issue(company)
            redemption = self.redemption(pack, date=dt.date(2025, 7, 24))

            self.assertRefused(redemption,
                'Pack "%s" cannot be redeemed on 2025-07-24: it is valid '
                'from 2025-01-10 until 2025-07-23.' % pack.number)
            self.assertUntouched(pack)

            # The last day of grace is still accepted.
            redemption = self.redemption(pack, date=GRACE_END, do=True)
            self.assertEqual(redemption.amount, Decimal('45.83'))

    @with_transaction()
    def test_redeem_ineligible_service(self):
        "Redeem a service the template does not cover is refused"
        company = create_company()
        with set_company(company):
            self.setup_clinic(company)
            pack = self.issue(company)
            redemption = self.redemption(pack, product=self.massage)

            self.assertRefused(redemption,
                'Pack "%s" cannot pay for "Sports massage": the service is '
                'not eligible.' % pack.number)
            self.assertUntouched(pack)

    @with_transaction()
    def test_redeem_wrong_patient(self):
        "Redeem for a patient the pack no longer belongs to is refused"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        company = create_company()
        with set_company(company):
            self.setup_clinic(company)
            pack = self.issue(company, template='gift')
            redemption = self.redemption(pack)
            Pack.transfer_to([pack], self.joe, "Gift to her brother")

            self.assertRefused(redemption,
                'Pack "%s" does not belong to Jane Doe.' % pack.number)
            self.assertUntouched(pack)
            self.assertPack(pack, party=self.joe)

    @with_transaction()
    def test_redeem_exhausted(self):
        "Redeem from an exhausted pack is refused"
        company = create_company()
        with set_company(company):
            self.setup_clinic(company)
            pack = self.issue(company)
            self.redemption(pack, quantity=6, do=True)
            redemption = self.redemption(pack)

            self.assertRefused(redemption,
                'You cannot redeem from pack "%s" because it is Exhausted.'
                % pack.number)
            self.assertPack(pack, state='exhausted', redeemed_quantity=6,
                remaining_quantity=0, remaining_amount=Decimal('0.00'))

    @with_transaction()
    def test_redeem_cancelled(self):
        "Redeem from a cancelled pack is refused"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        company = create_company()
        with set_company(company):
            self.setup_clinic(company)
            pack = self.issue(company)
            redemption = self.redemption(pack)
            Pack.cancel([pack])

            self.assertRefused(redemption,
                'You cannot redeem from pack "%s" because it is Cancelled.'
                % pack.number)
            self.assertPack(pack, state='cancelled', redeemed_quantity=0,
                remaining_quantity=0, remaining_amount=Decimal('0.00'))

    @with_transaction()
    def test_redeem_draft(self):
        "Redeem from a pack not yet active is refused"
        company = create_company()
        with set_company(company):
            self.setup_clinic(company)
            pack = self.issue(company, activate=False)
            redemption = self.redemption(pack)

            self.assertRefused(redemption,
                'You cannot redeem from pack "%s" because it is Draft.'
                % pack.number)
            self.assertPack(pack, state='draft', redeemed_quantity=0)

    @with_transaction()
    def test_redeem_too_much(self):
        "Redeem more than is left is refused"
        company = create_company()
        with set_company(company):
            self.setup_clinic(company)
            pack = self.issue(company)
            self.redemption(pack, quantity=4, do=True)
            redemption = self.redemption(pack, quantity=3)

            self.assertRefused(redemption,
                'You cannot redeem 3 from pack "%s": only 2 left.'
                % pack.number)
            # 4 × 45.8333... = 183.33 drawn.
            self.assertPack(pack, state='active', redeemed_quantity=4,
                remaining_quantity=2, remaining_amount=Decimal('91.67'))

    @with_transaction()
    def test_redeem_batch_all_or_nothing(self):
        "A batch with one bad redemption draws nothing"
        company = create_company()
        with set_company(company):
            self.setup_clinic(company)
            pack = self.issue(company)
            good = self.redemption(pack, quantity=2)
            bad = self.redemption(pack, quantity=5,
                date=dt.date(2025, 1, 20))

            pool = Pool()
            Redemption = pool.get('clinic.pack.redemption')
            with self.assertRaises(RedemptionError) as cm:
                Redemption.do([good, bad])
            self.assertEqual(cm.exception.message,
                'You cannot redeem 5 from pack "%s": only 4 left.'
                % pack.number)
            self.assertNotDone(good)
            self.assertNotDone(bad)
            self.assertUntouched(pack)

    @with_transaction()
    def test_redeem_outside_funder_dates(self):
        "Redeem outside the dates the funder approved is refused"
        company = create_company()
        with set_company(company):
            self.setup_clinic(company)
            pack = self.issue(company, quantity=Decimal(6),
                amount='480.00', funder=self.ndis,
                funder_reference="NDIS-430-118",
                funder_start_date=dt.date(2025, 2, 1),
                funder_end_date=dt.date(2025, 4, 30))

            for date in [dt.date(2025, 1, 31), dt.date(2025, 5, 1)]:
                redemption = self.redemption(pack, date=date)
                self.assertRefused(redemption,
                    'Pack "%s" cannot be redeemed on %s: NDIS Plan Manager '
                    'approved it from 2025-02-01 until 2025-04-30.'
                    % (pack.number, date))
            self.assertUntouched(pack, amount='480.00')

    @with_transaction()
    def test_redeem_beyond_funder_cap(self):
        "Redeem more than the funder approved is refused"
        company = create_company()
        with set_company(company):
            self.setup_clinic(company)
            # Four of the ten sessions referred were used elsewhere.
            pack = self.issue(company, quantity=Decimal(6),
                amount='480.00', funder=self.ndis)
            self.redemption(pack, quantity=5, do=True)
            redemption = self.redemption(pack, quantity=2)

            self.assertRefused(redemption,
                'You cannot redeem 2 from pack "%s": NDIS Plan Manager '
                'approved only 1 more.' % pack.number)
            self.assertPack(pack, redeemed_quantity=5, remaining_quantity=1,
                remaining_amount=Decimal('80.00'))

    @with_transaction()
    def test_redeem_hours_without_time_unit(self):
        "Redeem from an hours pack in a unit that is not time is refused"
        company = create_company()
        with set_company(company):
            self.setup_clinic(company)
            pack = self.issue(company, template='hours', amount='500.00')
            redemption = self.redemption(pack, product=self.massage,
                uom=self.unit)

            self.assertRefused(redemption,
                'Pack "%s" counts hours: give the duration in a time unit, '
                'not "Unit".' % pack.number)
            self.assertUntouched(pack, quantity=10, amount='500.00')

    @with_transaction()
    def test_write_done_redemption(self):
        "A done redemption cannot be changed"
        pool = Pool()
        Redemption = pool.get('clinic.pack.redemption')
        company = create_company()
        with set_company(company):
            self.setup_clinic(company)
            pack = self.issue(company)
            redemption = self.redemption(pack, do=True)

            for values in [{'quantity': 2}, {'date': dt.date(2025, 1, 16)},
                    {'product': self.massage.id}]:
                with self.assertRaises(PackAccessError) as cm:
                    Redemption.write([redemption], values)
                self.assertEqual(cm.exception.message,
                    'You cannot change redemption "%s @ 2025-01-15" once '
                    'done; cancel it instead.' % pack.number)
            redemption = Redemption(redemption.id)
            self.assertEqual(
                (redemption.state, redemption.quantity, redemption.date,
                    redemption.product, redemption.amount),
                ('done', 1, dt.date(2025, 1, 15), self.physio,
                    Decimal('45.83')))
            self.assertPack(pack, redeemed_quantity=1,
                remaining_amount=Decimal('229.17'))

    @with_transaction()
    def test_delete_done_redemption(self):
        "A done redemption cannot be deleted"
        pool = Pool()
        Redemption = pool.get('clinic.pack.redemption')
        company = create_company()
        with set_company(company):
            self.setup_clinic(company)
            pack = self.issue(company)
            redemption = self.redemption(pack, do=True)

            with self.assertRaises(PackAccessError) as cm:
                Redemption.delete([redemption])
            self.assertEqual(cm.exception.message,
                'You cannot delete redemption "%s @ 2025-01-15" once done; '
                'cancel it instead.' % pack.number)
            self.assertEqual(
                Redemption.search([('pack', '=', pack.id)]), [redemption])
            self.assertPack(pack, redeemed_quantity=1,
                remaining_amount=Decimal('229.17'))

    @with_transaction()
    def test_delete_active_pack(self):
        "An active pack cannot be deleted"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        company = create_company()
        with set_company(company):
            self.setup_clinic(company)
            pack = self.issue(company)

            with self.assertRaises(PackAccessError) as cm:
                Pack.delete([pack])
            self.assertEqual(cm.exception.message,
                'You cannot delete pack "%s": only draft packs entered by '
                'hand can be deleted; cancel it instead.' % pack.number)
            self.assertEqual(Pack.search([]), [pack])
            self.assertUntouched(pack)

    @with_transaction()
    def test_change_active_pack_balance(self):
        "The quantity and amount of an active pack cannot be changed"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        company = create_company()
        with set_company(company):
            self.setup_clinic(company)
            pack = self.issue(company)

            for values in [{'quantity': Decimal(8)},
                    {'amount': Decimal('300.00')}]:
                with self.assertRaises(PackAccessError) as cm:
                    Pack.write([pack], values)
                self.assertEqual(cm.exception.message,
                    'You cannot change the quantity or amount of pack "%s" '
                    'because it is no longer draft.' % pack.number)
            self.assertPack(pack, quantity=6, amount=Decimal('275.00'))
            self.assertUntouched(pack)

            # A draft's custom starting balance can change.
            draft = self.issue(company, activate=False)
            Pack.write([draft], {'quantity': Decimal(4)})
            self.assertPack(draft, quantity=4, remaining_quantity=4)

    @with_transaction()
    def test_cancel_used_pack(self):
        "A pack with sessions used cannot be cancelled"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        company = create_company()
        with set_company(company):
            self.setup_clinic(company)
            pack = self.issue(company)
            self.redemption(pack, do=True)

            with self.assertRaises(PackError) as cm:
                Pack.cancel([pack])
            self.assertEqual(cm.exception.message,
                'You cannot cancel pack "%s" because units have been '
                'redeemed from it; refund it instead.' % pack.number)
            self.assertPack(pack, state='active', redeemed_quantity=1,
                remaining_quantity=5, remaining_amount=Decimal('229.17'))

    @with_transaction()
    def test_cancel_redemption_of_merged_pack(self):
        "A redemption of a pack merged into another cannot be cancelled"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        Redemption = pool.get('clinic.pack.redemption')
        company = create_company()
        with set_company(company):
            self.setup_clinic(company)
            first = self.issue(company)
            second = self.issue(company)
            redemption = self.redemption(first, do=True)
            merged = Pack.merge([first, second], reason="One course")

            with self.assertRaises(RedemptionError) as cm:
                Redemption.cancel([redemption])
            self.assertEqual(cm.exception.message,
                'You cannot cancel redemption "%s @ 2025-01-15" because '
                'pack "%s" is Merged.' % (first.number, first.number))
            self.assertEqual(Redemption(redemption.id).state, 'done')
            self.assertPack(first, state='merged', redeemed_quantity=1,
                remaining_quantity=0, remaining_amount=Decimal('0.00'))
            self.assertPack(merged, state='active', remaining_quantity=11,
                remaining_amount=Decimal('504.17'))

    @with_transaction()
    def test_cancel_invoiced_pack(self):
        "A pack sold on an invoice is cancelled by crediting the invoice"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        company = create_company()
        with set_company(company):
            self.setup_clinic(company, accounting=True)
            invoice, (pack,) = self.sell(company)

            with self.assertRaises(PackError) as cm:
                Pack.cancel([pack])
            self.assertEqual(cm.exception.message,
                'To cancel pack "%s", credit its invoice "%s" so that the '
                'receivable is cancelled too.'
                % (pack.number, invoice.number))
            self.assertUntouched(pack)

    @with_transaction()
    def test_invoice_fractional_pack_quantity(self):
        "Selling half a pack is refused before the invoice is posted"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        company = create_company()
        with set_company(company):
            self.setup_clinic(company, accounting=True)
            template = self.templates['block']
            invoice = self.invoice(company, self.jane, template.product,
                quantity=1.5)
            line, = invoice.lines

            self.assertInvoiceRefused(invoice,
                'Invoice line "%s" sells pack template "Hydrotherapy '
                'block": its quantity must be a whole number.'
                % line.rec_name)
            self.assertEqual(Pack.search([]), [])

    @with_transaction()
    def test_invoice_pack_of_other_patient(self):
        "An invoice line cannot be covered by another patient's pack"
        company = create_company()
        with set_company(company):
            self.setup_clinic(company, accounting=True)
            pack = self.issue(company, party=self.joe)
            invoice = self.invoice(company, self.jane, self.physio,
                pack=pack)
            line, = invoice.lines

            self.assertInvoiceRefused(invoice,
                'Invoice line "%s" is covered by pack "%s", which belongs '
                'to another patient.' % (line.rec_name, pack.number))
            self.assertUntouched(pack)

    @with_transaction()
    def test_credit_used_pack_sale(self):
        "The sale of a used pack cannot be credited"
        pool = Pool()
        Invoice = pool.get('account.invoice')
        company = create_company()
        with set_company(company):
            self.setup_clinic(company, accounting=True)
            invoice, (pack,) = self.sell(company)
            self.redemption(pack, do=True)
            credit_note, = Invoice.credit([invoice], invoice_date=CREDIT_DATE)
            line, = credit_note.lines

            self.assertInvoiceRefused(credit_note,
                'You cannot credit invoice line "%s": pack "%s" has been '
                'used; refund the pack instead.'
                % (line.rec_name, pack.number))
            self.assertPack(pack, state='active', redeemed_quantity=1,
                remaining_amount=Decimal('229.17'))

    @with_transaction()
    def test_credit_exhausted_pack_sale(self):
        "The sale of a fully used pack cannot be credited"
        pool = Pool()
        Invoice = pool.get('account.invoice')
        company = create_company()
        with set_company(company):
            self.setup_clinic(company, accounting=True)
            invoice, (pack,) = self.sell(company)
            self.redemption(pack, quantity=6, do=True)
            credit_note, = Invoice.credit([invoice], invoice_date=CREDIT_DATE)
            line, = credit_note.lines

            self.assertInvoiceRefused(credit_note,
                'You cannot credit invoice line "%s": pack "%s" has been '
                'used; refund the pack instead.'
                % (line.rec_name, pack.number))
            self.assertPack(pack, state='exhausted', redeemed_quantity=6,
                remaining_amount=Decimal('0.00'))

    @with_transaction()
    def test_credit_refunded_pack_sale(self):
        "The sale of a refunded pack cannot be credited again"
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Pack = pool.get('clinic.pack')
        company = create_company()
        with set_company(company):
            self.setup_clinic(company, accounting=True)
            invoice, (pack,) = self.sell(company)
            Pack.refund_packs([pack], "Moving abroad")
            credit_note, = Invoice.credit([invoice], invoice_date=CREDIT_DATE)
            line, = credit_note.lines

            self.assertInvoiceRefused(credit_note,
                'You cannot credit invoice line "%s" because pack "%s" is '
                'Refunded.' % (line.rec_name, pack.number))
            self.assertPack(pack, state='refunded', redeemed_quantity=0,
                remaining_amount=Decimal('0.00'))

    @with_transaction()
    def test_credit_one_of_two_packs(self):
        "Crediting one of two packs sold on a line cancels an unused one"
        pool = Pool()
        Invoice = pool.get('account.invoice')
        company = create_company()
        with set_company(company):
            self.setup_clinic(company, accounting=True)
            invoice, (first, second) = self.sell(company, quantity=2)
            self.redemption(first, do=True)
            credit_note, = Invoice.credit([invoice], invoice_date=CREDIT_DATE)
            line, = credit_note.lines
            self.assertEqual(line.quantity, -2)

            # Both cannot be credited: one was used.
            self.assertInvoiceRefused(credit_note,
                'You cannot credit invoice line "%s": pack "%s" has been '
                'used; refund the pack instead.'
                % (line.rec_name, first.number))
            self.assertUntouched(second)

            line.quantity = -1
            line.save()
            Invoice.post([credit_note])
            self.assertPack(second, state='cancelled',
                remaining_amount=Decimal('0.00'))
            self.assertPack(first, state='active', redeemed_quantity=1)

            # Posting it again, as the host does when it processes it,
            # reverses nothing more.
            Invoice._post([Invoice(credit_note.id)])
            self.assertPack(first, state='active', redeemed_quantity=1,
                remaining_amount=Decimal('229.17'))
