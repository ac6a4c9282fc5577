# This file is part of clinic_packs_accounting.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"Who may do what: the front desk's postings and the companies' figures"
import datetime as dt
from contextlib import contextmanager
from decimal import Decimal

from trytond.model.exceptions import AccessError
from trytond.model.modelview import AccessButtonError
from trytond.modules.clinic_packs import compat
from trytond.modules.clinic_packs.tests import unit
from trytond.modules.clinic_packs.tests.unit import START
from trytond.modules.clinic_packs_accounting.exceptions import (
    PackPostingError, ReportCompanyError)
from trytond.modules.clinic_packs_accounting.report import reconcile
from trytond.modules.company.tests import create_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, drop_db, with_transaction
from trytond.transaction import Transaction

from .unit import configure_accounting

REDEEMED = dt.date(2025, 1, 15)


class AccountingAccessTestCase(unit.ClinicTestCase):
    "Test who may do what with pack accounting active"

    @classmethod
    def setUpClass(cls):
        drop_db()
        activate_module('clinic_packs_accounting')
        super(unit.ClinicTestCase, cls).setUpClass()

    def create_user(self, login, companies, *groups):
        "Return a new user of companies in groups (module, xml id) only."
        pool = Pool()
        User = pool.get('res.user')
        Group = pool.get('res.group')
        ModelData = pool.get('ir.model.data')
        user = User(login=login, name=login,
            companies=list(companies), company=companies[0],
            groups=[Group(ModelData.get_id(*g)) for g in groups])
        user.save()
        return user

    @contextmanager
    def as_user(self, user, **context):
        "Work as user, with the access checks of a user's request."
        transaction = Transaction()
        # Each block is a request of its own: 8.0 caches the user's
        # companies per user whatever the context's company, and a company
        # not the user's reads as none (7.0 reads it as root).
        User = Pool().get('res.user')
        User._get_companies_cache.clear()
        with transaction.set_user(user.id), \
                transaction.set_context(_check_access=True, **context):
            yield
        User._get_companies_cache.clear()

    @with_transaction()
    def test_front_desk_reads_pack_accounts(self):
        "The front desk reads the pack accounts; only accountants set them"
        pool = Pool()
        Configuration = pool.get('account.configuration')
        with self.clinic(accounting=True) as clinic:
            accounts, _ = configure_accounting(clinic.company)
            company = clinic.company
            desk = self.create_user('desk', [company],
                ('clinic_packs', 'group_clinic_packs'))
            accountant = self.create_user('accountant', [company],
                ('account', 'group_account_admin'))
        with self.as_user(desk, company=company.id):
            self.assertEqual(Configuration(1).breakage_revenue_account,
                accounts.breakage_revenue_account)
            with self.assertRaises(AccessError) as cm:
                Configuration.write([Configuration(1)], {
                        'breakage_revenue_account': None})
            self.assertEqual(cm.exception.message,
                'You are not allowed to access "Account Configuration".')
        with self.as_user(accountant, company=company.id):
            Configuration.write([Configuration(1)], {
                    'breakage_revenue_account': None})
            self.assertIsNone(Configuration(1).breakage_revenue_account)

    def redeem(self, clinic, pack):
        "Return a new draft redemption of one session from pack."
        pool = Pool()
        Redemption = pool.get('clinic.pack.redemption')
        redemption = Redemption(pack=pack, party=pack.party,
            company=pack.company, product=clinic.physio, date=REDEEMED,
            quantity=1)
        redemption.save()
        return redemption

    def move_amounts(self, redemption, configuration, revenue):
        "Return per move (posted?, liability, revenue) as debit - credit."
        pool = Pool()
        Redemption = pool.get('clinic.pack.redemption')
        redemption = Redemption(redemption.id)
        result = []
        for move in sorted(redemption.moves, key=lambda m: m.id):
            amounts = {'liability': Decimal(0), 'revenue': Decimal(0)}
            for line in move.lines:
                if line.account == configuration.contract_liability_account:
                    amounts['liability'] += line.debit - line.credit
                elif line.account == revenue:
                    amounts['revenue'] += line.debit - line.credit
                else:
                    self.fail("unexpected account %s" % line.account.rec_name)
            result.append((move.state, move.pack_posting, move.date,
                    amounts['liability'], amounts['revenue']))
        return result

    @with_transaction()
    def test_front_desk_do_admin_cancel(self):
        """A front desk user redeems a session and a pack administrator
        cancels it: the service revenue is posted and reversed to the cent"""
        pool = Pool()
        Redemption = pool.get('clinic.pack.redemption')
        Account = pool.get('account.account')
        with self.clinic(accounting=True) as clinic:
            configuration, revenue = configure_accounting(clinic.company)
            pack = self.issue(clinic)
            front_desk = self.create_user('front_desk', [clinic.company],
                ('clinic_packs', 'group_clinic_packs'))
            administrator = self.create_user('pack_admin', [clinic.company],
                ('clinic_packs', 'group_clinic_packs_admin'))

            with self.as_user(front_desk, company=clinic.company.id):
                redemption = self.redeem(clinic, pack)
                Redemption.do([redemption])
            self.assertEqual(Redemption(redemption.id).state, 'done')
            self.assertEqual(
                self.move_amounts(redemption, configuration, revenue), [
                    ('posted', 'revenue', REDEEMED,
                        Decimal('45.83'), Decimal('-45.83')),
                    ])
            self.assertPack(pack, remaining_amount=Decimal('229.17'))

            # Cancelling a session is the administrators' (clinic_packs).
            with self.as_user(front_desk, company=clinic.company.id):
                with self.assertRaises(AccessButtonError):
                    Redemption.cancel([Redemption(redemption.id)])
            self.assertEqual(Redemption(redemption.id).state, 'done')
            self.assertEqual(len(Redemption(redemption.id).moves), 1)

            with self.as_user(administrator, company=clinic.company.id):
                Redemption.cancel([Redemption(redemption.id)])
            self.assertEqual(Redemption(redemption.id).state, 'cancelled')
            self.assertEqual(
                self.move_amounts(redemption, configuration, revenue), [
                    ('posted', 'revenue', REDEEMED,
                        Decimal('45.83'), Decimal('-45.83')),
                    ('posted', 'revenue', REDEEMED,
                        Decimal('-45.83'), Decimal('45.83')),
                    ])
            self.assertPack(pack, remaining_amount=Decimal('275.00'))
            with Transaction().set_context(date=REDEEMED):
                liability = Account(configuration.contract_liability_account)
                self.assertEqual(liability.balance, Decimal('0.00'))

    @with_transaction()
    def test_front_desk_posting_fields(self):
        """A front desk user cannot link a pack or a redemption to moves
        nor set what the breakage postings set"""
        pool = Pool()
        Pack = pool.get('clinic.pack')
        Redemption = pool.get('clinic.pack.redemption')
        Move = pool.get('account.move')
        with self.clinic(accounting=True) as clinic:
            configure_accounting(clinic.company)
            pack = self.issue(clinic)
            redemption = self.redeem(clinic, pack)
            Redemption.do([redemption])
            move, = Redemption(redemption.id).moves
            other = self.issue(clinic)
            front_desk = self.create_user('front_desk_fields',
                [clinic.company], ('clinic_packs', 'group_clinic_packs'))

            with self.as_user(front_desk, company=clinic.company.id):
                with self.assertRaises(AccessError):
                    Pack.write([other], {'breakage_move': move.id})
                with self.assertRaises(AccessError):
                    Pack.write([other], {'broken_amount': Decimal('10')})
                with self.assertRaises(AccessError):
                    Redemption.write([Redemption(redemption.id)], {
                            'moves': [('remove', [move.id])],
                            })
                with self.assertRaises(AccessError):
                    Move.write([move], {'description': "Edited"})
            self.assertEqual(Pack(other.id).breakage_move, None)
            self.assertEqual(Move(move.id).origin, Redemption(redemption.id))

    @with_transaction()
    def test_pack_by_hand_opening(self):
        """A pack entered by hand (a migration) puts its value on the
        contract liability when the front desk activates it, against the
        opening balance account the accountant set; the reconciliation
        agrees, and cancelling such a pack reverses it"""
        pool = Pool()
        Account = pool.get('account.account')
        Configuration = pool.get('account.configuration')
        Move = pool.get('account.move')
        Pack = pool.get('clinic.pack')
        Redemption = pool.get('clinic.pack.redemption')
        Line = pool.get('clinic.pack.liability.rollforward.line')
        with self.clinic(accounting=True) as clinic:
            accounts, _ = configure_accounting(clinic.company)
            liability = accounts.contract_liability_account
            opening = Account(code='3900', name="Opening Balances",
                type=liability.type, parent=liability.parent,
                company=clinic.company)
            opening.save()
            company = clinic.company
            desk = self.create_user('desk_opening', [company],
                ('clinic_packs', 'group_clinic_packs'))
            administrator = self.create_user('admin_opening', [company],
                ('clinic_packs', 'group_clinic_packs_admin'))
            accountant = self.create_user('accountant_opening', [company],
                ('account', 'group_account_admin'))

            def balances():
                with Transaction().set_context(date=REDEEMED):
                    return (Account(liability.id).balance,
                        Account(opening.id).balance)

            # Without the account, the front desk's pack posts nothing.
            with self.as_user(desk, company=company.id):
                first = self.issue(clinic, amount='240.00')
            self.assertEqual(Pack(first.id).opening_move, None)
            self.assertEqual(balances(), (Decimal('0.00'), Decimal('0.00')))
            # Only an accountant sets it.
            with self.as_user(desk, company=company.id):
                with self.assertRaises(AccessError):
                    Configuration.write([Configuration(1)], {
                            'pack_opening_account': opening.id})
            with self.as_user(accountant, company=company.id):
                Configuration.write([Configuration(1)], {
                        'pack_opening_account': opening.id})

            with self.as_user(desk, company=company.id):
                pack = self.issue(clinic, amount='240.00')
                redemption = self.redeem(clinic, pack)
                Redemption.do([redemption])
                unused = self.issue(clinic, amount='100.00')
            move = Pack(pack.id).opening_move
            self.assertEqual((move.state, move.pack_posting, move.date,
                    move.origin), ('posted', 'opening', START, Pack(pack.id)))
            self.assertEqual(sorted(
                    (l.account.code, l.debit, l.credit) for l in move.lines), [
                    ('2300', Decimal('0'), Decimal('240.00')),
                    ('3900', Decimal('240.00'), Decimal('0')),
                    ])
            # 240.00 + 100.00 less the session, 40.00.
            self.assertEqual(balances(), (Decimal('-300.00'), Decimal('340.00')))
            with self.as_user(accountant, company=company.id):
                figures = reconcile(company, REDEEMED)
            # The first pack, activated before the account was set, still
            # holds 240.00 the ledger never received.
            self.assertEqual(
                (figures['ledger'], figures['packs'], figures['exceptions'],
                    figures['difference']),
                (Decimal('300.00'), Decimal('540.00'), Decimal('0.00'),
                    Decimal('-240.00')))

            # The accountant posts the first pack's opening afterwards; the
            # front desk may not, and a pack opened already needs none.
            with self.as_user(desk, company=company.id):
                with self.assertRaises(AccessButtonError):
                    Pack.post_opening_balance([Pack(first.id)])
            self.assertEqual(Pack(first.id).opening_move, None)
            with self.as_user(accountant, company=company.id):
                Pack.post_opening_balance([Pack(first.id)])
                # 8.0 refuses a hidden button itself; 7.0 runs the method.
                with self.assertRaises(AccessButtonError if compat.TRYTON_8
                        else PackPostingError) as refused:
                    Pack.post_opening_balance([Pack(pack.id)])
                figures = reconcile(company, REDEEMED)
            if not compat.TRYTON_8:
                self.assertEqual(refused.exception.message, (
                        'Pack "%s" needs no opening balance: only an '
                        'activated pack entered by hand with a value and '
                        'without one does (a sold pack is opened by its '
                        'invoice).'
                        % Pack(pack.id).rec_name))
            move = Pack(first.id).opening_move
            self.assertEqual((move.state, move.pack_posting, move.date),
                ('posted', 'opening', START))
            self.assertEqual(balances(), (Decimal('-540.00'), Decimal('580.00')))
            self.assertEqual(
                (figures['ledger'], figures['packs'], figures['exceptions'],
                    figures['difference']),
                (Decimal('540.00'), Decimal('540.00'), Decimal('0.00'),
                    Decimal('0.00')))

            # Cancelling the unused pack reverses its opening, today.
            with self.as_user(administrator, company=company.id):
                Pack.cancel([Pack(unused.id)])
            reversal, = Move.search([
                    ('origin', '=', str(Pack(unused.id))),
                    ('id', '!=', Pack(unused.id).opening_move.id)])
            self.assertEqual((reversal.state, reversal.pack_posting),
                ('posted', 'opening'))
            self.assertEqual(sorted(
                    (l.account.code, l.debit, l.credit) for l in reversal.lines), [
                    ('2300', Decimal('100.00'), Decimal('0')),
                    ('3900', Decimal('0'), Decimal('100.00')),
                    ])
            Pack.cancel([Pack(first.id)])
            today = pool.get('ir.date').today()
            with self.as_user(accountant, company=company.id):
                figures = reconcile(company, today)
                with Transaction().set_context(company=company.id,
                        from_date=START, to_date=today):
                    row, = Line.search([])
                    self.assertEqual(
                        (row.opening, row.billings, row.cancellations,
                            row.revenue, row.other, row.closing),
                        (Decimal('0.00'), Decimal('580.00'), Decimal('340.00'),
                            Decimal('40.00'), Decimal('0.00'),
                            Decimal('200.00')))
            self.assertEqual(
                (figures['ledger'], figures['packs'], figures['exceptions'],
                    figures['difference']),
                (Decimal('200.00'), Decimal('200.00'), Decimal('0.00'),
                    Decimal('0.00')))

    @with_transaction()
    def test_other_company_rollforward(self):
        """A user of company B reads none of company A's roll-forward,
        balances or reconciliation"""
        pool = Pool()
        Redemption = pool.get('clinic.pack.redemption')
        Line = pool.get('clinic.pack.liability.rollforward.line')
        Exception_ = pool.get('clinic.pack.liability.exception')
        Balance = pool.get('clinic.pack.balance')
        PartyBalance = pool.get('clinic.pack.balance.party')
        Reconciliation = pool.get('clinic.pack.liability.reconciliation')
        other = create_company(name="Other Clinic")
        with self.clinic(accounting=True) as clinic:
            configure_accounting(clinic.company)
            pack = self.issue(clinic)
            Redemption.do([self.redeem(clinic, pack)])
            dates = {
                'from_date': dt.date(2025, 1, 1),
                'to_date': dt.date(2025, 12, 31),
                'date': dt.date(2025, 12, 31),
                }
            with Transaction().set_context(
                    company=clinic.company.id, **dates):
                line, = Line.search([])
                self.assertEqual(line.revenue, Decimal('45.83'))
            a_template = line.template
            accountant_a = self.create_user('accountant_a', [clinic.company],
                ('account', 'group_account'))
            with self.as_user(accountant_a, company=clinic.company.id,
                    **dates):
                self.assertEqual(
                    [l.template for l in Line.search([])], [a_template])
                # One row, its company's, read at the context's date.  The
                # pack was entered by hand at 275.00, no invoice: the ledger
                # holds only the session's recognition, and the difference
                # is the 275.00 no posting put on the liability.
                row, = Reconciliation.search([])
                self.assertEqual(row.company, clinic.company)
                self.assertEqual(row.date, dates['date'])
                self.assertEqual(
                    (row.ledger, row.packs, row.difference),
                    (Decimal('-45.83'), Decimal('229.17'),
                        Decimal('-275.00')))

            user_b = self.create_user('admin_b', [other],
                ('clinic_packs', 'group_clinic_packs_admin'),
                ('account', 'group_account'))
            # The context names company A: refused.
            with self.as_user(user_b, company=clinic.company.id, **dates):
                for Model in [Line, Exception_, Balance, PartyBalance,
                        Reconciliation]:
                    with self.assertRaises(ReportCompanyError, msg=Model):
                        Model.search([])
                with self.assertRaises(ReportCompanyError):
                    reconcile(clinic.company, dates['date'])
            # Its own company or none: nothing of company A.
            for company in [other.id, None]:
                with self.as_user(user_b, company=company, **dates):
                    for Model in [Line, Exception_, Balance, PartyBalance]:
                        self.assertEqual(Model.search([]), [], msg=Model)
                    # Its own company's reconciliation only (without a
                    # company in context 8.0's record rules show none).
                    rows = [r.company for r in Reconciliation.search([])]
                    self.assertNotIn(clinic.company, rows)
                    if company is not None:
                        self.assertEqual(rows, [other])
                    # Not even by id.
                    self.assertEqual(
                        Line.search([('id', '=', line.id)]), [])
                    with self.assertRaises(AccessError):
                        Line.read([line.id], ['revenue'])
                    with self.assertRaises(AccessError):
                        Balance.read([pack.id], ['remaining_amount'])

            # Company A's reconciliation row, its figures and its
            # exceptions, by id.
            with self.as_user(user_b, company=other.id, **dates):
                with self.assertRaises(AccessError):
                    Reconciliation.read([clinic.company.id], ['ledger'])
                with self.assertRaises(AccessError):
                    Reconciliation.open_exceptions(
                        Reconciliation.browse([clinic.company.id]))

