# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Bad requests to extend, merge, refund and transfer packs write nothing."
import datetime as dt
import unittest
from decimal import Decimal

from trytond.modules.clinic_packs.exceptions import PackError
from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    activate_module, drop_db, with_transaction)

START = dt.date(2025, 1, 10)
EXPIRY = dt.date(2025, 7, 9)


class PackWizardTestCase(unittest.TestCase):
    "Test the pack modifications behind the wizards"

    @classmethod
    def setUpClass(cls):
        drop_db()
        activate_module('clinic_packs')
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        drop_db()

    def setup_clinic(self, company):
        "Create services, templates and two patients."
        pool = Pool()
        Party = pool.get('party.party')
        Uom = pool.get('product.uom')
        ProductTemplate = pool.get('product.template')
        Template = pool.get('clinic.pack.template')

        unit, = Uom.search([('name', '=', 'Unit')])

        def service(name, price):
            template, = ProductTemplate.create([{
                        'name': name,
                        'type': 'service',
                        'default_uom': unit.id,
                        'list_price': Decimal(price),
                        'products': [('create', [{}])],
                        }])
            return template.products[0]

        physio = service("Physiotherapy session", '50.00')

        def template(name, unit='session', quantity=6, **values):
            record = Template(name=name, company=company,
                product=service(name, '275.00'), unit=unit,
                quantity=Decimal(quantity), validity_months=6,
                grace_days=14, **values)
            record.save()
            return record

        templates = {
            'sessions': template("6 sessions"),
            'other': template("6 sessions, spring offer"),
            'money': template("Wellness credit", unit='money', quantity=300),
            'none': template("6 sessions, no refund", refund_policy='none'),
            'list': template("6 sessions, list price",
                refund_policy='list_price', services=[physio]),
            'gift': template("6 sessions, gift", transferable=True),
            }
        jane = Party(name="Jane Doe")
        joe = Party(name="Joe Bloggs")
        Party.save([jane, joe])
        return templates, jane, joe

    def issue(self, company, template, party, amount='275.00', activate=True,
            **values):
        "Issue a pack by hand; activate it unless told otherwise."
        pool = Pool()
        Pack = pool.get('clinic.pack')
        values.setdefault('expiry_date', EXPIRY)
        pack = Pack(company=company, currency=company.currency, party=party,
            template=template, start_date=START,
            quantity=template.total_quantity, amount=Decimal(amount),
            **values)
        pack.save()
        if activate:
            Pack.activate([pack])
        return pack

    def assertUnchanged(self, pack, **values):
        "Assert pack still has values and no history."
        pool = Pool()
        Pack = pool.get('clinic.pack')
        pack = Pack(pack.id)
        for name, value in values.items():
            self.assertEqual(getattr(pack, name), value, msg=name)
        self.assertEqual(pack.events, ())

    @with_transaction()
    def test_extend_earlier_date(self):
        "Extend to a date not later than the expiry is refused"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        company = create_company()
        with set_company(company):
            templates, jane, _ = self.setup_clinic(company)
            pack = self.issue(company, templates['sessions'], jane)

            for date in [EXPIRY, dt.date(2025, 6, 30)]:
                with self.assertRaises(PackError) as cm:
                    Pack.extend_expiry([pack], date, "Hospital stay")
                self.assertEqual(cm.exception.message,
                    'You cannot extend pack "%s" to %s: the new expiry date '
                    'must be later than its current expiry date 2025-07-09.'
                    % (pack.number, date))
            self.assertUnchanged(pack, expiry_date=EXPIRY, state='active')

    @with_transaction()
    def test_extend_without_reason(self):
        "Extend without a reason is refused"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        company = create_company()
        with set_company(company):
            templates, jane, _ = self.setup_clinic(company)
            pack = self.issue(company, templates['sessions'], jane)

            for reason in [None, '', '  ']:
                with self.assertRaises(PackError) as cm:
                    Pack.extend_expiry([pack], dt.date(2025, 9, 30), reason)
                self.assertEqual(cm.exception.message,
                    'Give the reason for extending pack "%s".' % pack.number)
            self.assertUnchanged(pack, expiry_date=EXPIRY)

    @with_transaction()
    def test_extend_negative_units(self):
        "Extend with negative free units is refused"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        company = create_company()
        with set_company(company):
            templates, jane, _ = self.setup_clinic(company)
            pack = self.issue(company, templates['sessions'], jane)

            with self.assertRaises(PackError) as cm:
                Pack.extend_expiry(
                    [pack], dt.date(2025, 9, 30), "Goodwill", -1)
            self.assertEqual(cm.exception.message,
                'The units added to pack "%s" cannot be negative.'
                % pack.number)
            self.assertUnchanged(pack, quantity=6, remaining_quantity=6)

    @with_transaction()
    def test_extend_cancelled(self):
        "Extend a cancelled pack is refused"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        company = create_company()
        with set_company(company):
            templates, jane, _ = self.setup_clinic(company)
            pack = self.issue(company, templates['sessions'], jane)
            Pack.cancel([pack])

            with self.assertRaises(PackError) as cm:
                Pack.extend_expiry([pack], dt.date(2025, 9, 30), "Mistake")
            self.assertEqual(cm.exception.message,
                'You cannot extend pack "%s" because it is Cancelled.'
                % pack.number)

    @with_transaction()
    def test_extend_all_or_nothing(self):
        "One bad pack among several leaves all of them unchanged"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        company = create_company()
        with set_company(company):
            templates, jane, _ = self.setup_clinic(company)
            good = self.issue(company, templates['sessions'], jane)
            bad = self.issue(company, templates['sessions'], jane,
                expiry_date=dt.date(2025, 12, 31))

            with self.assertRaises(PackError):
                Pack.extend_expiry(
                    [good, bad], dt.date(2025, 9, 30), "Closure")
            self.assertUnchanged(good, expiry_date=EXPIRY)
            self.assertUnchanged(bad, expiry_date=dt.date(2025, 12, 31))

    @with_transaction()
    def test_extend_exhausted_with_units(self):
        "Free units reopen an exhausted pack"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        company = create_company()
        with set_company(company):
            templates, jane, _ = self.setup_clinic(company)
            pack = self.issue(company, templates['sessions'], jane)
            # As if all six sessions had been used.
            Pack.write([pack], {
                    'redeemed_quantity': Decimal(6),
                    'remaining_quantity': Decimal(0),
                    'remaining_amount': Decimal(0),
                    })
            Pack.exhaust([pack])

            Pack.extend_expiry(
                [pack], dt.date(2025, 8, 9), "Goodwill", Decimal(2))
            self.assertEqual(
                (pack.quantity, pack.redeemed_quantity,
                    pack.remaining_quantity),
                (Decimal(8), Decimal(6), Decimal(2)))
            # No value is left to spread: the free sessions are worth 0.
            self.assertEqual(
                (pack.remaining_amount, pack.unit_value), (0, 0))
            self.assertEqual(pack.state, 'active')
            event, = pack.events
            self.assertEqual(
                (event.type, event.quantity, event.previous_expiry_date,
                    event.new_expiry_date),
                ('extension', Decimal(2), EXPIRY, dt.date(2025, 8, 9)))

    @with_transaction()
    def test_extend_expired_still_over(self):
        "An expired pack extended to a past date stays expired"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        company = create_company()
        with set_company(company):
            templates, jane, _ = self.setup_clinic(company)
            pack = self.issue(company, templates['sessions'], jane)
            Pack.expire([pack])

            Pack.extend_expiry([pack], dt.date(2025, 7, 20), "Late")
            self.assertEqual(pack.state, 'expired')
            self.assertEqual(pack.expiry_date, dt.date(2025, 7, 20))

    @with_transaction()
    def test_merge_one_pack(self):
        "Merge of one pack is refused"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        company = create_company()
        with set_company(company):
            templates, jane, _ = self.setup_clinic(company)
            pack = self.issue(company, templates['sessions'], jane)

            for packs in [[pack], [pack, pack]]:
                with self.assertRaises(PackError) as cm:
                    Pack.merge(packs)
                self.assertEqual(cm.exception.message,
                    "Select at least two packs to merge.")
            self.assertUnchanged(pack, state='active')
            self.assertEqual(Pack.search([], count=True), 1)

    @with_transaction()
    def test_merge_two_patients(self):
        "Merge of packs of two patients is refused"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        company = create_company()
        with set_company(company):
            templates, jane, joe = self.setup_clinic(company)
            mine = self.issue(company, templates['sessions'], jane)
            theirs = self.issue(company, templates['sessions'], joe)

            with self.assertRaises(PackError) as cm:
                Pack.merge([mine, theirs])
            self.assertEqual(cm.exception.message,
                'You cannot merge pack "%s" of Joe Bloggs with pack "%s" '
                'of Jane Doe: merged packs must belong to one patient.'
                % (theirs.number, mine.number))
            for pack in [mine, theirs]:
                self.assertUnchanged(pack, state='active',
                    remaining_amount=Decimal('275.00'), merged_into=None)
            self.assertEqual(Pack.search([], count=True), 2)

    @with_transaction()
    def test_merge_sessions_with_money(self):
        "Merge of a session pack with a money pack is refused"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        company = create_company()
        with set_company(company):
            templates, jane, _ = self.setup_clinic(company)
            sessions = self.issue(company, templates['sessions'], jane)
            money = self.issue(company, templates['money'], jane)

            with self.assertRaises(PackError) as cm:
                Pack.merge([sessions, money])
            self.assertEqual(cm.exception.message,
                'You cannot merge pack "%s" (Money) with pack "%s" '
                '(Sessions): merged packs must count the same unit.'
                % (money.number, sessions.number))
            self.assertUnchanged(money, state='active')
            self.assertUnchanged(sessions, state='active')

    @with_transaction()
    def test_merge_draft(self):
        "Merge of a draft pack is refused"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        company = create_company()
        with set_company(company):
            templates, jane, _ = self.setup_clinic(company)
            active = self.issue(company, templates['sessions'], jane)
            draft = self.issue(
                company, templates['sessions'], jane, activate=False)

            with self.assertRaises(PackError) as cm:
                Pack.merge([active, draft])
            self.assertEqual(cm.exception.message,
                'You cannot merge pack "%s" because it is Draft: only '
                'active packs can be merged.' % draft.number)
            self.assertUnchanged(active, state='active')

    @with_transaction()
    def test_merge_foreign_template(self):
        "The merged pack keeps the template of one of the sources"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        company = create_company()
        with set_company(company):
            templates, jane, _ = self.setup_clinic(company)
            packs = [self.issue(company, templates['sessions'], jane)
                for _ in range(2)]

            with self.assertRaises(PackError) as cm:
                Pack.merge(packs, template=templates['other'])
            self.assertEqual(cm.exception.message,
                'The merged pack must keep the template of one of the packs '
                'merged, not "6 sessions, spring offer".')
            self.assertEqual(Pack.search([], count=True), 2)

    @with_transaction()
    def test_merge_chosen_template(self):
        "Merge keeps the chosen template and pools R and G"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        company = create_company()
        with set_company(company):
            templates, jane, _ = self.setup_clinic(company)
            first = self.issue(company, templates['sessions'], jane,
                expiry_date=dt.date(2025, 12, 31))
            second = self.issue(company, templates['other'], jane,
                amount='250.00')

            self.assertEqual(Pack.merge_template([first, second]),
                templates['sessions'])
            merged = Pack.merge(
                [first, second], template=templates['other'])
            self.assertEqual(merged.template, templates['other'])
            self.assertEqual(merged.expiry_date, dt.date(2025, 12, 31))
            self.assertEqual(
                (merged.quantity, merged.amount, merged.remaining_amount),
                (Decimal(12), Decimal('525.00'), Decimal('525.00')))
            self.assertEqual(merged.unit_value, Decimal('43.75'))
            self.assertEqual(merged.origin, first)
            self.assertEqual((first.state, second.state),
                ('merged', 'merged'))

    @with_transaction()
    def test_refund_refunded(self):
        "Refund of a refunded pack is refused"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        company = create_company()
        with set_company(company):
            templates, jane, _ = self.setup_clinic(company)
            pack = self.issue(company, templates['sessions'], jane)
            Pack.write([pack], {
                    'state': 'refunded',
                    'remaining_quantity': Decimal(0),
                    'remaining_amount': Decimal(0),
                    })

            with self.assertRaises(PackError) as cm:
                Pack.refund_packs([pack], "Twice")
            self.assertEqual(cm.exception.message,
                'Pack "%s" is already refunded.' % pack.number)
            self.assertUnchanged(pack, state='refunded')

    @with_transaction()
    def test_refund_policy_none(self):
        "Refund under a no-refund policy is refused"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        Invoice = pool.get('account.invoice')
        company = create_company()
        with set_company(company):
            templates, jane, _ = self.setup_clinic(company)
            pack = self.issue(company, templates['none'], jane)

            self.assertEqual(pack.refund_quote, Decimal('0.00'))
            with self.assertRaises(PackError) as cm:
                Pack.refund_packs([pack], "Changed my mind")
            self.assertEqual(cm.exception.message,
                'You cannot refund pack "%s": the refund policy of template '
                '"6 sessions, no refund" gives no refund. Cancel the pack or '
                'let it expire instead.' % pack.number)
            self.assertUnchanged(pack, state='active',
                remaining_amount=Decimal('275.00'))
            self.assertEqual(Invoice.search([], count=True), 0)

    @with_transaction()
    def test_refund_nothing_left(self):
        "Refund whose quote is zero is refused"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        company = create_company()
        with set_company(company):
            templates, jane, _ = self.setup_clinic(company)
            # Six sessions at the 50.00 list price cost more than the pack.
            pack = self.issue(company, templates['list'], jane,
                amount='240.00')
            Pack.write([pack], {
                    'redeemed_quantity': Decimal(5),
                    'remaining_quantity': Decimal(1),
                    'remaining_amount': Decimal('40.00'),
                    })

            self.assertEqual(pack.refund_quote, Decimal('0.00'))
            with self.assertRaises(PackError) as cm:
                Pack.refund_packs([pack], "Leaving")
            self.assertEqual(cm.exception.message,
                'Pack "%s" has nothing left to refund under its refund '
                'policy.' % pack.number)

    @with_transaction()
    def test_refund_draft_not_sold(self):
        "Refund of a draft pack entered by hand is refused"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        company = create_company()
        with set_company(company):
            templates, jane, _ = self.setup_clinic(company)
            pack = self.issue(
                company, templates['sessions'], jane, activate=False)

            with self.assertRaises(PackError) as cm:
                Pack.refund_packs([pack], "Mistake")
            self.assertEqual(cm.exception.message,
                'You cannot refund draft pack "%s" because it was not sold '
                'on an invoice; cancel it instead.' % pack.number)
            self.assertUnchanged(pack, state='draft')

    @with_transaction()
    def test_refund_without_reason(self):
        "Refund without a reason is refused"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        company = create_company()
        with set_company(company):
            templates, jane, _ = self.setup_clinic(company)
            pack = self.issue(company, templates['sessions'], jane)

            with self.assertRaises(PackError) as cm:
                Pack.refund_packs([pack], '')
            self.assertEqual(cm.exception.message,
                'Give the reason for refunding pack "%s".' % pack.number)
            self.assertUnchanged(pack, state='active')

    @with_transaction()
    def test_transfer_not_transferable(self):
        "Transfer of a pack of a non-transferable template is refused"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        company = create_company()
        with set_company(company):
            templates, jane, joe = self.setup_clinic(company)
            pack = self.issue(company, templates['sessions'], jane)

            with self.assertRaises(PackError) as cm:
                Pack.transfer_to([pack], joe, "Gift")
            self.assertEqual(cm.exception.message,
                'You cannot transfer pack "%s" because packs of template '
                '"6 sessions" are not transferable.' % pack.number)
            self.assertUnchanged(pack, party=jane)

    @with_transaction()
    def test_transfer_same_patient(self):
        "Transfer to the pack's own patient is refused"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        company = create_company()
        with set_company(company):
            templates, jane, _ = self.setup_clinic(company)
            pack = self.issue(company, templates['gift'], jane)

            with self.assertRaises(PackError) as cm:
                Pack.transfer_to([pack], jane, "Gift")
            self.assertEqual(cm.exception.message,
                'Pack "%s" already belongs to Jane Doe.' % pack.number)
            self.assertUnchanged(pack, party=jane)

    @with_transaction()
    def test_transfer_state_reason_funder(self):
        "Transfer of a closed or funded pack, or without reason, is refused"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        Party = pool.get('party.party')
        company = create_company()
        with set_company(company):
            templates, jane, joe = self.setup_clinic(company)
            cancelled = self.issue(company, templates['gift'], jane)
            Pack.cancel([cancelled])
            with self.assertRaises(PackError) as cm:
                Pack.transfer_to([cancelled], joe, "Gift")
            self.assertEqual(cm.exception.message,
                'You cannot transfer pack "%s" because it is Cancelled.'
                % cancelled.number)

            pack = self.issue(company, templates['gift'], jane)
            with self.assertRaises(PackError) as cm:
                Pack.transfer_to([pack], joe, ' ')
            self.assertEqual(cm.exception.message,
                'Give the reason for transferring pack "%s".' % pack.number)

            insurer = Party(name="Acme Health")
            insurer.save()
            funded = self.issue(company, templates['gift'], jane,
                funder=insurer)
            with self.assertRaises(PackError) as cm:
                Pack.transfer_to([funded], joe, "Gift")
            self.assertEqual(cm.exception.message,
                'You cannot transfer pack "%s" because Acme Health approved '
                'it for its patient only.' % funded.number)
            for record in [cancelled, pack, funded]:
                self.assertUnchanged(record, party=jane)

    @with_transaction()
    def test_transfer(self):
        "Transfer gives the pack to the new patient and records it"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        company = create_company()
        with set_company(company):
            templates, jane, joe = self.setup_clinic(company)
            pack = self.issue(company, templates['gift'], jane)

            Pack.transfer_to([pack], joe, "Birthday")
            self.assertEqual(pack.party, joe)
            event, = pack.events
            self.assertEqual(
                (event.type, event.from_party, event.to_party, event.reason),
                ('transfer', jane, joe, "Birthday"))

