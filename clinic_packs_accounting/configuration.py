# This file is part of clinic_packs_accounting.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
from types import SimpleNamespace
from weakref import WeakKeyDictionary

from sql import Table

from trytond import backend
from trytond.i18n import gettext
from trytond.model import ModelSQL, fields
from trytond.model.exceptions import AccessError
from trytond.modules.company.model import CompanyValueMixin
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

from .exceptions import PackPostingError

# The pack accounts of each company, read once per transaction (see
# Configuration.pack_accounts).
_pack_accounts = WeakKeyDictionary()

# The pack accounting settings of account.configuration, all per company.
PACK_FIELDS = [
    'contract_liability_account', 'breakage_revenue_account',
    'breakage_accrual_account', 'unclaimed_property_account', 'pack_journal']
# Settings a company may leave empty (see Pack.post_opening).
OPTIONAL_FIELDS = ['pack_opening_account']

_ACCOUNTS = {
    'contract_liability_account': (
        "Contract Liability",
        "Credited when a pack is invoiced, debited as sessions are "
        "delivered (IFRS 15 contract liability)."),
    'breakage_revenue_account': (
        "Breakage Revenue",
        "Credited with the value of units patients will never use."),
    'breakage_accrual_account': (
        "Breakage Accrual",
        "Contra-liability holding the proportional breakage accrued."),
    'unclaimed_property_account': (
        "Unclaimed Property",
        "Payable to the state for expired balances under escheat laws "
        "(never revenue)."),
    'pack_opening_account': (
        "Pack Opening Balance",
        "Debited with the value of a pack entered by hand (a migration, a "
        "funder) when it is activated, the contract liability credited. "
        "Empty: such a pack posts nothing, and the reconciliation shows "
        "its value as a difference."),
    }
_JOURNAL = (
    "Pack Recognition Journal",
    "The journal of revenue recognition and breakage moves.")


def _account(name, company):
    string, help = _ACCOUNTS[name]
    return fields.Many2One(
        'account.account', string,
        domain=[
            ('company', '=', company),
            ('type', '!=', None),
            ('closed', '!=', True),
            ],
        help=help)


def _journal(company):
    string, help = _JOURNAL
    return fields.Many2One(
        'account.journal', string, domain=[('type', '=', 'general')],
        context={'company': company}, help=help)


class Configuration(metaclass=PoolMeta):
    __name__ = 'account.configuration'

    contract_liability_account = fields.MultiValue(_account(
            'contract_liability_account',
            Eval('context', {}).get('company', -1)))
    breakage_revenue_account = fields.MultiValue(_account(
            'breakage_revenue_account',
            Eval('context', {}).get('company', -1)))
    breakage_accrual_account = fields.MultiValue(_account(
            'breakage_accrual_account',
            Eval('context', {}).get('company', -1)))
    unclaimed_property_account = fields.MultiValue(_account(
            'unclaimed_property_account',
            Eval('context', {}).get('company', -1)))
    pack_journal = fields.MultiValue(_journal(
            Eval('context', {}).get('company', -1)))
    pack_opening_account = fields.MultiValue(_account(
            'pack_opening_account',
            Eval('context', {}).get('company', -1)))

    @classmethod
    def read(cls, ids, fields_names):
        cls._check_pack_company(fields_names)
        return super().read(ids, fields_names)

    @classmethod
    def write(cls, *args):
        actions = iter(args)
        for _, values in zip(actions, actions):
            cls._check_pack_company(values)
        super().write(*args)

    @classmethod
    def _check_pack_company(cls, names):
        """Refuse a user's call on the pack settings of a company that is
        not one of the user's.

        The settings are per company, the company taken from the call's
        context, which the server does not check: without this an
        accountant of one company could set another's accounts.  Record
        rules cannot do it, as the host reads and writes the values with
        its access checks off."""
        transaction = Transaction()
        company = transaction.context.get('company')
        if (not transaction.check_access or not transaction.user
                or company is None
                or not set(names) & set(PACK_FIELDS + OPTIONAL_FIELDS)):
            return
        # The user's companies: not res.user.get_companies, which reads the
        # context's company as the user's current one, through a cache per
        # user, differently on 7.0 and 8.0.
        User = Pool().get('res.user')
        with without_check_access():
            companies = [c.id for c in User(transaction.user).companies]
        if company not in companies:
            raise AccessError(gettext(
                    'clinic_packs_accounting.msg_pack_accounts_other_company'))

    @classmethod
    def multivalue_model(cls, field):
        pool = Pool()
        if field in PACK_FIELDS or field in OPTIONAL_FIELDS:
            return pool.get('account.configuration.pack_account')
        return super().multivalue_model(field)

    @classmethod
    def pack_accounts(cls, company, record):
        """Return the pack accounts and journal of company or raise.

        record is what is being posted, named in the message.

        Read once per transaction until it writes them: an invoice asks
        for each line, a renewal for each member (PostgreSQL's repeatable
        read shows no other transaction's change meanwhile)."""
        transaction = Transaction()
        cache = _pack_accounts.setdefault(transaction, {})
        key = (company.id, transaction.user)
        values = cache.get(key)
        if values is None:
            configuration = cls(1)
            values = SimpleNamespace(**{
                    name: configuration.get_multivalue(
                        name, company=company.id)
                    for name in PACK_FIELDS})
        if any(getattr(values, name) is None for name in PACK_FIELDS):
            raise PackPostingError(gettext(
                    'clinic_packs_accounting.msg_no_configuration',
                    record=record.rec_name, company=company.rec_name))
        cache[key] = values
        return values


class ConfigurationPackAccount(ModelSQL, CompanyValueMixin):
    "Account Configuration Pack Account"
    __name__ = 'account.configuration.pack_account'

    contract_liability_account = _account(
        'contract_liability_account', Eval('company', -1))
    breakage_revenue_account = _account(
        'breakage_revenue_account', Eval('company', -1))
    breakage_accrual_account = _account(
        'breakage_accrual_account', Eval('company', -1))
    unclaimed_property_account = _account(
        'unclaimed_property_account', Eval('company', -1))
    pack_journal = _journal(Eval('company', -1))
    pack_opening_account = _account(
        'pack_opening_account', Eval('company', -1))

    @classmethod
    def create(cls, vlist):
        _pack_accounts.pop(Transaction(), None)
        return super().create(vlist)

    @classmethod
    def write(cls, *args):
        _pack_accounts.pop(Transaction(), None)
        super().write(*args)

    @classmethod
    def delete(cls, records):
        _pack_accounts.pop(Transaction(), None)
        super().delete(records)

    @classmethod
    def __register__(cls, module):
        exist = backend.TableHandler.table_exist(cls._table)
        super().__register__(module)
        # Migration from 7.0.0: the settings had a model of their own,
        # clinic.pack.account.configuration, one record per company.
        old_table = 'clinic_pack_account_configuration'
        if not exist and backend.TableHandler.table_exist(old_table):
            cursor = Transaction().connection.cursor()
            old, new = Table(old_table), cls.__table__()
            cursor.execute(*new.insert(
                    [new.company, new.contract_liability_account,
                        new.breakage_revenue_account,
                        new.breakage_accrual_account,
                        new.unclaimed_property_account, new.pack_journal],
                    old.select(
                        old.company, old.contract_liability_account,
                        old.breakage_revenue_account,
                        old.breakage_accrual_account,
                        old.unclaimed_property_account, old.journal)))
