# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.pool import Pool

from . import (
    compat, configuration, consent, event, health, invoice, ir, pack, party,
    redemption, sell, statement, template, wizard)
from . import discharge, dispute, fairness_report

__all__ = ['register']


def register():
    compat.name_models(__name__)
    Pool.register(
        configuration.Configuration,
        configuration.ConfigurationSequence,
        consent.ConsentTemplate,
        consent.Consent,
        consent.Attachment,
        template.Template,
        template.TemplateService,
        template.TemplateServiceCategory,
        pack.Pack,
        event.PackEvent,
        redemption.Redemption,
        redemption.RedeemStart,
        redemption.RedeemDone,
        sell.SellStart,
        wizard.ExtendStart,
        wizard.MergeStart,
        wizard.RefundStart,
        wizard.TransferStart,
        invoice.Invoice,
        invoice.InvoiceLine,
        party.Party,
        ir.Cron,
        module='clinic_packs', type_='model')
    Pool.register(
        redemption.Redeem,
        sell.Sell,
        wizard.Extend,
        wizard.Merge,
        wizard.Refund,
        wizard.Transfer,
        party.Replace,
        party.Erase,
        module='clinic_packs', type_='wizard')
    Pool.register(
        statement.PackStatement,
        module='clinic_packs', type_='report')
    Pool.register(*compat.MODELS, module='clinic_packs', type_='model')
    # The GNU Health part: its file imports nothing of GNU Health, and its
    # classes join the pool only when health is activated.
    Pool.register(
        health.Company,
        health.Appointment,
        health.Redemption,
        health.Patient,
        module='clinic_packs', type_='model', depends=['health'])
    Pool.register(
        health.Sell,
        health.Redeem,
        module='clinic_packs', type_='wizard', depends=['health'])
    Pool.register(
        discharge.Pack,
        discharge.PackEvent,
        discharge.DischargeStart,
        module='clinic_packs', type_='model')
    Pool.register(
        discharge.Discharge,
        module='clinic_packs', type_='wizard')
    Pool.register(
        fairness_report.InvoiceLine,
        fairness_report.Report,
        fairness_report.ReportLine,
        module='clinic_packs', type_='model')
    Pool.register(
        dispute.Invoice,
        dispute.Pack,
        module='clinic_packs', type_='model')
    Pool.register(
        dispute.DisputeEvidence,
        module='clinic_packs', type_='report')
