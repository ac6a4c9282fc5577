# This file is part of clinic_packs_accounting.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""Outstanding balances per pack and per patient at a date.

The balances are those at the end of the date, rebuilt from the ledger and
the redemptions dated on or before it, not the packs' current values: the
value still owed (G) is the sum of the contract liability lines of the pack
(with its share of the invoice line that sold it), the accrual (A) the sum
of its lines on the breakage accrual accounts, so that Σ G at any date is
the ledger's contract liability less the membership fees and the lines that
come from no pack.  The accounts are every account the module posted to in
these roles, not only those configured today
(ledger.LiabilityLine.followed_accounts).
"""
import datetime as dt
from decimal import Decimal

from sql import Literal, Null, With
from sql.aggregate import Count, Max, Min, Sum
from sql.conditionals import Case, Coalesce

from trytond.model import ModelSQL, ModelView, fields
from trytond.modules.clinic_packs.pack import QUANTITY_DIGITS, STATES
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction

from .access import report_companies
from .ledger import company_where, log_columns, origin_id

AGEING = [
    ('expired', "Expired"),
    ('0-30', "Expires in 0-30 days"),
    ('31-90', "Expires in 31-90 days"),
    ('91+', "Expires in 91+ days"),
    ('none', "No expiry"),
    ]


def _bool(condition):
    "A condition that is false, not null, when its operands are null."
    return Case((condition, True), else_=False)


def any_merged():
    "Whether a pack was ever merged into another."
    Pack = Pool().get('clinic.pack')
    pack = Pack.__table__()
    cursor = Transaction().connection.cursor()
    cursor.execute(*pack.select(Literal(1),
            where=pack.merged_into != Null, limit=1))
    return bool(cursor.fetchone())


def pack_balances(date, company=None, companies=None, lines=None,
        own_lines=True, merges=None):
    """Return a query of the packs' balances at the end of date.

    Columns: id (the pack), company, party (the patient then), template,
    currency, quantity N, redeemed_quantity C, remaining_quantity R, amount
    P, unit_value k (the current one: only modifications change it),
    remaining_amount G, breakage_accrued A, net (G - A), expiry_date (then),
    grace_days, ended (the state a merge, refund, cancellation or the last
    unit gave the pack by then, or null) and ageing (of the expiry, see
    AGEING).  Only the packs issued by then are listed, of company or of
    companies (ids) when given.

    lines is the query of the liability lines when the caller narrows
    them (to a company and a date, say); it is read inline by each use.
    Without own_lines, and when no pack was ever merged, the amounts leave
    out each pack's own lines for the caller to add (see
    Balance.totals_query).  merges tells whether a pack was ever merged
    when the caller has asked (see any_merged).
    """
    pool = Pool()
    Pack = pool.get('clinic.pack')
    Template = pool.get('clinic.pack.template')
    Event = pool.get('clinic.pack.event')
    Redemption = pool.get('clinic.pack.redemption')
    Move = pool.get('account.move')
    Line = pool.get('account.move.line')

    # Event dates are timestamps: those before the next day are on or
    # before date.
    next_day = dt.datetime.combine(
        date + dt.timedelta(days=1), dt.time.min)
    pack = Pack.__table__()
    template = Template.__table__()

    # Merges post nothing: the value and the accrual of the sources move to
    # the new pack, whose P is their G at the time of the merge.  So the
    # balances of a family of merged packs are rebuilt from the ledger lines
    # of all its members, each held at date by the last pack of its chain
    # of merges already counting: a merged pack counts from its start date
    # (a source still in its grace period makes it start before the day of
    # the merge, and it may be posted to from then).
    if merges is None:
        merges = any_merged()
    if merges:
        chain = With('pack', 'ancestor', 'depth', recursive=True)
        c_pack = Pack.__table__()
        c_up = Pack.__table__()
        chain.query = c_pack.select(c_pack.id, c_pack.id, Literal(0))
        chain.query |= (c_up
            .join(chain, condition=c_up.id == chain.ancestor)
            .select(chain.pack, c_up.merged_into, chain.depth + 1,
                where=c_up.merged_into != Null))
        chain.query.all_ = True
        # The date from which a pack of a chain counts: the earliest start
        # of the merged packs from it upwards.
        s_chain = chain.select(chain.pack, chain.ancestor, chain.depth)
        s_pack = Pack.__table__()
        started = (s_chain
            .join(s_pack, condition=s_pack.id == s_chain.ancestor)
            .select(
                s_chain.pack.as_('pack'),
                Min(Case((s_pack.origin.like('clinic.pack,%'),
                            s_pack.start_date))).as_('date'),
                group_by=[s_chain.pack]))
        # The pack holding another: the last of its chain counting by then.
        h_chain = chain.select(chain.pack, chain.ancestor, chain.depth)
        holding = (h_chain
            .join(started, condition=started.pack == h_chain.ancestor)
            .select(
                h_chain.pack.as_('pack'),
                Max(h_chain.depth).as_('depth'),
                where=(h_chain.depth > 0) & (started.date <= date),
                group_by=[h_chain.pack]))
        t_chain = chain.select(chain.pack, chain.ancestor, chain.depth)
        holders = (t_chain
            .join(holding, condition=(holding.pack == t_chain.pack)
                & (holding.depth == t_chain.depth))
            .select(
                t_chain.pack.as_('pack'), t_chain.ancestor.as_('holder')))
        with_ = [chain]
    else:
        # No pack was ever merged: none holds another nor starts from a
        # merge, and the chains of every pack need not be built.
        nothing = Pack.__table__()
        started = nothing.select(
            nothing.id.as_('pack'), nothing.start_date.as_('date'),
            where=Literal(False))
        holders = nothing.select(
            nothing.id.as_('pack'), nothing.id.as_('holder'),
            where=Literal(False))
        with_ = []

    # The lines of the net contract liability (see ledger.LiabilityLine),
    # read inline by each use: a common table expression read twice is
    # materialised, and PostgreSQL then guesses its rows blindly (it hashed
    # 100,000 packs' lines as 200 groups, spilling them to disk).
    LiabilityLine = pool.get('clinic.pack.liability.line')
    if lines is None:
        lines = LiabilityLine.table_query()
    # The lines that name the pack, in one pass: on the contract liability
    # (amount) and on the breakage accrual accounts followed (accrued).
    # Left to the caller without own_lines and merges.
    direct = None
    if merges or own_lines:
        direct = lines.select(
            lines.pack.as_('pack'),
            Sum(Case((lines.role == 'liability', lines.amount))).as_(
                'amount'),
            Sum(Case((lines.role == 'accrual', -lines.amount))).as_(
                'accrued'),
            where=(lines.pack != Null) & (lines.date <= date),
            group_by=[lines.pack])
    # The invoice lines that sold packs: when they were billed and credited.
    # Read by the packs and by the members of their families: evaluated
    # once.
    sales = With(query=lines.select(
            lines.sale_line.as_('sale_line'),
            Min(Case((lines.kind == 'billing', lines.date))).as_('billed'),
            Min(Case((lines.kind == 'cancellation', lines.date))).as_(
                'cancelled'),
            where=(lines.sale_line != Null) & (lines.role == 'liability')
            & (lines.date <= date),
            group_by=[lines.sale_line]))
    with_.append(sales)

    # Refunds by date.
    event = Event.__table__()
    ends = event.select(
        event.pack.as_('pack'),
        Min(Case((event.type == 'refund', event.date))).as_('refunded'),
        where=event.date < next_day,
        group_by=[event.pack])

    def is_cancelled(pack, sales):
        sold = pack.origin.like('account.invoice.line,%')
        return _bool((pack.state == 'cancelled') & Case(
                (sold, _bool(sales.cancelled != Null)),
                else_=_bool(pack.write_date < next_day)))

    # What each pack of a family brings to the pack holding it: its P (its
    # share of the invoice line's billing) and its lines.  An allotment pack
    # is credited its share by a line of its own and a merged pack's P only
    # moves value.
    def brings(member, sales, direct):
        zero = member.amount * 0
        billed = Case(
            (is_cancelled(member, sales), zero),
            (member.origin.like('clinic.membership.period,%'), zero),
            (member.origin.like('clinic.pack,%'), zero),
            (member.origin.like('account.invoice.line,%')
                & (sales.billed == Null), zero),
            # Entered by hand and billed by its opening move: its lines.
            (member.opening_move != Null, zero),
            else_=member.amount)
        if direct is None:
            return billed, zero
        return (billed + Coalesce(direct.amount, zero),
            Coalesce(direct.accrued, zero))
    if merges:
        member = Pack.__table__()
        m_holder = Coalesce(holders.holder, member.id)
        m_amount, m_accrued = brings(member, sales, direct)
        family = (member
            .join(holders, 'LEFT', condition=holders.pack == member.id)
            .join(direct, 'LEFT', condition=direct.pack == member.id)
            .join(sales, 'LEFT', condition=(
                    sales.sale_line
                    == origin_id(member.origin, 'account.invoice.line')))
            .select(
                m_holder.as_('pack'),
                Sum(m_amount).as_('amount'),
                Sum(m_accrued).as_('accrued'),
                group_by=[m_holder]))
    else:
        # Every family is its one pack: what it brings is read on its own
        # row, without grouping every pack again (none without own_lines).
        family = direct

    # Units redeemed: a redemption counts from its recognition and stops
    # counting when its reversal is posted (their service date without
    # moves).
    redemption = Redemption.__table__()
    r_move = Move.__table__()
    r_line = Line.__table__()
    # The contract liability accounts followed (their company's own).
    followed = [a for a, r in LiabilityLine.followed_roles().items()
        if r == 'liability']
    r_followed = r_line.account.in_(followed or [-1])
    recognised = (redemption
        .join(r_move, 'LEFT', condition=(
                origin_id(r_move.origin, 'clinic.pack.redemption')
                == redemption.id))
        .join(r_line, 'LEFT', condition=r_line.move == r_move.id)
        .select(
            redemption.id.as_('id'),
            redemption.pack.as_('pack'),
            redemption.units.as_('units'),
            redemption.state.as_('state'),
            redemption.date.as_('date'),
            Min(Case((r_followed & (r_line.debit > 0),
                        r_move.date))).as_('done'),
            Min(Case((r_followed & (r_line.credit > 0),
                        r_move.date))).as_('undone'),
            where=redemption.state.in_(['done', 'cancelled']),
            group_by=[redemption.id, redemption.pack, redemption.units,
                redemption.state, redemption.date]))
    done = Coalesce(recognised.done, recognised.date)
    undone = Coalesce(recognised.undone, done)
    redeemed = recognised.select(
        recognised.pack.as_('pack'),
        Sum(Case((
                    (done <= date)
                    & ~_bool((recognised.state == 'cancelled')
                        & (undone <= date)),
                    recognised.units),
                else_=recognised.units * 0)).as_('units'),
        group_by=[recognised.pack])

    # Extensions after date: the units they added and the expiry before.
    event = Event.__table__()
    later = event.select(
        event.pack.as_('pack'),
        Sum(Coalesce(event.quantity, 0)).as_('quantity'),
        Min(event.id).as_('first'),
        where=(event.type == 'extension') & (event.date >= next_day),
        group_by=[event.pack])
    extension = Event.__table__()
    # Transfers after date: the patient then.
    event = Event.__table__()
    transfers = event.select(
        event.pack.as_('pack'),
        Min(event.id).as_('first'),
        where=(event.type == 'transfer') & (event.date >= next_day),
        group_by=[event.pack])
    transfer = Event.__table__()

    query = (pack
        .join(template, condition=pack.template == template.id)
        .join(sales, 'LEFT', condition=(
                sales.sale_line
                == origin_id(pack.origin, 'account.invoice.line')))
        .join(ends, 'LEFT', condition=ends.pack == pack.id)
        .join(started, 'LEFT', condition=started.pack == pack.id)
        .join(holders, 'LEFT', condition=holders.pack == pack.id)
        .join(redeemed, 'LEFT', condition=redeemed.pack == pack.id)
        .join(later, 'LEFT', condition=later.pack == pack.id)
        .join(extension, 'LEFT', condition=extension.id == later.first)
        .join(transfers, 'LEFT', condition=transfers.pack == pack.id)
        .join(transfer, 'LEFT', condition=transfer.id == transfers.first))
    if family is not None:
        query = query.join(family, 'LEFT', condition=family.pack == pack.id)

    sold = pack.origin.like('account.invoice.line,%')
    merged_result = pack.origin.like('clinic.pack,%')
    merged_away = _bool(holders.holder != Null)
    refunded = _bool(ends.refunded != Null)
    cancelled = is_cancelled(pack, sales)
    issued = Case(
        (sold, _bool(sales.billed != Null)),
        (merged_result, _bool(started.date <= date)),
        else_=_bool(pack.start_date <= date))
    zero = pack.amount * 0
    if merges:
        family_amount = Coalesce(family.amount, zero)
        family_accrued = Coalesce(family.accrued, zero)
    else:
        family_amount, family_accrued = brings(pack, sales, family)
    remaining_amount = Case(
        (merged_away, zero),
        else_=family_amount)
    accrued = Case(
        (merged_away, zero),
        else_=family_accrued)
    quantity = pack.quantity - Coalesce(later.quantity, 0)
    redeemed_quantity = Coalesce(redeemed.units, pack.quantity * 0)
    remaining_quantity = Case(
        (merged_away | refunded | cancelled, pack.quantity * 0),
        else_=quantity - redeemed_quantity)
    expiry_date = Case(
        (later.first != Null, extension.previous_expiry_date),
        else_=pack.expiry_date)
    ended = Case(
        (pack.state == 'draft', 'draft'),
        (merged_away, 'merged'),
        (refunded, 'refunded'),
        (cancelled, 'cancelled'),
        (remaining_quantity <= 0, 'exhausted'),
        else_=Null)
    ageing = Case(
        (expiry_date == Null, 'none'),
        (expiry_date < date, 'expired'),
        (expiry_date <= date + dt.timedelta(days=30), '0-30'),
        (expiry_date <= date + dt.timedelta(days=90), '31-90'),
        else_='91+')

    where = issued & ((pack.state != 'draft') | (pack.origin != Null))
    if company is not None:
        where &= pack.company == company
    in_companies = company_where(pack.company, companies)
    if in_companies is not None:
        where &= in_companies
    return query.select(
        pack.id.as_('id'),
        pack.company.as_('company'),
        Coalesce(transfer.from_party, pack.party).as_('party'),
        pack.template.as_('template'),
        pack.currency.as_('currency'),
        quantity.as_('quantity'),
        redeemed_quantity.as_('redeemed_quantity'),
        remaining_quantity.as_('remaining_quantity'),
        pack.amount.as_('amount'),
        pack.unit_value.as_('unit_value'),
        remaining_amount.as_('remaining_amount'),
        accrued.as_('breakage_accrued'),
        (remaining_amount - accrued).as_('net'),
        expiry_date.as_('expiry_date'),
        template.grace_days.as_('grace_days'),
        ended.as_('ended'),
        ageing.as_('ageing'),
        where=where, with_=with_)


def _context_date():
    context = Transaction().context
    date = context.get('date')
    if not date:
        date = Pool().get('ir.date').today()
    return date


class BalanceContext(ModelView):
    "Pack Balances Context"
    __name__ = 'clinic.pack.balance.context'

    company = fields.Many2One('company.company', "Company", required=True)
    date = fields.Date(
        "Date", required=True,
        help="The balances at the end of this day.")

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_date(cls):
        return Transaction().context.get(
            'date', Pool().get('ir.date').today())


class Balance(ModelSQL, ModelView):
    "Pack Balance"
    __name__ = 'clinic.pack.balance'

    pack = fields.Function(
        fields.Many2One('clinic.pack', "Pack"), 'get_pack')
    company = fields.Many2One('company.company', "Company")
    party = fields.Many2One(
        'party.party', "Patient",
        context={'company': Eval('company', -1)}, depends=['company'])
    template = fields.Many2One('clinic.pack.template', "Template")
    currency = fields.Many2One('currency.currency', "Currency")
    quantity = fields.Numeric(
        "Sessions Bought", digits=QUANTITY_DIGITS,
        help="The sessions the pack was sold with (hours for an hour "
        "pack, the amount for a money pack).")
    redeemed_quantity = fields.Numeric(
        "Used", digits=QUANTITY_DIGITS,
        help="The sessions used by the end of the date.")
    remaining_quantity = fields.Numeric(
        "Left", digits=QUANTITY_DIGITS,
        help="The sessions left at the end of the date.")
    # The screens show the quantities per unit: whole sessions, hours and
    # minutes, or currency.
    quantity_text = fields.Function(fields.Char("Sessions Bought",
            help="The sessions the pack was sold with (hours for an hour "
            "pack, the amount for a money pack)."), 'get_quantity_text')
    redeemed_text = fields.Function(fields.Char("Used",
            help="The sessions used by the end of the date."),
        'get_quantity_text')
    remaining_text = fields.Function(fields.Char("Left",
            help="The sessions left at the end of the date."),
        'get_quantity_text')
    amount = Monetary(
        "Price", currency='currency', digits='currency',
        help="The price the pack was sold at.")
    # Kept exact for the arithmetic, shown in the currency's digits.
    unit_value = Monetary(
        "Value per Session", currency='currency', digits='currency',
        help="The price divided by the sessions bought (by the hours for an "
        "hour pack); the current value: only a modification of the pack "
        "changes it.")
    remaining_amount = Monetary(
        "Liability", currency='currency', digits='currency',
        help="The contract liability still held for the pack: the value "
        "of the sessions left.")
    breakage_accrued = Monetary(
        "Breakage Accrued", currency='currency', digits='currency',
        help="The revenue already recognised for the part of the pack "
        "expected never to be used, in proportion to the sessions used.")
    net = Monetary(
        "Net Liability", currency='currency', digits='currency',
        help="Liability less breakage accrued.")
    expiry_date = fields.Date("Expiry Date")
    grace_days = fields.Integer("Grace Days")
    ended = fields.Selection(STATES + [(None, '')], "Ended")
    state = fields.Function(
        fields.Selection(STATES, "State"), 'get_state')
    ageing = fields.Selection(AGEING, "Expiry", sort=False,
        help="The days from the date until the pack expires.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [
            ('party', 'ASC'),
            ('expiry_date', 'ASC NULLS LAST'),
            ('id', 'ASC'),
            ]

    @classmethod
    def table_query(cls):
        # The context's company if it is the user's, else all the user's.
        query = pack_balances(
            _context_date(), companies=report_companies())
        return query.select(
            *log_columns(), *[
                getattr(query, name) for name in [
                    'id', 'company', 'party', 'template', 'currency',
                    'quantity', 'redeemed_quantity', 'remaining_quantity',
                    'amount', 'unit_value', 'remaining_amount',
                    'breakage_accrued', 'net', 'expiry_date', 'grace_days',
                    'ended', 'ageing']])

    @classmethod
    def totals(cls, company, date):
        "Return (Σ G, Σ A) of company's packs at the end of date."
        query = cls.totals_query(company, date)
        cursor = Transaction().connection.cursor()
        cursor.execute(*query)
        remaining, accrued = cursor.fetchone()
        return Decimal(remaining), Decimal(accrued)

    @classmethod
    def totals_query(cls, company, date, lines=None):
        """Return the query of the one row (Σ G, Σ A) of company's packs
        at the end of date, reading the liability lines from lines when
        given (see pack_balances)."""
        if any_merged():
            packs = pack_balances(date, company.id, lines=lines)
            return packs.select(
                Coalesce(Sum(packs.remaining_amount), 0).as_('remaining'),
                Coalesce(Sum(packs.breakage_accrued), 0).as_('accrued'))
        # Without merges each pack holds its own lines: they are summed over
        # the packs listed by a join, not grouped per pack first (half the
        # time over 1,000,000 lines).
        if lines is None:
            lines = Pool().get('clinic.pack.liability.line').table_query()
        # The packs listed are read once by both sums, and only what they
        # read: PostgreSQL materialises every column it is given (the units
        # redeemed, say).
        listed = pack_balances(date, company.id, lines=lines,
            own_lines=False, merges=False)
        packs = With(query=listed.select(
                listed.id.as_('id'), listed.remaining_amount.as_(
                    'remaining_amount')))
        billed = packs.select(
            Sum(packs.remaining_amount).as_('amount'))
        own = (lines
            .join(packs, condition=lines.pack == packs.id)
            .select(
                Sum(Case((lines.role == 'liability', lines.amount))).as_(
                    'amount'),
                Sum(Case((lines.role == 'accrual', -lines.amount))).as_(
                    'accrued'),
                where=lines.date <= date))
        return billed.join(own, condition=Literal(True)).select(
            (Coalesce(billed.amount, 0) + Coalesce(own.amount, 0)).as_(
                'remaining'),
            Coalesce(own.accrued, 0).as_('accrued'),
            with_=[packs])

    def get_rec_name(self, name):
        return self.pack.rec_name if self.pack else str(self.id)

    def get_pack(self, name):
        return self.id

    @classmethod
    def get_quantity_text(cls, balances, names):
        Pack = Pool().get('clinic.pack')
        packs = {p.id: p for p in Pack.browse([b.id for b in balances])}
        result = {}
        for name in names:
            field = name.replace('_text', '_quantity').replace(
                'quantity_quantity', 'quantity')
            result[name] = {b.id: packs[b.id].format_units(getattr(b, field))
                if getattr(b, field) is not None else '' for b in balances}
        return result

    def get_state(self, name):
        "The state at the date: expired once the grace period is over."
        if self.ended:
            return self.ended
        date = _context_date()
        if self.expiry_date and (self.expiry_date
                + dt.timedelta(days=self.grace_days or 0)) < date:
            return 'expired'
        return 'active'


class PartyBalance(ModelSQL, ModelView):
    "Patient Pack Balance"
    __name__ = 'clinic.pack.balance.party'

    company = fields.Many2One('company.company', "Company")
    party = fields.Many2One(
        'party.party', "Patient",
        context={'company': Eval('company', -1)}, depends=['company'])
    currency = fields.Many2One('currency.currency', "Currency")
    packs = fields.Integer("Packs")
    remaining_amount = Monetary(
        "Liability", currency='currency', digits='currency',
        help="The contract liability still held for the patient's packs.")
    breakage_accrued = Monetary(
        "Breakage Accrued", currency='currency', digits='currency',
        help="The revenue already recognised for the part of the packs "
        "expected never to be used, in proportion to the sessions used.")
    net = Monetary(
        "Net Liability", currency='currency', digits='currency',
        help="Liability less breakage accrued.")
    expired = Monetary(
        "Expired", currency='currency', digits='currency',
        help="The liability of the packs past their expiry date.")
    expiring_30 = Monetary(
        "Expires in 0-30 days", currency='currency', digits='currency',
        help="The liability of the packs expiring within 30 days.")
    expiring_90 = Monetary(
        "Expires in 31-90 days", currency='currency', digits='currency',
        help="The liability of the packs expiring in 31 to 90 days.")
    expiring_later = Monetary(
        "Expires in 91+ days", currency='currency', digits='currency',
        help="The liability of the packs expiring in more than 90 days.")
    no_expiry = Monetary(
        "No expiry", currency='currency', digits='currency',
        help="The liability of the packs that never expire.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('party', 'ASC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        packs = pack_balances(
            _context_date(), companies=report_companies())
        zero = packs.remaining_amount * 0

        def ageing(key):
            return Sum(Case((packs.ageing == key, packs.remaining_amount),
                    else_=zero))
        return packs.select(
            packs.party.as_('id'),
            *log_columns(),
            packs.company.as_('company'),
            packs.party.as_('party'),
            packs.currency.as_('currency'),
            Count(packs.id).as_('packs'),
            Sum(packs.remaining_amount).as_('remaining_amount'),
            Sum(packs.breakage_accrued).as_('breakage_accrued'),
            Sum(packs.net).as_('net'),
            ageing('expired').as_('expired'),
            ageing('0-30').as_('expiring_30'),
            ageing('31-90').as_('expiring_90'),
            ageing('91+').as_('expiring_later'),
            ageing('none').as_('no_expiry'),
            group_by=[packs.company, packs.party, packs.currency])


def pack_totals(company, date):
    "Return (Σ G, Σ A) of company's packs at the end of date."
    return Pool().get('clinic.pack.balance').totals(company, date)
