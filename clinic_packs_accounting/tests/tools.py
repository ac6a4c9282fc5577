# This file is part of clinic_packs_accounting.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"Building blocks for the pack accounting scenarios."
from types import SimpleNamespace

from proteus import Model

__all__ = ['setup_accounting', 'balances', 'payment_method', 'reconciliation']


def setup_accounting(clinic, config=None):
    """Create the pack accounts and configure them for the clinic's company.

    Returns a namespace of the accounts: receivable, revenue (services),
    liability (contract liability), breakage, accrual, unclaimed and cash.
    """
    Account = Model.get('account.account', config=config)
    AccountType = Model.get('account.account.type', config=config)
    Journal = Model.get('account.journal', config=config)
    Configuration = Model.get('account.configuration', config=config)
    accounts = clinic.accounts
    # The scenarios show the chart's accounts by the names 7.0's minimal
    # chart gives them; 8.0's names them after the universal chart
    # ("Accounts, Notes And Loans Receivable"...).
    for key, name in [
            ('receivable', "Main Receivable"),
            ('revenue', "Main Revenue"),
            ('tax', "Main Tax")]:
        if key in accounts and accounts[key].name != name:
            accounts[key].name = name
            accounts[key].save()
    # The liabilities the payable account is one of: "Current" under
    # "Liability" in 7.0's minimal chart, "Liabilities" in 8.0's.
    liability_type = AccountType(accounts['payable'].type.parent.id)
    revenue_type = accounts['revenue'].type
    # Beside the revenue account, under its first untyped ancestor (or the
    # root): 8.0 wants a child of a typed account to have the parent's type.
    parent = accounts['revenue'].parent
    while parent.type and parent.parent:
        parent = parent.parent

    def account(code, name, type_):
        record = Account(
            code=code, name=name, type=type_, parent=parent)
        record.save()
        return record

    result = SimpleNamespace(
        receivable=accounts['receivable'],
        revenue=accounts['revenue'],
        cash=accounts['cash'],
        liability=account('2300', "Contract Liability", liability_type),
        accrual=account('2310', "Breakage Accrual", liability_type),
        unclaimed=account('2320', "Unclaimed Property", liability_type),
        breakage=account('4900', "Breakage Revenue", revenue_type),
        )
    journal, = Journal.find([('type', '=', 'general')], limit=1)
    configuration = Configuration(1)
    configuration.contract_liability_account = result.liability
    configuration.breakage_revenue_account = result.breakage
    configuration.breakage_accrual_account = result.accrual
    configuration.unclaimed_property_account = result.unclaimed
    configuration.pack_journal = journal
    configuration.save()
    result.configuration = configuration
    result.journal = journal
    return result


def balances(accounts, date, config=None):
    """Return the ledger balances of accounts at the end of date.

    Debit balances are positive (receivable, accrual), credit balances are
    returned positive for the others (liabilities and revenue), as the
    worked examples of doc/accounting.md show them.
    """
    Account = Model.get('account.account', config=config)
    names = ['receivable', 'liability', 'revenue', 'breakage', 'accrual',
        'unclaimed', 'cash']
    result = {}
    with (config or Account._config).set_context(date=date):
        for name in names:
            account = Account(getattr(accounts, name).id)
            balance = account.balance
            if name not in {'receivable', 'accrual', 'cash'}:
                balance = -balance
            result[name] = balance
    return result


def reconciliation(date=None, config=None):
    """Return the company's row of Reconcile Contract Liability at the end
    of date (today unless told), as the accountant opens it from the menu;
    its figures are read at that date."""
    Reconciliation = Model.get(
        'clinic.pack.liability.reconciliation', config=config)
    context = {'date': date} if date else {}
    with (config or Reconciliation._config).set_context(**context):
        row, = Reconciliation.find([])
        # Read while the date is in the context.
        row.ledger
    return row


def payment_method(clinic, config=None):
    "Return a cash payment method for the host's Pay wizard."
    PaymentMethod = Model.get(
        'account.invoice.payment.method', config=config)
    Journal = Model.get('account.journal', config=config)
    journal, = Journal.find([('type', '=', 'cash')], limit=1)
    method = PaymentMethod(name="Cash", journal=journal,
        credit_account=clinic.accounts['cash'],
        debit_account=clinic.accounts['cash'])
    method.save()
    return method
