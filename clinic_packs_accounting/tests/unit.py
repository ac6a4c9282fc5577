# This file is part of clinic_packs_accounting.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"The pack accounts of the unit tests' clinic (and of the benchmark's)."
from trytond.pool import Pool
from trytond.transaction import Transaction

__all__ = ['configure_accounting']


def configure_accounting(company):
    """Create the pack accounts of company, with its chart, and set them in
    its accounting configuration.

    Return the pack accounts and journal (as Move.pack_configuration reads
    them) and the chart's revenue account."""
    pool = Pool()
    Account = pool.get('account.account')
    Journal = pool.get('account.journal')
    Configuration = pool.get('account.configuration')
    # The liabilities the payable account is one of: "Current" under
    # "Liability" in 7.0's minimal chart, "Liabilities" in 8.0's.
    payable, = Account.search([
            ('type.payable', '=', True),
            ('closed', '!=', True),
            ('company', '=', company.id),
            ], limit=1)
    liability_type = payable.type.parent
    revenue, = Account.search([
            ('type.revenue', '=', True),
            ('closed', '!=', True),
            ('company', '=', company.id),
            ], limit=1)
    # Beside the revenue account, under its first untyped ancestor (or the
    # root): 8.0 wants a child of a typed account to have the parent's type.
    parent = revenue.parent
    while parent.type and parent.parent:
        parent = parent.parent

    def account(code, name, type_):
        record = Account(code=code, name=name, type=type_, company=company,
            parent=parent)
        record.save()
        return record
    journal, = Journal.search([('type', '=', 'general')], limit=1)
    with Transaction().set_context(company=company.id):
        configuration = Configuration(1)
        configuration.contract_liability_account = account(
            '2300', "Contract Liability", liability_type)
        configuration.breakage_accrual_account = account(
            '2310', "Breakage Accrual", liability_type)
        configuration.unclaimed_property_account = account(
            '2320', "Unclaimed Property", liability_type)
        configuration.breakage_revenue_account = account(
            '4900', "Breakage Revenue", revenue.type)
        configuration.pack_journal = journal
        configuration.save()
        return Configuration.pack_accounts(company, company), revenue
