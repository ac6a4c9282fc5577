# This file is part of clinic_packs_membership.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
import datetime as dt
import functools
import logging

from sql import Literal, Values
from sql.aggregate import Count, Max, Min
from sql.functions import CurrentTimestamp

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Unique, Workflow, fields
from trytond.modules.clinic_packs import notice, value
from trytond.modules.currency.fields import Monetary
from trytond.modules.clinic_packs.exceptions import WorkflowAccessError
from trytond.modules.clinic_packs.guard import (
    WorkflowGuardMixin, check_company, lock, lock_invoice_sequences,
    retrying, user_call)
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.rpc import RPC
from trytond.tools import grouped_slice
from trytond.transaction import (
    Transaction, without_check_access)
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .exceptions import MembershipError, MembershipValidationError

logger = logging.getLogger(__name__)

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
        memberships = cls.search(cls._due_domain(date) + companies,
            order=[('next_period_start', 'ASC'), ('id', 'ASC')])
        ids = [m.id for m in memberships]
        # Each batch starts with the rows it locks already locked, and with
        # the tables an earlier batch had to lock: a lock asked for midway
        # restarts the batch and replays all its work.
        tables = []
        for sub_ids in grouped_slice(ids, BATCH_SIZE):
            sub_ids = list(sub_ids)
            tables = _in_new_transaction(
                lambda: cls.renew_memberships(cls.browse(sub_ids), date),
                tables, cls._renewal_locks(sub_ids))
        # Periods whose allotments are due to lapse or roll over.
        periods = Period.search([
                ('allotments_closed', '=', False),
                ('end_date', '<', date),
                ] + [('membership.' + c[0],) + c[1:] for c in companies])
        ids = [p.id for p in periods]
        for sub_ids in grouped_slice(ids, BATCH_SIZE):
            sub_ids = list(sub_ids)
            tables = _in_new_transaction(
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


def _in_new_transaction(func, tables=(), records=None):
    """Run func in a new committed transaction and return the tables it
    locked.

    The transaction starts with tables and the rows of records (ids per
    table) locked; guard.retrying restarts it for a lock asked for midway
    and retries it when a concurrent run holds one.
    """
    extras = {
        '_lock_tables': list(tables),
        '_lock_records': {t: list(i) for t, i in (records or {}).items()},
        }
    retrying(Transaction().new_transaction, func, extras,
        on_retry=lambda count: logger.debug("Retry: %i", count))
    return extras['_lock_tables']


class Period(ModelSQL, ModelView):
    "Membership Period"
    __name__ = 'clinic.membership.period'

    membership = fields.Many2One(
        'clinic.membership', "Membership", required=True,
        ondelete='RESTRICT', readonly=True)
    party = fields.Function(
        fields.Many2One('party.party', "Member",
            context={'company': Eval('company', -1)}, depends=['company']),
        'get_membership_field', searcher='search_membership_field')
    plan = fields.Function(
        fields.Many2One('clinic.membership.plan', "Plan"),
        'get_membership_field', searcher='search_membership_field')
    company = fields.Function(
        fields.Many2One('company.company', "Company"),
        'get_membership_field', searcher='search_membership_field')
    start_date = fields.Date("Start Date", required=True, readonly=True)
    end_date = fields.Date(
        "End Date", required=True, readonly=True,
        domain=[('end_date', '>=', Eval('start_date', None))])
    invoice_line = fields.Many2One(
        'account.invoice.line', "Fee Invoice Line", readonly=True)
    refund_line = fields.Many2One(
        'account.invoice.line', "Refund Line", readonly=True,
        help="The credit note line of a pro-rata cancellation refund.")
    packs = fields.Function(
        fields.Many2Many('clinic.pack', None, None, "Allotment Packs"),
        'get_packs', searcher='search_packs')
    allotments_closed = fields.Boolean(
        "Allotments Closed", readonly=True,
        help="Whether the unused allotment packs lapsed or rolled over.")
    renewal_notice_sent = fields.Many2One(
        'ir.email', "Renewal Notice", readonly=True)
    start_month = fields.Function(
        fields.Char("Start Month"), 'get_start_month')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('membership_start_unique', Unique(t, t.membership, t.start_date),
                'clinic_packs_membership.msg_period_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.end_date, Index.Range()),
                    where=t.allotments_closed == False),  # noqa: E712
                })
        cls._order = [
            ('start_date', 'DESC'),
            ('id', 'DESC'),
            ]

    @classmethod
    def default_allotments_closed(cls):
        return False

    @classmethod
    def check_workflow(cls):
        """Raise when a user creates, changes or deletes periods directly.

        Periods, their invoices, packs and notices are the workflow's:
        activate, resume, the renewal cron and cancellation make them.
        """
        if user_call():
            raise WorkflowAccessError(gettext(
                    'clinic_packs_membership.msg_period_workflow'))

    @classmethod
    def create(cls, vlist):
        cls.check_workflow()
        return super().create(vlist)

    @classmethod
    def write(cls, *args):
        cls.check_workflow()
        super().write(*args)

    @classmethod
    def delete(cls, periods):
        cls.check_workflow()
        super().delete(periods)

    def get_rec_name(self, name):
        return '%s %s - %s' % (
            self.membership.rec_name, self.start_date, self.end_date)

    def get_membership_field(self, name):
        record = getattr(self.membership, name)
        return record.id if record else None

    @classmethod
    def search_membership_field(cls, name, clause):
        return [('membership.' + clause[0],) + tuple(clause[1:])]

    def get_start_month(self, name):
        return self.start_date.strftime('%Y-%m')

    @classmethod
    def get_packs(cls, periods, name):
        pool = Pool()
        Pack = pool.get('clinic.pack')
        result = {p.id: [] for p in periods}
        packs = Pack.search([
                ('origin', 'in', [str(p) for p in periods]),
                ], order=[('start_date', 'ASC'), ('id', 'ASC')])
        for pack in packs:
            result[pack.origin.id].append(pack.id)
        return result

    @classmethod
    def search_packs(cls, name, clause):
        pool = Pool()
        Pack = pool.get('clinic.pack')
        _, operator, operand = clause[:3]
        packs = Pack.search([('id', operator, operand)] + [
                ('origin', 'like', cls.__name__ + ',%')])
        return [('id', 'in', [p.origin.id for p in packs])]

    @classmethod
    def create_invoices(cls, periods, date=None):
        """Invoice the fee of each period, posted unless the plan says draft.

        The invoices are dated the period's start, or date when that is
        later: the host numbers customer invoices in date order, so a
        catch-up after downtime cannot post invoices dated in the past.
        """
        pool = Pool()
        Invoice = pool.get('account.invoice')
        invoices = []
        for period in periods:
            invoice = period._get_invoice(date)
            invoices.append(invoice)
        Invoice.save(invoices)
        for period, invoice in zip(periods, invoices):
            period.invoice_line, = invoice.lines
        cls.save(periods)
        to_post = [i for p, i in zip(periods, invoices)
            if p.membership.plan.post_invoices]
        if to_post:
            # Posted by the system: a renewal caught up after downtime has
            # payment dates in the past, which is no reason to stop.
            # Wait for the invoice numbering instead of the host's restart.
            lock_invoice_sequences(to_post)
            with Transaction().set_context(_skip_warnings=True):
                Invoice.post(to_post)

    def _new_invoice(self, date):
        pool = Pool()
        Invoice = pool.get('account.invoice')
        membership = self.membership
        invoice = Invoice(
            company=membership.company,
            type='out',
            party=membership.party,
            invoice_date=date,
            currency=membership.company.currency,
            )
        invoice.on_change_type()
        invoice.on_change_party()
        return invoice

    def _new_line(self, invoice, unit_price, quantity=1):
        pool = Pool()
        Line = pool.get('account.invoice.line')
        product = self.membership.plan.product
        line = Line(
            invoice=invoice, type='line', company=invoice.company,
            currency=invoice.currency, product=product, quantity=quantity,
            origin=self)
        line.on_change_product()
        line.unit = product.default_uom
        line.unit_price = unit_price
        line.description = gettext(
            'clinic_packs_membership.msg_period_description',
            plan=self.membership.plan.rec_name,
            start=self.start_date, end=self.end_date)
        return line

    def _get_invoice(self, date=None):
        "Return the unsaved invoice of the period's fee, dated date or later."
        invoice_date = self.start_date
        if date and date > invoice_date:
            invoice_date = date
        invoice = self._new_invoice(invoice_date)
        invoice.lines = [
            self._new_line(invoice, self.membership.plan.get_fee())]
        return invoice

    def refund_cancellation(self):
        """Credit the unused part of the fee after the effective date.

        Only for plans with a pro-rata cancellation refund; idempotent.
        """
        pool = Pool()
        Invoice = pool.get('account.invoice')
        membership = self.membership
        if self.refund_line or not self.invoice_line:
            return
        refund = membership.cancellation_refund(
            membership.cancel_effective_date)
        if not refund:
            return
        invoice = self._new_invoice(membership.cancel_requested_on)
        line = self._new_line(invoice, refund, quantity=-1)
        invoice.lines = [line]
        invoice.save()
        self.refund_line, = invoice.lines
        self.save()
        if membership.plan.post_invoices:
            lock_invoice_sequences([invoice])
            with Transaction().set_context(_skip_warnings=True):
                Invoice.post([invoice])

    @classmethod
    def create_packs(cls, periods):
        "Issue the allotment packs of each period."
        pool = Pool()
        Pack = pool.get('clinic.pack')
        packs = []
        for period in periods:
            membership = period.membership
            for allotment in membership.plan.allotments:
                template = allotment.pack_template
                for _ in range(allotment.quantity):
                    packs.append(Pack(
                            company=membership.company,
                            currency=membership.company.currency,
                            party=membership.party,
                            template=template,
                            quantity=template.total_quantity,
                            amount=membership.company.currency.round(0),
                            start_date=period.start_date,
                            expiry_date=period.end_date,
                            origin=period,
                            consent=membership.consent
                            if membership.consent
                            and membership.consent.template
                            == template.consent_template else None,
                            ))
        Pack.save(packs)
        Pack.activate_if_ready(packs)
        return packs

    @classmethod
    def close_allotments(cls, periods, date):
        """Lapse or roll over the unused allotment packs of ended periods.

        Rolled-over packs (oldest first, up to the plan's limit) run to the
        end of the next period; the others expire.
        """
        pool = Pool()
        Pack = pool.get('clinic.pack')
        Event = pool.get('clinic.pack.event')
        periods = lock(cls, periods)
        to_expire, to_roll, events = [], [], []
        for period in sorted(periods, key=lambda p: (p.end_date, p.id)):
            if period.allotments_closed or period.end_date >= date:
                continue
            membership = period.membership
            next_end = value.period_end(
                period.end_date + dt.timedelta(days=1),
                membership.plan.interval)
            origins = [str(p) for p in membership.periods]
            for allotment in membership.plan.allotments:
                # The period's own packs and those rolled into it.
                unused = Pack.search([
                        ('origin', 'in', origins),
                        ('template', '=', allotment.pack_template.id),
                        ('state', '=', 'active'),
                        ('remaining_quantity', '>', 0),
                        ('expiry_date', '=', period.end_date),
                        ], order=[('start_date', 'ASC'), ('id', 'ASC')])
                keep = []
                can_roll = (allotment.rollover == 'rollover'
                    and membership.state in {'active', 'paused'}
                    and not (membership.cancel_effective_date
                        and membership.cancel_effective_date
                        <= period.end_date))
                if can_roll:
                    limit = allotment.rollover_limit
                    keep = unused if limit is None else unused[:limit]
                for pack in unused:
                    if pack in keep:
                        events.append(pack.add_event('extension',
                                previous_expiry_date=pack.expiry_date,
                                new_expiry_date=next_end,
                                reason=gettext(
                                    'clinic_packs_membership'
                                    '.msg_allotment_rollover',
                                    membership=membership.rec_name)))
                        pack.expiry_date = next_end
                        to_roll.append(pack)
                    else:
                        to_expire.append(pack)
            period.allotments_closed = True
        Pack.save(to_roll)
        Event.save(events)
        if to_expire:
            Pack.expire(to_expire)
        cls.save(periods)

    def send_renewal_notice(self):
        """Email the member that the membership renews, on which day and
        for which fee; once per period.

        The email goes out when the transaction commits.
        """
        membership = self.membership
        email = notice.email_party(
            membership.party, membership, self._renewal_notice_message)
        if email:
            self.renewal_notice_sent = email
            self.save()

    def _renewal_notice_message(self):
        "Return the subject and plain text body of the renewal notice."
        pool = Pool()
        Lang = pool.get('ir.lang')
        lang = Lang.get()
        membership = self.membership
        subject = gettext(
            'clinic_packs_membership.msg_renewal_notice_subject',
            plan=membership.plan.rec_name)
        body = gettext(
            'clinic_packs_membership.msg_renewal_notice_body',
            party=membership.party.rec_name,
            plan=membership.plan.rec_name,
            date=lang.strftime(self.end_date + dt.timedelta(days=1)),
            fee=lang.currency(
                membership.plan.get_fee(), membership.company.currency),
            membership=membership.rec_name)
        return subject, body


class Pack(metaclass=PoolMeta):
    __name__ = 'clinic.pack'

    @classmethod
    def _get_origin(cls):
        return super()._get_origin() + ['clinic.membership.period']


class MembersActive(ModelSQL, ModelView):
    "Active Members per Month"
    __name__ = 'clinic.membership.active_month'

    month = fields.Char("Month")
    company = fields.Many2One('company.company', "Company")
    members = fields.Integer("Members",
        help="Memberships with a period covering part of the month.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('month', 'ASC'))

    @classmethod
    def table_query(cls):
        pool = Pool()
        Period = pool.get('clinic.membership.period')
        Membership = pool.get('clinic.membership')
        period = Period.__table__()
        membership = Membership.__table__()
        # A calendar of the months the periods span, so that a quarterly or
        # yearly member counts in every month of the period, not only in the
        # month it is billed.
        cursor = Transaction().connection.cursor()
        cursor.execute(*period.select(
                Min(period.start_date), Max(period.end_date)))
        first, last = (
            dt.date.fromisoformat(d) if isinstance(d, str) else d
            for d in cursor.fetchone())
        months = []
        if first and last:
            month = first.replace(day=1)
            while month <= last:
                following = value.add_months(month, 1)
                months.append([len(months) + 1, month.strftime('%Y-%m'),
                        month, following - dt.timedelta(days=1)])
                month = following
        if not months:
            months = [[0, '', dt.date.min, dt.date.min]]
        calendar = Values(months)
        number, label, start, end = (
            calendar.column1, calendar.column2, calendar.column3,
            calendar.column4)
        return (period
            .join(membership, condition=period.membership == membership.id)
            .join(calendar, condition=(period.start_date <= end)
                & (period.end_date >= start))
            .select(
                (number * 100000 + membership.company).as_('id'),
                Literal(0).as_('create_uid'),
                CurrentTimestamp().as_('create_date'),
                Literal(None).as_('write_uid'),
                Literal(None).as_('write_date'),
                label.as_('month'),
                membership.company.as_('company'),
                Count(membership.id, distinct=True).as_('members'),
                group_by=[number, label, membership.company]))


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
