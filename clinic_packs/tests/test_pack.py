# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Bad requests on packs, redemptions and pack invoices write nothing.

Each test makes one bad request, checks the exact message and then reads the
records back in the same transaction: a partial write would show even though
the request's transaction is rolled back in production.
"""
import datetime as dt
from decimal import Decimal

from trytond.modules.clinic_packs import compat
from trytond.modules.clinic_packs.exceptions import (
    PackAccessError, PackError, RedemptionError)
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from .unit import START, ClinicTestCase

GRACE_END = dt.date(2025, 7, 23)
CREDIT_DATE = dt.date(2025, 2, 1)


class PackTestCase(ClinicTestCase):
    "Test bad input on packs, redemptions and invoices"

    def redemption(self, clinic, pack, product=None, date=None, quantity=1,
            do=False, **values):
        "Create a draft redemption of physio from pack; do it if told."
        pool = Pool()
        Redemption = pool.get('clinic.pack.redemption')
        redemption = Redemption(pack=pack, party=pack.party,
            company=pack.company, product=product or clinic.physio,
            date=date or dt.date(2025, 1, 15), quantity=quantity, **values)
        redemption.save()
        if do:
            Redemption.do([redemption])
        return redemption

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
        with self.assertRaisesMessage(RedemptionError, message):
            Redemption.do([redemption])
        self.assertNotDone(redemption)

    def assertUntouched(self, pack, quantity=6, amount='275.00',
            state='active'):
        "Assert pack is still as issued, nothing redeemed."
        self.assertPack(pack, state=state,
            redeemed_quantity=0, remaining_quantity=quantity,
            remaining_amount=Decimal(amount))

    def invoice(self, clinic, party, product, quantity=1, unit_price=None,
            pack=None, date=START):
        "Return a saved draft customer invoice of product."
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Line = pool.get('account.invoice.line')
        company = clinic.company
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
            line.unit_price = Decimal(
                unit_price or compat.list_price(product))
        invoice.lines = [line]
        invoice.save()
        return invoice

    def sell(self, clinic, template='sessions', party=None, quantity=1):
        "Post an invoice selling template; return the invoice and packs."
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Pack = pool.get('clinic.pack')
        template = clinic.templates[template]
        invoice = self.invoice(clinic, party or clinic.jane,
            template.product, quantity=quantity)
        Invoice.post([invoice])
        line, = invoice.lines
        packs = Pack.search([('origin', '=', str(line))],
            order=[('id', 'ASC')])
        return invoice, packs

    def credit(self, invoice):
        "Credit invoice on CREDIT_DATE; return the draft note and its line."
        pool = Pool()
        Invoice = pool.get('account.invoice')
        credit_note, = Invoice.credit([invoice], invoice_date=CREDIT_DATE)
        line, = credit_note.lines
        return credit_note, line

    def assertInvoiceRefused(self, invoice, message):
        "Assert posting invoice raises message and leaves it a draft."
        pool = Pool()
        Invoice = pool.get('account.invoice')
        state = invoice.state
        with self.assertRaisesMessage(PackError, message):
            Invoice.post([invoice])
        invoice = Invoice(invoice.id)
        self.assertEqual(
            (invoice.state, invoice.number, invoice.move),
            (state, None, None))

    def assertCreditUsedRefused(self, credit_note, line, pack):
        "Assert crediting line of the sale of pack is refused: it was used."
        self.assertInvoiceRefused(credit_note,
            'You cannot credit invoice line "%s": pack "%s" has been '
            'used; refund the pack instead.'
            % (line.rec_name, pack.number))

    @with_transaction()
    def test_redeem_zero(self):
        "Redeem zero sessions is refused"
        with self.clinic() as clinic:
            pack = self.issue(clinic)
            redemption = self.redemption(clinic, pack, quantity=0)

            self.assertRefused(redemption,
                'The quantity redeemed from pack "%s" must be greater than '
                'zero.' % pack.number)
            self.assertUntouched(pack)

    @with_transaction()
    def test_redeem_negative(self):
        "Redeem a negative quantity is refused"
        with self.clinic() as clinic:
            pack = self.issue(clinic)
            self.redemption(clinic, pack, do=True)
            redemption = self.redemption(clinic, pack, quantity=-1)

            self.assertRefused(redemption,
                'The quantity redeemed from pack "%s" must be greater than '
                'zero.' % pack.number)
            self.assertPack(pack, redeemed_quantity=1, remaining_quantity=5,
                remaining_amount=Decimal('229.17'))

    @with_transaction()
    def test_redeem_before_start(self):
        "Redeem before the pack starts is refused"
        with self.clinic() as clinic:
            pack = self.issue(clinic)
            redemption = self.redemption(
                clinic, pack, date=dt.date(2025, 1, 9))

            self.assertRefused(redemption,
                'Pack "%s" cannot be redeemed on 2025-01-09: it is valid '
                'from 2025-01-10 until 2025-07-23.' % pack.number)
            self.assertUntouched(pack)

    @with_transaction()
    def test_redeem_after_grace(self):
        "Redeem after the grace period is refused, even before the cron"
        with self.clinic() as clinic:
            pack = self.issue(clinic)
            redemption = self.redemption(
                clinic, pack, date=dt.date(2025, 7, 24))

            self.assertRefused(redemption,
                'Pack "%s" cannot be redeemed on 2025-07-24: it is valid '
                'from 2025-01-10 until 2025-07-23.' % pack.number)
            self.assertUntouched(pack)

            # The last day of grace is still accepted.
            redemption = self.redemption(
                clinic, pack, date=GRACE_END, do=True)
            self.assertEqual(redemption.amount, Decimal('45.83'))

    @with_transaction()
    def test_redeem_ineligible_service(self):
        "Redeem a service the template does not cover is refused"
        with self.clinic() as clinic:
            pack = self.issue(clinic)
            redemption = self.redemption(clinic, pack, product=clinic.massage)

            self.assertRefused(redemption,
                'Pack "%s" cannot pay for "Sports massage": the service is '
                'not eligible.' % pack.number)
            self.assertUntouched(pack)

    @with_transaction()
    def test_redeem_wrong_patient(self):
        "Redeem for a patient the pack no longer belongs to is refused"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        with self.clinic() as clinic:
            pack = self.issue(clinic, template='gift')
            redemption = self.redemption(clinic, pack)
            Pack.transfer_to([pack], clinic.joe, "Gift to her brother")

            self.assertRefused(redemption,
                'Pack "%s" does not belong to Jane Doe.' % pack.number)
            self.assertUntouched(pack)
            self.assertPack(pack, party=clinic.joe)

    @with_transaction()
    def test_redeem_exhausted(self):
        "Redeem from an exhausted pack is refused"
        with self.clinic() as clinic:
            pack = self.issue(clinic)
            self.redemption(clinic, pack, quantity=6, do=True)
            redemption = self.redemption(clinic, pack)

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
        with self.clinic() as clinic:
            pack = self.issue(clinic)
            redemption = self.redemption(clinic, pack)
            Pack.cancel([pack])

            self.assertRefused(redemption,
                'You cannot redeem from pack "%s" because it is Cancelled.'
                % pack.number)
            self.assertPack(pack, state='cancelled', redeemed_quantity=0,
                remaining_quantity=0, remaining_amount=Decimal('0.00'))

    @with_transaction()
    def test_redeem_draft(self):
        "Redeem from a pack not yet active is refused"
        with self.clinic() as clinic:
            pack = self.issue(clinic, activate=False)
            redemption = self.redemption(clinic, pack)

            self.assertRefused(redemption,
                'You cannot redeem from pack "%s" because it is Draft.'
                % pack.number)
            self.assertPack(pack, state='draft', redeemed_quantity=0)

    @with_transaction()
    def test_redeem_too_much(self):
        "Redeem more than is left is refused"
        with self.clinic() as clinic:
            pack = self.issue(clinic)
            self.redemption(clinic, pack, quantity=4, do=True)
            redemption = self.redemption(clinic, pack, quantity=3)

            self.assertRefused(redemption,
                'You cannot redeem 3 from pack "%s": only 2 left.'
                % pack.number)
            # 4 × 45.8333... = 183.33 drawn.
            self.assertPack(pack, state='active', redeemed_quantity=4,
                remaining_quantity=2, remaining_amount=Decimal('91.67'))

    @with_transaction()
    def test_redeem_batch_all_or_nothing(self):
        "A batch with one bad redemption draws nothing"
        pool = Pool()
        Redemption = pool.get('clinic.pack.redemption')
        with self.clinic() as clinic:
            pack = self.issue(clinic)
            good = self.redemption(clinic, pack, quantity=2)
            bad = self.redemption(clinic, pack, quantity=5,
                date=dt.date(2025, 1, 20))

            with self.assertRaisesMessage(RedemptionError,
                    'You cannot redeem 5 from pack "%s": only 4 left.'
                    % pack.number):
                Redemption.do([good, bad])
            self.assertNotDone(good)
            self.assertNotDone(bad)
            self.assertUntouched(pack)

    @with_transaction()
    def test_redeem_outside_funder_dates(self):
        "Redeem outside the dates the funder approved is refused"
        with self.clinic() as clinic:
            pack = self.issue(clinic, quantity=Decimal(6),
                amount='480.00', funder=clinic.ndis,
                funder_reference="NDIS-430-118",
                funder_start_date=dt.date(2025, 2, 1),
                funder_end_date=dt.date(2025, 4, 30))

            for date in [dt.date(2025, 1, 31), dt.date(2025, 5, 1)]:
                with self.subTest(date=date):
                    redemption = self.redemption(clinic, pack, date=date)
                    self.assertRefused(redemption,
                        'Pack "%s" cannot be redeemed on %s: NDIS Plan '
                        'Manager approved it from 2025-02-01 until '
                        '2025-04-30.' % (pack.number, date))
            self.assertUntouched(pack, amount='480.00')

    @with_transaction()
    def test_redeem_beyond_funder_cap(self):
        "Redeem more than the funder approved is refused"
        with self.clinic() as clinic:
            # Four of the ten sessions referred were used elsewhere.
            pack = self.issue(clinic, quantity=Decimal(6),
                amount='480.00', funder=clinic.ndis)
            self.redemption(clinic, pack, quantity=5, do=True)
            redemption = self.redemption(clinic, pack, quantity=2)

            self.assertRefused(redemption,
                'You cannot redeem 2 from pack "%s": NDIS Plan Manager '
                'approved only 1 more.' % pack.number)
            self.assertPack(pack, redeemed_quantity=5, remaining_quantity=1,
                remaining_amount=Decimal('80.00'))

    @with_transaction()
    def test_redeem_hours_without_time_unit(self):
        "Redeem from an hours pack in a unit that is not time is refused"
        with self.clinic() as clinic:
            pack = self.issue(clinic, template='hours', amount='500.00')
            redemption = self.redemption(clinic, pack,
                product=clinic.massage, uom=clinic.unit)

            self.assertRefused(redemption,
                'Pack "%s" counts hours: give the duration in a time unit, '
                'not "Unit".' % pack.number)
            self.assertUntouched(pack, quantity=10, amount='500.00')

    @with_transaction()
    def test_write_done_redemption(self):
        "A done redemption cannot be changed"
        pool = Pool()
        Redemption = pool.get('clinic.pack.redemption')
        with self.clinic() as clinic:
            pack = self.issue(clinic)
            redemption = self.redemption(clinic, pack, do=True)

            for values in [{'quantity': 2}, {'date': dt.date(2025, 1, 16)},
                    {'product': clinic.massage.id}]:
                with self.subTest(values=values):
                    with self.assertRaisesMessage(PackAccessError,
                            'You cannot change redemption "%s @ 2025-01-15" '
                            'once done; cancel it instead.' % pack.number):
                        Redemption.write([redemption], values)
            redemption = Redemption(redemption.id)
            self.assertEqual(
                (redemption.state, redemption.quantity, redemption.date,
                    redemption.product, redemption.amount),
                ('done', 1, dt.date(2025, 1, 15), clinic.physio,
                    Decimal('45.83')))
            self.assertPack(pack, redeemed_quantity=1,
                remaining_amount=Decimal('229.17'))

    @with_transaction()
    def test_delete_done_redemption(self):
        "A done redemption cannot be deleted"
        pool = Pool()
        Redemption = pool.get('clinic.pack.redemption')
        with self.clinic() as clinic:
            pack = self.issue(clinic)
            redemption = self.redemption(clinic, pack, do=True)

            with self.assertRaisesMessage(PackAccessError,
                    'You cannot delete redemption "%s @ 2025-01-15" once '
                    'done; cancel it instead.' % pack.number):
                Redemption.delete([redemption])
            self.assertEqual(
                Redemption.search([('pack', '=', pack.id)]), [redemption])
            self.assertPack(pack, redeemed_quantity=1,
                remaining_amount=Decimal('229.17'))

    @with_transaction()
    def test_delete_active_pack(self):
        "An active pack cannot be deleted"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        with self.clinic() as clinic:
            pack = self.issue(clinic)

            with self.assertRaisesMessage(PackAccessError,
                    'You cannot delete pack "%s": only draft packs entered '
                    'by hand can be deleted; cancel it instead.'
                    % pack.number):
                Pack.delete([pack])
            self.assertEqual(Pack.search([]), [pack])
            self.assertUntouched(pack)

    @with_transaction()
    def test_change_active_pack_balance(self):
        "The quantity and amount of an active pack cannot be changed"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        with self.clinic() as clinic:
            pack = self.issue(clinic)

            # Only Extend (extend_expiry) and set_issue_price change them.
            for values, field in [({'quantity': Decimal(8)}, "Quantity"),
                    ({'amount': Decimal('300.00')}, "Amount")]:
                with self.subTest(values=values), \
                        Transaction().set_context(_check_access=True):
                    with self.assertRaisesMessage(PackAccessError,
                            'You cannot change "%s" of "%s" because it is '
                            'Active.' % (field, pack.number)):
                        Pack.write([pack], values)
            self.assertPack(pack, quantity=6, amount=Decimal('275.00'))
            self.assertUntouched(pack)

            # A draft's custom starting balance can change.
            draft = self.issue(clinic, activate=False)
            Pack.write([draft], {'quantity': Decimal(4)})
            self.assertPack(draft, quantity=4, remaining_quantity=4)

    @with_transaction()
    def test_cancel_used_pack(self):
        "A pack with sessions used cannot be cancelled"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        with self.clinic() as clinic:
            pack = self.issue(clinic)
            self.redemption(clinic, pack, do=True)

            with self.assertRaisesMessage(PackError,
                    'You cannot cancel pack "%s" because units have been '
                    'redeemed from it; refund it instead.' % pack.number):
                Pack.cancel([pack])
            self.assertPack(pack, state='active', redeemed_quantity=1,
                remaining_quantity=5, remaining_amount=Decimal('229.17'))

    @with_transaction()
    def test_cancel_redemption_of_merged_pack(self):
        "A redemption of a pack merged into another cannot be cancelled"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        Redemption = pool.get('clinic.pack.redemption')
        with self.clinic() as clinic:
            first = self.issue(clinic)
            second = self.issue(clinic)
            redemption = self.redemption(clinic, first, do=True)
            merged = Pack.merge([first, second], reason="One course")

            with self.assertRaisesMessage(RedemptionError,
                    'You cannot cancel redemption "%s @ 2025-01-15" because '
                    'pack "%s" is Merged.' % (first.number, first.number)):
                Redemption.cancel([redemption])
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
        with self.clinic(accounting=True) as clinic:
            invoice, (pack,) = self.sell(clinic)

            with self.assertRaisesMessage(PackError,
                    'To cancel pack "%s", credit its invoice "%s" so that '
                    'the receivable is cancelled too.'
                    % (pack.number, invoice.number)):
                Pack.cancel([pack])
            self.assertUntouched(pack)

    @with_transaction()
    def test_invoice_fractional_pack_quantity(self):
        "Selling half a pack is refused before the invoice is posted"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        with self.clinic(accounting=True) as clinic:
            template = clinic.templates['block']
            invoice = self.invoice(clinic, clinic.jane, template.product,
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
        with self.clinic(accounting=True) as clinic:
            pack = self.issue(clinic, party=clinic.joe)
            invoice = self.invoice(clinic, clinic.jane, clinic.physio,
                pack=pack)
            line, = invoice.lines

            self.assertInvoiceRefused(invoice,
                'Invoice line "%s" is covered by pack "%s", which belongs '
                'to another patient.' % (line.rec_name, pack.number))
            self.assertUntouched(pack)

    @with_transaction()
    def test_credit_used_pack_sale(self):
        "The sale of a used pack cannot be credited"
        with self.clinic(accounting=True) as clinic:
            invoice, (pack,) = self.sell(clinic)
            self.redemption(clinic, pack, do=True)
            credit_note, line = self.credit(invoice)

            self.assertCreditUsedRefused(credit_note, line, pack)
            self.assertPack(pack, state='active', redeemed_quantity=1,
                remaining_amount=Decimal('229.17'))

    @with_transaction()
    def test_credit_exhausted_pack_sale(self):
        "The sale of a fully used pack cannot be credited"
        with self.clinic(accounting=True) as clinic:
            invoice, (pack,) = self.sell(clinic)
            self.redemption(clinic, pack, quantity=6, do=True)
            credit_note, line = self.credit(invoice)

            self.assertCreditUsedRefused(credit_note, line, pack)
            self.assertPack(pack, state='exhausted', redeemed_quantity=6,
                remaining_amount=Decimal('0.00'))

    @with_transaction()
    def test_credit_refunded_pack_sale(self):
        "The sale of a refunded pack cannot be credited again"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        with self.clinic(accounting=True) as clinic:
            invoice, (pack,) = self.sell(clinic)
            Pack.refund_packs([pack], "Moving abroad")
            credit_note, line = self.credit(invoice)

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
        with self.clinic(accounting=True) as clinic:
            invoice, (first, second) = self.sell(clinic, quantity=2)
            self.redemption(clinic, first, do=True)
            credit_note, line = self.credit(invoice)
            self.assertEqual(line.quantity, -2)

            # Both cannot be credited: one was used.
            self.assertCreditUsedRefused(credit_note, line, first)
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
