# This file is part of clinic_packs_membership.  The COPYRIGHT file at the
# top level of this repository contains the full copyright notices and
# license terms.
"""The dispute evidence bundle of a membership.

The pack's bundle machinery (clinic_packs.dispute) with the evidence of a
membership: parties, signed terms, fee invoices and payments, the use of
the allotments, the renewal notices sent, and the cancellation and refund
policy of the plan.
"""
import datetime as dt

from trytond.modules.clinic_packs.dispute import (
    DisputeBundleMixin, DisputeEvidence, consent_rows, evidence,
    invoice_rows)
from trytond.pool import PoolMeta

from .exceptions import MembershipError


class Membership(DisputeBundleMixin, metaclass=PoolMeta):
    __name__ = 'clinic.membership'
    _dispute_report = 'clinic.membership.dispute'
    _dispute_messages = (
        'clinic_packs_membership.msg_dispute_draft',
        'clinic_packs_membership.msg_dispute_description')
    _dispute_error = MembershipError


class MembershipDisputeEvidence(DisputeEvidence):
    """Membership Dispute Evidence

    The pack's evidence document filled with a membership's proof.
    """
    __name__ = 'clinic.membership.dispute'

    @classmethod
    def get_evidence(cls, membership):
        "Return the evidence of membership: produced and sections of rows."
        document, section, money = evidence(
            "Membership %s" % membership.number, membership.currency)

        plan = membership.plan
        intervals = dict(plan._fields['interval'].selection)
        section("Parties", [
                "Clinic: %s" % membership.company.rec_name,
                "Member: %s" % membership.party.rec_name,
                ])
        section("What was bought", [
                "Membership %s: %s" % (membership.number, plan.rec_name),
                "Fee: %s %s" % (
                    money(membership.fee or 0),
                    intervals.get(plan.interval, plan.interval)),
                "Started on %s; minimum commitment until %s" % (
                    membership.start_date,
                    membership.commitment_end_date or '-'),
                "State: %s; auto renew: %s" % (
                    membership.state_string,
                    "yes" if membership.auto_renew else "no"),
                ] + (["Cancellation requested on %s, effective %s" % (
                        membership.cancel_requested_on,
                        membership.cancel_effective_date)]
                if membership.cancel_requested_on else []))
        section("Signed terms", consent_rows(membership.consent))
        rows = []
        for invoice in sorted(membership.invoices,
                key=lambda i: (i.invoice_date or dt.date.min, i.id)):
            rows.extend(invoice_rows(invoice, money))
        section("Invoices and payments", rows or ["No invoice."])
        rows = []
        notices = []
        for period in sorted(membership.periods, key=lambda p: p.start_date):
            for pack in period.packs:
                for redemption in sorted(pack.redemptions,
                        key=lambda r: (r.date, r.id)):
                    rows.append("%s: %s, %s, %s (%s, %s)" % (
                            redemption.date, redemption.product.rec_name,
                            redemption.employee.rec_name
                            if redemption.employee else '-',
                            pack.format_quantity(redemption.units or 0),
                            pack.number, redemption.state))
            if period.renewal_notice_sent:
                notices.append("Renewal notice of the period ending %s "
                    "emailed on %s to %s" % (
                        period.end_date,
                        period.renewal_notice_sent.create_date.replace(
                            microsecond=0),
                        period.renewal_notice_sent.recipients or ''))
            for pack in period.packs:
                if pack.reminder_sent:
                    notices.append("Expiry reminder of %s emailed on %s "
                        "to %s" % (pack.number,
                            pack.reminder_sent.create_date.replace(
                                microsecond=0),
                            pack.reminder_sent.recipients or ''))
        section("Usage", rows or ["No allotment used."])
        section("Reminders, notices and changes", notices or ["None."])
        refunds = dict(plan._fields['cancellation_refund'].selection)
        section("Policies in force", [
                "Minimum commitment: %s periods" % plan.minimum_periods,
                "Cancellation notice: %s days" % plan.notice_days,
                "Refund on cancellation: %s" % refunds.get(
                    plan.cancellation_refund, plan.cancellation_refund),
                "Renewal notice: %s days before renewal" % (
                    plan.renewal_notice_days or 0),
                ])
        return document
