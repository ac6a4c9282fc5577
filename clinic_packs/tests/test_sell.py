# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Sell Pack, the pack price on invoice lines, eligibility and the
quantities as screens show them."""
from decimal import Decimal

from trytond.modules.clinic_packs.exceptions import (
    PackError, PackValidationError)
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction

from .unit import ClinicTestCase, cash_account


class SellTestCase(ClinicTestCase):
    "Test selling packs at the desk"

    @with_transaction()
    def test_sell_wizard(self):
        "Sell Pack posts the invoice at the template's price and opens the pack"
        pool = Pool()
        Sell = pool.get('clinic.pack.sell', type='wizard')
        with self.clinic(accounting=True) as clinic:
            template = clinic.templates['sessions']
            session_id, _, _ = Sell.create()
            sell = Sell(session_id)
            sell.start.party = clinic.jane
            sell.start.template = template
            sell.start.date = None
            sell.start.on_change_template()
            self.assertEqual(sell.start.price, Decimal('275.00'))
            self.assertEqual(sell.start.units, '6 sessions')
            self.assertEqual(
                sell.start.eligible, "Physiotherapy session")

            action, _ = sell.do_sell({'views': [('list', 1), ('form', 2)]})

            pack_id, = action['res_id']
            self.assertEqual(action['views'], [('form', 2), ('list', 1)])
            pack = pool.get('clinic.pack')(pack_id)
            self.assertEqual(pack.state, 'active')
            self.assertEqual(pack.party, clinic.jane)
            self.assertEqual(pack.amount, Decimal('275.00'))
            invoice = pack.invoice
            self.assertEqual(invoice.state, 'posted')
            self.assertEqual(invoice.total_amount, Decimal('275.00'))
            line, = invoice.lines
            self.assertEqual(line.issued_packs, (pack,))
            self.assertEqual(line.pack_note,
                'Issues 1 pack(s) "6 sessions": %s' % pack.number)
            self.assertEqual(
                pool.get('clinic.pack').search([('invoice', '=', invoice.id)]),
                [pack])

    @with_transaction()
    def test_sell_take_payment(self):
        "Sell Pack takes the payment with the host's invoice payment"
        pool = Pool()
        Sell = pool.get('clinic.pack.sell', type='wizard')
        Journal = pool.get('account.journal')
        Method = pool.get('account.invoice.payment.method')
        Line = pool.get('account.move.line')
        Invoice = pool.get('account.invoice')
        with self.clinic(accounting=True) as clinic:
            session_id, _, _ = Sell.create()
            sell = Sell(session_id)
            self.assertFalse(sell.default_start([])['can_take_payment'])
            journal, = Journal.search([('type', '=', 'cash')], limit=1)
            cash = cash_account(clinic.company)
            method = Method(name="Card", company=clinic.company,
                journal=journal, credit_account=cash, debit_account=cash)
            method.save()
            start = sell.default_start([])
            self.assertEqual(
                (start['can_take_payment'], start['take_payment'],
                    start['in_person']), (True, False, True))
            sell.start.party = clinic.jane
            sell.start.template = clinic.templates['sessions']
            sell.start.take_payment = True
            sell.start.in_person = True
            sell.start.payment_method = None

            counts = (Invoice.search_count([]), Line.search_count([]))
            with self.assertRaises(PackError) as refusal:
                sell.do_sell({'views': [('list', 1), ('form', 2)]})
            self.assertEqual(refusal.exception.message,
                'To take the payment for "6 sessions" now, choose a payment '
                'method of its company.')
            self.assertEqual(
                (Invoice.search_count([]), Line.search_count([])), counts)

            sell.start.payment_method = method
            action, _ = sell.do_sell({'views': [('list', 1), ('form', 2)]})

            pack = pool.get('clinic.pack')(action['res_id'][0])
            invoice = pack.invoice
            self.assertEqual(
                (invoice.state, invoice.total_amount, invoice.amount_to_pay,
                    invoice.reconciled is not None,
                    invoice.first_payment_in_person),
                ('posted', Decimal('275.00'), Decimal('0'), True, True))
            # The reconciliation queues the host's Invoice.process, which
            # runs when the transaction commits: it makes the invoice paid.
            Invoice.process([invoice])
            self.assertEqual(Invoice(invoice.id).state, 'paid')
            payment, = invoice.payment_lines
            self.assertEqual(
                (payment.account, payment.debit, payment.credit,
                    payment.party, bool(payment.reconciliation)),
                (invoice.account, Decimal('0'), Decimal('275.00'),
                    clinic.jane, True))
            counterpart, = [l for l in payment.move.lines if l != payment]
            self.assertEqual(
                (counterpart.account, counterpart.debit, counterpart.credit),
                (cash, Decimal('275.00'), Decimal('0')))
            self.assertEqual(payment.move.journal, journal)
            self.assertEqual(payment.move.state, 'posted')

    @with_transaction()
    def test_invoice_line_pack_price(self):
        "A pack product on a customer invoice line sells at the pack price"
        pool = Pool()
        Line = pool.get('account.invoice.line')
        with self.clinic(accounting=True) as clinic:
            template = clinic.templates['hours']
            line = Line(invoice_type='out', company=clinic.company,
                product=template.product, party=clinic.jane)
            line.on_change_product()
            self.assertEqual(line.unit_price, Decimal('500.00'))

            service = Line(invoice_type='out', company=clinic.company,
                product=clinic.physio, party=clinic.jane)
            service.on_change_product()
            self.assertFalse(getattr(service, 'unit_price', None))

            # The templates of a product are read once per transaction,
            # until it writes one: a template created for the product
            # prices its next line (at the product's list price).
            Template = pool.get('clinic.pack.template')
            Template.copy([template], {'product': clinic.physio.id})
            service = Line(invoice_type='out', company=clinic.company,
                product=clinic.physio, party=clinic.jane)
            service.on_change_product()
            self.assertEqual(service.unit_price, Decimal('50.00'))

    @with_transaction()
    def test_eligibility(self):
        "Listed eligibility needs a list; lists make a template listed"
        pool = Pool()
        Template = pool.get('clinic.pack.template')
        with self.clinic() as clinic:
            listed = clinic.templates['sessions']
            self.assertEqual(listed.eligibility, 'listed')
            self.assertFalse(listed.is_eligible(clinic.massage))
            any_ = clinic.templates['other']
            self.assertEqual(any_.eligibility, 'any')
            self.assertTrue(any_.is_eligible(clinic.massage))

            any_.eligibility = 'listed'
            with self.assertRaisesMessage(PackValidationError,
                    'Template "6 sessions, spring offer" accepts only '
                    'listed services and categories but lists none: list '
                    'the services or categories it pays for, or choose '
                    '"Any service".'):
                any_.save()

            Template.write([listed], {'eligibility': 'any'})
            self.assertTrue(Template(listed.id).is_eligible(clinic.massage))

    @with_transaction()
    def test_quantity_texts(self):
        "Quantities read as whole sessions, hours and minutes or money"
        with self.clinic() as clinic:
            sessions = self.issue(clinic)
            self.assertEqual(
                (sessions.quantity_text, sessions.redeemed_text,
                    sessions.remaining_text), ('6', '0', '6'))
            hours = self.issue(clinic, template='hours', amount='500.00')
            self.assertEqual(hours.quantity_text, '10 h')
            self.assertEqual(hours.format_units(Decimal('1.5')), '1 h 30 min')
            self.assertEqual(hours.format_units(Decimal('0.25')), '15 min')
            self.assertFalse(sessions.transferable)
            self.assertFalse(sessions.invoiced)
