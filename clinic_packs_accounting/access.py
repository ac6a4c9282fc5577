# This file is part of clinic_packs_accounting.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""Who may see the figures of this module's reports.

The company a report reports on is one of the user's: its table queries
and figures read the ledger without record rules.  (The fields the
postings set are kept from users by clinic_packs' WorkflowGuardMixin: see
the _workflow_fields of the pack and the redemption.)
"""
from trytond.i18n import gettext
from trytond.pool import Pool
from trytond.transaction import Transaction

from .exceptions import ReportCompanyError


def check_report_company(company):
    """Raise unless company (a record or an id) is one of the user's.

    The roll-forward, the balances and the reconciliation read the ledger:
    a user sees the figures of the companies they work for only.
    """
    pool = Pool()
    User = pool.get('res.user')
    Company = pool.get('company.company')
    if not Transaction().user or company is None:
        return
    company_id = int(company)
    if company_id not in User.get_companies():
        raise ReportCompanyError(gettext(
                'clinic_packs_accounting.msg_report_company',
                company=Company(company_id).rec_name))


def report_companies():
    """Return the ids of the companies the context lets the report cover:
    the context's company (checked) or all the user's companies, or None
    for the root user without a company in context."""
    pool = Pool()
    User = pool.get('res.user')
    transaction = Transaction()
    company = transaction.context.get('company')
    if company is not None:
        check_report_company(company)
        return [company]
    if not transaction.user:
        return None
    return list(User.get_companies())
