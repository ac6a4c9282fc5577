# This file is part of clinic_packs_membership.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
from trytond.modules.clinic_packs import compat
from trytond.pool import Pool

from . import (
    configuration, dispute, health, invoice, ir, membership, pack, party,
    period, plan, report)

__all__ = ['register']


def register():
    compat.name_models(__name__)
    Pool.register(
        configuration.Configuration,
        configuration.ConfigurationSequence,
        plan.Plan,
        plan.PlanAllotment,
        plan.PlanDiscount,
        membership.Membership,
        dispute.Membership,
        period.Period,
        pack.Pack,
        report.MembersActive,
        membership.CancelStart,
        invoice.Invoice,
        invoice.InvoiceLine,
        party.Party,
        ir.Cron,
        module='clinic_packs_membership', type_='model')
    Pool.register(
        dispute.MembershipDisputeEvidence,
        module='clinic_packs_membership', type_='report')
    Pool.register(
        membership.Cancel,
        party.Replace,
        party.Erase,
        module='clinic_packs_membership', type_='wizard')
    # The GNU Health part: only when health is activated.
    Pool.register(
        health.Patient,
        module='clinic_packs_membership', type_='model', depends=['health'])
