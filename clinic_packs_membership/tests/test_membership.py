# This file is part of clinic_packs_membership.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
import datetime as dt
import unittest
from contextlib import contextmanager
from decimal import Decimal

from trytond.model.exceptions import SQLConstraintError
from trytond.modules.clinic_packs_membership.exceptions import (
    MembershipError, PlanValidationError)
from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction

from .unit import setup_clinic

JAN1 = dt.date(2025, 1, 1)


class MembershipTestCase(unittest.TestCase):
    "Test memberships: renewal, bad inputs"

    @classmethod
    def setUpClass(cls):
        activate_module('clinic_packs_membership')

    @contextmanager
    def setup_membership(self):
        "Yield an activated monthly membership started on 1 January 2025."
        company = create_company()
        with set_company(company):
            yield self._membership(company)

    def _membership(self, company):
        pool = Pool()
        Membership = pool.get('clinic.membership')
        clinic = setup_clinic(company)
        membership, = Membership.create([{
                    'party': clinic.jane.id, 'plan': clinic.plan.id,
                    'start_date': JAN1}])
        Membership.activate([membership])
        return membership

    @with_transaction()
    def test_membership_numbers_per_company(self):
        "Each company numbers its memberships with the sequence it chose"
        pool = Pool()
        Configuration = pool.get('clinic.pack.configuration')
        Sequence = pool.get('ir.sequence')
        ModelData = pool.get('ir.model.data')
        with self.setup_membership() as riverside:
            # The default sequence created on activation.
            self.assertEqual(
                Configuration(1).membership_sequence.prefix, 'MB')
            self.assertEqual(riverside.number[:2], 'MB')
        company = create_company()
        with set_company(company):
            sequence = Sequence(name="Harbourside members", prefix='HM-',
                padding=3, company=company,
                sequence_type=ModelData.get_id(
                    'clinic_packs_membership', 'sequence_type_membership'))
            sequence.save()
            configuration = Configuration(1)
            configuration.membership_sequence = sequence
            configuration.save()
            harbourside = self._membership(company)
            self.assertEqual(harbourside.number, 'HM-001')

    @with_transaction()
    def test_renew_twice_same_periods(self):
        "Renewing twice on the same date creates each period once"
        pool = Pool()
        Membership = pool.get('clinic.membership')
        Period = pool.get('clinic.membership.period')
        with self.setup_membership() as membership:

            Membership.renew_memberships([membership], dt.date(2025, 4, 1))
            Membership.renew_memberships([membership], dt.date(2025, 4, 1))

            periods = Period.search([('membership', '=', membership.id)],
                order=[('start_date', 'ASC')])
            self.assertEqual([p.start_date for p in periods], [
                    JAN1, dt.date(2025, 2, 1), dt.date(2025, 3, 1),
                    dt.date(2025, 4, 1)])
            self.assertEqual(
                [(p.invoice_line.invoice.state, p.invoice_line.amount)
                    for p in periods],
                [('draft', Decimal('60.00'))] * 4)
            self.assertEqual(
                Membership(membership.id).next_period_start, dt.date(2025, 5, 1))

    @with_transaction()
    def test_period_unique(self):
        "A second period on the same start date is refused"
        pool = Pool()
        Period = pool.get('clinic.membership.period')
        with self.setup_membership() as membership:

            with self.assertRaises(SQLConstraintError) as cm:
                Period.create([{
                            'membership': membership.id,
                            'start_date': JAN1,
                            'end_date': dt.date(2025, 1, 31)}])
            self.assertEqual(cm.exception.message,
                "A membership can have only one period starting on a given "
                "date.")

    @with_transaction()
    def test_cancel_twice(self):
        "A second cancellation request is refused and changes nothing"
        pool = Pool()
        Membership = pool.get('clinic.membership')
        Plan = pool.get('clinic.membership.plan')
        with self.setup_membership() as membership:
            Plan.write([membership.plan], {'notice_days': 30})
            Membership.request_cancellation([membership], dt.date(2025, 1, 10))
            membership = Membership(membership.id)
            self.assertEqual(
                (membership.state, membership.cancel_requested_on,
                    membership.cancel_effective_date),
                ('active', dt.date(2025, 1, 10), dt.date(2025, 2, 9)))

            with self.assertRaises(MembershipError) as cm:
                Membership.request_cancellation(
                    [membership], dt.date(2025, 1, 20))
            self.assertEqual(cm.exception.message,
                'Membership "%s" already has a cancellation requested on '
                '01/10/2025.' % membership.rec_name)
            membership = Membership(membership.id)
            self.assertEqual(
                (membership.cancel_requested_on, membership.cancel_effective_date),
                (dt.date(2025, 1, 10), dt.date(2025, 2, 9)))

    @with_transaction()
    def test_pause_cancelled(self):
        "A cancelled membership cannot be paused"
        pool = Pool()
        Membership = pool.get('clinic.membership')
        with self.setup_membership() as membership:
            Membership.request_cancellation([membership], dt.date(2025, 1, 10))
            Membership.renew_memberships([membership], dt.date(2025, 1, 11))
            membership = Membership(membership.id)
            self.assertEqual(membership.state, 'cancelled')

            with self.assertRaises(MembershipError) as cm:
                Membership.pause([membership])
            self.assertEqual(cm.exception.message,
                'You cannot pause membership "%s" because it is Cancelled.'
                % membership.rec_name)
            membership = Membership(membership.id)
            self.assertEqual((membership.state, membership.paused_on),
                ('cancelled', None))

    @with_transaction()
    def test_plan_without_fee_product(self):
        "A plan needs a fee product"
        pool = Pool()
        Plan = pool.get('clinic.membership.plan')
        company = create_company()
        with set_company(company):
            with self.assertRaises(PlanValidationError) as cm:
                Plan.create([{'name': "Free", 'interval': 'month'}])
            self.assertEqual(cm.exception.message,
                'Membership plan "Free" needs a fee product.')

    @with_transaction()
    def test_negative_discount(self):
        "A member discount must be more than 0 and at most 100"
        pool = Pool()
        Discount = pool.get('clinic.membership.plan.discount')
        Category = pool.get('product.category')
        with self.setup_membership() as membership:
            category, = Category.create([{'name': "Physio"}])

            with self.assertRaises(PlanValidationError) as cm:
                Discount.create([{
                            'plan': membership.plan.id,
                            'category': category.id,
                            'percentage': Decimal('-5')}])
            self.assertEqual(cm.exception.message,
                'The member discount of -5% on plan "Monthly" must be more '
                'than 0 and at most 100.')
            with self.assertRaises(PlanValidationError) as cm:
                Discount.create([{
                            'plan': membership.plan.id,
                            'percentage': Decimal('5')}])
            self.assertEqual(cm.exception.message,
                'Each member discount of plan "Monthly" must name either a '
                'product or a category, not both.')

