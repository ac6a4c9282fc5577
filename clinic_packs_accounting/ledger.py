# This file is part of clinic_packs_accounting.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""The lines of the net contract liability: the one query the roll-forward,
the balances and the reconciliation read.

Like the host's sale_reporting, the query is a reporting model whose
joins, columns, kinds and contracts are class methods that a module
extends (clinic_packs_accounting's membership part adds the fees that
way).  Move lines are joined to their origins by integer ids read out of
the references, so that the joins are hash joins on ids rather than
comparisons of built text.
"""
from weakref import WeakKeyDictionary

from sql import Cast, Column, Literal, Null, Select, Union
from sql.aggregate import Count, Max, Min
from sql.conditionals import Case, Coalesce
from sql.functions import CurrentTimestamp, Position, Substring
from sql.operators import Concat, Exists

from trytond import backend
from trytond.model import Index, ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.tools import grouped_slice, reduce_ids
from trytond.transaction import Transaction

KINDS = [
    ('billing', "Billing"),
    ('cancellation', "Cancellation"),
    ('revenue', "Service Revenue"),
    ('accrual', "Breakage Accrued"),
    ('breakage', "Breakage"),
    ('refund', "Refund"),
    ('unclaimed', "Unclaimed Property"),
    ('transfer', "Merge Transfer"),
    ('other', "Other"),
    ]
ROLES = [
    ('liability', "Contract Liability"),
    ('accrual', "Breakage Accrual"),
    ]


def ref(model, column):
    "The reference to the record of model whose id is column."
    return Concat(model + ',', Cast(column, 'VARCHAR'))


def origin_id(column, model):
    """The id of the record of model that the reference column names, or
    null when it names another model's."""
    return Case((column.like(model + ',%'),
            Cast(Substring(column, len(model) + 2), 'INTEGER')),
        else_=Null)


def origin_model(column):
    """The model of the reference column followed by a comma
    ('clinic.pack,'), so that a condition like column.like('clinic.pack,%')
    holds on it as on the reference; null when column is."""
    return Substring(column, 1, Position(',', column))


def log_columns():
    "The columns every Tryton model reads, for a table query."
    return [
        Literal(0).as_('create_uid'),
        CurrentTimestamp().as_('create_date'),
        Literal(Null).as_('write_uid'),
        Literal(Null).as_('write_date'),
        ]


def company_where(column, companies):
    """Return the condition that column is one of companies, or None when
    companies is None (the root user reporting on every company)."""
    if companies is None:
        return None
    if not companies:
        return Literal(False)
    return column.in_(list(companies))


def pack_contract(pack):
    "The contract of pack (a table): the invoice line that sold it or itself."
    return Case((pack.origin.like('account.invoice.line,%'), pack.origin),
        else_=ref('clinic.pack', pack.id))


# What a line says about its account (see LiabilityLine._followed_facts).
FACTS = ['company', 'account', 'product', 'origin', 'credited_origin',
    'posting', 'original', 'debit', 'credit']
# The followed accounts' roles read by each transaction (see
# LiabilityLine.followed_roles).
_followed_roles = WeakKeyDictionary()
# The lines not kept read by each transaction (see LiabilityLine.unkept).
_unkept = WeakKeyDictionary()
# The accounts whose lines each transaction's postings keep (see
# LiabilityLine.store).
_keeping = WeakKeyDictionary()


class LiabilityLine(ModelSQL, ModelView):
    """Contract Liability Line

    A move line on the net contract liability: on a contract liability or
    breakage accrual account followed (see followed_accounts), with the
    contract, pack, template and kind of movement it is for.
    """
    __name__ = 'clinic.pack.liability.line'

    company = fields.Many2One('company.company', "Company")
    move_line = fields.Many2One('account.move.line', "Move Line")
    date = fields.Date("Date")
    account = fields.Many2One('account.account', "Account")
    role = fields.Selection(ROLES, "Role")
    amount = fields.Numeric("Amount", digits=(16, 2),
        help="Credit minus debit: what the line adds to the net contract "
        "liability (a debit on the breakage accrual account lowers it).")
    kind = fields.Selection(KINDS, "Kind")
    template = fields.Many2One('clinic.pack.template', "Pack Template")
    contract = fields.Char("Contract",
        help="The invoice line that sold the pack, the pack, or another "
        "module's contract (a membership period).")
    pack = fields.Many2One('clinic.pack', "Pack")
    sale_line = fields.Many2One('account.invoice.line', "Sale Line",
        help="The invoice line of a pack sale or its credit note, shared by "
        "the packs it issued.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'ASC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        """The posted lines as classified when posted (see store), and the
        others (draft lines, lines classified "other", lines of an account
        followed since) classified by the query itself."""
        pool = Pool()
        Posted = pool.get('clinic.pack.liability.line.posted')
        columns = cls._read_columns(cls._joins()[1])
        stored = Posted.__table__()
        null = Cast(Literal(None), 'INTEGER')

        def stored_column(name):
            if name == 'id':
                return stored.move_line
            elif name == 'role':
                return cls._role(stored.account)
            elif name in Posted._fields:
                return Column(stored, name)
            return null
        query = stored.select(
            *log_columns(),
            *(stored_column(n).as_(n) for n in columns),
            where=stored.account.in_(list(cls.followed_roles()) or [-1]))
        # The lines read live are few (draft moves, lines of an account
        # followed since they were posted): classified
        # by their ids, the planner joins only them to their origins instead
        # of hashing every origin table for lines it cannot tell are kept.
        unkept = cls.unkept()
        if unkept:
            query = Union(query,
                cls.classified(lambda t: reduce_ids(t['line'].id, unkept)),
                all_=True)
        return query

    @classmethod
    def unkept(cls):
        """Return the ids of the lines on the accounts followed that the
        reports classify live: lines of draft moves and lines of an account
        followed since they were posted.

        Read once per transaction until it writes (its counter changes), as
        followed_roles: a report builds the lines several times."""
        pool = Pool()
        Line = pool.get('account.move.line')
        Posted = pool.get('clinic.pack.liability.line.posted')
        transaction = Transaction()
        cache = _unkept.setdefault(transaction, {})
        if transaction.counter not in cache:
            accounts = list(cls.followed_roles()) or [-1]
            line = Line.__table__()
            posted = Posted.__table__()
            if cls._all_posted_kept(accounts):
                live = cls._draft_lines(accounts)
            else:
                live = line.select(line.id,
                    where=line.account.in_(accounts)
                    & ~Exists(posted.select(Literal(1),
                            where=posted.move_line == line.id)))
            cursor = transaction.connection.cursor()
            cursor.execute(*live)
            cache.clear()
            cache[transaction.counter] = [i for i, in cursor]
        return cache[transaction.counter]

    @classmethod
    def _draft_lines(cls, accounts):
        "The query of the ids of the lines of draft moves on accounts."
        pool = Pool()
        Line = pool.get('account.move.line')
        Move = pool.get('account.move')
        line = Line.__table__()
        move = Move.__table__()
        # Through the partial index of the draft moves (see account.Move).
        return line.select(line.id,
            where=line.account.in_(accounts)
            & line.move.in_(move.select(move.id,
                    where=move.state == 'draft')))

    @classmethod
    def _all_posted_kept(cls, accounts):
        """Whether every line of a posted move on accounts is kept (see
        store).  A kept row is a posted line's, on its account (a posted
        line never changes): as many kept rows as lines on the accounts
        less those of draft moves means none is left, which counts tell
        sooner than an anti-join of every line."""
        pool = Pool()
        Line = pool.get('account.move.line')
        Posted = pool.get('clinic.pack.liability.line.posted')
        line = Line.__table__()
        posted = Posted.__table__()
        drafts = cls._draft_lines(accounts)
        cursor = Transaction().connection.cursor()
        cursor.execute(*Select([
                    line.select(Count(Literal(1)),
                        where=line.account.in_(accounts)),
                    posted.select(Count(Literal(1)),
                        where=posted.account.in_(accounts)),
                    drafts.select(Count(Literal(1)))]))
        lines, kept, drafted = cursor.fetchone()
        return lines == kept + drafted

    @classmethod
    def classified(cls, where=None):
        """Return the query classifying the lines on the accounts followed by
        their origins (those where(tables) holds for, when given)."""
        from_item, tables = cls._joins()
        condition = cls._where(tables)
        if where is not None:
            condition &= where(tables)
        return from_item.select(
            *log_columns(),
            *(c.as_(n) for n, c in cls._read_columns(tables).items()),
            where=condition)

    @classmethod
    def _read_columns(cls, tables):
        "The columns of _columns with the role of the line's account."
        columns = cls._columns(tables)
        columns['role'] = cls._role(tables['line'].account)
        return columns

    @classmethod
    def _role(cls, account):
        "The role of the followed account: contract liability or accrual."
        liability = [a for a, r in cls.followed_roles().items()
            if r == 'liability']
        return Case((account.in_(liability or [-1]), 'liability'),
            else_='accrual')

    @classmethod
    def store(cls, moves=None, only=None):
        """Classify once the posted lines of moves (every posted line when
        None), for the reports to read.

        A posted line never changes, nor do the records that classify it (its
        origin, the pack, the redemption), so the reports need not join them
        again.  A line classified "other" (an exception) is kept as such,
        and classified again when the templates of products change (see
        reclassify_others), so that it counts as soon as, say, a template
        for its product is created.
        Only the lines on the accounts followed are kept, the facts of the
        moves posted kept first (see keep_sources): a line on an account
        followed only later is read live until classify_again (see unkept).
        only restricts the columns written (those a migration has yet)."""
        pool = Pool()
        Posted = pool.get('clinic.pack.liability.line.posted')
        cursor = Transaction().connection.cursor()
        from_item, tables = cls._joins()
        columns = cls._columns(tables)
        line, move = tables['line'], tables['move']
        posted = Posted.__table__()
        target = Posted.__table__()
        names = [n for n in columns if n in Posted._fields
            and (only is None or n in only)]
        if only is None:
            cls.keep_sources(moves)
        # The accounts followed, read once per transaction rather than at
        # each posting (a query planned anew each time), and again only
        # when a posting kept new facts.  The lines of an account followed
        # since by a template or a draft move are not kept meanwhile: they
        # are read live (see unkept), never lost.
        transaction = Transaction()
        if transaction not in _keeping:
            _keeping[transaction] = list(cls.followed_roles()) or [-1]
        followed = _keeping[transaction]
        # NOT EXISTS, not NOT IN: PostgreSQL hashes a NOT IN subquery
        # whole, every kept row at each posting, where NOT EXISTS probes the
        # unique index for the few lines posted.
        where = ((move.state == 'posted')
            & line.account.in_(followed)
            & ~Exists(posted.select(Literal(1),
                    where=posted.move_line == line.id)))
        user = Transaction().user
        for sub_ids in ([None] if moves is None
                else grouped_slice([int(m) for m in moves])):
            condition = where
            if sub_ids is not None:
                condition &= reduce_ids(move.id, list(sub_ids))
            cursor.execute(*target.insert(
                    [target.create_uid, target.create_date]
                    + [Column(target, n) for n in names],
                    from_item.select(
                        Literal(user), CurrentTimestamp(),
                        *(columns[n] for n in names),
                        where=condition)))
        # The lines kept changed without a write of the ORM.
        _unkept.pop(Transaction(), None)

    @classmethod
    def reclassify_others(cls):
        """Classify again the lines kept as "other": a template created
        for their product, or moved to it, makes them a pack's."""
        pool = Pool()
        Posted = pool.get('clinic.pack.liability.line.posted')
        Line = pool.get('account.move.line')
        posted = Posted.__table__()
        line = Line.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*posted.join(line,
                condition=line.id == posted.move_line).select(
                line.move, where=posted.kind == 'other'))
        moves = sorted({m for m, in cursor})
        if moves:
            cursor.execute(*posted.delete(where=posted.kind == 'other'))
            cls.store(moves)

    @classmethod
    def _joins(cls):
        """Return the from item of the query and the tables (and the
        expressions on them) that _columns, _kinds and _contracts use."""
        pool = Pool()
        Line = pool.get('account.move.line')
        Move = pool.get('account.move')
        InvoiceLine = pool.get('account.invoice.line')
        Redemption = pool.get('clinic.pack.redemption')
        Pack = pool.get('clinic.pack')
        Template = pool.get('clinic.pack.template')

        t = {}
        line = t['line'] = Line.__table__()
        move = t['move'] = Move.__table__()
        invoice_line = t['invoice_line'] = InvoiceLine.__table__()
        credited = t['credited'] = InvoiceLine.__table__()
        sale_line = t['sale_line'] = InvoiceLine.__table__()
        refunded = t['refunded'] = Pack.__table__()
        redemption = t['redemption'] = Redemption.__table__()
        redeemed = t['redeemed'] = Pack.__table__()
        posted = t['posted'] = Pack.__table__()
        allotted = t['allotted'] = Pack.__table__()
        pack = t['pack'] = Pack.__table__()
        template = Template.__table__()

        sold = t['sold'] = template.select(
            template.product, template.company,
            Min(template.id).as_('template'),
            group_by=[template.product, template.company])
        pack_id = t['pack_id'] = Coalesce(
            refunded.id, redeemed.id, allotted.id, posted.id)
        sale_line_id = Coalesce(credited.id, invoice_line.id)
        t['amount'] = line.credit - line.debit

        from_item = (line
            .join(move, condition=line.move == move.id)
            .join(invoice_line, 'LEFT', condition=(
                    invoice_line.id
                    == origin_id(line.origin, 'account.invoice.line')))
            .join(credited, 'LEFT', condition=(
                    credited.id
                    == origin_id(invoice_line.origin, 'account.invoice.line')))
            .join(refunded, 'LEFT', condition=(
                    refunded.id
                    == origin_id(invoice_line.origin, 'clinic.pack')))
            .join(redemption, 'LEFT', condition=(
                    redemption.id
                    == origin_id(move.origin, 'clinic.pack.redemption')))
            .join(redeemed, 'LEFT', condition=redemption.pack == redeemed.id)
            .join(allotted, 'LEFT', condition=(
                    allotted.id == origin_id(line.origin, 'clinic.pack')))
            .join(posted, 'LEFT', condition=(
                    (posted.id == origin_id(move.origin, 'clinic.pack'))
                    & (move.pack_posting != Null)))
            .join(pack, 'LEFT', condition=pack.id == pack_id)
            .join(sale_line, 'LEFT', condition=(
                    (sale_line.id == sale_line_id) & (pack_id == Null)))
            .join(sold, 'LEFT', condition=(
                    (sold.product == sale_line.product)
                    & (sold.company == move.company))))
        t['is_sale'] = (sale_line.id != Null) & (sold.template != Null)
        return from_item, t

    @classmethod
    def _kinds(cls, tables):
        """Return the (condition, kind) of the lines, the first that holds
        wins; a line none holds for is "other" (an exception)."""
        refunded, pack = tables['refunded'], tables['pack']
        move = tables['move']
        is_sale, amount = tables['is_sale'], tables['amount']
        kinds = [
            (refunded.id != Null, 'refund'),
            (is_sale & (amount > 0), 'billing'),
            (is_sale, 'cancellation'),
            ]
        for posting, kind in [
                ('allotment', 'billing'), ('revenue', 'revenue'),
                ('accrual', 'accrual'), ('breakage', 'breakage'),
                ('unclaimed', 'unclaimed')]:
            kinds.append(
                ((pack.id != Null) & (move.pack_posting == posting), kind))
        # A pack entered by hand is billed by its opening move, and its
        # cancellation reverses it, as a credit note does a sale.
        opening = (pack.id != Null) & (move.pack_posting == 'opening')
        kinds.extend([
                (opening & (amount > 0), 'billing'),
                (opening, 'cancellation'),
                ])
        return kinds

    @classmethod
    def _contracts(cls, tables):
        """Return the (condition, contract) of the lines, the first that
        holds wins; a line none holds for is its own contract."""
        pack, sale_line = tables['pack'], tables['sale_line']
        return [
            (pack.id != Null, pack_contract(pack)),
            (tables['is_sale'], ref('account.invoice.line', sale_line.id)),
            ]

    @classmethod
    def _columns(cls, tables):
        "Return the columns of the query by name."
        line, move = tables['line'], tables['move']
        pack, sold = tables['pack'], tables['sold']
        null = Cast(Literal(None), 'INTEGER')
        return {
            'id': line.id,
            'company': move.company,
            'move_line': line.id,
            'date': move.date,
            'account': line.account,
            'amount': tables['amount'],
            'kind': Case(*cls._kinds(tables), else_='other'),
            'template': Coalesce(pack.template, sold.template),
            'plan': null,
            'contract': Case(*cls._contracts(tables),
                else_=ref('account.move.line', line.id)),
            'pack': pack.id,
            'sale_line': Case((tables['is_sale'], tables['sale_line'].id),
                else_=null),
            'period': null,
            }

    @classmethod
    def _where(cls, tables):
        "The lines on the accounts followed."
        line = tables['line']
        return line.account.in_(list(cls.followed_roles()) or [-1])

    @classmethod
    def followed_roles(cls, company=None):
        """Return the role of each account followed (of company when given).

        Read once per transaction until it writes (its counter changes): a
        subquery in each use of the lines would scan the ledger again, and
        a report builds the lines several times."""
        transaction = Transaction()
        # One read for every company: a report asks for one company's
        # roles and for all of them, and each would evict the other.
        cache = _followed_roles.setdefault(transaction, {})
        if transaction.counter not in cache:
            followed = cls.followed_accounts()
            cursor = transaction.connection.cursor()
            cursor.execute(*followed.select(
                    followed.company, followed.account, followed.role))
            cache.clear()
            cache[transaction.counter] = cursor.fetchall()
        rows = cache[transaction.counter]
        if company is not None:
            company = int(company)
            rows = [r for r in rows if r[0] == company]
        return {a: r for _, a, r in rows}

    @classmethod
    def followed_accounts(cls, kept=True):
        """Return a query of the accounts the reports follow, per company.

        Columns: company, account and role: 'liability' (contract liability)
        or 'accrual' (breakage accrual, its contra account).  They are the
        accounts configured today and every account the module posted to in
        these roles, so that history on an account configured before stays
        in the reports (doc/accounting.md, "Accounts followed"):

        - liability: the invoice move lines, off the income statement, of
          pack sales (and of what _followed_sale adds, such as membership
          fees) and their credit notes (the invoice posts them to the
          contract liability; a sale made before its product had a
          template posted to revenue, which stays revenue), the
          lines of the allotment allocations, the credit lines, off the
          income statement, of the opening moves of packs entered by hand
          (see Pack.post_opening) and the debit lines, off the
          income statement, of the module's own recognition moves (service
          revenue, breakage, unclaimed property all debit the liability; a
          reversal takes the accounts of the move it reverses);
        - accrual: the lines off the income statement of the accrual
          catch-up moves and the credit lines off the income statement of
          the expiry breakage moves (the accrual they release).

        An account found in both roles is followed as a contract liability.

        What the lines of posted moves say about their accounts
        (_followed_facts) is kept at posting in clinic.pack.liability.source
        (see keep_sources): a few rows per account instead of every line of
        the ledger.  The templates and account types it is read with are
        read live, so that a template created for a product sold before, or
        an account's type changed, is followed at once.  The lines of draft
        moves are read live.  With kept False, every line is read live: the
        tests prove both say the same.
        """
        pool = Pool()
        Configuration = pool.get('account.configuration.pack_account')
        Source = pool.get('clinic.pack.liability.source')

        configuration = Configuration.__table__()
        queries = [
            configuration.select(
                configuration.company.as_('company'),
                configuration.contract_liability_account.as_('account'),
                Literal('liability').as_('role')),
            configuration.select(
                configuration.company.as_('company'),
                configuration.breakage_accrual_account.as_('account'),
                Literal('accrual').as_('role')),
            ]
        if kept:
            sources = [Source.__table__(),
                cls._followed_facts(lambda move: move.state == 'draft')]
        else:
            sources = [cls._followed_facts()]
        for facts in sources:
            queries.extend(cls._followed_roles_of(facts))

        union = Union(*queries, all_=True)
        # 'liability' > 'accrual': an account in both roles is a liability.
        return union.select(
            union.company.as_('company'),
            union.account.as_('account'),
            Max(union.role).as_('role'),
            where=union.account != Null,
            group_by=[union.company, union.account])

    @classmethod
    def _followed_facts(cls, where=None):
        """Return the query of what the move lines (of the moves where(move)
        holds for, when given) say about their accounts, one row per
        distinct fact.

        Columns: company, account and
        - for the lines of invoice moves from invoice lines: the invoice
          line's product, and the model of its origin and of the origin of
          the line it credits followed by a comma (see origin_model);
        - for the lines of the module's own moves: the move's pack posting,
          whether the line is the move's own (no origin: not a reversal's),
          has a debit, has a credit.
        None of these changes once the move is posted."""
        pool = Pool()
        Line = pool.get('account.move.line')
        Move = pool.get('account.move')
        InvoiceLine = pool.get('account.invoice.line')
        null_int = Cast(Literal(None), 'INTEGER')
        null_char = Cast(Literal(None), 'VARCHAR')
        null_bool = Cast(Literal(None), 'BOOLEAN')

        line = Line.__table__()
        move = Move.__table__()
        invoice_line = InvoiceLine.__table__()
        credited = InvoiceLine.__table__()
        condition = move.origin.like('account.invoice,%')
        if where is not None:
            condition &= where(move)
        sales = (line
            .join(move, condition=line.move == move.id)
            .join(invoice_line, condition=(
                    invoice_line.id
                    == origin_id(line.origin, 'account.invoice.line')))
            .join(credited, 'LEFT', condition=(
                    credited.id == origin_id(
                        invoice_line.origin, 'account.invoice.line')))
            .select(
                move.company.as_('company'),
                line.account.as_('account'),
                invoice_line.product.as_('product'),
                origin_model(invoice_line.origin).as_('origin'),
                origin_model(credited.origin).as_('credited_origin'),
                null_char.as_('posting'),
                null_bool.as_('original'),
                null_bool.as_('debit'),
                null_bool.as_('credit'),
                where=condition))

        line = Line.__table__()
        move = Move.__table__()
        condition = move.pack_posting != Null
        if where is not None:
            condition &= where(move)
        own = (line
            .join(move, condition=line.move == move.id)
            .select(
                move.company.as_('company'),
                line.account.as_('account'),
                null_int.as_('product'),
                null_char.as_('origin'),
                null_char.as_('credited_origin'),
                move.pack_posting.as_('posting'),
                (line.origin == Null).as_('original'),
                (line.debit > 0).as_('debit'),
                (line.credit > 0).as_('credit'),
                where=condition))

        union = Union(sales, own, all_=True)
        return union.select(
            *(Column(union, n) for n in FACTS), group_by=[
                Column(union, n) for n in FACTS])

    @classmethod
    def _followed_roles_of(cls, facts):
        """Return the queries of (company, account, role) that the facts
        (see _followed_facts) make followed."""
        pool = Pool()
        Account = pool.get('account.account')
        AccountType = pool.get('account.account.type')
        Template = pool.get('clinic.pack.template')

        template = Template.__table__()
        account = Account.__table__()
        type_ = AccountType.__table__()
        typed = (facts
            .join(account, condition=facts.account == account.id)
            .join(type_, 'LEFT', condition=account.type == type_.id))
        # Neither role is ever on the income statement: a product sold
        # before it had a template posted its sales to revenue, and its new
        # template must not make that revenue account a liability.
        off_income = Coalesce(type_.statement, '') != 'income'
        sales = (typed
            .join(template, 'LEFT', condition=(
                    (template.product == facts.product)
                    & (template.company == facts.company)))
            .select(
                facts.company.as_('company'),
                facts.account.as_('account'),
                Literal('liability').as_('role'),
                where=(facts.posting == Null) & off_income
                & cls._followed_sale(facts, template)))

        original = (facts.posting != Null) & facts.original
        role = Case(
            (facts.posting == 'allotment', 'liability'),
            (original & off_income & facts.debit
                & facts.posting.in_(['revenue', 'breakage', 'unclaimed']),
                'liability'),
            (original & off_income & (facts.posting == 'accrual'),
                'accrual'),
            (original & off_income & facts.credit
                & (facts.posting == 'breakage'), 'accrual'),
            (original & off_income & facts.credit
                & (facts.posting == 'opening'), 'liability'),
            else_=Null)
        own = typed.select(
            facts.company.as_('company'),
            facts.account.as_('account'),
            role.as_('role'),
            where=(facts.posting != Null) & (role != Null))
        return [sales, own]

    @classmethod
    def _followed_sale(cls, facts, template):
        """The condition that the invoice line of the facts (see
        _followed_facts), or the line it credits, sells a contract whose
        consideration is a contract liability: template is the pack
        template of its product, if any."""
        return ((template.id != Null)
            | facts.origin.like('clinic.pack,%'))

    @classmethod
    def keep_sources(cls, moves=None):
        """Keep what the lines of the posted moves (all when None) say about
        their accounts (see followed_accounts).

        Only the facts not kept yet are inserted.  Two postings of a first
        fact at once may both insert it: the reads take distinct rows, so
        no posting waits for another or fails on it."""
        pool = Pool()
        Source = pool.get('clinic.pack.liability.source')
        source = Source.__table__()
        cursor = Transaction().connection.cursor()
        for sub_ids in ([None] if moves is None
                else grouped_slice([int(m) for m in moves])):
            # A list: where is called once per part of the facts.
            sub_ids = list(sub_ids) if sub_ids is not None else None

            def where(move):
                condition = move.state == 'posted'
                if sub_ids is not None:
                    condition &= reduce_ids(move.id, sub_ids)
                return condition
            cursor.execute(*cls._followed_facts(where))
            facts = set(cursor)
            if not facts:
                continue
            accounts = list({f[1] for f in facts})
            kept = set()
            for sub_accounts in grouped_slice(accounts):
                cursor.execute(*source.select(
                        *(Column(source, n) for n in FACTS),
                        where=source.account.in_(list(sub_accounts))))
                kept.update(cursor)
            new = sorted(facts - kept, key=repr)
            if new:
                cursor.execute(*source.insert(
                        [Column(source, n) for n in FACTS], values=new))
                # The accounts followed changed without a write of the ORM.
                _followed_roles.pop(Transaction(), None)
                _keeping.pop(Transaction(), None)


class PostedLiabilityLine(ModelSQL):
    """Posted Contract Liability Line

    A posted move line of a pack, a redemption, a sale or a membership on
    an account followed, as classified when it was posted
    (LiabilityLine.store): the reports read them instead of joining every
    line to its origin again.
    """
    __name__ = 'clinic.pack.liability.line.posted'

    move_line = fields.Many2One('account.move.line', "Move Line",
        required=True, ondelete='CASCADE')
    company = fields.Many2One('company.company', "Company", required=True)
    date = fields.Date("Date", required=True)
    account = fields.Many2One('account.account', "Account", required=True)
    amount = fields.Numeric("Amount", digits=(16, 2), required=True)
    kind = fields.Selection(KINDS, "Kind", required=True)
    template = fields.Many2One('clinic.pack.template', "Pack Template")
    contract = fields.Char("Contract")
    pack = fields.Many2One('clinic.pack', "Pack")
    sale_line = fields.Many2One('account.invoice.line', "Sale Line")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('move_line_unique', Unique(t, t.move_line),
                'clinic_packs_accounting.msg_liability_line_posted_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.account, Index.Equality())),
                # The exceptions, classified again when templates change
                # (see LiabilityLine.reclassify_others).
                Index(t, (t.account, Index.Equality()),
                    where=t.kind == 'other'),
                })

    @classmethod
    def __register__(cls, module):
        exist = backend.TableHandler.table_exist(cls._table)
        super().__register__(module)
        # Migration from before the classification was stored: classify the
        # history once, in the columns registered so far (an extension
        # adding columns classifies again, see classify_again).
        LiabilityLine = Pool().get('clinic.pack.liability.line')
        table_h = cls.__table_handler__(module)
        only = [n for n in cls._fields if table_h.column_exist(n)]
        if not exist:
            LiabilityLine.store(only=only)
        # Migration from before the exceptions were kept (as "other"): keep
        # them once, so that the reports tell them by two counts instead of
        # an anti-join of every line.
        elif not LiabilityLine._all_posted_kept(
                list(LiabilityLine.followed_roles()) or [-1]):
            LiabilityLine.store(only=only)

    @classmethod
    def classify_again(cls):
        "Classify every posted line again, when columns were added."
        cursor = Transaction().connection.cursor()
        cursor.execute(*cls.__table__().delete())
        _unkept.pop(Transaction(), None)
        Pool().get('clinic.pack.liability.line').store()


class LiabilitySource(ModelSQL):
    """Contract Liability Account Source

    What the lines of posted moves say about their accounts, kept when they
    are posted (LiabilityLine.keep_sources): with the templates and the
    account types of today, it tells the accounts the reports follow
    without reading every line of the ledger (see
    LiabilityLine.followed_accounts).  One row per fact; a fact two
    postings kept at once may be there twice.
    """
    __name__ = 'clinic.pack.liability.source'

    company = fields.Many2One('company.company', "Company", required=True,
        ondelete='CASCADE')
    account = fields.Many2One('account.account', "Account", required=True,
        ondelete='CASCADE')
    product = fields.Many2One('product.product', "Product",
        ondelete='CASCADE',
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        help="The product of the invoice line the move line is from.")
    origin = fields.Char("Origin",
        help="The model of the invoice line's origin and a comma.")
    credited_origin = fields.Char("Credited Origin",
        help="The model of the origin of the invoice line it credits and a "
        "comma.")
    posting = fields.Char("Pack Posting",
        help="The pack posting of the module's own move.")
    original = fields.Boolean("Original",
        help="The line has no origin: the move's own, not a reversal's.")
    debit = fields.Boolean("Debit")
    credit = fields.Boolean("Credit")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.account, Index.Equality())))

    @classmethod
    def __register__(cls, module):
        exist = backend.TableHandler.table_exist(cls._table)
        super().__register__(module)
        # Migration from before the sources were kept: the history's once.
        if not exist:
            Pool().get('clinic.pack.liability.line').keep_sources()
            # The lines were kept on every account then: those on accounts
            # not followed are never read (and would be read live, should
            # their account be followed one day).
            cls._forget_unfollowed()

    @classmethod
    def _forget_unfollowed(cls):
        pool = Pool()
        Posted = pool.get('clinic.pack.liability.line.posted')
        LiabilityLine = pool.get('clinic.pack.liability.line')
        if not backend.TableHandler.table_exist(Posted._table):
            return
        posted = Posted.__table__()
        followed = list(LiabilityLine.followed_roles())
        cursor = Transaction().connection.cursor()
        cursor.execute(*posted.delete(
                where=~posted.account.in_(followed or [-1])))
        _unkept.pop(Transaction(), None)
