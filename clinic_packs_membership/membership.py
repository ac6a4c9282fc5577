# This file is part of clinic_packs_membership.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
import datetime as dt
import functools

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.modules.clinic_packs import value
from trytond.modules.currency.fields import Monetary
from trytond.modules.clinic_packs.exceptions import WorkflowAccessError
from trytond.modules.clinic_packs.guard import (
    WorkflowGuardMixin, check_company, in_new_transaction, lock, user_call)
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.rpc import RPC
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .exceptions import MembershipError, MembershipValidationError

STATES = [
    ('draft', "Draft"),
    ('active', "Active"),
    ('paused', "Paused"),
    ('cancelled', "Cancelled"),
    ('closed', "Closed"),
    ]
BATCH_SIZE = 100


def today():
    """Return the date memberships act on.

    The context key membership_date lets integrations (and scenarios) record
    a pause, a resume or a cancellation request on another day.
    """
    date = Transaction().context.get('membership_date')
    if date:
        return date
    return Pool().get('ir.date').today()


def check_access_then(func):
    """Run a named method that a user may call by RPC as the workflow.

    The user needs write access to memberships; the method then runs
    without access checks, as a button does, so that the workflow guards
    let it change what only the workflow changes.
    """
    @functools.wraps(func)
    def wrapper(cls, *args, **kwargs):
        if user_call():
            Pool().get('ir.model.access').check(cls.__name__, 'write')
            with without_check_access():
                return func(cls, *args, **kwargs)
        return func(cls, *args, **kwargs)
    return wrapper


class Membership(WorkflowGuardMixin, Workflow, ModelSQL, ModelView):
    "Membership"
    __name__ = 'clinic.membership'
    _rec_name = 'number'

    _draft = {'readonly': Eval('state') != 'draft'}

    number = fields.Char("Number", readonly=True)
    company = fields.Many2One(
        'company.company', "Company", required=True, states=_draft)
    party = fields.Many2One(
        'party.party', "Member", required=True, states=_draft,
        context={'company': Eval('company', -1)}, depends=['company'])
    plan = fields.Many2One(
        'clinic.membership.plan', "Plan", required=True, states=_draft,
        domain=[('company', '=', Eval('company', -1))])
    state = fields.Selection(
        STATES, "State", readonly=True, required=True, sort=False)
    state_string = state.translated('state')
    start_date = fields.Date("Start Date", required=True, states=_draft)
    next_period_start = fields.Date(
        "Next Period Start", readonly=True,
        help="The day the next period starts and its fee is invoiced.")
    auto_renew = fields.Boolean(
        "Auto Renew",
        states={'readonly': ~Eval('state').in_(['draft', 'active', 'paused'])},
        help="Renew at the end of each period; unchecked, the membership "
        "closes at the end of the current period.")
    commitment_end_date = fields.Function(
        fields.Date("Commitment End",
            help="The last day of the minimum commitment."),
        'on_change_with_commitment_end_date')
    cancel_requested_on = fields.Date("Cancellation Requested", readonly=True)
    cancel_effective_date = fields.Date(
        "Cancellation Effective", readonly=True,
        help="The last day of the membership.")
    paused_on = fields.Date("Paused On", readonly=True)
    periods = fields.One2Many(
        'clinic.membership.period', 'membership', "Periods", readonly=True)
    consent = fields.Many2One(
        'clinic.consent', "Consent", states=_draft,
        domain=[
            ('party', '=', Eval('party', -1)),
            ('state', '=', 'signed'),
            ])
    current_period = fields.Function(
        fields.Many2One('clinic.membership.period', "Current Period"),
        'get_current_period')
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"),
        'on_change_with_currency')
    fee = fields.Function(Monetary(
            "Fee", currency='currency', digits='currency',
            help="The fee invoiced each period: the list price of the "
            "plan's fee product."),
        'on_change_with_fee')
    next_invoice_date = fields.Function(
        fields.Date("Next Invoice",
            help="The day the next period's fee is invoiced; empty when "
            "the membership does not renew."),
        'get_next_invoice_date')
    invoices = fields.Function(
        fields.Many2Many('account.invoice', None, None, "Invoices",
            help="The fee invoices and refunds of the periods."),
        'get_invoices')

    del _draft

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.party, Index.Equality()),
                    (t.state, Index.Equality())),
                Index(t, (t.next_period_start, Index.Range()),
                    where=t.state == 'active'),
                })
        cls._order = [
            ('start_date', 'DESC NULLS FIRST'),
            ('id', 'DESC'),
            ]
        cls._transitions |= {
            ('draft', 'active'),
            ('active', 'paused'),
            ('paused', 'active'),
            ('draft', 'cancelled'),
            ('active', 'cancelled'),
            ('paused', 'cancelled'),
            ('active', 'closed'),
            }
        cls._buttons.update({
                'activate': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-forward',
                    'depends': ['state'],
                    },
                'pause': {
                    'invisible': Eval('state') != 'active',
                    'icon': 'tryton-history',
                    'depends': ['state'],
                    },
                'resume': {
                    'invisible': Eval('state') != 'paused',
                    'icon': 'tryton-forward',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': ~Eval('state').in_(
                        ['draft', 'active', 'paused']),
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                })
        cls.__rpc__.update({
                'renew': RPC(readonly=False),
                'request_cancellation': RPC(
                    readonly=False, instantiate=0),
                'send_renewal_notices': RPC(readonly=False),
                })

    @staticmethod
    def default_company():
        return Transaction().context.get('company')

    @staticmethod
    def default_state():
        return 'draft'

    @classmethod
    def default_start_date(cls):
        return Pool().get('ir.date').today()

    @classmethod
    def default_auto_renew(cls):
        return True

    @fields.depends('plan')
    def on_change_plan(self):
        if self.plan:
            self.auto_renew = self.plan.auto_renew

    @fields.depends('plan', 'start_date')
    def on_change_with_commitment_end_date(self, name=None):
        "The start plus minimum_periods intervals, less one day."
        if self.plan and self.start_date and self.plan.minimum_periods:
            months = (value.PERIOD_MONTHS[self.plan.interval]
                * self.plan.minimum_periods)
            return value.expiry_date(self.start_date, validity_months=months)

    @fields.depends('company')
    def on_change_with_currency(self, name=None):
        if self.company:
            return self.company.currency.id

    @fields.depends('plan', 'company')
    def on_change_with_fee(self, name=None):
        if self.plan and self.plan.product and self.plan.company:
            fee = self.plan.get_fee()
            if fee is not None and self.company:
                fee = self.company.currency.round(fee)
            return fee

    def get_next_invoice_date(self, name):
        if (self.state == 'active' and self.auto_renew
                and not self.cancel_effective_date):
            return self.next_period_start

    @classmethod
    def get_invoices(cls, memberships, name):
        # The front desk reads the invoices of the memberships it manages.
        result = {m.id: [] for m in memberships}
        with without_check_access():
            for membership in cls.browse([m.id for m in memberships]):
                invoices = []
                for period in sorted(membership.periods,
                        key=lambda p: p.start_date):
                    for line in [period.invoice_line, period.refund_line]:
                        if (line and line.invoice
                                and line.invoice.id not in invoices):
                            invoices.append(line.invoice.id)
                result[membership.id] = invoices
        return result

    def get_current_period(self, name):
        date = today()
        for period in self.periods:
            if period.start_date <= date <= period.end_date:
                return period.id

    @classmethod
    def _workflow_fields(cls):
        "Set only by activate, pause, resume, cancel and the renewal cron."
        return super()._workflow_fields() | {
            'number', 'periods', 'next_period_start', 'paused_on',
            'cancel_requested_on', 'cancel_effective_date'}

    @classmethod
    def _transition_fields(cls):
        # activate sets the consent and the auto renewal while the
        # membership is still a draft; after it, only workflow fields change.
        return super()._transition_fields()

    @classmethod
    def _correctable_fields(cls):
        "A member may turn the renewal off (or on again) while running."
        return super()._correctable_fields() | {'auto_renew'}

    @classmethod
    def check_modify(cls, memberships, values):
        super().check_modify(memberships, values)
        if user_call() and 'auto_renew' in values:
            # An ended membership does not renew any more.
            for membership in memberships:
                if membership.state in {'cancelled', 'closed'}:
                    raise WorkflowAccessError(gettext(
                            'clinic_packs.msg_modify_issued',
                            field=cls.auto_renew.string,
                            record=membership.rec_name,
                            state=membership.state_string))

    @classmethod
    def create(cls, vlist):
        pool = Pool()
        Configuration = pool.get('clinic.pack.configuration')
        # The user's values first: a user chooses no number nor state.
        cls.check_create(vlist)
        configuration = Configuration(1)
        vlist = [v.copy() for v in vlist]
        for values in vlist:
            # Always a draft, also from code: activate makes it run.
            if values.get('state', 'draft') != 'draft':
                raise MembershipError(gettext(
                        'clinic_packs_membership.msg_membership_create_draft'))
            if not values.get('number'):
                # Each company numbers its memberships with its own sequence.
                values['number'] = configuration.get_multivalue(
                    'membership_sequence',
                    company=values.get('company', cls.default_company())
                    ).get()
        return super().create(vlist)

    @classmethod
    def write(cls, *args):
        actions = iter(args)
        for memberships, values in zip(actions, actions):
            cls.check_modify(memberships, values)
        super().write(*args)

    @classmethod
    def copy(cls, memberships, default=None):
        default = default.copy() if default is not None else {}
        for name in ['number', 'periods', 'next_period_start', 'consent',
                'cancel_requested_on', 'cancel_effective_date', 'paused_on']:
            default.setdefault(name, None)
        default.setdefault('state', 'draft')
        return super().copy(memberships, default=default)

    @classmethod
    def _validate(cls, memberships, field_names=None):
        # Before the host's domain validation, to name the membership and
        # both companies instead of the generic domain message.
        if field_names is None or {'company', 'plan'} & set(field_names):
            with without_check_access():
                cls.check_plan_company(cls.browse(memberships))
        super()._validate(memberships, field_names=field_names)

    @classmethod
    def check_plan_company(cls, memberships):
        "Raise unless each membership is of a plan of its company."
        for membership in memberships:
            if (membership.plan and membership.company
                    and membership.plan.company != membership.company):
                raise MembershipValidationError(gettext(
                        'clinic_packs_membership'
                        '.msg_membership_plan_company',
                        membership=membership.rec_name,
                        company=membership.company.rec_name,
                        plan=membership.plan.rec_name,
                        plan_company=membership.plan.company.rec_name))

    @classmethod
    def lock_workflow(cls, memberships):
        """Return the memberships locked and re-read, of the user's companies.

        Two desks clicking at once: the second waits for the first to
        commit and then sees the state it left.
        """
        check_company(memberships)
        memberships = lock(cls, memberships)
        check_company(memberships)
        return memberships

    @classmethod
    def delete(cls, memberships):
        for membership in memberships:
            if membership.state != 'draft':
                raise MembershipError(gettext(
                        'clinic_packs_membership.msg_membership_delete',
                        membership=membership.rec_name))
        super().delete(memberships)

    @classmethod
    def check_state(cls, memberships, states, action):
        "Raise naming the first membership not in one of states."
        for membership in memberships:
            if membership.state not in states:
                raise MembershipError(gettext(
                        'clinic_packs_membership.msg_membership_state',
                        membership=membership.rec_name,
                        action=action,
                        state=membership.state_string))

    @classmethod
    @ModelView.button
    def activate(cls, memberships):
        """Start draft memberships: the first period, its invoice and packs.

        A plan that requires consent needs the member's signed consent.
        Only drafts: a membership another desk activated meanwhile is
        refused, not activated twice.
        """
        memberships = cls.lock_workflow(memberships)
        for membership in memberships:
            if membership.state != 'draft':
                raise MembershipError(gettext(
                        'clinic_packs_membership.msg_membership_not_draft',
                        membership=membership.rec_name,
                        state=membership.state_string))
        cls._activate(memberships)

    @classmethod
    @Workflow.transition('active')
    def _activate(cls, memberships):
        pool = Pool()
        Consent = pool.get('clinic.consent')
        for membership in memberships:
            membership.consent = Consent.check_for(
                membership, membership.plan.consent_template)
            membership.next_period_start = membership.start_date
            if membership.auto_renew is None:
                membership.auto_renew = membership.plan.auto_renew
        cls.save(memberships)
        cls._create_periods(memberships)

    @classmethod
    @ModelView.button
    def pause(cls, memberships):
        "Pause active memberships: no period is created while paused."
        memberships = cls.lock_workflow(memberships)
        cls.check_state(memberships, {'active'},
            gettext('clinic_packs_membership.msg_action_pause'))
        cls._pause(memberships)

    @classmethod
    @Workflow.transition('paused')
    def _pause(cls, memberships):
        date = today()
        cls.write(memberships, {'paused_on': date})

    @classmethod
    @ModelView.button
    def resume(cls, memberships):
        """Resume paused memberships.

        The next period starts on the resume date, or when the period paid
        before the pause ends if that is later.
        """
        memberships = cls.lock_workflow(memberships)
        cls.check_state(memberships, {'paused'},
            gettext('clinic_packs_membership.msg_action_resume'))
        cls._resume(memberships)
        cls.renew_memberships(memberships, today())

    @classmethod
    @Workflow.transition('active')
    def _resume(cls, memberships):
        date = today()
        for membership in memberships:
            membership.paused_on = None
            if (not membership.next_period_start
                    or membership.next_period_start < date):
                membership.next_period_start = date
        cls.save(memberships)

    @classmethod
    @ModelView.button_action('clinic_packs_membership.wizard_cancel')
    def cancel(cls, memberships):
        pass

    @classmethod
    @Workflow.transition('cancelled')
    def _cancel(cls, memberships):
        pass

    @classmethod
    @Workflow.transition('closed')
    def close(cls, memberships):
        "Close memberships that do not renew at the end of their period."
        pass

    def cancellation_date(self, request_date):
        """Return the last day of the membership for a request on a date.

        The notice period runs from the request and the minimum commitment
        is honoured: the later of request + notice_days and the commitment
        end date.
        """
        effective = request_date + dt.timedelta(
            days=self.plan.notice_days or 0)
        if self.commitment_end_date and self.commitment_end_date > effective:
            effective = self.commitment_end_date
        return effective

    def period_at(self, date):
        "Return the period containing date or None."
        for period in self.periods:
            if period.start_date <= date <= period.end_date:
                return period

    def cancellation_refund(self, effective_date):
        "Return the refund of the period containing effective_date."
        period = self.period_at(effective_date)
        if (not period or self.plan.cancellation_refund != 'pro_rata'
                or not period.invoice_line):
            return self.company.currency.round(0)
        fee = period.invoice_line.amount
        _, refund = value.pro_rata_refund(
            fee, period.start_date, period.end_date, effective_date,
            digits=self.company.currency.digits)
        return refund

    @classmethod
    @check_access_then
    def request_cancellation(cls, memberships, request_date):
        """Record a cancellation request made on request_date.

        The membership ends on the effective date: at once when that is
        today or earlier, otherwise the renewal cron ends it on that date.
        Not before the membership starts.
        """
        Lang = Pool().get('ir.lang')
        memberships = cls.lock_workflow(memberships)
        cls.check_state(memberships, {'draft', 'active', 'paused'},
            gettext('clinic_packs_membership.msg_action_cancel'))
        for membership in memberships:
            if request_date < membership.start_date:
                raise MembershipError(gettext(
                        'clinic_packs_membership.msg_cancel_before_start',
                        membership=membership.rec_name,
                        date=Lang.get().strftime(request_date),
                        start=Lang.get().strftime(membership.start_date)))
            if membership.cancel_requested_on:
                raise MembershipError(gettext(
                        'clinic_packs_membership.msg_membership_cancel_twice',
                        membership=membership.rec_name,
                        date=Lang.get().strftime(
                            membership.cancel_requested_on)))
        drafts = [m for m in memberships if m.state == 'draft']
        for membership in memberships:
            membership.cancel_requested_on = request_date
            if membership.state == 'draft':
                membership.cancel_effective_date = request_date
            else:
                membership.cancel_effective_date = (
                    membership.cancellation_date(request_date))
        cls.save(memberships)
        cls._cancel(drafts)
        running = [m for m in memberships if m.state != 'draft']
        for membership in running:
            period = membership.period_at(membership.cancel_effective_date)
            if period:
                period.refund_cancellation()
        cls.renew_memberships(running, request_date)

    @classmethod
    def _due_domain(cls, date):
        return [
            ('state', '=', 'active'),
            ['OR',
                ('next_period_start', '<=', date),
                ('cancel_effective_date', '<=', date),
                ],
            ]

    @classmethod
    def _user_companies_domain(cls, name='company'):
        "The domain of a user's companies when a user calls, else []."
        if user_call():
            User = Pool().get('res.user')
            return [(name, 'in', list(User.get_companies()))]
        return []

    @classmethod
    def renew(cls, date=None):
        """Cron: create every due period, its invoice and allotment packs.

        Catches up after downtime.  Each batch of memberships is committed
        in its own transaction with the membership rows locked, so a run
        killed midway keeps the batches done and a concurrent run waits and
        then finds nothing left to do.  Called by a user (RPC), only the
        memberships of the user's companies.
        """
        companies = cls._user_companies_domain()
        cls._renew(date, companies)

    @classmethod
    @check_access_then
    def _renew(cls, date, companies):
        if date is None:
            date = Pool().get('ir.date').today()
        Period = Pool().get('clinic.membership.period')
        cursor = Transaction().connection.cursor()
        # The ids only, not a record each: the cron's memory should not
        # grow with the memberships due.
        cursor.execute(*cls.search(cls._due_domain(date) + companies,
                order=[('next_period_start', 'ASC'), ('id', 'ASC')],
                query=True))
        ids = [i for i, in cursor]
        # Each batch starts with the rows it locks already locked, and with
        # the tables an earlier batch had to lock: a lock asked for midway
        # restarts the batch and replays all its work.
        tables = []
        for sub_ids in grouped_slice(ids, BATCH_SIZE):
            sub_ids = list(sub_ids)
            tables = in_new_transaction(
                lambda: cls.renew_memberships(cls.browse(sub_ids), date),
                tables, cls._renewal_locks(sub_ids))
        # Periods whose allotments are due to lapse or roll over.
        cursor.execute(*Period.search([
                    ('allotments_closed', '=', False),
                    ('end_date', '<', date),
                    ] + [('membership.' + c[0],) + c[1:] for c in companies],
                order=[('id', 'ASC')], query=True))
        ids = [i for i, in cursor]
        for sub_ids in grouped_slice(ids, BATCH_SIZE):
            sub_ids = list(sub_ids)
            tables = in_new_transaction(
                lambda: Period.close_allotments(Period.browse(sub_ids), date),
                tables, {Period._table: sub_ids})

    @classmethod
    def _renewal_locks(cls, ids):
        """Return the rows, per table, a renewal of the memberships ids
        locks: the memberships and their periods."""
        pool = Pool()
        Period = pool.get('clinic.membership.period')
        period = Period.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*period.select(period.id,
                where=period.membership.in_(list(ids))))
        return {
            cls._table: list(ids),
            Period._table: [i for i, in cursor],
            }

    @classmethod
    def renew_memberships(cls, memberships, date):
        """Create the periods of memberships due by date, in this transaction.

        The membership rows are locked first so two runs cannot both create
        the same period; the unique (membership, start date) constraint is
        the last line of defence.
        """
        pool = Pool()
        Period = pool.get('clinic.membership.period')
        if not memberships:
            return
        # Re-read after the lock: another run may have renewed them.
        memberships = lock(cls, memberships)
        to_cancel, to_close = [], []
        while True:
            due = []
            for membership in memberships:
                if membership.state != 'active' or membership in to_close:
                    continue
                start = membership.next_period_start
                effective = membership.cancel_effective_date
                if effective and effective <= date:
                    # Periods up to the effective date are still created.
                    if start and start <= effective:
                        due.append(membership)
                    elif membership not in to_cancel:
                        to_cancel.append(membership)
                    continue
                if not start or start > date:
                    continue
                if not membership.auto_renew and membership.periods:
                    to_close.append(membership)
                    continue
                due.append(membership)
            if not due:
                break
            cls._create_periods(due, date)
        if to_cancel:
            cls._cancel(to_cancel)
        if to_close:
            cls.close(to_close)
        # Allotments of periods that ended lapse or roll over.
        periods = Period.search([
                ('membership', 'in', [m.id for m in memberships]),
                ('allotments_closed', '=', False),
                ('end_date', '<', date),
                ], order=[('end_date', 'ASC'), ('id', 'ASC')])
        Period.close_allotments(periods, date)

    @classmethod
    def _create_periods(cls, memberships, date=None):
        """Create the next period of each membership with invoice and packs.

        The invoice of a period created after its start (catch-up) is dated
        date, the day of the run.
        """
        pool = Pool()
        Period = pool.get('clinic.membership.period')
        periods = []
        for membership in memberships:
            start = membership.next_period_start
            end = value.period_end(start, membership.plan.interval)
            periods.append(Period(
                    membership=membership, start_date=start, end_date=end))
            membership.next_period_start = end + dt.timedelta(days=1)
        Period.save(periods)
        cls.save(memberships)
        Period.create_invoices(periods, date)
        Period.create_packs(periods)
        for period in periods:
            effective = period.membership.cancel_effective_date
            if effective and period.start_date <= effective:
                period.refund_cancellation()
        return periods

    @classmethod
    def send_renewal_notices(cls, date=None):
        """Cron: email members whose period renews within the notice days.

        Once per period: the email is recorded on the period.  Called by a
        user (RPC), only the memberships of the user's companies.
        """
        cls._send_renewal_notices(
            date, cls._user_companies_domain('membership.company'))

    @classmethod
    @check_access_then
    def _send_renewal_notices(cls, date, companies):
        pool = Pool()
        Period = pool.get('clinic.membership.period')
        if date is None:
            date = pool.get('ir.date').today()
        periods = Period.search(companies + [
                ('renewal_notice_sent', '=', None),
                ('end_date', '>=', date),
                ('membership.state', '=', 'active'),
                ('membership.auto_renew', '=', True),
                ('membership.cancel_effective_date', '=', None),
                ('membership.plan.renewal_notice_days', '!=', None),
                ])
        for period in periods:
            plan = period.membership.plan
            renewal = period.end_date + dt.timedelta(days=1)
            if renewal - dt.timedelta(days=plan.renewal_notice_days) > date:
                continue
            if period.membership.next_period_start != renewal:
                continue
            period.send_renewal_notice()


class CancelStart(ModelView):
    "Cancel Membership"
    __name__ = 'clinic.membership.cancel.start'

    membership = fields.Many2One(
        'clinic.membership', "Membership", readonly=True)
    request_date = fields.Date(
        "Request Date", required=True,
        help="The day the member asked to cancel.")
    effective_date = fields.Date(
        "Last Day", readonly=True,
        help="The notice period and the minimum commitment are honoured.")
    refund = fields.Numeric("Refund", digits=(16, 2), readonly=True,
        help="The unused part of the period's fee credited to the member.")

    @fields.depends('membership', 'request_date')
    def on_change_request_date(self):
        if self.membership and self.request_date:
            if self.membership.state == 'draft':
                self.effective_date = self.request_date
                self.refund = 0
            else:
                self.effective_date = self.membership.cancellation_date(
                    self.request_date)
                self.refund = self.membership.cancellation_refund(
                    self.effective_date)


class Cancel(Wizard):
    """Cancel a membership.

    Shows the last day (request date plus the plan's notice, not before the
    minimum commitment ends) and the pro-rata refund before confirming.
    """
    __name__ = 'clinic.membership.cancel'

    start = StateView('clinic.membership.cancel.start',
        'clinic_packs_membership.membership_cancel_start_view_form', [
            Button("Keep Membership", 'end', 'tryton-cancel'),
            Button("Cancel Membership", 'cancel', 'tryton-ok',
                default=True),
            ])
    cancel = StateTransition()

    def default_start(self, fields):
        membership = self.record
        check_company([membership])
        self.model.check_state([membership], {'draft', 'active', 'paused'},
            gettext('clinic_packs_membership.msg_action_cancel'))
        start = self.start.__class__(
            membership=membership, request_date=today())
        start.on_change_request_date()
        return {
            'membership': membership.id,
            'request_date': start.request_date,
            'effective_date': start.effective_date,
            'refund': start.refund,
            }

    def transition_cancel(self):
        check_company([self.record])
        self.model.request_cancellation(
            [self.record], self.start.request_date)
        return 'end'
