# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Measure the modules against the host's own operations (issue 12).

Run by setup/bench, which starts a private PostgreSQL and sets
TRYTOND_DATABASE_URI and DB_NAME.  Every figure is a ratio of two timings
taken in the same run (medians of --repeat repetitions), so that the noise
of a shared machine mostly cancels out:

- redemption: a redemption with its posting against the host creating and
  posting a one-line customer invoice;
- history: a redemption after the history against one before it;
- reports: the liability roll-forward (search and read, as the client
  does) and the reconciliation against one raw SQL SUM over the move lines
  of the accounts they follow, with the host's own account balance of
  those accounts for reference;
- renewal: the renewal cron per membership against the host's
  sale_subscription consuming, invoicing and posting a monthly
  subscription, same count (and, for reference, against the host creating
  and posting a one-line invoice per item), and its growth from the
  smaller to the larger run: time per membership and the cron's peak
  resident memory above the process's before it (the host's work in
  batches of BATCH, each its own transaction, as the cron's);
- expiry: the expiry cron per pack, many due against few due.

The history (packs sold by invoice, redemptions with their moves) is built
once through the modules' public methods and then copied with bulk SQL;
the measured operations go through the public methods.
"""
import argparse
import cProfile
import ctypes
import datetime as dt
import gc
import json
import os
import platform
import pstats
import statistics
import sys
import time
from decimal import Decimal

TODAY = dt.date.today()
SOLD = TODAY - dt.timedelta(days=60)
GRACE = 7

# The packs' prices: 6 sessions for the desk and the packs due to expire,
# 12 for the history's packs (50.00 a session).
PRICES = {'template': Decimal('275.00'), 'history_template': Decimal('600.00')}

# The host's work is done in batches of this size, each its own
# transaction, as the renewal cron commits its batches: one call posting
# 5,000 invoices ran for more than 18 minutes.
BATCH = 100

SIZES = {
    'quick': {
        'packs': 2000, 'redemptions': 20000,
        'renewal': (50, 500), 'expiry': (200, 2000),
        },
    'full': {
        'packs': 100000, 'redemptions': 1000000,
        'renewal': (500, 5000), 'expiry': (10000, 100000),
        },
    }


def write_profile(profile, name):
    "Write the profile's top functions to artifacts/profile-<name>.txt."
    path = os.path.join('artifacts', 'profile-%s.txt' % name)
    with open(path, 'w') as file:
        stats = pstats.Stats(profile, stream=file)
        stats.sort_stats('cumulative').print_stats(200)
        stats.sort_stats('tottime').print_stats(40)


def peak_reset():
    """Reset the process's peak resident memory (Linux) and return its
    resident memory now, in bytes.

    The memory freed before is given back to the system first, or the cron
    would reuse it unseen and its peak would say less than it takes."""
    gc.collect()
    try:
        ctypes.CDLL('libc.so.6').malloc_trim(0)
    except (OSError, AttributeError):
        pass
    with open('/proc/self/clear_refs', 'w') as file:
        file.write('5')
    return _memory('VmRSS')


def peak_since(base):
    "The process's peak resident memory above base, in bytes."
    return _memory('VmHWM') - base


def _memory(name):
    with open('/proc/self/status') as status:
        for line in status:
            if line.startswith(name + ':'):
                return int(line.split()[1]) * 1024


def median_time(func, repeat, setup=None):
    "Return the median wall time of func over repeat runs, rolled back."
    times = []
    for _ in range(repeat):
        with _rolled_back():
            if setup:
                setup()
            gc.collect()
            start = time.perf_counter()
            func()
            times.append(time.perf_counter() - start)
    return statistics.median(times)


class _rolled_back:
    """Roll the database and the transaction's caches back after the block.

    The process's caches (models' names, access rights, translations) stay
    warm, as a server's do from one request to the next: nothing the block
    rolls back is in them, since a transaction that writes what they hold
    keeps its own until it commits, and ids are never reused."""

    def __enter__(self):
        from trytond.transaction import Transaction
        Transaction().connection.cursor().execute('SAVEPOINT bench')

    def __exit__(self, *exc):
        from trytond.cache import MemoryCache
        from trytond.transaction import Transaction
        transaction = Transaction()
        transaction.connection.cursor().execute('ROLLBACK TO SAVEPOINT bench')
        # What the modules cache per transaction until it writes (the
        # accounts followed, the lines not kept) was rolled back too.
        transaction.counter += 1
        transaction.cache.clear()
        for cache in MemoryCache._instances.values():
            if isinstance(cache, MemoryCache):
                cache._transaction_cache.pop(transaction, None)
        return False


class Bench:
    "The clinic, its history and the measures."

    def __init__(self, database, sizes, repeat, profile=False,
            repeat_crons=None):
        self.database = database
        self.repeat_crons = repeat_crons or repeat
        self.profile = profile
        self.sizes = sizes
        self.repeat = repeat
        self.extras = {}
        self.results = {}

    # Transactions ---------------------------------------------------------
    def run(self, func, commit=True, locks=True):
        """Run func in a transaction of the administrator, restarted with
        the locks the host asks for (as ir.cron does); without locks, as
        trytond-cron starts a cron, the locks of none of the others."""
        from trytond.modules.clinic_packs import guard
        from trytond.transaction import Transaction
        context = {'_skip_warnings': True}
        if getattr(self, 'company', None):
            context['company'] = self.company
        extras = self.extras if locks else {}
        return guard.retrying(
            lambda **extras: Transaction().start(
                self.database, 0, context=context, **extras),
            func, extras, retries=20, wait=0.1, commit=commit)

    # Set-up ---------------------------------------------------------------
    def setup(self):
        "Create the clinic: company, chart, pack accounts, templates, plan."
        from trytond.modules.clinic_packs.tests.unit import (
            setup_clinic as setup_test_clinic)
        from trytond.modules.clinic_packs_accounting.tests.unit import (
            configure_accounting)
        from trytond.modules.company.tests import create_company
        from trytond.pool import Pool
        from trytond.transaction import Transaction

        pool = Pool()
        Category = pool.get('product.category')
        ProductTemplate = pool.get('product.template')
        Uom = pool.get('product.uom')
        Template = pool.get('clinic.pack.template')
        Party = pool.get('party.party')
        Plan = pool.get('clinic.membership.plan')
        User = pool.get('res.user')

        company = create_company()
        User.write([User(0)], {
                'companies': [('add', [company.id])],
                'company': company.id})
        with Transaction().set_context(company=company.id):
            # The unit tests' clinic and pack accounts, then the
            # benchmark's own template and plan.
            setup_test_clinic(company, accounting=True,
                years=range(TODAY.year - 2, TODAY.year + 3))
            accounts, revenue = configure_accounting(company)
            liability = accounts.contract_liability_account
            accrual = accounts.breakage_accrual_account
            category = Category(name="Services", accounting=True,
                account_revenue=revenue)
            category.save()
            unit, = Uom.search([('name', '=', 'Unit')])

            def service(name, price):
                template = ProductTemplate(name=name, type='service',
                    default_uom=unit, list_price=Decimal(price),
                    account_category=category, products=[{}])
                template.save()
                return template.products[0]
            session = service("Session", '50.00')
            template = Template(name="6 sessions", company=company,
                product=service("6 sessions", PRICES['template']),
                quantity=Decimal(5), bonus_quantity=Decimal(1),
                services=[session], validity_days=365, grace_days=GRACE,
                breakage_method='proportional',
                breakage_rate=Decimal('0.25'), refund_policy='pro_rata')
            template.save()
            # The history's packs: ten redemptions each (the issue's
            # 1,000,000 over 100,000 packs) at 50.00 a session, two left.
            history = Template(name="12 sessions", company=company,
                product=service(
                    "12 sessions", PRICES['history_template']),
                quantity=Decimal(10), bonus_quantity=Decimal(2),
                services=[session], validity_days=365, grace_days=GRACE,
                breakage_method='proportional',
                breakage_rate=Decimal('0.25'), refund_policy='pro_rata')
            history.save()
            plan = Plan(name="Monthly", company=company,
                product=service("Membership", '60.00'),
                interval='month', post_invoices=True)
            plan.save()
            parties = Party.create([
                    {'name': name, 'addresses': [('create', [{}])]}
                    for name in ["History", "Desk", "Member"]])
        self.company = company.id
        self.ids = {
            'liability': liability.id, 'accrual': accrual.id,
            'session': session.id, 'template': template.id,
            'history_template': history.id,
            'plan': plan.id, 'membership_product': plan.product.id,
            'history': parties[0].id, 'desk': parties[1].id,
            'member': parties[2].id,
            }

    def reuse(self):
        "Find the company and the accounts of the previous run's clinic."
        from trytond.transaction import Transaction
        cursor = Transaction().connection.cursor()
        cursor.execute('SELECT company, contract_liability_account, '
            'breakage_accrual_account FROM account_configuration_pack_account '
            'WHERE contract_liability_account IS NOT NULL')
        self.company, liability, accrual = cursor.fetchone()
        self.ids = {'liability': liability, 'accrual': accrual}

    def sell(self, party, date=SOLD, quantity=1, template='template'):
        """Sell packs of the template of ids[template] to party by a posted
        invoice, at its PRICES; return the packs."""
        from trytond.pool import Pool
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Line = pool.get('account.invoice.line')
        Template = pool.get('clinic.pack.template')
        Pack = pool.get('clinic.pack')
        Party = pool.get('party.party')
        Company = pool.get('company.company')
        company = Company(self.company)
        price = PRICES[template]
        template = Template(self.ids[template])
        invoice = Invoice(type='out', company=company,
            currency=company.currency, party=Party(party), invoice_date=date)
        invoice.on_change_type()
        invoice.on_change_party()
        line = Line(invoice=invoice, type='line', company=company,
            currency=company.currency, product=template.product,
            quantity=quantity)
        line.on_change_product()
        line.unit_price = price
        invoice.lines = [line]
        invoice.save()
        Invoice.post([invoice])
        return Pack.search([('origin', '=', str(invoice.lines[0]))])

    def redeem(self, pack, date):
        "Redeem one session of pack through the redemption's Do."
        from trytond.pool import Pool
        pool = Pool()
        Redemption = pool.get('clinic.pack.redemption')
        Product = pool.get('product.product')
        redemption = Redemption(pack=pack, party=pack.party,
            company=pack.company, date=date,
            product=Product(self.ids['session']), quantity=1)
        redemption.save()
        Redemption.do([redemption])
        return redemption

    def host_invoices(self, count):
        """The host creating and posting count one-line customer invoices
        in batches, each its own transaction, rolled back; seconds."""
        elapsed = 0
        for start in range(0, count, BATCH):
            size = min(BATCH, count - start)
            elapsed += self.run(lambda: median_time(
                    lambda: self.host_invoice(size), 1), commit=False)
        return elapsed

    def host_invoice(self, count=1):
        "The host: create and post count one-line customer invoices."
        from trytond.pool import Pool
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Line = pool.get('account.invoice.line')
        Product = pool.get('product.product')
        Party = pool.get('party.party')
        Company = pool.get('company.company')
        company = Company(self.company)
        product = Product(self.ids['session'])
        invoices = []
        for _ in range(count):
            invoice = Invoice(type='out', company=company,
                currency=company.currency, party=Party(self.ids['desk']),
                invoice_date=TODAY)
            invoice.on_change_type()
            invoice.on_change_party()
            line = Line(invoice=invoice, type='line', company=company,
                currency=company.currency, product=product, quantity=1)
            line.on_change_product()
            line.unit_price = Decimal('50.00')
            invoice.lines = [line]
            invoices.append(invoice)
        Invoice.save(invoices)
        Invoice.post(invoices)

    # History --------------------------------------------------------------
    def seed(self):
        "One sold pack with one redemption, the rows the history copies."
        pack, = self.sell(self.ids['history'], template='history_template')
        redemption = self.redeem(pack, SOLD + dt.timedelta(days=1))
        desk, = self.sell(self.ids['desk'], quantity=1)
        self.ids.update(seed_pack=pack.id, seed_redemption=redemption.id,
            desk_pack=desk.id)

    def build_history(self, packs, redemptions, due):
        """Copy the seeds: packs sold by invoice, redemptions posted, and
        due[1] packs due to expire (due[0] of them earlier than the rest),
        each pack sold by an invoice of its own, as in a clinic's ledger:
        the reconciliation of the history finds no difference.
        """
        from trytond.pool import Pool
        from trytond.transaction import Transaction
        cursor = Transaction().connection.cursor()
        cursor.execute('SELECT quantity FROM clinic_pack WHERE id = %s',
            (self.ids['seed_pack'],))
        sessions, = cursor.fetchone()
        # Round robin, so that any sizes fit: no pack redeemed beyond its
        # sessions (a negative liability no clinic has).
        per_pack = -(-redemptions // packs)
        assert per_pack < sessions, (
            "at most %s redemptions per pack" % (sessions - 1))
        pk = self._clone_sales(self.ids['seed_pack'], packs, 'H', {
                'expiry_date': "DATE '%s'" % (TODAY + dt.timedelta(days=300)),
                # The seed's breakage accrual move is not copied.
                'breakage_accrued': '0',
                })
        # The redemptions: the k-th of pack p its k-th day after the sale.
        cursor.execute(
            "SELECT id FROM account_move WHERE origin = %s",
            ('clinic.pack.redemption,%s' % self.ids['seed_redemption'],))
        r_move_id, = cursor.fetchone()
        pack = '((g - 1) %% %s + 1)' % packs
        day = 's.date - 1 - (%s %% 200) + ((g - 1) / %s + 1)' % (pack, packs)
        rd = self._clone('clinic_pack_redemption',
            self.ids['seed_redemption'], redemptions, {
                'pack': '%s + %s' % (pk, pack),
                'date': day,
                'sequence_label': 'NULL'})
        mr = self._clone('account_move', r_move_id, redemptions, {
                'number': "'R' || g", 'post_number': "'R' || g",
                'origin': "'clinic.pack.redemption,' || (%s + g)" % rd,
                'date': day, 'period': self._period(day)})
        self._clone_lines(r_move_id, mr, redemptions, {})
        cursor.execute('UPDATE clinic_pack AS p '
            'SET redeemed_quantity = r.quantity, '
            'remaining_quantity = p.quantity - r.quantity, '
            'remaining_amount = p.amount - r.amount '
            'FROM (SELECT pack, SUM(quantity) AS quantity, '
                'SUM(amount) AS amount FROM clinic_pack_redemption '
                'WHERE id > %s GROUP BY pack) AS r '
            'WHERE p.id = r.pack', (rd,))
        # The packs due to expire, unused: the first few before the others.
        few, many = due
        first = SOLD + dt.timedelta(days=10)
        self.expiry = {
            few: first + dt.timedelta(days=GRACE + 1),
            many: first + dt.timedelta(days=GRACE + 6),
            }
        self._clone_sales(self.ids['desk_pack'], many, 'E', {
                'expiry_date': "CASE WHEN g <= %s THEN DATE '%s' "
                "ELSE DATE '%s' END" % (
                    few, first, first + dt.timedelta(days=5)),
                })
        # Copied rows bypass the posting, which classifies the liability
        # lines for the reports: classify them as a migration does.
        Pool().get('clinic.pack.liability.line').store()
        cursor.execute('ANALYZE')

    def _clone_sales(self, pack_id, count, prefix, overrides):
        """Copy pack and the invoice that sold it count times, the sales
        spread over 200 days; return the id before the copied packs'."""
        from trytond.transaction import Transaction
        cursor = Transaction().connection.cursor()
        cursor.execute('SELECT origin FROM clinic_pack WHERE id = %s',
            (pack_id,))
        origin, = cursor.fetchone()
        line_id = int(origin.split(',')[1])
        cursor.execute(
            'SELECT invoice FROM account_invoice_line WHERE id = %s',
            (line_id,))
        invoice_id, = cursor.fetchone()
        cursor.execute('SELECT move FROM account_invoice WHERE id = %s',
            (invoice_id,))
        move_id, = cursor.fetchone()
        inv, il, mv, pk = (self._max_id(t) for t in [
                'account_invoice', 'account_invoice_line', 'account_move',
                'clinic_pack'])
        day = 's.date - (g % 200)'
        # Moves first: invoices link them.
        self._clone('account_move', move_id, count, {
                'number': "'%s' || g" % prefix,
                'post_number': "'%s' || g" % prefix,
                'origin': "'account.invoice,' || (%s + g)" % inv,
                'date': day, 'period': self._period(day)})
        self._clone('account_invoice', invoice_id, count, {
                'number': "'%s' || g" % prefix, 'move': '%s + g' % mv,
                'invoice_date': 's.invoice_date - (g % 200)'})
        self._clone('account_invoice_line', line_id, count, {
                'invoice': '%s + g' % inv})
        self._clone_lines(move_id, mv, count, {
                'origin': "CASE WHEN s.origin = 'account.invoice.line,%s' "
                "THEN 'account.invoice.line,' || (%s + g) "
                "ELSE s.origin END" % (line_id, il)})
        self._clone('clinic_pack', pack_id, count, dict({
                    'number': "'%s' || g" % prefix,
                    'origin': "'account.invoice.line,' || (%s + g)" % il,
                    'start_date': 's.start_date - (g % 200)',
                    }, **overrides))
        return pk

    @staticmethod
    def _period(date):
        "SQL of the standard period of the copied move's company at date."
        return ("(SELECT p.id FROM account_period AS p "
            "JOIN account_fiscalyear AS f ON f.id = p.fiscalyear "
            "WHERE f.company = s.company AND p.type = 'standard' "
            "AND p.start_date <= %s AND p.end_date >= %s)" % (date, date))

    def _max_id(self, table):
        from trytond.transaction import Transaction
        cursor = Transaction().connection.cursor()
        cursor.execute('SELECT COALESCE(MAX(id), 0) FROM "%s"' % table)
        return cursor.fetchone()[0]

    def _clone(self, table, seed, count, overrides):
        """Insert count copies of row seed of table: id and the columns of
        overrides (SQL of the seed row s and its copy's number g) change."""
        from trytond.transaction import Transaction
        cursor = Transaction().connection.cursor()
        cursor.execute('SELECT column_name FROM information_schema.columns '
            'WHERE table_name = %s ORDER BY ordinal_position', (table,))
        columns = [c for c, in cursor]
        base = self._max_id(table)
        overrides = dict(overrides, id='%s + g' % base)
        values = [overrides.get(c, 's."%s"' % c) for c in columns]
        cursor.execute('INSERT INTO "%s" (%s) SELECT %s FROM "%s" AS s, '
            'generate_series(1, %s) AS g WHERE s.id = %s' % (
                table, ', '.join('"%s"' % c for c in columns),
                ', '.join(values), table, count, seed))
        cursor.execute("SELECT setval('%s_id_seq', %s)"
            % (table, base + count))
        return base

    def _clone_lines(self, move, move_base, count, overrides):
        "Copy the lines of move onto the count moves after move_base."
        from trytond.transaction import Transaction
        cursor = Transaction().connection.cursor()
        cursor.execute(
            'SELECT id FROM account_move_line WHERE move = %s', (move,))
        for line, in cursor.fetchall():
            self._clone('account_move_line', line, count,
                dict(overrides, move='%s + g' % move_base))

    # Measures -------------------------------------------------------------
    def measure_redemption(self, key):
        "The redemption against the host's one-line invoice."
        from trytond.pool import Pool
        Pack = Pool().get('clinic.pack')
        pack = Pack(self.ids['desk_pack'])
        redemption = median_time(
            lambda: self.redeem(pack, TODAY), self.repeat)
        invoice = median_time(self.host_invoice, self.repeat)
        if self.profile:
            for name, func in [
                    ('redemption', lambda: self.redeem(pack, TODAY)),
                    ('host-invoice', self.host_invoice)]:
                with _rolled_back():
                    profile = cProfile.Profile()
                    profile.runcall(func)
                    write_profile(profile, '%s-%s' % (key, name))
        self.results[key] = {
            'redemption': redemption, 'host_invoice': invoice,
            'ratio': redemption / invoice}
        return redemption

    def measure_reports(self):
        """The roll-forward and the reconciliation against a raw SUM over
        the move lines of the accounts they follow."""
        from trytond.pool import Pool
        from trytond.transaction import Transaction
        pool = Pool()
        Account = pool.get('account.account')
        Company = pool.get('company.company')
        Line = pool.get('clinic.pack.liability.rollforward.line')
        Reconciliation = pool.get('clinic.pack.liability.reconciliation')
        company = Company(self.company)
        accounts = [self.ids['liability'], self.ids['accrual']]
        cursor = Transaction().connection.cursor()
        # The reports' figures, checked after the timings: the history is
        # a clinic's ledger, so a report that lost lines fails here.
        closing, reconciled = [], []

        def check(exceptions):
            figures = reconciled[-1]
            assert figures['difference'] == 0 == figures[
                'accrual_difference'], figures
            assert figures['exceptions'] == exceptions, figures
            # The roll-forward closes at the ledger's net liability.
            assert closing[-1] == (
                figures['ledger'] - figures['ledger_accrual']), (
                closing[-1], figures)
            timings['figures' + ('_exception' if exceptions else '')] = {
                k: figures[k] for k in [
                    'ledger', 'packs', 'exceptions', 'difference',
                    'ledger_accrual', 'packs_accrual', 'exception_count']}

        def raw_sum():
            cursor.execute('SELECT SUM(credit - debit) FROM '
                'account_move_line WHERE account IN (%s, %s)'
                % tuple(accounts))
            cursor.fetchone()

        def host_balance():
            with Transaction().set_context(date=TODAY):
                Account.read(accounts, ['balance'])

        def per_contract():
            # The least a figure per contract costs without a balance kept
            # per contract: one grouping of the same lines, nothing else.
            # Summed again in SQL, so that it returns one row as the reports'
            # queries do, not 100,000 to Python.
            cursor.execute('SELECT COUNT(*), SUM(amount) FROM ('
                'SELECT contract, SUM(amount) AS amount FROM '
                'clinic_pack_liability_line_posted WHERE account IN (%s, %s) '
                'GROUP BY contract) AS c' % tuple(accounts))
            cursor.fetchone()

        def rollforward():
            with Transaction().set_context(company=company.id,
                    from_date=SOLD - dt.timedelta(days=30), to_date=TODAY):
                lines = Line.search([])
                assert lines, "empty roll-forward"
                rows = Line.read([l.id for l in lines], [
                        'opening', 'billings', 'revenue', 'accrual',
                        'closing', 'revenue_from_opening'])
                closing.append(sum(r['closing'] for r in rows))

        def reconciliation():
            # Search and read, as the client opens its row.
            with Transaction().set_context(company=company.id, date=TODAY):
                row, = Reconciliation.search([])
                figures, = Reconciliation.read([row.id], [
                        'ledger', 'packs', 'fees', 'exceptions',
                        'difference', 'ledger_accrual', 'packs_accrual',
                        'accrual_exceptions', 'accrual_difference',
                        'exception_count'])
                reconciled.append(figures)

        timings = {}
        for name, func in [('raw_sum', raw_sum),
                ('host_balance', host_balance),
                ('per_contract', per_contract),
                ('rollforward', rollforward),
                ('reconciliation', reconciliation)]:
            func()  # warm the caches
            timings[name] = median_time(func, self.repeat)
            if self.profile and name in {'rollforward', 'reconciliation'}:
                with _rolled_back():
                    profile = cProfile.Profile()
                    profile.runcall(func)
                    write_profile(profile, name)
        timings['ratio'] = ((timings['rollforward']
                + timings['reconciliation']) / timings['raw_sum'])
        timings['host_balance_ratio'] = (
            timings['host_balance'] / timings['raw_sum'])
        # The least: each report below the host's balance.  The
        # reconciliation states that balance, so it is shown beside it.
        timings['rollforward_host_ratio'] = (
            timings['rollforward'] / timings['host_balance'])
        timings['reconciliation_host_ratio'] = (
            timings['reconciliation'] / timings['host_balance'])
        # A reference: the host's own balance, which the reconciliation
        # states, plus one grouping of the history per contract, which the
        # 116(b) column needed before it grouped only the contracts that
        # earned in the period.
        timings['floor'] = timings['host_balance'] + timings['per_contract']
        timings['floor_ratio'] = (
            (timings['rollforward'] + timings['reconciliation'])
            / timings['floor'])
        check(Decimal(0))
        # Again once the ledger has an exception, as a clinic's soon does:
        # the reports then classify a line live.
        self.post_exception()
        for name, func in [('rollforward', rollforward),
                ('reconciliation', reconciliation)]:
            func()
            timings[name + '_exception'] = median_time(func, self.repeat)
        check(Decimal('10.00'))
        timings['ratio_exception'] = ((timings['rollforward_exception']
                + timings['reconciliation_exception']) / timings['raw_sum'])
        self.results['reports'] = timings

    def post_exception(self):
        """Post a manual entry on the contract liability account, as a
        clinic's accountant does now and then: the reports then meet an
        exception, a line they classify live, as in a clinic's ledger."""
        from trytond.pool import Pool
        pool = Pool()
        Account = pool.get('account.account')
        Journal = pool.get('account.journal')
        Move = pool.get('account.move')
        Period = pool.get('account.period')
        accounts = [self.ids['liability'], self.ids['accrual']]
        other, = Account.search([
                ('company', '=', self.company),
                ('type', '!=', None),
                ('party_required', '=', False),
                ('id', 'not in', accounts),
                ], limit=1)
        journal, = Journal.search([], limit=1)
        move = Move(journal=journal, date=TODAY,
            period=Period.find(self.company, date=TODAY))
        move.lines = [
            {'account': accounts[0], 'debit': 0, 'credit': Decimal('10.00')},
            {'account': other.id, 'debit': Decimal('10.00'), 'credit': 0},
            ]
        move.save()
        Move.post([move])

    def measure_expiry(self):
        "The expiry cron per pack, many due against few."
        from trytond.pool import Pool
        Pack = Pool().get('clinic.pack')
        per_pack = {}
        for count, date in sorted(self.expiry.items()):
            elapsed = median_time(
                lambda: Pack.expire_packs(date), self.repeat_crons)
            per_pack[count] = elapsed / count
        few, many = sorted(per_pack)
        self.results['expiry'] = {
            'due': [few, many],
            'per_pack': [per_pack[few], per_pack[many]],
            'ratio': per_pack[many] / per_pack[few]}

    def membership_seed(self):
        "One active member whose next period is due today."
        from trytond.pool import Pool
        pool = Pool()
        Membership = pool.get('clinic.membership')
        membership, = Membership.create([{
                    'party': self.ids['member'], 'plan': self.ids['plan'],
                    'start_date': TODAY - dt.timedelta(days=31)}])
        Membership.activate([membership])
        self.ids['seed_membership'] = membership.id

    def add_members(self, count):
        "Copy the seed member count times, due today; the others not."
        from trytond.transaction import Transaction
        cursor = Transaction().connection.cursor()
        cursor.execute('UPDATE clinic_membership SET next_period_start = %s',
            (TODAY + dt.timedelta(days=3650),))
        self._clone('clinic_membership', self.ids['seed_membership'], count,
            {'next_period_start': "DATE '%s'" % TODAY,
                'number': "'M' || g"})

    def subscription_seed(self):
        """The host's own subscription, running like a member: the
        membership product consumed and invoiced monthly."""
        from trytond.pool import Pool
        pool = Pool()
        RuleSet = pool.get('sale.subscription.recurrence.rule.set')
        Service = pool.get('sale.subscription.service')
        Subscription = pool.get('sale.subscription')
        Line = pool.get('sale.subscription.line')
        Product = pool.get('product.product')
        ProductTemplate = pool.get('product.template')
        Party = pool.get('party.party')
        Company = pool.get('company.company')
        company = Company(self.company)
        product = Product(self.ids['membership_product'])
        # Sold by the host's sale: salable, in its unit.
        ProductTemplate.write([product.template], {
                'salable': True, 'sale_uom': product.default_uom.id})
        monthly, = RuleSet.create([{'name': "Monthly", 'rules': [
                        ('create', [{'freq': 'monthly', 'interval': 1}])]}])
        service = Service(consumption_recurrence=monthly, product=product)
        service.save()
        subscription = Subscription(company=company,
            currency=company.currency, party=Party(self.ids['member']),
            start_date=TODAY - dt.timedelta(days=31),
            invoice_recurrence=monthly)
        subscription.on_change_party()
        line = Line(subscription=subscription, service=service, quantity=1)
        line.on_change_subscription()
        line.on_change_service()
        subscription.lines = [line]
        subscription.save()
        Subscription.quote([subscription])
        Subscription.run([subscription])
        self.ids['seed_subscription'] = subscription.id
        self.ids['seed_subscription_line'] = subscription.lines[0].id

    def add_subscriptions(self, count):
        "Copy the seed subscription count times, due today; the others not."
        from trytond.transaction import Transaction
        cursor = Transaction().connection.cursor()
        later = TODAY + dt.timedelta(days=3650)
        cursor.execute('UPDATE sale_subscription SET next_invoice_date = %s',
            (later,))
        cursor.execute('UPDATE sale_subscription_line '
            'SET next_consumption_date = %s', (later,))
        base = self._clone('sale_subscription',
            self.ids['seed_subscription'], count, {
                'next_invoice_date': "DATE '%s'" % TODAY,
                'number': "'S' || g"})
        self._clone('sale_subscription_line',
            self.ids['seed_subscription_line'], count, {
                'subscription': '%s + g' % base,
                'next_consumption_date': "DATE '%s'" % TODAY,
                'consumed_until': 'NULL'})

    def subscriptions_once(self, count):
        """Run the host's subscription crons (consumptions, then invoices)
        over count due subscriptions and post the invoices; seconds."""
        from trytond.pool import Pool
        from trytond.transaction import Transaction
        pool = Pool(self.database)
        Line = pool.get('sale.subscription.line')
        Subscription = pool.get('sale.subscription')
        Invoice = pool.get('account.invoice')
        self.run(lambda: self.add_subscriptions(count))

        def drafts():
            cursor = Transaction().connection.cursor()
            cursor.execute("SELECT COUNT(*) FROM account_invoice "
                "WHERE state = 'draft'")
            return cursor.fetchone()[0]

        def timed(func):
            def run():
                start = time.perf_counter()
                func()
                return time.perf_counter() - start
            return run
        before = self.run(drafts)
        elapsed = self.run(timed(lambda: Line.generate_consumption(TODAY)),
            locks=False)
        elapsed += self.run(
            timed(lambda: Subscription.generate_invoice(TODAY)), locks=False)
        # One invoice per subscription, not nothing.
        assert self.run(drafts) - before == count, "invoicing incomplete"
        invoices = self.run(lambda: [i.id for i in Invoice.search([
                        ('state', '=', 'draft')])])
        for start in range(0, len(invoices), BATCH):
            batch = invoices[start:start + BATCH]
            elapsed += self.run(timed(lambda: Invoice.post(
                        Invoice.browse(batch))), locks=False)
        assert self.run(drafts) == before, "posting incomplete"
        return elapsed

    def renew_once(self, count):
        """Run the renewal cron over count due members; (seconds, peak
        resident memory above the process's before the cron)."""
        from trytond.pool import Pool
        self.run(lambda: self.add_members(count))
        Membership = Pool(self.database).get('clinic.membership')

        def periods():
            from trytond.transaction import Transaction
            cursor = Transaction().connection.cursor()
            cursor.execute('SELECT COUNT(*) FROM clinic_membership_period')
            return cursor.fetchone()[0]

        def renew():
            profile = self.profile and cProfile.Profile()
            base = peak_reset()
            start = time.perf_counter()
            if profile:
                profile.runcall(Membership.renew, TODAY)
            else:
                Membership.renew(TODAY)
            elapsed = time.perf_counter() - start
            peak = peak_since(base)
            if profile:
                write_profile(profile, 'renewal-%s' % count)
            return elapsed, peak
        before = self.run(periods)
        result = self.run(renew, locks=False)
        # The cron renewed every member (a period each), not nothing.
        assert self.run(periods) - before == count, "renewal incomplete"
        return result

    def measure_renewal(self):
        """The renewal cron per membership against the host creating and
        posting an invoice per item, and its growth in time and memory."""
        few, many = self.sizes['renewal']
        # Warm the caches first, or the smaller run would pay for them in
        # time and memory and flatter the growth.
        self.renew_once(min(few, BATCH))
        timings = {few: [], many: []}
        peaks = {few: [], many: []}
        for count in [few, many]:
            for _ in range(self.repeat_crons):
                elapsed, peak = self.renew_once(count)
                timings[count].append(elapsed / count)
                # The cron's whole peak resident memory (not per member):
                # it renews in batches, so it should not grow with the
                # members due.
                peaks[count].append(peak)
        host, subscriptions = {}, {}
        for count in [few, many]:
            host[count] = statistics.median(
                self.host_invoices(count)
                for _ in range(self.repeat_crons)) / count
            subscriptions[count] = statistics.median(
                self.subscriptions_once(count)
                for _ in range(self.repeat_crons)) / count
        per_member = {c: statistics.median(t) for c, t in timings.items()}
        peak = {c: statistics.median(p) for c, p in peaks.items()}
        self.results['renewal'] = {
            'members': [few, many],
            'per_member': [per_member[few], per_member[many]],
            'host_per_invoice': [host[few], host[many]],
            'host_per_subscription': [
                subscriptions[few], subscriptions[many]],
            'ratio': per_member[many] / subscriptions[many],
            'invoice_ratio': per_member[many] / host[many],
            'growth': per_member[many] / per_member[few],
            'peak': [peak[few], peak[many]],
            'peak_growth': peak[many] / max(peak[few], 1),
            }


def machine():
    "The machine's cores and memory."
    memory = None
    try:
        with open('/proc/meminfo') as meminfo:
            for line in meminfo:
                if line.startswith('MemTotal:'):
                    memory = int(line.split()[1]) * 1024
    except OSError:
        pass
    import trytond
    return {
        'cores': os.cpu_count(), 'memory_bytes': memory,
        'trytond': trytond.__version__,
        'series': os.environ.get('CLINIC_PACKS_SERIES', '7.0'),
        'python': platform.python_version(),
        'platform': platform.platform(),
        }


def table(results):
    "The figures as the issue's table."
    rows = []
    r = results
    if 'redemption' in r:
        rows.append(("redemption with posting / host one-line invoice "
                "posted", r['redemption']['ratio'], "<= 0.6"))
    if 'redemption_history' in r and 'redemption' in r:
        rows.append(("redemption after history / before",
                r['redemption_history']['redemption']
                / r['redemption']['redemption'], "<= 1.2"))
    if 'reports' in r:
        rep = r['reports']
        rows.append(("roll-forward + reconciliation / raw SUM (%.2f s + "
                "%.2f s vs %.3f s; host balance %.1fx)" % (
                    rep['rollforward'], rep['reconciliation'],
                    rep['raw_sum'], rep['host_balance_ratio']),
                rep['ratio'], "<= 3"))
        rows.append(("roll-forward / host balance (%.2f s vs %.2f s)" % (
                    rep['rollforward'], rep['host_balance']),
                rep['rollforward_host_ratio'], "< 1"))
        rows.append(("reconciliation / host balance, which it contains",
                rep['reconciliation_host_ratio'], "reference"))
        rows.append(("roll-forward + reconciliation / host balance + one "
                "grouping per contract (%.2f s + %.3f s)" % (
                    rep['host_balance'], rep['per_contract']),
                rep['floor_ratio'], "reference"))
        if 'ratio_exception' in rep:
            rows.append(("the same with one manual entry on the liability "
                    "account / raw SUM (%.2f s + %.2f s)" % (
                        rep['rollforward_exception'],
                        rep['reconciliation_exception']),
                    rep['ratio_exception'], "<= 3"))
    if 'renewal' in r:
        ren = r['renewal']
        rows.append(("renewal cron per member / host subscription consumed, "
                "invoiced and posted (%d)" % ren['members'][1],
                ren['ratio'], "<= 1.0"))
        rows.append(("renewal cron per member / host one-line invoice "
                "created and posted", ren['invoice_ratio'], "reference"))
        rows.append(("renewal cron per member, %d vs %d" % tuple(
                    reversed(ren['members'])), ren['growth'], "linear"))
        rows.append(("renewal peak resident memory, %d vs %d members" % tuple(
                    reversed(ren['members'])), ren['peak_growth'], "<= 1.5"))
    if 'expiry' in r:
        exp = r['expiry']
        rows.append(("expiry cron per pack, %d vs %d due" % tuple(
                    reversed(exp['due'])), exp['ratio'], "<= 1.2"))
    width = max(len(name) for name, _, _ in rows)
    lines = ["%-*s  %8s  %s" % (width, "figure", "ratio", "target")]
    for name, ratio, target in rows:
        lines.append("%-*s  %8.2f  %s" % (width, name, ratio, target))
    return '\n'.join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--full', action='store_true',
        help="the issue's sizes: 100,000 packs, 1,000,000 redemptions, "
        "5,000 vs 500 members, 100,000 vs 10,000 due packs")
    parser.add_argument('--packs', type=int)
    parser.add_argument('--redemptions', type=int)
    parser.add_argument('--renewal', type=int, nargs=2)
    parser.add_argument('--expiry', type=int, nargs=2)
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument('--repeat-crons', type=int,
        help="repetitions of the expiry and renewal (--repeat by default): "
        "at full size each posts 100,000 moves or 5,000 invoices")
    parser.add_argument('--only', nargs='*', default=[
            'redemption', 'reports', 'expiry', 'renewal'])
    parser.add_argument('--output', default='artifacts/bench.json')
    parser.add_argument('--profile', action='store_true',
        help="write the cProfile of the redemption, the renewal and the "
        "reports to artifacts/profile-*.txt")
    parser.add_argument('--reuse', action='store_true',
        help="measure the reports alone over the history the previous run "
        "left in the database")
    args = parser.parse_args(argv)
    sizes = dict(SIZES['full' if args.full else 'quick'])
    for name in ['packs', 'redemptions', 'renewal', 'expiry']:
        if getattr(args, name):
            sizes[name] = getattr(args, name)

    from trytond.pool import Pool
    from trytond.tests.test_tryton import DB_NAME, activate_module, drop_db
    if args.reuse:
        # The reports over the history the previous run left, its modules
        # updated to this checkout's first, as a clinic upgrading would.
        start = time.perf_counter()
        Pool(DB_NAME).init(update=['clinic_packs_accounting'])
        print('[bench] modules updated in %.1f s'
            % (time.perf_counter() - start), file=sys.stderr, flush=True)
        bench = Bench(DB_NAME, sizes, args.repeat, profile=args.profile)
        bench.run(bench.reuse)
        bench.run(bench.measure_reports, commit=False)
        write(args.output, {
                # The history's sizes are those of the run that built it.
                'reuse': True, 'repeat': args.repeat, 'machine': machine(),
                'date': _utc_now(), 'results': bench.results,
                })
        return
    drop_db()
    # sale_subscription: the host's own recurring invoicing, the renewal's
    # reference (setup/bench installs it).
    activate_module(['clinic_packs_accounting', 'clinic_packs_membership',
            'sale_subscription'])
    Pool(DB_NAME).init()
    bench = Bench(DB_NAME, sizes, args.repeat, profile=args.profile,
        repeat_crons=args.repeat_crons)

    def log(message):
        print('[bench] %s' % message, file=sys.stderr, flush=True)
    started = time.perf_counter()
    bench.run(bench.setup)
    bench.run(bench.seed)
    bench.run(bench.membership_seed)
    if 'renewal' in args.only:
        bench.run(bench.subscription_seed)
    if 'redemption' in args.only:
        log("redemption before history")
        bench.run(lambda: bench.measure_redemption('redemption'),
            commit=False)
    log("history: %(packs)s packs, %(redemptions)s redemptions" % sizes)
    start = time.perf_counter()
    bench.run(lambda: bench.build_history(
            sizes['packs'], sizes['redemptions'], sizes['expiry']))
    history = time.perf_counter() - start
    if 'redemption' in args.only:
        log("redemption after history")
        bench.run(lambda: bench.measure_redemption('redemption_history'),
            commit=False)
    if 'reports' in args.only:
        log("reports")
        bench.run(bench.measure_reports, commit=False)
    if 'expiry' in args.only:
        log("expiry %s vs %s due" % tuple(sizes['expiry']))
        bench.run(bench.measure_expiry, commit=False)
    if 'renewal' in args.only:
        log("renewal %s vs %s members" % tuple(sizes['renewal']))
        bench.measure_renewal()

    output = {
        'sizes': sizes, 'repeat': args.repeat,
        'repeat_crons': bench.repeat_crons, 'machine': machine(),
        'history_seconds': history,
        'total_seconds': time.perf_counter() - started,
        'date': _utc_now(),
        'results': bench.results,
        }
    write(args.output, output)


def _utc_now():
    return dt.datetime.utcnow().isoformat(timespec='seconds') + 'Z'


def write(path, output):
    "Print the table of output's results and write output to path as JSON."
    print(table(output['results']))
    os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
    with open(path, 'w') as file:
        json.dump(output, file, indent=2, default=str)
    print("written %s" % path)


if __name__ == '__main__':
    main()
