# This file is part of clinic_packs_accounting.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
from trytond.modules.clinic_packs import compat
from trytond.pool import Pool

from . import (
    account, balance, configuration, invoice, ledger, membership, pack,
    redemption, report)

__all__ = ['register']


def register():
    compat.name_models(__name__)
    Pool.register(
        configuration.Configuration,
        configuration.ConfigurationPackAccount,
        account.Move,
        account.MoveLine,
        invoice.InvoiceLine,
        pack.Template,
        pack.Pack,
        redemption.Redemption,
        ledger.LiabilityLine,
        report.RollforwardContext,
        report.RollforwardLine,
        report.ExceptionLine,
        report.ReconciliationContext,
        report.Reconciliation,
        balance.BalanceContext,
        balance.Balance,
        balance.PartyBalance,
        # Last: classifying the history reads the tables above.
        ledger.LiabilitySource,
        ledger.PostedLiabilityLine,
        module='clinic_packs_accounting', type_='model')
    Pool.register(
        membership.Plan,
        membership.PlanAllotment,
        membership.Period,
        membership.Membership,
        membership.Invoice,
        membership.InvoiceLine,
        membership.Move,
        membership.Cron,
        membership.RollforwardLine,
        membership.LiabilityLine,
        membership.PostedLiabilityLine,
        module='clinic_packs_accounting', type_='model',
        depends=['clinic_packs_membership'])
