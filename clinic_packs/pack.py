# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, fields)
from trytond.pyson import Eval
from trytond.transaction import Transaction

UNITS = [
    ('session', "Sessions"),
    ('hour', "Hours"),
    ('money', "Money"),
    ]
REFUND_POLICIES = [
    ('pro_rata', "Pro rata (unused value)"),
    ('list_price', "List price of sessions used"),
    ('none', "No refund"),
    ]


class Template(DeactivableMixin, ModelSQL, ModelView):
    "Pack Template"
    __name__ = 'clinic.pack.template'

    name = fields.Char("Name", required=True, translate=True)
    company = fields.Many2One(
        'company.company', "Company", required=True,
        help="The clinic selling this pack.")
    product = fields.Many2One(
        'product.product', "Product", required=True,
        domain=[('type', '=', 'service')],
        context={'company': Eval('company', -1)}, depends=['company'],
        help="The service sold on invoices; its price is the pack price.")
    unit = fields.Selection(UNITS, "Unit", required=True)
    quantity = fields.Numeric(
        "Quantity", digits=(16, 2), required=True,
        domain=[('quantity', '>', 0)],
        help="Units bought: sessions, hours, or the face value of a money "
        "pack.")
    bonus_quantity = fields.Numeric(
        "Bonus Quantity", digits=(16, 2), required=True,
        domain=[('bonus_quantity', '>=', 0)],
        help="Free units on top of the bought ones (buy 5 get 1 free).")
    services = fields.Many2Many(
        'clinic.pack.template-product.product', 'template', 'product',
        "Eligible Services",
        domain=[('type', '=', 'service')],
        context={'company': Eval('company', -1)}, depends=['company'],
        help="Leave services and categories empty to accept any service.")
    service_categories = fields.Many2Many(
        'clinic.pack.template-product.category', 'template', 'category',
        "Eligible Service Categories",
        context={'company': Eval('company', -1)}, depends=['company'])
    validity_months = fields.Integer(
        "Validity (Months)",
        domain=['OR',
            ('validity_months', '=', None),
            ('validity_months', '>=', 0)])
    validity_days = fields.Integer(
        "Validity (Days)",
        domain=['OR',
            ('validity_days', '=', None),
            ('validity_days', '>=', 0)])
    grace_days = fields.Integer(
        "Grace Days", required=True,
        domain=[('grace_days', '>=', 0)],
        help="Days after expiry during which the pack can still be redeemed.")
    transferable = fields.Boolean(
        "Transferable",
        help="Whether the pack can be transferred to another patient.")
    refund_policy = fields.Selection(
        REFUND_POLICIES, "Refund Policy", required=True)
    reminder_days = fields.Integer(
        "Reminder Days",
        domain=['OR',
            ('reminder_days', '=', None),
            ('reminder_days', '>=', 0)],
        help="Days before expiry to remind the patient of unused units.")
    total_quantity = fields.Function(
        fields.Numeric("Total Quantity", digits=(16, 2)),
        'on_change_with_total_quantity')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.product, Index.Equality())))
        cls._order.insert(0, ('name', 'ASC'))

    @staticmethod
    def default_company():
        return Transaction().context.get('company')

    @classmethod
    def default_unit(cls):
        return 'session'

    @classmethod
    def default_bonus_quantity(cls):
        return 0

    @classmethod
    def default_grace_days(cls):
        return 0

    @classmethod
    def default_transferable(cls):
        return False

    @classmethod
    def default_refund_policy(cls):
        return 'pro_rata'

    @classmethod
    def default_reminder_days(cls):
        return 14

    @fields.depends('quantity', 'bonus_quantity')
    def on_change_with_total_quantity(self, name=None):
        "N: bought plus bonus units, over which the price is spread."
        if self.quantity is None:
            return None
        return self.quantity + (self.bonus_quantity or 0)


class TemplateService(ModelSQL):
    "Pack Template - Eligible Service"
    __name__ = 'clinic.pack.template-product.product'
    template = fields.Many2One(
        'clinic.pack.template', "Template", required=True,
        ondelete='CASCADE')
    product = fields.Many2One(
        'product.product', "Service", required=True, ondelete='CASCADE')


class TemplateServiceCategory(ModelSQL):
    "Pack Template - Eligible Service Category"
    __name__ = 'clinic.pack.template-product.category'
    template = fields.Many2One(
        'clinic.pack.template', "Template", required=True,
        ondelete='CASCADE')
    category = fields.Many2One(
        'product.category', "Category", required=True, ondelete='CASCADE')
