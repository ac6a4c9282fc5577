# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Bad requests to extend, merge, refund and transfer packs write nothing."
import datetime as dt
from decimal import Decimal

from trytond.modules.clinic_packs.exceptions import PackError
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction

from .unit import EXPIRY, ClinicTestCase


class PackWizardTestCase(ClinicTestCase):
    "Test the pack modifications behind the wizards"

    def assertUnchanged(self, pack, **values):
        "Assert pack still has values and no history."
        pool = Pool()
        Pack = pool.get('clinic.pack')
        self.assertPack(pack, **values)
        self.assertEqual(Pack(pack.id).events, ())

    @with_transaction()
    def test_extend_earlier_date(self):
        "Extend to a date not later than the expiry is refused"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        with self.clinic() as clinic:
            pack = self.issue(clinic)

            for date in [EXPIRY, dt.date(2025, 6, 30)]:
                with self.subTest(date=date):
                    with self.assertRaisesMessage(PackError,
                            'You cannot extend pack "%s" to %s: the new '
                            'expiry date must be later than its current '
                            'expiry date 2025-07-09.' % (pack.number, date)):
                        Pack.extend_expiry([pack], date, "Hospital stay")
            self.assertUnchanged(pack, expiry_date=EXPIRY, state='active')

    @with_transaction()
    def test_extend_without_reason(self):
        "Extend without a reason is refused"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        with self.clinic() as clinic:
            pack = self.issue(clinic)

            for reason in [None, '', '  ']:
                with self.subTest(reason=reason):
                    with self.assertRaisesMessage(PackError,
                            'Give the reason for extending pack "%s".'
                            % pack.number):
                        Pack.extend_expiry(
                            [pack], dt.date(2025, 9, 30), reason)
            self.assertUnchanged(pack, expiry_date=EXPIRY)

    @with_transaction()
    def test_extend_negative_units(self):
        "Extend with negative free units is refused"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        with self.clinic() as clinic:
            pack = self.issue(clinic)

            with self.assertRaisesMessage(PackError,
                    'The units added to pack "%s" cannot be negative.'
                    % pack.number):
                Pack.extend_expiry(
                    [pack], dt.date(2025, 9, 30), "Goodwill", -1)
            self.assertUnchanged(pack, quantity=6, remaining_quantity=6)

    @with_transaction()
    def test_extend_cancelled(self):
        "Extend a cancelled pack is refused"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        with self.clinic() as clinic:
            pack = self.issue(clinic)
            Pack.cancel([pack])

            with self.assertRaisesMessage(PackError,
                    'You cannot extend pack "%s" because it is Cancelled.'
                    % pack.number):
                Pack.extend_expiry([pack], dt.date(2025, 9, 30), "Mistake")

    @with_transaction()
    def test_extend_all_or_nothing(self):
        "One bad pack among several leaves all of them unchanged"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        with self.clinic() as clinic:
            good = self.issue(clinic)
            bad = self.issue(clinic, expiry_date=dt.date(2025, 12, 31))

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
        with self.clinic() as clinic:
            pack = self.issue(clinic)
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
        with self.clinic() as clinic:
            pack = self.issue(clinic)
            Pack.expire([pack])

            Pack.extend_expiry([pack], dt.date(2025, 7, 20), "Late")
            self.assertEqual(pack.state, 'expired')
            self.assertEqual(pack.expiry_date, dt.date(2025, 7, 20))

    @with_transaction()
    def test_merge_one_pack(self):
        "Merge of one pack is refused"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        with self.clinic() as clinic:
            pack = self.issue(clinic)

            for packs in [[pack], [pack, pack]]:
                with self.subTest(count=len(packs)):
                    with self.assertRaisesMessage(PackError,
                            "Select at least two packs to merge."):
                        Pack.merge(packs)
            self.assertUnchanged(pack, state='active')
            self.assertEqual(Pack.search([], count=True), 1)

    @with_transaction()
    def test_merge_two_patients(self):
        "Merge of packs of two patients is refused"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        with self.clinic() as clinic:
            mine = self.issue(clinic)
            theirs = self.issue(clinic, party=clinic.joe)

            with self.assertRaisesMessage(PackError,
                    'You cannot merge pack "%s" of Joe Bloggs with pack "%s" '
                    'of Jane Doe: merged packs must belong to one patient.'
                    % (theirs.number, mine.number)):
                Pack.merge([mine, theirs])
            for pack in [mine, theirs]:
                self.assertUnchanged(pack, state='active',
                    remaining_amount=Decimal('275.00'), merged_into=None)
            self.assertEqual(Pack.search([], count=True), 2)

    @with_transaction()
    def test_merge_sessions_with_money(self):
        "Merge of a session pack with a money pack is refused"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        with self.clinic() as clinic:
            sessions = self.issue(clinic)
            money = self.issue(clinic, 'money')

            with self.assertRaisesMessage(PackError,
                    'You cannot merge pack "%s" (Money) with pack "%s" '
                    '(Sessions): merged packs must count the same unit.'
                    % (money.number, sessions.number)):
                Pack.merge([sessions, money])
            self.assertUnchanged(money, state='active')
            self.assertUnchanged(sessions, state='active')

    @with_transaction()
    def test_merge_draft(self):
        "Merge of a draft pack is refused"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        with self.clinic() as clinic:
            active = self.issue(clinic)
            draft = self.issue(clinic, activate=False)

            with self.assertRaisesMessage(PackError,
                    'You cannot merge pack "%s" because it is Draft: only '
                    'active packs can be merged.' % draft.number):
                Pack.merge([active, draft])
            self.assertUnchanged(active, state='active')

    @with_transaction()
    def test_merge_foreign_template(self):
        "The merged pack keeps the template of one of the sources"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        with self.clinic() as clinic:
            packs = [self.issue(clinic) for _ in range(2)]

            with self.assertRaisesMessage(PackError,
                    'The merged pack must keep the template of one of the '
                    'packs merged, not "6 sessions, spring offer".'):
                Pack.merge(packs, template=clinic.templates['other'])
            self.assertEqual(Pack.search([], count=True), 2)

    @with_transaction()
    def test_merge_chosen_template(self):
        "Merge keeps the chosen template and pools R and G"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        with self.clinic() as clinic:
            templates = clinic.templates
            first = self.issue(clinic, expiry_date=dt.date(2025, 12, 31))
            second = self.issue(clinic, 'other', amount='250.00')

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
        with self.clinic() as clinic:
            pack = self.issue(clinic)
            Pack.write([pack], {
                    'state': 'refunded',
                    'remaining_quantity': Decimal(0),
                    'remaining_amount': Decimal(0),
                    })

            with self.assertRaisesMessage(PackError,
                    'Pack "%s" is already refunded.' % pack.number):
                Pack.refund_packs([pack], "Twice")
            self.assertUnchanged(pack, state='refunded')

    @with_transaction()
    def test_refund_policy_none(self):
        "Refund under a no-refund policy is refused"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        Invoice = pool.get('account.invoice')
        with self.clinic() as clinic:
            pack = self.issue(clinic, 'none')

            self.assertEqual(pack.refund_quote, Decimal('0.00'))
            with self.assertRaisesMessage(PackError,
                    'You cannot refund pack "%s": the refund policy of '
                    'template "6 sessions, no refund" gives no refund. Cancel '
                    'the pack or let it expire instead.' % pack.number):
                Pack.refund_packs([pack], "Changed my mind")
            self.assertUnchanged(pack, state='active',
                remaining_amount=Decimal('275.00'))
            self.assertEqual(Invoice.search([], count=True), 0)

    @with_transaction()
    def test_refund_nothing_left(self):
        "Refund whose quote is zero is refused"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        with self.clinic() as clinic:
            # Six sessions at the 50.00 list price cost more than the pack.
            pack = self.issue(clinic, 'list', amount='240.00')
            Pack.write([pack], {
                    'redeemed_quantity': Decimal(5),
                    'remaining_quantity': Decimal(1),
                    'remaining_amount': Decimal('40.00'),
                    })

            self.assertEqual(pack.refund_quote, Decimal('0.00'))
            with self.assertRaisesMessage(PackError,
                    'Pack "%s" has nothing left to refund under its refund '
                    'policy.' % pack.number):
                Pack.refund_packs([pack], "Leaving")

    @with_transaction()
    def test_refund_draft_not_sold(self):
        "Refund of a draft pack entered by hand is refused"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        with self.clinic() as clinic:
            pack = self.issue(clinic, activate=False)

            with self.assertRaisesMessage(PackError,
                    'You cannot refund draft pack "%s" because it was not '
                    'sold on an invoice; cancel it instead.' % pack.number):
                Pack.refund_packs([pack], "Mistake")
            self.assertUnchanged(pack, state='draft')

    @with_transaction()
    def test_refund_without_reason(self):
        "Refund without a reason is refused"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        with self.clinic() as clinic:
            pack = self.issue(clinic)

            with self.assertRaisesMessage(PackError,
                    'Give the reason for refunding pack "%s".' % pack.number):
                Pack.refund_packs([pack], '')
            self.assertUnchanged(pack, state='active')

    @with_transaction()
    def test_transfer_not_transferable(self):
        "Transfer of a pack of a non-transferable template is refused"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        with self.clinic() as clinic:
            pack = self.issue(clinic)

            with self.assertRaisesMessage(PackError,
                    'You cannot transfer pack "%s" because packs of template '
                    '"6 sessions" are not transferable.' % pack.number):
                Pack.transfer_to([pack], clinic.joe, "Gift")
            self.assertUnchanged(pack, party=clinic.jane)

    @with_transaction()
    def test_transfer_same_patient(self):
        "Transfer to the pack's own patient is refused"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        with self.clinic() as clinic:
            pack = self.issue(clinic, 'gift')

            with self.assertRaisesMessage(PackError,
                    'Pack "%s" already belongs to Jane Doe.' % pack.number):
                Pack.transfer_to([pack], clinic.jane, "Gift")
            self.assertUnchanged(pack, party=clinic.jane)

    @with_transaction()
    def test_transfer_state_reason_funder(self):
        "Transfer of a closed or funded pack, or without reason, is refused"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        Party = pool.get('party.party')
        with self.clinic() as clinic:
            cancelled = self.issue(clinic, 'gift')
            Pack.cancel([cancelled])
            pack = self.issue(clinic, 'gift')
            insurer = Party(name="Acme Health")
            insurer.save()
            funded = self.issue(clinic, 'gift', funder=insurer)

            for record, reason, message in [
                    (cancelled, "Gift",
                        'You cannot transfer pack "%s" because it is '
                        'Cancelled.' % cancelled.number),
                    (pack, ' ',
                        'Give the reason for transferring pack "%s".'
                        % pack.number),
                    (funded, "Gift",
                        'You cannot transfer pack "%s" because Acme Health '
                        'approved it for its patient only.' % funded.number),
                    ]:
                with self.subTest(pack=record.number):
                    with self.assertRaisesMessage(PackError, message):
                        Pack.transfer_to([record], clinic.joe, reason)
            for record in [cancelled, pack, funded]:
                self.assertUnchanged(record, party=clinic.jane)

    @with_transaction()
    def test_transfer(self):
        "Transfer gives the pack to the new patient and records it"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        with self.clinic() as clinic:
            pack = self.issue(clinic, 'gift')

            Pack.transfer_to([pack], clinic.joe, "Birthday")
            self.assertEqual(pack.party, clinic.joe)
            event, = pack.events
            self.assertEqual(
                (event.type, event.from_party, event.to_party, event.reason),
                ('transfer', clinic.jane, clinic.joe, "Birthday"))
