# This file is part of clinic_packs_membership.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""Integrity under real users: guards, companies, states and bounds.

Each refusal is checked by its message and by what it leaves: the counts
and values before and after.
"""
import datetime as dt
import re
import unittest
from contextlib import contextmanager
from decimal import Decimal

from sql import Table

from trytond.modules.clinic_packs.exceptions import (
    CompanyAccessError, ConsentRequiredError, NumberError,
    WorkflowAccessError)
from trytond.modules.clinic_packs_membership.exceptions import (
    MembershipError, MembershipValidationError, PlanValidationError)
from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction, check_access

from .unit import setup_clinic

JAN1 = dt.date(2025, 1, 1)


def counts():
    "The number of memberships, periods, invoices and packs."
    pool = Pool()
    return tuple(pool.get(name).search([], count=True) for name in [
            'clinic.membership', 'clinic.membership.period',
            'account.invoice', 'clinic.pack'])


class IntegrityTestCase(unittest.TestCase):
    "Membership integrity under real users"

    @classmethod
    def setUpClass(cls):
        activate_module('clinic_packs_membership')

    @contextmanager
    def clinic(self):
        "Yield a dict of a new company's plan, fee product, Jane and Joe."
        company = create_company()
        with set_company(company):
            yield self._clinic(company)

    def _clinic(self, company):
        clinic = setup_clinic(company)
        return {'company': company, 'plan': clinic.plan, 'fee': clinic.fee,
            'jane': clinic.jane, 'joe': clinic.joe}

    def membership(self, clinic, activate=True, **values):
        pool = Pool()
        Membership = pool.get('clinic.membership')
        values.setdefault('start_date', JAN1)
        membership, = Membership.create([{
                    'party': clinic['jane'].id, 'plan': clinic['plan'].id,
                    **values}])
        if activate:
            Membership.activate([membership])
        return Membership(membership.id)

    @contextmanager
    def assertRaisesMessage(self, exception, message):
        with self.assertRaises(exception) as cm:
            yield cm
        self.assertEqual(cm.exception.message, message)

    @contextmanager
    def rolled_back(self):
        """Roll back what a refused call wrote, as the dispatcher rolls back
        a request: validation runs after the rows are written."""
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        cursor.execute('SAVEPOINT refused')
        try:
            yield
        finally:
            cursor.execute('ROLLBACK TO SAVEPOINT refused')
            transaction.cache.clear()

    @contextmanager
    def as_user(self, *, groups=('Clinic Packs',)):
        "Run as a new user of the context's company in groups, as by RPC."
        pool = Pool()
        User = pool.get('res.user')
        Group = pool.get('res.group')
        company = Transaction().context['company']
        user, = User.create([{
                    'name': "Desk", 'login': 'desk%s' % User.search(
                        [], count=True),
                    'companies': [('add', [company])],
                    'company': company,
                    'groups': [('add', [
                                g.id for g in Group.search([
                                        ('name', 'in', list(groups))])])],
                    }])
        with Transaction().set_user(user.id), check_access():
            yield user

    # Activation, pause and resume in the wrong state

    @with_transaction()
    def test_activate_twice(self):
        "Activating an active membership is refused and creates nothing"
        pool = Pool()
        Membership = pool.get('clinic.membership')
        with self.clinic() as clinic:
            membership = self.membership(clinic)
            before = counts()

            with self.assertRaisesMessage(MembershipError,
                    'Membership "%s" is already Active: only a draft '
                    'membership can be activated.' % membership.rec_name):
                Membership.activate([membership])

            self.assertEqual(counts(), before)
            membership = Membership(membership.id)
            self.assertEqual((membership.state, len(membership.periods),
                    membership.next_period_start),
                ('active', 1, dt.date(2025, 2, 1)))

    @with_transaction()
    def test_activate_stale_record(self):
        "The second desk's stale record is re-read under the lock"
        pool = Pool()
        Membership = pool.get('clinic.membership')
        with self.clinic() as clinic:
            membership = self.membership(clinic, activate=False)
            stale = Membership(membership.id)
            self.assertEqual(stale.state, 'draft')
            Membership.activate([Membership(membership.id)])
            before = counts()

            with self.assertRaisesMessage(MembershipError,
                    'Membership "%s" is already Active: only a draft '
                    'membership can be activated.' % membership.rec_name):
                Membership.activate([stale])

            self.assertEqual(counts(), before)

    @with_transaction()
    def test_pause_twice(self):
        "Pausing a paused membership is refused and keeps its pause date"
        pool = Pool()
        Membership = pool.get('clinic.membership')
        with self.clinic() as clinic:
            membership = self.membership(clinic)
            with Transaction().set_context(
                    membership_date=dt.date(2025, 1, 10)):
                Membership.pause([membership])
            before = counts()

            with Transaction().set_context(
                    membership_date=dt.date(2025, 1, 20)), \
                    self.assertRaisesMessage(MembershipError,
                        'You cannot pause membership "%s" because it is '
                        'Paused.' % membership.rec_name):
                Membership.pause([membership])

            self.assertEqual(counts(), before)
            membership = Membership(membership.id)
            self.assertEqual((membership.state, membership.paused_on),
                ('paused', dt.date(2025, 1, 10)))

    @with_transaction()
    def test_resume_active(self):
        "Resuming an active membership is refused and creates nothing"
        pool = Pool()
        Membership = pool.get('clinic.membership')
        with self.clinic() as clinic:
            membership = self.membership(clinic)
            before = counts()

            with self.assertRaisesMessage(MembershipError,
                    'You cannot resume membership "%s" because it is '
                    'Active.' % membership.rec_name):
                Membership.resume([membership])

            self.assertEqual(counts(), before)
            membership = Membership(membership.id)
            self.assertEqual(
                (membership.state, membership.next_period_start),
                ('active', dt.date(2025, 2, 1)))

    @with_transaction()
    def test_resume_draft(self):
        "Resuming a draft keeps the existing explained message"
        pool = Pool()
        Membership = pool.get('clinic.membership')
        with self.clinic() as clinic:
            membership = self.membership(clinic, activate=False)

            with self.assertRaisesMessage(MembershipError,
                    'You cannot resume membership "%s" because it is '
                    'Draft.' % membership.rec_name):
                Membership.resume([membership])

            self.assertEqual(Membership(membership.id).state, 'draft')

    # Consent and companies

    @with_transaction()
    def test_consent_of_other_party(self):
        "A consent of another party does not activate the membership"
        pool = Pool()
        Membership = pool.get('clinic.membership')
        Consent = pool.get('clinic.consent')
        ConsentTemplate = pool.get('clinic.consent.template')
        with self.clinic() as clinic:
            template = ConsentTemplate(name="Terms", terms="Be nice.",
                company=clinic['company'])
            template.save()
            consent = Consent(party=clinic['joe'], template=template,
                company=clinic['company'])
            consent.save()
            membership = self.membership(clinic, activate=False)
            # The field's domain refuses it through the ORM: as if it had
            # changed behind the membership's back.
            table = Table(Membership._table)
            cursor = Transaction().connection.cursor()
            cursor.execute(*table.update([table.consent], [consent.id],
                    where=table.id == membership.id))
            Transaction().cache.clear()
            membership = Membership(membership.id)
            before = counts()

            with self.assertRaisesMessage(ConsentRequiredError,
                    'The consent "%s" of "%s" was signed for '
                    'Joe Bloggs, not for Jane Doe.' % (
                        consent.rec_name, membership.rec_name)):
                Membership.activate([membership])

            self.assertEqual(counts(), before)
            self.assertEqual(Membership(membership.id).state, 'draft')

    @with_transaction()
    def test_plan_of_other_company(self):
        "A membership's plan must be of its company"
        pool = Pool()
        Company = pool.get('company.company')
        Membership = pool.get('clinic.membership')
        Plan = pool.get('clinic.membership.plan')
        with self.clinic() as clinic:
            other = create_company(
                "Other Clinic", currency=clinic['company'].currency)
            other_plan, = Plan.create([{
                        'name': "Elsewhere", 'product': clinic['fee'].id,
                        'company': other.id}])
            before = counts()

            with self.rolled_back(), \
                    self.assertRaises(MembershipValidationError) as cm:
                Membership.create([{
                            'party': clinic['jane'].id,
                            'plan': other_plan.id, 'start_date': JAN1}])
            self.assertRegex(cm.exception.message, '^%s$' % re.escape(
                    'Membership "MB0000" belongs to %s but its plan '
                    '"Elsewhere" belongs to %s: choose a plan of the '
                    'membership\'s company.' % (
                        Company(clinic['company'].id).rec_name,
                        other.rec_name)).replace('0000', r'\d{4}'))
            self.assertEqual(counts(), before)

            membership = self.membership(clinic, activate=False)
            with self.rolled_back(), \
                    self.assertRaises(MembershipValidationError):
                Membership.write([membership], {'plan': other_plan.id})
            self.assertEqual(
                Membership(membership.id).plan, clinic['plan'])

    @with_transaction()
    def test_other_company_refused(self):
        "Buttons and the cancellation refuse memberships of other companies"
        pool = Pool()
        Membership = pool.get('clinic.membership')
        with self.clinic() as clinic:
            draft = self.membership(clinic, activate=False)
            active = self.membership(clinic)
            other = create_company(
                "Other Clinic", currency=clinic['company'].currency)
            before = counts()

            message = ('You cannot use Membership #%s: it belongs '
                'to a company that is not yours.')
            with Transaction().set_context(_companies=(other.id,)):
                for method, membership, args in [
                        (Membership.activate, draft, ()),
                        (Membership.pause, active, ()),
                        (Membership.resume, active, ()),
                        (Membership.request_cancellation, active,
                            (dt.date(2025, 1, 10),)),
                        ]:
                    with self.subTest(method=method.__name__):
                        with self.assertRaises(CompanyAccessError) as cm:
                            method([membership], *args)
                        self.assertEqual(cm.exception.message,
                            message % membership.id)

            self.assertEqual(counts(), before)
            self.assertEqual(
                [Membership(draft.id).state, Membership(active.id).state,
                    Membership(active.id).cancel_requested_on],
                ['draft', 'active', None])

    @with_transaction()
    def test_company_rules(self):
        "Users see only the membership records of their companies"
        pool = Pool()
        Plan = pool.get('clinic.membership.plan')
        Membership = pool.get('clinic.membership')
        Category = pool.get('product.category')
        PackTemplate = pool.get('clinic.pack.template')
        names = ['clinic.membership.plan', 'clinic.membership.plan.allotment',
            'clinic.membership.plan.discount', 'clinic.membership',
            'clinic.membership.period', 'clinic.membership.active_month']
        with self.clinic() as clinic:
            category, = Category.create([{'name': "Physio"}])
            pack_template = PackTemplate(name="Massage credit",
                company=clinic['company'], product=clinic['fee'],
                quantity=Decimal(1), validity_months=1)
            pack_template.save()
            Plan.write([clinic['plan']], {
                    'allotments': [('create', [{
                                    'pack_template': pack_template.id}])],
                    'discounts': [('create', [{
                                    'category': category.id,
                                    'percentage': Decimal(10)}])],
                    })
            self.membership(clinic)
            other = create_company(
                "Other Clinic", currency=clinic['company'].currency)

            def visible():
                return [pool.get(n).search([], count=True) for n in names]
            with self.as_user(groups=['Clinic Packs']):
                self.assertEqual(visible(), [1, 1, 1, 1, 1, 1])
                with Transaction().set_context(
                        company=other.id, _companies=(other.id,)):
                            self.assertEqual(visible(), [0, 0, 0, 0, 0, 0])

    # Direct writes of users

    @with_transaction()
    def test_user_create_workflow_fields(self):
        "A user creates drafts only and sets no workflow field"
        pool = Pool()
        Membership = pool.get('clinic.membership')
        with self.clinic() as clinic:
            before = counts()
            base = {'party': clinic['jane'].id, 'plan': clinic['plan'].id,
                'start_date': JAN1}
            with self.as_user():
                for name, value, field in [
                        ('state', 'active', "State"),
                        ('number', 'MB9999', "Number"),
                        ('next_period_start', JAN1, "Next Period Start"),
                        ('cancel_requested_on', JAN1,
                            "Cancellation Requested"),
                        ('cancel_effective_date', JAN1,
                            "Cancellation Effective"),
                        ('paused_on', JAN1, "Paused On"),
                        ('periods', [('create', [{
                                            'start_date': JAN1,
                                            'end_date': JAN1}])],
                            "Periods"),
                        ]:
                    with self.subTest(field=name):
                        with self.assertRaisesMessage(WorkflowAccessError,
                                'You cannot set "%s" on "Membership" '
                                'directly: only its workflow (redeem, '
                                'extend, refund, cancel...) changes it.'
                                % field):
                            Membership.create([{**base, name: value}])
                # The clients send the empty values of a new record.
                membership, = Membership.create([{**base,
                            'state': 'draft', 'periods': [],
                            'next_period_start': None}])
                self.assertEqual(
                    (membership.state, membership.number[:2]),
                    ('draft', 'MB'))
            self.assertEqual(counts(), (before[0] + 1,) + before[1:])

    @with_transaction()
    def test_internal_create_is_draft(self):
        "Code creates memberships as drafts too"
        pool = Pool()
        Membership = pool.get('clinic.membership')
        with self.clinic() as clinic:
            before = counts()
            with self.assertRaisesMessage(MembershipError,
                    'A membership is always created as a draft: activate '
                    'it to start it.'):
                self.membership(clinic, activate=False, state='active')
            self.assertEqual(counts(), before)

            membership = self.membership(clinic)
            copy, = Membership.copy([membership])
            self.assertEqual(
                (copy.state, copy.periods, copy.next_period_start),
                ('draft', (), None))
            self.assertNotEqual(copy.number, membership.number)

    @with_transaction()
    def test_user_write_active(self):
        "An active membership changes only through its workflow"
        pool = Pool()
        Membership = pool.get('clinic.membership')
        with self.clinic() as clinic:
            membership = self.membership(clinic)
            other_plan, = pool.get('clinic.membership.plan').create([{
                        'name': "Other", 'product': clinic['fee'].id}])
            before = counts()
            with self.as_user():
                for values, message in [
                        ({'state': 'closed'},
                            'You cannot set "State" on "%s" directly: only '
                            'its workflow (redeem, extend, refund, '
                            'cancel...) changes it.'),
                        ({'next_period_start': JAN1},
                            'You cannot set "Next Period Start" on "%s" '
                            'directly: only its workflow (redeem, extend, '
                            'refund, cancel...) changes it.'),
                        ({'start_date': dt.date(2025, 1, 5)},
                            'You cannot change "Start Date" of "%s" because '
                            'it is Active.'),
                        ({'plan': other_plan.id},
                            'You cannot change "Plan" of "%s" because it '
                            'is Active.'),
                        ({'consent': None},
                            'You cannot change "Consent" of "%s" because '
                            'it is Active.'),
                        ]:
                    with self.subTest(values=values):
                        with self.assertRaisesMessage(WorkflowAccessError,
                                message % membership.rec_name):
                            Membership.write([membership], values)
                # The member turns the renewal off.
                Membership.write([membership], {'auto_renew': False})
                with self.assertRaisesMessage(MembershipError,
                        'You cannot delete membership "%s" because it has '
                        'started; cancel it instead.' % membership.rec_name):
                    Membership.delete([membership])
            self.assertEqual(counts(), before)
            membership = Membership(membership.id)
            self.assertEqual(
                (membership.state, membership.start_date, membership.plan,
                    membership.next_period_start, membership.auto_renew),
                ('active', JAN1, clinic['plan'], dt.date(2025, 2, 1),
                    False))

    @with_transaction()
    def test_user_write_ended(self):
        "The renewal of an ended membership is not corrected"
        pool = Pool()
        Membership = pool.get('clinic.membership')
        with self.clinic() as clinic:
            membership = self.membership(clinic)
            Membership.request_cancellation([membership], dt.date(2025, 1, 10))
            Membership.renew_memberships([membership], dt.date(2025, 1, 11))
            membership = Membership(membership.id)
            self.assertEqual(membership.state, 'cancelled')
            with self.as_user():
                with self.assertRaisesMessage(WorkflowAccessError,
                        'You cannot change "Auto Renew" of "%s" because '
                        'it is Cancelled.' % membership.rec_name):
                    Membership.write([membership], {'auto_renew': False})
            self.assertEqual(Membership(membership.id).auto_renew, True)

    @with_transaction()
    def test_user_periods(self):
        "Users create, change and delete no period"
        pool = Pool()
        Period = pool.get('clinic.membership.period')
        with self.clinic() as clinic:
            membership = self.membership(clinic)
            period, = membership.periods
            before = counts()
            message = ('Membership periods are created and changed only by '
                'their membership: activate, pause, resume or cancel it, '
                'or let the renewal run.')
            for groups in [['Clinic Packs'], ['Clinic Packs Administration']]:
                with self.subTest(groups=groups), self.as_user(groups=groups):
                    with self.assertRaisesMessage(
                            WorkflowAccessError, message):
                        Period.create([{
                                    'membership': membership.id,
                                    'start_date': dt.date(2025, 2, 1),
                                    'end_date': dt.date(2025, 2, 28)}])
                    with self.assertRaisesMessage(
                            WorkflowAccessError, message):
                        Period.write([period], {
                                'end_date': dt.date(2025, 3, 31)})
                    with self.assertRaisesMessage(
                            WorkflowAccessError, message):
                        Period.delete([period])
                    # Reading them is fine.
                    self.assertEqual(Period.search([], count=True), 1)
            self.assertEqual(counts(), before)
            self.assertEqual(
                Period(period.id).end_date, dt.date(2025, 1, 31))

    # The groups the menus offer the buttons to

    @with_transaction()
    def test_groups_run_workflow(self):
        "Front desk and administration activate, pause, resume and cancel"
        pool = Pool()
        Membership = pool.get('clinic.membership')
        Cancel = pool.get('clinic.membership.cancel', type='wizard')
        with self.clinic() as clinic:
            for groups in [['Clinic Packs'], ['Clinic Packs Administration']]:
                with self.subTest(groups=groups):
                    membership = self.membership(clinic, activate=False)
                    with self.as_user(groups=groups):
                        Membership.activate([membership])
                        with Transaction().set_context(
                                membership_date=dt.date(2025, 1, 10)):
                            Membership.pause([membership])
                        with Transaction().set_context(
                                membership_date=dt.date(2025, 1, 20)):
                            Membership.resume([membership])
                        with Transaction().set_context(
                                active_model=Membership.__name__,
                                active_id=membership.id,
                                active_ids=[membership.id]):
                            session_id, _, _ = Cancel.create()
                            Cancel.execute(session_id, {}, 'start')
                            Cancel.execute(session_id, {'start': {
                                        'membership': membership.id,
                                        'request_date': dt.date(2025, 1, 25),
                                        }}, 'cancel')
                        # Integrations may request it by RPC too.
                        other = self.membership(clinic)
                        Membership.request_cancellation(
                            [other], dt.date(2025, 1, 25))
                    membership = Membership(membership.id)
                    self.assertEqual(
                        (membership.state, membership.paused_on,
                            membership.cancel_requested_on,
                            [p.start_date for p in membership.periods]),
                        ('cancelled', None, dt.date(2025, 1, 25), [JAN1]))
                    self.assertEqual(
                        Membership(other.id).cancel_requested_on,
                        dt.date(2025, 1, 25))

    # Bounds

    @with_transaction()
    def test_cancel_before_start(self):
        "A cancellation cannot be requested before the start"
        pool = Pool()
        Membership = pool.get('clinic.membership')
        with self.clinic() as clinic:
            for activate in [True, False]:
                membership = self.membership(clinic, activate=activate,
                    start_date=dt.date(2025, 2, 1))
                before = counts()
                with self.subTest(activate=activate), \
                        self.assertRaisesMessage(MembershipError,
                            'Membership "%s" starts on 02/01/2025: its '
                            'cancellation cannot be requested on '
                            '01/31/2025, before it starts (delete a draft '
                            'membership instead).' % membership.rec_name):
                    Membership.request_cancellation(
                        [membership], dt.date(2025, 1, 31))
                self.assertEqual(counts(), before)
                membership = Membership(membership.id)
                self.assertEqual(
                    (membership.state, membership.cancel_requested_on,
                        membership.cancel_effective_date),
                    ('active' if activate else 'draft', None, None))
            # On the start date it is fine.
            Membership.request_cancellation(
                [membership], dt.date(2025, 2, 1))
            self.assertEqual(Membership(membership.id).state, 'cancelled')

    @with_transaction()
    def test_plan_bounds(self):
        "The numbers of a plan and its allotments stay within bounds"
        pool = Pool()
        Plan = pool.get('clinic.membership.plan')
        PackTemplate = pool.get('clinic.pack.template')
        with self.clinic() as clinic:
            pack_template = PackTemplate(name="Massage credit",
                company=clinic['company'], product=clinic['fee'],
                quantity=Decimal(1), validity_months=1)
            pack_template.save()
            plan = clinic['plan']
            for name, value, field, minimum, maximum in [
                    ('minimum_periods', -1, "Minimum Periods", 0, 120),
                    ('minimum_periods', 121, "Minimum Periods", 0, 120),
                    ('notice_days', -1, "Notice Days", 0, 366),
                    ('notice_days', 10 ** 6, "Notice Days", 0, 366),
                    ('renewal_notice_days', -1, "Renewal Notice Days",
                        0, 366),
                    ('renewal_notice_days', 367, "Renewal Notice Days",
                        0, 366),
                    ]:
                with self.subTest(name=name, value=value):
                    with self.rolled_back(), self.assertRaisesMessage(
                            PlanValidationError,
                            '"%s" of membership plan "Monthly" must be '
                            'between %s and %s, not %s.' % (
                                field, minimum, maximum, value)):
                        Plan.write([plan], {name: value})
                    with self.rolled_back(), \
                            self.assertRaises(PlanValidationError):
                        Plan.create([{'name': "New", 'product':
                                    clinic['fee'].id, name: value}])
            for name, value, field, minimum, maximum in [
                    ('quantity', 0, "Packs per Period", 1, 100),
                    ('quantity', 101, "Packs per Period", 1, 100),
                    ('rollover_limit', -1, "Roll Over Limit", 0, 1000),
                    ('rollover_limit', 1001, "Roll Over Limit", 0, 1000),
                    ]:
                with self.subTest(name=name, value=value):
                    with self.rolled_back(), self.assertRaisesMessage(
                            PlanValidationError,
                            '"%s" of membership plan "Monthly" must be '
                            'between %s and %s, not %s.' % (
                                field, minimum, maximum, value)):
                        Plan.write([plan], {'allotments': [('create', [{
                                            'pack_template': pack_template.id,
                                            'rollover': 'rollover',
                                            name: value}])]})
            plan = Plan(plan.id)
            self.assertEqual(
                (plan.minimum_periods, plan.notice_days,
                    plan.renewal_notice_days, plan.allotments),
                (0, 0, None, ()))
            self.assertEqual(Plan.search([], count=True), 1)
            # The bounds themselves are fine.
            Plan.write([plan], {'minimum_periods': 120, 'notice_days': 366,
                    'renewal_notice_days': 0, 'allotments': [('create', [{
                                    'pack_template': pack_template.id,
                                    'quantity': 100,
                                    'rollover_limit': 0}])]})

    @with_transaction()
    def test_discount_not_finite(self):
        "A member discount is a finite percentage"
        pool = Pool()
        Discount = pool.get('clinic.membership.plan.discount')
        Category = pool.get('product.category')
        with self.clinic() as clinic:
            category, = Category.create([{'name': "Physio"}])
            for percentage in ['NaN', 'Infinity', '-Infinity']:
                with self.subTest(percentage=percentage):
                    with self.assertRaisesMessage(NumberError,
                            '"Percentage" of "Membership Plan Discount" '
                            'must be a number.'):
                        Discount.create([{
                                    'plan': clinic['plan'].id,
                                    'category': category.id,
                                    'percentage': Decimal(percentage)}])
            for percentage in ['100.01', '0']:
                with self.subTest(percentage=percentage):
                    with self.rolled_back(), self.assertRaisesMessage(
                            PlanValidationError,
                            'The member discount of %s%% on plan "Monthly" '
                            'must be more than 0 and at most 100.'
                            % Decimal(percentage)):
                        Discount.create([{
                                    'plan': clinic['plan'].id,
                                    'category': category.id,
                                    'percentage': Decimal(percentage)}])
            self.assertEqual(Discount.search([], count=True), 0)

    # The member's party record

    @with_transaction()
    def test_erase_and_replace_member(self):
        "A member with an open membership is neither erased nor merged away"
        pool = Pool()
        Party = pool.get('party.party')
        Membership = pool.get('clinic.membership')
        Erase = pool.get('party.erase', type='wizard')
        Replace = pool.get('party.replace', type='wizard')
        Session = pool.get('ir.session.wizard')
        from trytond.modules.party.exceptions import EraseError
        with self.clinic() as clinic:
            jane, joe = clinic['jane'], clinic['joe']
            membership = self.membership(clinic)
            Party.write([jane], {'active': False})
            session, = Session.create([{}])
            with self.assertRaisesMessage(EraseError,
                    'You cannot erase patient "Jane Doe" of company "%s": '
                    'membership "%s" is still open.' % (
                        clinic['company'].rec_name, membership.rec_name)):
                Erase(session.id).check_erase(jane)

            replace = Replace(session.id)
            replace.ask.source = jane
            replace.ask.destination = joe
            with self.assertRaisesMessage(MembershipError,
                    'You cannot replace patient "Jane Doe": membership "%s" '
                    'is still open; cancel it first.' % membership.rec_name):
                replace.transition_replace()
            self.assertEqual(Membership(membership.id).party, jane)
