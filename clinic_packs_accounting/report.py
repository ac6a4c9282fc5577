# This file is part of clinic_packs_accounting.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
import datetime as dt
from decimal import Decimal

from sql import Cast, Column, Literal, Null, Union, With
from sql.aggregate import Count, Max, Sum
from sql.conditionals import Case, Coalesce
from sql.operators import Exists

from trytond.model import ModelSQL, ModelView, fields
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool
from trytond.pyson import Eval, PYSONEncoder
from trytond.tools import reduce_ids
from trytond.transaction import Transaction

from .access import check_report_company, report_companies
from .ledger import company_where, log_columns, pack_contract, ref
from .opening import EARNED, contract_figures, value_from_opening


def unheld(lines):
    """Return the condition that no pack holds the line of lines (an
    exception): a line from no pack ("other"), or a line of a sale of a
    template's product that issued no pack.  Such a sale was posted before
    its product had a template, to revenue: a line on the liability naming
    it (a correction, say) is no pack's.

    Those sale lines are found first, by a query of their own: as a
    condition of the report's query, PostgreSQL planned it as a probe per
    line and the report's estimated cost passed its threshold for JIT
    compilation (0.2 s of probes and 0.8 s of compiling at 100,000
    packs)."""
    pool = Pool()
    LiabilityLine = pool.get('clinic.pack.liability.line')
    Pack = pool.get('clinic.pack')
    sales = LiabilityLine.table_query()
    pack = Pack.__table__()
    cursor = Transaction().connection.cursor()
    cursor.execute(*sales.select(sales.id,
            where=(sales.sale_line != Null) & (sales.period == Null)
            & ~Exists(pack.select(Literal(1),
                    where=pack.origin == ref(
                        'account.invoice.line', sales.sale_line)))))
    ids = [i for i, in cursor]
    condition = lines.kind == 'other'
    if ids:
        condition |= reduce_ids(lines.id, ids)
    return condition


def liability_lines():
    """Return the lines of the net contract liability as a common table
    expression (see ledger.LiabilityLine): a query that reads them more than
    once evaluates them once."""
    LiabilityLine = Pool().get('clinic.pack.liability.line')
    return With(query=LiabilityLine.table_query())


def merge_transfers(lines):
    """Return a query of the value merges moved between contracts, reading
    the liability lines from lines.

    A merge posts nothing, so the ledger keeps a source pack's value on the
    contract that billed it while the merged pack's uses post to its own.
    The roll-forward moves the value (the source's net liability at the
    merge: its G, kept on its merge event, less the breakage accrual that
    follows it into the merged pack) to the merged pack's contract on the
    day the merged pack starts, as the balances at a date do: a row out of
    each source and one into the merged pack, adding up to zero.

    Columns: company, date, amount, kind ("transfer"), template, plan
    (null), contract, other (the contract at the other end) and event (the
    source's merge event, which orders the merges of a day).
    """
    pool = Pool()
    Event = pool.get('clinic.pack.event')
    Pack = pool.get('clinic.pack')
    event = Event.__table__()
    source = Pack.__table__()
    merged = Pack.__table__()

    # A source's accrual at the merge: the accrual lines of its own moves
    # and of the packs merged into it before (their accrual followed it
    # without an entry).
    tree = With('pack', 'member', recursive=True)
    t_pack = Pack.__table__()
    t_up = Pack.__table__()
    tree.query = t_pack.select(t_pack.id, t_pack.id,
        where=t_pack.merged_into != Null)
    tree.query |= (t_up
        .join(tree, condition=t_up.merged_into == tree.member)
        .select(tree.pack, t_up.id))
    tree.query.all_ = True
    accrual = lines.select(
        lines.pack.as_('pack'),
        Sum(-lines.amount).as_('amount'),
        where=(lines.role == 'accrual') & (lines.pack != Null),
        group_by=[lines.pack])
    accrued = (tree
        .join(accrual, condition=accrual.pack == tree.member)
        .select(
            tree.pack.as_('pack'),
            Sum(accrual.amount).as_('amount'),
            group_by=[tree.pack], with_=[tree]))

    query = (event
        .join(source, condition=event.pack == source.id)
        .join(merged, condition=(event.related_pack == merged.id)
            & (source.merged_into == merged.id))
        .join(accrued, 'LEFT', condition=accrued.pack == source.id))
    where = (event.type == 'merge') & (event.amount != Null)
    net = event.amount - Coalesce(accrued.amount, event.amount * 0)

    def rows(pack, other, amount):
        return query.select(
            pack.company.as_('company'),
            merged.start_date.as_('date'),
            amount.as_('amount'),
            Literal('transfer').as_('kind'),
            pack.template.as_('template'),
            Cast(Literal(None), 'INTEGER').as_('plan'),
            pack_contract(pack).as_('contract'),
            pack_contract(other).as_('other'),
            event.id.as_('event'),
            where=where)
    return Union(
        rows(source, merged, -net),
        rows(merged, source, net), all_=True)


def movements(lines, merges=True):
    """Return a query of what moves the contract liability of each contract:
    the liability lines (read from lines) and, when merges, the merge
    transfers.

    Columns: company, date, amount, kind, template, plan and contract.
    """
    columns = ['company', 'date', 'amount', 'kind', 'template', 'plan',
        'contract']
    query = lines.select(*(getattr(lines, c).as_(c) for c in columns))
    if merges:
        transfers = merge_transfers(lines)
        query = Union(query,
            transfers.select(*(getattr(transfers, c).as_(c) for c in columns)),
            all_=True)
    return query


class DateRangeMixin:
    "A company and a date range, this year to date unless told."
    __slots__ = ()

    company = fields.Many2One('company.company', "Company", required=True)
    from_date = fields.Date("From Date", required=True,
        domain=[('from_date', '<=', Eval('to_date', None))])
    to_date = fields.Date("To Date", required=True,
        domain=[('to_date', '>=', Eval('from_date', None))])

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_from_date(cls):
        today = Pool().get('ir.date').today()
        return Transaction().context.get(
            'from_date', today.replace(month=1, day=1))

    @classmethod
    def default_to_date(cls):
        return Transaction().context.get(
            'to_date', Pool().get('ir.date').today())


class RollforwardContext(DateRangeMixin, ModelView):
    "Contract Liability Roll-forward Context"
    __name__ = 'clinic.pack.liability.rollforward.context'


class RollforwardLine(ModelSQL, ModelView):
    "Contract Liability Roll-forward"
    __name__ = 'clinic.pack.liability.rollforward.line'

    company = fields.Many2One('company.company', "Company")
    template = fields.Many2One('clinic.pack.template', "Pack Template")
    currency = fields.Many2One('currency.currency', "Currency")
    opening = Monetary(
        "Opening", currency='currency', digits='currency',
        help="The net contract liability (contract liability less "
        "breakage accrual) at the end of the day before the period.")
    billings = Monetary(
        "Billings", currency='currency', digits='currency')
    cancellations = Monetary(
        "Cancellations", currency='currency', digits='currency')
    revenue = Monetary(
        "Service Revenue", currency='currency', digits='currency')
    accrual = Monetary(
        "Breakage Accrued", currency='currency', digits='currency',
        help="The proportional breakage accrued on the breakage accrual "
        "account as units are used (breakage revenue), net of its "
        "reversals.")
    breakage = Monetary(
        "Breakage", currency='currency', digits='currency',
        help="The breakage revenue of expiries: the liability left less "
        "the accrual they release (already in Breakage Accrued when it "
        "accrued), net of reinstatements.")
    refunds = Monetary(
        "Refunds", currency='currency', digits='currency')
    unclaimed = Monetary(
        "Unclaimed Property", currency='currency', digits='currency')
    transfers = Monetary(
        "Merges", currency='currency', digits='currency',
        help="The value merges moved into the template's packs less the "
        "value they moved out: merges post nothing, so this adds up to "
        "zero over the templates.")
    other = Monetary(
        "Other", currency='currency', digits='currency',
        help="Lines on the liability or accrual accounts from no pack: "
        "exceptions.")
    closing = Monetary(
        "Closing", currency='currency', digits='currency',
        help="The net contract liability at the end of the period: the "
        "ledger's balance of the contract liability accounts less that of "
        "the breakage accrual accounts.")
    revenue_from_opening = fields.Function(Monetary(
            "Revenue from Opening", currency='currency', digits='currency',
            help="IFRS 15.116(b): revenue of the period (service revenue, "
            "breakage accrued and breakage) that was in the opening net "
            "liability, consuming each contract's opening balance first, "
            "never more than the contract earned in the period; a merge in "
            "the period carries what is left of it to the merged pack."),
        'get_revenue_from_opening')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('template', 'ASC NULLS LAST'), ('id', 'ASC')]

    @classmethod
    def _row(cls, lines):
        "The roll-forward row of lines: their template, plan or company."
        return Case((lines.template != Null, lines.template * 3),
            (lines.plan != Null, lines.plan * 3 + 1),
            else_=lines.company * 3 + 2)

    @classmethod
    def _where(cls, lines):
        "The lines through the context's end date of the user's companies."
        context = Transaction().context
        to_date = context.get('to_date') or dt.date.max
        where = lines.date <= to_date
        # The context's company if it is the user's, else all the user's.
        in_companies = company_where(lines.company, report_companies())
        if in_companies is not None:
            where &= in_companies
        return where

    @classmethod
    def table_query(cls):
        """The roll-forward per template, plan or company (see _row) for
        the context's company and dates (see the fields).

        Every figure is a sum of lines, so the lines are summed per row
        directly rather than per contract first: a grouping by three
        integers instead of by the contracts' text.  They are first summed
        per row, kind and side of the period's start, a few groups whose
        sums the figures then pick: one sum per line instead of one
        conditional sum per line and figure (half the query's time over
        1,100,000 lines)."""
        pool = Pool()
        Company = pool.get('company.company')
        company = Company.__table__()
        context = Transaction().context
        from_date = context.get('from_date') or dt.date.min
        liability = liability_lines()
        # Without merges the lines are read once, so that PostgreSQL reads
        # them inline with the report's filters instead of materialising
        # them all first.
        lines = movements(liability, merges=cls._has_merges())
        # Grouped by the columns of a subquery, not by the expressions
        # again: psycopg 3 (8.0) binds each parameter apart, and PostgreSQL
        # does not see the grouped expressions as the selected ones.
        keys = ['company', 'template', 'plan', 'kind', 'before']
        sided = lines.select(
            *(getattr(lines, k).as_(k) for k in keys[:-1]),
            (lines.date < from_date).as_('before'),
            lines.amount.as_('amount'),
            where=cls._where(lines))
        grouped = sided.select(
            *(getattr(sided, k).as_(k) for k in keys),
            Sum(sided.amount).as_('amount'),
            group_by=[getattr(sided, k) for k in keys])
        # The amounts' own scale, so that sums of nothing read 0.00: taken
        # once per row from their sum, not per line (a numeric product per
        # line and column doubled the query).
        zero = Sum(grouped.amount) * 0

        def total(condition):
            return Coalesce(Sum(Case((condition, grouped.amount))), zero)

        def period(kind):
            return total(~grouped.before & (grouped.kind == kind))
        return (grouped
            .join(company, condition=grouped.company == company.id)
            .select(
                # An aggregate, so that PostgreSQL filters the rows read by
                # id once they are summed: pushed down to the lines, the
                # filter made it guess a few thousand lines for 1,100,000
                # and sort them on disk instead of hashing them.
                Max(cls._row(grouped)).as_('id'),
                *log_columns(),
                grouped.company.as_('company'),
                grouped.template.as_('template'),
                grouped.plan.as_('plan'),
                company.currency.as_('currency'),
                total(grouped.before).as_('opening'),
                period('billing').as_('billings'),
                (-period('cancellation')).as_('cancellations'),
                (-period('revenue')).as_('revenue'),
                (-period('accrual')).as_('accrual'),
                (-period('breakage')).as_('breakage'),
                (-period('refund')).as_('refunds'),
                (-period('unclaimed')).as_('unclaimed'),
                period('transfer').as_('transfers'),
                period('other').as_('other'),
                Sum(grouped.amount).as_('closing'),
                group_by=[
                    grouped.company, grouped.template, grouped.plan,
                    company.currency],
                with_=[liability]))

    @classmethod
    def opening_revenue(cls):
        """Return per contract of the context's roll-forward its row, its
        opening net balance, what it earned in the period and the revenue
        of the period from the opening balance (IFRS 15.116(b), see
        opening.value_from_opening)."""
        context = Transaction().context
        from_date = context.get('from_date') or dt.date.min
        to_date = context.get('to_date') or dt.date.max
        cursor = Transaction().connection.cursor()
        has_merges = cls._has_merges()
        liability = liability_lines()
        lines = movements(liability, merges=has_merges)
        zero = lines.amount * 0
        # Summed per contract before the period and earned in it (see
        # contract_figures): one row per contract, not one per kind.
        # Grouped by the columns of a subquery, not by the expressions
        # again: psycopg 3 (8.0) binds each parameter apart, and PostgreSQL
        # does not see the grouped expressions as the selected ones.
        rowed = lines.select(
            cls._row(lines).as_('row'), lines.contract,
            Case((lines.date < from_date, lines.amount),
                else_=zero).as_('opening'),
            Case(((lines.date >= from_date)
                    & lines.kind.in_(sorted(EARNED)), lines.amount),
                else_=zero).as_('earned'),
            where=cls._where(lines))
        cursor.execute(*rowed.select(
                rowed.row, rowed.contract,
                Sum(rowed.opening), Sum(rowed.earned),
                group_by=[rowed.row, rowed.contract],
                with_=[liability]))
        rows, summed = {}, []
        for row, contract, opening_, earned_ in cursor:
            rows[contract] = row
            # SQLite sums numerics as floats.
            summed.append((contract, None, False, Decimal(str(opening_))))
            summed.append((contract, 'revenue', True, Decimal(str(earned_))))
        opening, earned = contract_figures(summed)
        merges = []
        # The merges read the liability lines again: only when there are.
        if has_merges:
            liability = liability_lines()
            transfers = merge_transfers(liability)
            where = ((transfers.amount < 0)
                & (transfers.date >= from_date)
                & (transfers.date <= to_date))
            in_companies = company_where(
                transfers.company, report_companies())
            if in_companies is not None:
                where &= in_companies
            cursor.execute(*transfers.select(
                    transfers.contract, transfers.other, -transfers.amount,
                    where=where, order_by=[transfers.event.asc],
                    with_=[liability]))
            merges = [(s, m, Decimal(str(a))) for s, m, a in cursor]
        used = value_from_opening(opening, earned, merges)
        return {c: (rows[c], opening[c], earned[c], used.get(c, Decimal(0)))
            for c in rows}

    @classmethod
    def _has_merges(cls):
        "Whether a pack was ever merged (with a value moved)."
        Event = Pool().get('clinic.pack.event')
        event = Event.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*event.select(Literal(1),
                where=(event.type == 'merge') & (event.amount != Null),
                limit=1))
        return bool(cursor.fetchone())

    @classmethod
    def opening_revenue_by_row(cls):
        """Return per row of the context's roll-forward its revenue of the
        period from the opening balance (IFRS 15.116(b)): the contracts'
        figures of opening_revenue summed per row.

        Without merges each contract uses the lesser of its opening balance
        and what it earned (see opening.value_from_opening), so PostgreSQL
        sums it per contract and per row and returns a few rows instead of
        one per contract; merges need the FIFO of opening_revenue.

        Only a contract that earned in the period can use its opening
        balance, so only those contracts are grouped: found first by the
        period's lines, they are the contracts active in the period, not
        the whole history's (see earning_contracts)."""
        if cls._has_merges():
            result = {}
            for row, _, _, used in cls.opening_revenue().values():
                result[row] = result.get(row, Decimal(0)) + used
            return result
        context = Transaction().context
        from_date = context.get('from_date') or dt.date.min
        cursor = Transaction().connection.cursor()
        liability = liability_lines()
        lines = movements(liability, merges=False)
        # Null, not zero, for the lines outside a figure: no numeric
        # product per line (see table_query).
        earning, earning_contracts = cls.earning_contracts()
        rowed = lines.select(
            cls._row(lines).as_('row'), lines.contract,
            Case((lines.date < from_date, lines.amount)).as_('opening'),
            Case(((lines.date >= from_date)
                    & lines.kind.in_(sorted(EARNED)), -lines.amount)
                ).as_('earned'),
            # Not "or no contract": PostgreSQL then probes the contracts
            # for each line instead of joining them (minutes, not a second).
            # Every line has one (see ledger.LiabilityLine._contracts).
            where=cls._where(lines)
            & lines.contract.in_(earning_contracts))
        # A contract's lines are all on one row; should one not be, its
        # figure goes to one of its rows, as opening_revenue's does.
        contracts = rowed.select(
            Max(rowed.row).as_('row'),
            Sum(rowed.opening).as_('opening'),
            Sum(rowed.earned).as_('earned'),
            group_by=[rowed.contract])
        zero = Literal(0)
        available = Case((contracts.opening > 0, contracts.opening),
            else_=zero)
        left = Case((contracts.earned > 0, contracts.earned), else_=zero)
        used = Case((available < left, available), else_=left)
        cursor.execute(*contracts.select(
                contracts.row, Sum(used),
                group_by=[contracts.row], with_=[liability, earning]))
        # SQLite sums numerics as floats.
        return {row: Decimal(str(amount)) for row, amount in cursor}

    @classmethod
    def earning_contracts(cls):
        """Return the liability lines (a common table expression of their
        own, read once, so that PostgreSQL reads them inline with the
        filters) and the query of the contracts with a line earned in the
        context's period: over years of history, the few active in the
        period."""
        context = Transaction().context
        from_date = context.get('from_date') or dt.date.min
        liability = liability_lines()
        lines = movements(liability, merges=False)
        return liability, lines.select(lines.contract,
            where=cls._where(lines) & (lines.date >= from_date)
            & lines.kind.in_(sorted(EARNED)))

    @classmethod
    def get_revenue_from_opening(cls, lines, name):
        used = cls.opening_revenue_by_row()
        return {l.id: l.currency.round(used.get(l.id, Decimal(0)))
            for l in lines}


class ExceptionLine(ModelSQL, ModelView):
    "Contract Liability Exception"
    __name__ = 'clinic.pack.liability.exception'

    company = fields.Many2One('company.company', "Company")
    move_line = fields.Many2One('account.move.line', "Move Line")
    date = fields.Date("Date")
    account = fields.Many2One('account.account', "Account")
    role = fields.Selection([
            ('liability', "Contract Liability"),
            ('accrual', "Breakage Accrual"),
            ], "Role")
    amount = fields.Numeric("Amount", digits=(16, 2),
        help="Credit minus debit: what the line adds to the net contract "
        "liability (a debit on the breakage accrual account lowers it).")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'ASC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        context = Transaction().context
        lines = liability_lines()
        where = unheld(lines)
        if context.get('date'):
            where &= lines.date <= context['date']
        in_companies = company_where(lines.company, report_companies())
        if in_companies is not None:
            where &= in_companies
        return lines.select(
            lines.id.as_('id'),
            *log_columns(),
            lines.company.as_('company'),
            lines.id.as_('move_line'),
            lines.date.as_('date'),
            lines.account.as_('account'),
            lines.role.as_('role'),
            lines.amount.as_('amount'),
            where=where, with_=[lines])


class ReconciliationContext(ModelView):
    "Contract Liability Reconciliation Context"
    __name__ = 'clinic.pack.liability.reconciliation.context'

    company = fields.Many2One('company.company', "Company", required=True)
    date = fields.Date("Date", required=True)

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_date(cls):
        return Transaction().context.get(
            'date', Pool().get('ir.date').today())


def _figure(string, help):
    return fields.Function(Monetary(string, currency='currency',
            digits='currency', help=help), 'get_figures')


class Reconciliation(ModelSQL, ModelView):
    """Reconcile the ledger's contract liability with the packs.

    One row per company at the context's date (today unless told): the
    balance of the contract liability accounts is compared with the packs'
    liability then plus the membership fees not yet earned, and the
    breakage accrual accounts with the breakage the packs accrued, on every
    account followed (see ledger.LiabilityLine.followed_accounts); lines on
    them that come from no pack (a manual journal line, say) are the
    exceptions.  The packs' balances are those at the date (see Pack
    Balances), so any past date reconciles.  A list opened from the menu,
    not a wizard: opening it twice shows the same tab, not two dialogs.
    """
    __name__ = 'clinic.pack.liability.reconciliation'

    company = fields.Many2One('company.company', "Company", readonly=True)
    currency = fields.Function(fields.Many2One(
            'currency.currency', "Currency"), 'get_figures')
    date = fields.Function(fields.Date("Date"), 'get_figures')
    ledger = _figure("Ledger Contract Liability",
        "The balance of the contract liability accounts at the date.")
    packs = _figure("Packs Liability", "The liability the packs still "
        "hold at the date: the total of the Liability column of Pack "
        "Balances.")
    fees = _figure("Membership Fees",
        "The membership fees invoiced and not yet earned nor refunded.")
    exceptions = _figure("Exceptions",
        "Lines on the contract liability accounts from no pack.")
    difference = _figure("Difference", "Ledger less packs, membership "
        "fees and exceptions: zero when they agree.")
    ledger_accrual = _figure("Ledger Breakage Accrual",
        "The balance of the breakage accrual accounts at the date.")
    packs_accrual = _figure("Packs Breakage Accrued", "The breakage the "
        "packs have accrued by the date: the total of the Breakage Accrued "
        "column of Pack Balances.")
    accrual_exceptions = _figure("Accrual Exceptions", "Lines on the "
        "breakage accrual accounts from no pack (debit minus credit).")
    accrual_difference = _figure("Accrual Difference", "Ledger accrual "
        "less packs accrued and accrual exceptions: zero when they agree.")
    exception_count = fields.Function(
        fields.Integer("Exception Lines"), 'get_figures')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('company', 'ASC'), ('id', 'ASC')]
        cls._buttons.update({
                'open_exceptions': {},
                })

    @classmethod
    def table_query(cls):
        company = Pool().get('company.company').__table__()
        return company.select(
            company.id.as_('id'),
            *log_columns(),
            company.id.as_('company'),
            where=company_where(company.id, report_companies()))

    def get_rec_name(self, name):
        # Names the tab of the exceptions it opens.
        return self.company.rec_name

    @classmethod
    def _date(cls):
        return Transaction().context.get(
            'date') or Pool().get('ir.date').today()

    @classmethod
    def get_figures(cls, records, names):
        result = {name: {} for name in names}
        date = cls._date()
        for record in records:
            figures = reconcile(record.company, date)
            for name in names:
                result[name][record.id] = figures[name]
        return result

    @classmethod
    @ModelView.button_action('clinic_packs_accounting.act_exception')
    def open_exceptions(cls, records):
        # The rows' company (all the user's companies for rows of several).
        context = {'date': cls._date()}
        companies = {r.company.id for r in records}
        if len(companies) == 1:
            context['company'], = companies
        return {'pyson_context': PYSONEncoder().encode(context)}


def ledger_balances(company, date):
    """Return the ledger's (contract liability, breakage accrual) of company
    at the end of date: the credit balance of the contract liability
    accounts and the debit balance of the breakage accrual accounts
    followed (see ledger.LiabilityLine.followed_accounts)."""
    pool = Pool()
    Account = pool.get('account.account')
    LiabilityLine = pool.get('clinic.pack.liability.line')
    roles = LiabilityLine.followed_roles(company)
    balances = {'liability': Decimal(0), 'accrual': Decimal(0)}
    with Transaction().set_context(company=company.id, date=date):
        for account in Account.browse(list(roles)):
            balances[roles[account.id]] += account.balance
    return -balances['liability'], balances['accrual']


def reconcile(company, date):
    """Return the reconciliation of company's contract liability at date.

    The ledger's balance at the end of date is compared with the packs'
    balances then (Σ G, see clinic.pack.balance), the membership fees not
    yet earned and the lines from no pack (exceptions); the breakage
    accrual with Σ A and the lines from no pack on it.
    """
    pool = Pool()
    Balance = pool.get('clinic.pack.balance')
    # The figures read the ledger directly, without record rules.
    check_report_company(company)
    currency = company.currency
    result = {
        'company': company.id,
        'currency': currency.id,
        'date': date,
        }
    ledger, ledger_accrual = ledger_balances(company, date)
    # The packs' totals and what no pack holds in one query, each reading
    # the company's lines through date inline: PostgreSQL filters each read
    # by what it needs and estimates it from the table's statistics (a
    # common table expression read by both was materialised whole and
    # guessed at 1,800 rows for 1,100,000).
    query = pool.get('clinic.pack.liability.line').table_query()
    lines = query.select(
        *(Column(query, c).as_(c) for c in [
                'id', 'company', 'date', 'amount', 'kind', 'role',
                'pack', 'sale_line', 'period']),
        where=(query.company == company.id) & (query.date <= date))
    totals = Balance.totals_query(company, date, lines=lines)
    rest = unmatched_query(lines, company, date)
    cursor = Transaction().connection.cursor()
    cursor.execute(*totals.join(rest, condition=Literal(True)).select(
            totals.remaining, totals.accrued,
            rest.fees, rest.exceptions, rest.accrual_exceptions, rest.count))
    (packs, packs_accrual, fees, exceptions_amount, accrual_exceptions,
        exception_count) = cursor.fetchone()
    # SQLite sums numerics as floats.
    packs, packs_accrual, fees, exceptions_amount, accrual_exceptions = (
        Decimal(str(v)) for v in [packs, packs_accrual, fees,
            exceptions_amount, accrual_exceptions])
    result.update({
            'ledger': currency.round(ledger),
            'packs': currency.round(packs),
            'fees': currency.round(fees),
            'exceptions': currency.round(exceptions_amount),
            'difference': currency.round(
                ledger - packs - fees - exceptions_amount),
            'ledger_accrual': currency.round(ledger_accrual),
            'packs_accrual': currency.round(packs_accrual),
            'accrual_exceptions': currency.round(accrual_exceptions),
            'accrual_difference': currency.round(
                ledger_accrual - packs_accrual - accrual_exceptions),
            'exception_count': exception_count,
            })
    return result


def unmatched_query(lines, company, date):
    """Return the query of the one row of what of company's net contract
    liability at the end of date no pack holds, reading the liability
    lines from lines: the membership fees on the contract liability
    (fees), the exceptions on it (lines from no pack, credit - debit) and
    on the breakage accrual (debit - credit) and the number of exception
    lines (count), in one pass over the lines (the Exceptions list shows
    the same lines)."""
    zero = lines.amount * 0
    other = unheld(lines)

    def total(condition, amount=lines.amount):
        return Coalesce(Sum(Case((condition, amount), else_=zero)), 0)
    return lines.select(
        total((lines.period != Null) & (lines.pack == Null)
            & (lines.role == 'liability')).as_('fees'),
        total(other & (lines.role == 'liability')).as_('exceptions'),
        total(other & (lines.role == 'accrual'), -lines.amount).as_(
            'accrual_exceptions'),
        Count(Case((other, lines.id))).as_('count'),
        # Only the lines of a figure: the packs' own are most of them.
        where=(lines.company == company.id) & (lines.date <= date)
        & (other | (lines.period != Null)))
