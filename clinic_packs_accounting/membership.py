# This file is part of clinic_packs_accounting.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""The accounting of memberships (registered when clinic_packs_membership is
activated).

A membership period is a stand-ready obligation satisfied over time: its fee
is a contract liability when invoiced and is recognised by day.  The credits
the plan includes (allotments) are separate obligations: they carry their
stand-alone selling price share of the fee as one-unit packs.
"""
import calendar
import datetime as dt
from decimal import Decimal

from sql import Null
from sql.conditionals import Coalesce

from trytond.i18n import gettext
from trytond.model import Index, fields
from trytond.modules.clinic_packs import compat, guard, value
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval
from trytond.rpc import RPC
from trytond.transaction import Transaction, without_check_access

from .exceptions import PackPostingError, PlanSellingPriceError
from .ledger import origin_id, ref


def month_end(date):
    "Return the last day of date's month"
    return date.replace(day=calendar.monthrange(date.year, date.month)[1])


class Plan(metaclass=PoolMeta):
    __name__ = 'clinic.membership.plan'

    access_selling_price = Monetary(
        "Access Stand-alone Price", currency='access_currency',
        digits='access_currency',
        states={
            'required': Bool(Eval('allotments', [])),
            },
        help="What the clinic would charge for access alone, without the "
        "credits the plan includes (its stand-alone selling price, IFRS "
        "15.76-80).  Required when the plan has allotments: each period's "
        "fee is split between access and the allotments in proportion to "
        "this price and the allotment packs' list prices.  It is not the "
        "plan's own fee, which pays for the bundle.")
    access_currency = fields.Function(
        fields.Many2One('currency.currency', "Access Currency"),
        'on_change_with_access_currency')

    @fields.depends('company')
    def on_change_with_access_currency(self, name=None):
        return self.company.currency.id if self.company else None

    @classmethod
    def validate(cls, plans):
        super().validate(plans)
        for plan in plans:
            plan.check_access_selling_price()

    def check_access_selling_price(self):
        "Raise unless a plan with allotments has a valid access SSP."
        price = self.access_selling_price
        if price is not None and price < 0:
            raise PlanSellingPriceError(gettext(
                    'clinic_packs_accounting.msg_plan_access_price_negative',
                    plan=self.rec_name))
        if self.allotments and price is None:
            raise PlanSellingPriceError(gettext(
                    'clinic_packs_accounting.msg_plan_access_price',
                    plan=self.rec_name))


class PlanAllotment(metaclass=PoolMeta):
    __name__ = 'clinic.membership.plan.allotment'

    @classmethod
    def validate(cls, allotments):
        super().validate(allotments)
        # An allotment added on its own (not through the plan's form).
        for plan in {a.plan for a in allotments}:
            plan.check_access_selling_price()


class Period(metaclass=PoolMeta):
    __name__ = 'clinic.membership.period'

    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"), 'get_currency')
    access_fee = Monetary(
        "Access Fee", currency='currency', digits='currency', readonly=True,
        help="The part of the fee for access to the clinic, recognised by "
        "day over the period; the rest is the value of the allotment packs.")
    fee_recognised = Monetary(
        "Fee Recognised", currency='currency', digits='currency',
        readonly=True,
        help="The access fee recognised as revenue so far.")
    fee_recognised_date = fields.Date(
        "Fee Recognised Through", readonly=True)
    fee_recognition_closed = fields.Boolean(
        "Fee Recognition Closed", readonly=True,
        help="Whether all the access fee of the period has been recognised "
        "or refunded.")
    fee_moves = fields.One2Many(
        'account.move', 'origin', "Fee Moves", readonly=True,
        order=[('date', 'ASC'), ('id', 'ASC')],
        help="The recognition of the fee and its allocation to the "
        "allotment packs.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t, (t.start_date, Index.Range()),
                where=t.fee_recognition_closed == False))  # noqa: E712
        cls.__rpc__.update({
                'recognise_fees': RPC(readonly=False),
                })

    @classmethod
    def default_fee_recognition_closed(cls):
        return False

    def get_currency(self, name):
        return self.membership.company.currency.id

    @classmethod
    def copy(cls, periods, default=None):
        default = default.copy() if default is not None else {}
        for name in ['access_fee', 'fee_recognised', 'fee_recognised_date',
                'fee_moves']:
            default.setdefault(name, None)
        default.setdefault('fee_recognition_closed', False)
        return super().copy(periods, default=default)

    def get_fee_amount(self):
        "Return the fee invoiced for the period, in company currency."
        pool = Pool()
        Currency = pool.get('currency.currency')
        currency = self.membership.company.currency
        line = self.invoice_line
        if not line:
            return currency.round(Decimal(0))
        invoice = line.invoice
        with Transaction().set_context(date=invoice.currency_date):
            return Currency.compute(invoice.currency, line.amount, currency)

    def get_access_fee(self):
        "Return the part of the fee recognised by day."
        if self.access_fee is not None:
            return self.access_fee
        return self.get_fee_amount()

    def access_selling_price(self):
        """Return the stand-alone selling price of access to the clinic.

        What the clinic would charge for access alone, entered on the plan
        (doc/accounting.md, "Memberships"), never the bundle's own fee: that
        would value the credits included at nothing more than a discount.
        """
        plan = self.membership.plan
        if plan.access_selling_price is None:
            raise PackPostingError(gettext(
                    'clinic_packs_accounting.msg_plan_access_price',
                    plan=plan.rec_name))
        return plan.access_selling_price

    @classmethod
    def allotment_selling_price(cls, allotment, company):
        """Return the stand-alone selling price of an allotment's credits.

        The list price of the pack template's product (what a non-member
        pays for the same pack) times the packs per period.
        """
        with Transaction().set_context(company=company.id):
            product = allotment.pack_template.product
            product = product.__class__(product.id)
            return (compat.list_price(product) or 0) * allotment.quantity

    @classmethod
    def create_packs(cls, periods):
        packs = super().create_packs(periods)
        cls.allocate_fees(periods, packs)
        return packs

    @classmethod
    def allocate_fees(cls, periods, packs):
        """Split each period's fee between access and its allotment packs.

        The split is by relative stand-alone selling price (IFRS 15.76-80,
        value.split_membership_fee): the access's (entered on the plan) and
        each allotment's (its pack's list price times the packs per
        period); a bundle discount spreads over all of them.  Each pack gets its share as its price P
        and the share moves from the fee to the pack within the contract
        liability (a move crediting the pack, with the fee invoice line and
        the pack as line origins).
        """
        pool = Pool()
        Pack = pool.get('clinic.pack')
        Move = pool.get('account.move')
        by_period = {}
        for pack in packs:
            by_period.setdefault(pack.origin.id, []).append(pack)
        moves, issued_packs, prices = [], [], []
        for period in periods:
            membership = period.membership
            company = membership.company
            currency = company.currency
            fee = period.get_fee_amount()
            period_packs = iter(by_period.get(period.id, []))
            allotments = list(membership.plan.allotments)
            if not allotments:
                period.access_fee = fee
                continue
            access, parts = value.split_membership_fee(
                fee, period.access_selling_price(),
                [cls.allotment_selling_price(a, company)
                    for a in allotments],
                digits=currency.digits)
            period.access_fee = access
            lines, total = [], Decimal(0)
            configuration = None
            for allotment, part in zip(allotments, parts):
                issued = [
                    next(period_packs) for _ in range(allotment.quantity)]
                shares = value.allocate(
                    part, [1] * len(issued), digits=currency.digits)
                for pack, share in zip(issued, shares):
                    issued_packs.append(pack)
                    prices.append(share)
                    if share:
                        if configuration is None:
                            configuration = Move.pack_configuration(
                                company, period)
                        lines.append((
                                configuration.contract_liability_account,
                                -share, pack))
                        total += share
            if total and period.invoice_line:
                invoice = period.invoice_line.invoice
                lines.insert(0, (configuration.contract_liability_account,
                        total, period.invoice_line))
                moves.append(Move.new_pack_move(
                        company,
                        invoice.accounting_date or invoice.invoice_date,
                        period, 'allotment',
                        gettext('clinic_packs_accounting.msg_move_allotment',
                            period=period.rec_name),
                        lines, party=membership.party))
        if issued_packs:
            # The packs were just issued at zero: their price is set, not
            # modified (P = G = share, k = P / N).
            Pack.set_issue_price(issued_packs, prices)
        cls.save(periods)
        Move.save_post(moves)

    def get_fee_last_day(self):
        """Return the last day of the access the fee pays for.

        The effective date of a cancellation within the period, or the
        period's end.
        """
        effective = self.membership.cancel_effective_date
        if effective and self.start_date <= effective < self.end_date:
            return effective
        return self.end_date

    def get_fee_credited(self):
        """Return the fee credited by credit notes of the fee invoice line.

        The host's Credit wizard on a fee invoice (a fee waived or billed by
        mistake), as opposed to the refund of a cancellation.  Only posted
        credit notes count, in company currency.
        """
        pool = Pool()
        Currency = pool.get('currency.currency')
        InvoiceLine = pool.get('account.invoice.line')
        currency = self.membership.company.currency
        credited = currency.round(Decimal(0))
        if not self.invoice_line:
            return credited
        for line in InvoiceLine.search([
                    ('origin', '=', str(self.invoice_line)),
                    ('invoice.state', 'in', ['posted', 'paid']),
                    ]):
            invoice = line.invoice
            with Transaction().set_context(date=invoice.currency_date):
                credited -= Currency.compute(
                    invoice.currency, line.amount, currency)
        return credited

    def get_fee_refund(self):
        "Return the amount credited when the membership was cancelled."
        currency = self.membership.company.currency
        line = self.refund_line
        if not line or line.invoice.state == 'cancelled':
            return currency.round(Decimal(0))
        return -line.amount

    def get_fee_target(self, date):
        """Return the cumulative access fee recognised through date.

        Straight-line by day: round(M·d/D) on day d of a D-day period, so
        the last day reaches M exactly (doc/accounting.md).  From the effective
        date of a cancellation the fee not refunded is earned: with a
        pro-rata refund it is the fee through that date.  A credit of the
        fee invoice lowers the fee to recognise (a cumulative catch-up).
        """
        currency = self.membership.company.currency
        access = max(self.get_access_fee() - self.get_fee_credited(),
            currency.round(Decimal(0)))
        last = self.get_fee_last_day()
        if last < self.end_date and date >= last:
            return max(access - self.get_fee_refund(),
                currency.round(Decimal(0)))
        return value.recognised_to_date(
            access, self.start_date, self.end_date, date,
            digits=currency.digits)

    def get_fee_recognition_dates(self, date):
        """Return the dates to post the fee's revenue on, through date.

        Each month end not yet recognised and the last day of the access.
        """
        last = self.get_fee_last_day()
        day = self.start_date
        if self.fee_recognised_date:
            day = self.fee_recognised_date + dt.timedelta(days=1)
        dates = []
        day = month_end(day)
        while day < last and day <= date:
            dates.append(day)
            day = month_end(day + dt.timedelta(days=1))
        if last <= date:
            dates.append(last)
        return dates

    @classmethod
    def recognise_fees(cls, date=None):
        """Cron: recognise the access fees of membership periods through date.

        Runs daily; catches up after downtime.  Only periods whose fee
        invoice is posted are recognised.
        """
        pool = Pool()
        Date = pool.get('ir.date')
        if date is None:
            date = Date.today()
        periods = cls.search([
                ('fee_recognition_closed', '=', False),
                ('start_date', '<=', date),
                ('invoice_line.invoice.state', 'in', ['posted', 'paid']),
                ], order=[('start_date', 'ASC'), ('id', 'ASC')])
        cls.recognise(periods, date)

    @classmethod
    def recognise(cls, periods, date):
        """Post the access fee revenue of periods earned through date.

        At each month end (and on the last day of the access) the move
        takes the difference between the cumulative target and what is
        already recognised: Dr contract liability / Cr the fee's revenue
        account, reversed when negative (a cancellation dated back).
        """
        pool = Pool()
        Move = pool.get('account.move')
        if not periods:
            return
        periods = guard.lock(cls, periods)
        moves, to_save = [], []
        for period in periods:
            if period.fee_recognition_closed or not period.invoice_line:
                continue
            invoice = period.invoice_line.invoice
            if invoice.state not in {'posted', 'paid'}:
                continue
            currency = period.membership.company.currency
            recognised = period.fee_recognised or currency.round(Decimal(0))
            dates = period.get_fee_recognition_dates(date)
            for day in dates:
                target = period.get_fee_target(day)
                moves.append(period.new_fee_move(
                        day, target - recognised,
                        gettext('clinic_packs_accounting.msg_move_fee',
                            period=period.rec_name, date=day)))
                recognised = target
            if dates:
                period.fee_recognised = recognised
                period.fee_recognised_date = dates[-1]
                period.fee_recognition_closed = (
                    dates[-1] == period.get_fee_last_day())
                to_save.append(period)
        Move.save_post(moves)
        cls.save(to_save)

    def new_fee_move(self, date, amount, description):
        """Return an unsaved move recognising amount of the fee on date:
        Dr contract liability / Cr the fee's revenue account (reversed when
        negative), or None if amount is zero."""
        pool = Pool()
        Move = pool.get('account.move')
        membership = self.membership
        configuration = Move.pack_configuration(membership.company, self)
        return Move.new_pack_move(
            membership.company, date, self, 'revenue', description,
            [(configuration.contract_liability_account, amount),
                (self.invoice_line.account, -amount)],
            party=membership.party)

    @classmethod
    def recognise_credited(cls, periods, dates):
        """Catch the fee recognised up with the credits of fee invoices.

        Once a credit note of the fee is posted, what was recognised
        through the last recognition date is brought to the target of the
        lower fee, on the credit note's date (dates maps a period to it);
        the next month ends go on from there.
        """
        pool = Pool()
        Move = pool.get('account.move')
        moves = []
        for period in guard.lock(cls, periods):
            if not period.fee_recognised_date:
                continue
            target = period.get_fee_target(period.fee_recognised_date)
            date = dates[period]
            moves.append(period.new_fee_move(
                    date, target - period.fee_recognised,
                    gettext('clinic_packs_accounting.msg_move_fee_credited',
                        period=period.rec_name, date=date)))
            period.fee_recognised = target
            period.save()
        Move.save_post(moves)

    @classmethod
    def recognise_cancelled(cls, memberships):
        """Settle the access fee of the periods a cancellation ends.

        A period already recognised to its end is reopened when the
        effective date falls inside it; the fee is recognised through the
        effective date when it is past.
        """
        to_reopen, to_recognise = [], {}
        for membership in memberships:
            effective = membership.cancel_effective_date
            if not effective:
                continue
            period = membership.period_at(effective)
            if not period:
                continue
            if period.fee_recognition_closed and effective < period.end_date:
                to_reopen.append(period)
            today = guard.company_today(membership.company)
            if effective <= today:
                to_recognise.setdefault(today, []).append(period)
        if to_reopen:
            cls.write(to_reopen, {'fee_recognition_closed': False})
        for today, periods in to_recognise.items():
            cls.recognise(periods, today)


class Membership(metaclass=PoolMeta):
    __name__ = 'clinic.membership'

    @classmethod
    def request_cancellation(cls, memberships, request_date):
        pool = Pool()
        Period = pool.get('clinic.membership.period')
        super().request_cancellation(memberships, request_date)
        # Called by RPC too (with access checks): the cancellation the user
        # may request posts what it earns, as a button would.
        with without_check_access():
            Period.recognise_cancelled(
                cls.browse([m.id for m in memberships]))


class Invoice(metaclass=PoolMeta):
    __name__ = 'account.invoice'

    @classmethod
    def _post(cls, invoices):
        pool = Pool()
        Period = pool.get('clinic.membership.period')
        super()._post(invoices)
        dates = {}
        for invoice in cls.browse(invoices):
            for line in invoice.lines:
                period = line.credited_fee_period()
                if period:
                    dates[period] = (
                        invoice.accounting_date or invoice.invoice_date)
        if dates:
            Period.recognise_credited(list(dates), dates)


class InvoiceLine(metaclass=PoolMeta):
    __name__ = 'account.invoice.line'

    def is_pack_sale(self):
        # A membership fee is paid before the access it pays for: like a
        # pack, its fee, its cancellation refund and its credit notes go to
        # the contract liability.
        origin = self.origin
        if origin and origin.__name__ == 'clinic.membership.period':
            return True
        if self.credited_fee_period():
            return True
        return super().is_pack_sale()

    def credited_fee_period(self):
        "Return the membership period whose fee line this line credits."
        origin = self.origin
        if (origin and origin.__name__ == 'account.invoice.line'
                and origin.origin
                and origin.origin.__name__ == 'clinic.membership.period'):
            return origin.origin


class Move(metaclass=PoolMeta):
    __name__ = 'account.move'

    @classmethod
    def _get_origin(cls):
        return super()._get_origin() + ['clinic.membership.period']


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('clinic.membership.period|recognise_fees',
                "Recognise Membership Fees"))


class RollforwardLine(metaclass=PoolMeta):
    __name__ = 'clinic.pack.liability.rollforward.line'

    plan = fields.Many2One('clinic.membership.plan', "Membership Plan")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(1, ('plan', 'ASC NULLS LAST'))


class PostedLiabilityLine(metaclass=PoolMeta):
    __name__ = 'clinic.pack.liability.line.posted'

    plan = fields.Many2One('clinic.membership.plan', "Membership Plan")
    period = fields.Many2One('clinic.membership.period', "Membership Period")

    @classmethod
    def __register__(cls, module):
        table_h = cls.__table_handler__(module)
        had_period = table_h.column_exist('period')
        super().__register__(module)
        # Lines classified before memberships were accounted for.
        if not had_period:
            cls.classify_again()


class LiabilityLine(metaclass=PoolMeta):
    "The membership fees on the contract liability, by period and plan."
    __name__ = 'clinic.pack.liability.line'

    plan = fields.Many2One('clinic.membership.plan', "Membership Plan")
    period = fields.Many2One('clinic.membership.period', "Membership Period")

    @classmethod
    def _joins(cls):
        pool = Pool()
        Period = pool.get('clinic.membership.period')
        Membership = pool.get('clinic.membership')
        from_item, tables = super()._joins()
        invoice_line, credited = tables['invoice_line'], tables['credited']
        move, pack_id = tables['move'], tables['pack_id']
        fee_period = Period.__table__()
        moved_period = Period.__table__()
        period = tables['period'] = Period.__table__()
        membership = tables['membership'] = Membership.__table__()
        from_item = (from_item
            # The fee line, its refund and the credit notes of the fee line.
            .join(fee_period, 'LEFT', condition=(
                    (fee_period.id == Coalesce(
                            origin_id(invoice_line.origin, Period.__name__),
                            origin_id(credited.origin, Period.__name__)))
                    & (pack_id == Null)))
            .join(moved_period, 'LEFT', condition=(
                    (moved_period.id
                        == origin_id(move.origin, Period.__name__))
                    & (pack_id == Null)))
            .join(period, 'LEFT', condition=(
                    period.id == Coalesce(fee_period.id, moved_period.id)))
            .join(membership, 'LEFT', condition=(
                    period.membership == membership.id)))
        return from_item, tables

    @classmethod
    def _kinds(cls, tables):
        period, credited = tables['period'], tables['credited']
        move, amount = tables['move'], tables['amount']
        in_period = period.id != Null
        return super()._kinds(tables) + [
            (in_period & (credited.id != Null), 'cancellation'),
            (in_period & (move.pack_posting == 'allotment'), 'billing'),
            (in_period & (move.pack_posting == 'revenue'), 'revenue'),
            (in_period & (amount > 0), 'billing'),
            (in_period, 'refund'),
            ]

    @classmethod
    def _contracts(cls, tables):
        period = tables['period']
        return super()._contracts(tables) + [
            (period.id != Null, ref('clinic.membership.period', period.id)),
            ]

    @classmethod
    def _columns(cls, tables):
        columns = super()._columns(tables)
        columns['plan'] = tables['membership'].plan
        columns['period'] = tables['period'].id
        return columns

    @classmethod
    def _followed_sale(cls, facts, template):
        return (super()._followed_sale(facts, template)
            | facts.origin.like('clinic.membership.period,%')
            | facts.credited_origin.like('clinic.membership.period,%'))
