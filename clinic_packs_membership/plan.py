# This file is part of clinic_packs_membership.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
from trytond.model import DeactivableMixin, ModelSQL, ModelView, fields
from trytond.pyson import Eval
from trytond.transaction import Transaction

INTERVALS = [
    ('month', "Monthly"),
    ('quarter', "Quarterly"),
    ('year', "Yearly"),
    ]
CANCELLATION_REFUNDS = [
    ('none', "No refund"),
    ('pro_rata', "Pro rata"),
    ]


class Plan(DeactivableMixin, ModelSQL, ModelView):
    "Membership Plan"
    __name__ = 'clinic.membership.plan'

    name = fields.Char("Name", required=True, translate=True)
    company = fields.Many2One('company.company', "Company", required=True)
    product = fields.Many2One(
        'product.product', "Fee Product", required=True,
        domain=[('type', '=', 'service')],
        context={'company': Eval('company', -1)}, depends=['company'],
        help="The service invoiced each period; its list price is the fee.")
    interval = fields.Selection(INTERVALS, "Interval", required=True)
    auto_renew = fields.Boolean(
        "Auto Renew", help="The default for new memberships of this plan.")
    minimum_periods = fields.Integer(
        "Minimum Periods", required=True,
        domain=[('minimum_periods', '>=', 0)],
        help="The minimum commitment, in periods.")
    notice_days = fields.Integer(
        "Notice Days", required=True,
        domain=[('notice_days', '>=', 0)],
        help="Days of notice a cancellation needs before it takes effect.")
    cancellation_refund = fields.Selection(
        CANCELLATION_REFUNDS, "Cancellation Refund", required=True)
    renewal_notice_days = fields.Integer(
        "Renewal Notice Days",
        domain=['OR',
            ('renewal_notice_days', '=', None),
            ('renewal_notice_days', '>=', 0)],
        help="Days before a renewal to email the member.")
    perks = fields.Text("Perks", translate=True)

    @staticmethod
    def default_company():
        return Transaction().context.get('company')

    @classmethod
    def default_interval(cls):
        return 'month'

    @classmethod
    def default_auto_renew(cls):
        return True

    @classmethod
    def default_minimum_periods(cls):
        return 0

    @classmethod
    def default_notice_days(cls):
        return 0

    @classmethod
    def default_cancellation_refund(cls):
        return 'none'
