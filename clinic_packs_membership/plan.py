# This file is part of clinic_packs_membership.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
from trytond.i18n import gettext
from trytond.model import DeactivableMixin, ModelSQL, ModelView, fields
from trytond.modules.clinic_packs import compat
from trytond.modules.clinic_packs.guard import check_finite
from trytond.pyson import Bool, Eval
from trytond.transaction import Transaction

from .exceptions import PlanValidationError

INTERVALS = [
    ('month', "Monthly"),
    ('quarter', "Quarterly"),
    ('year', "Yearly"),
    ]
# The sane range of each number of a plan: beyond it a date overflows, a
# renewal issues thousands of packs or the database integer overflows.
BOUNDS = {
    ('clinic.membership.plan', 'minimum_periods'): (0, 120),
    ('clinic.membership.plan', 'notice_days'): (0, 366),
    ('clinic.membership.plan', 'renewal_notice_days'): (0, 366),
    ('clinic.membership.plan.allotment', 'quantity'): (1, 100),
    ('clinic.membership.plan.allotment', 'rollover_limit'): (0, 1000),
    }
CANCELLATION_REFUNDS = [
    ('none', "No refund"),
    ('pro_rata', "Pro rata"),
    ]


class Plan(DeactivableMixin, ModelSQL, ModelView):
    "Membership Plan"
    __name__ = 'clinic.membership.plan'

    name = fields.Char("Name", required=True, translate=True)
    company = fields.Many2One('company.company', "Company", required=True)
    # Not required at the field level so that a plan without fee gets the
    # module's message naming the plan (see validate).
    product = fields.Many2One(
        'product.product', "Fee Product",
        domain=[('type', '=', 'service')],
        context={'company': Eval('company', -1)}, depends=['company'],
        help="The service invoiced each period; its list price is the fee.")
    interval = fields.Selection(INTERVALS, "Interval", required=True)
    auto_renew = fields.Boolean(
        "Auto Renew", help="The default for new memberships of this plan.")
    # The bounds of the numbers are checked in validate, with the module's
    # messages (see BOUNDS).
    minimum_periods = fields.Integer(
        "Minimum Periods", required=True,
        help="The minimum commitment, in periods.")
    notice_days = fields.Integer(
        "Notice Days", required=True,
        help="Days of notice a cancellation needs before it takes effect.")
    cancellation_refund = fields.Selection(
        CANCELLATION_REFUNDS, "Cancellation Refund", required=True)
    renewal_notice_days = fields.Integer(
        "Renewal Notice Days",
        help="Days before a renewal to email the member.")
    consent_template = fields.Many2One(
        'clinic.consent.template', "Required Consent",
        domain=[('company', '=', Eval('company', -1))],
        help="The terms the member must sign before the membership starts.")
    post_invoices = fields.Boolean(
        "Post Invoices",
        help="Post each period's fee invoice when the period is created; "
        "leave unchecked to review the invoices as drafts.")
    allotments = fields.One2Many(
        'clinic.membership.plan.allotment', 'plan', "Allotments",
        help="Credits included in each period, issued as packs.")
    discounts = fields.One2Many(
        'clinic.membership.plan.discount', 'plan', "Member Discounts")
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

    @classmethod
    def default_post_invoices(cls):
        return True

    @classmethod
    def validate(cls, plans):
        super().validate(plans)
        for plan in plans:
            if not plan.product:
                raise PlanValidationError(gettext(
                        'clinic_packs_membership.msg_plan_no_product',
                        plan=plan.rec_name))
            check_bounds(plan, [
                    'minimum_periods', 'notice_days', 'renewal_notice_days'],
                plan)

    def get_fee(self):
        "Return the fee of a period: the fee product's list price."
        with Transaction().set_context(company=self.company.id):
            product = self.product.__class__(self.product.id)
            return compat.list_price(product)

    def discount_for(self, product):
        """Return the member discount percentage for product or None.

        A discount on the product itself beats one on its categories; among
        several matches the largest applies.
        """
        by_product, by_category = [], []
        categories = set(product.template.categories_all)
        for discount in self.discounts:
            if discount.product == product:
                by_product.append(discount.percentage)
            elif discount.category and discount.category in categories:
                by_category.append(discount.percentage)
        if by_product:
            return max(by_product)
        if by_category:
            return max(by_category)


def check_bounds(record, names, plan):
    """Raise unless each of the integer fields names of record is empty or
    within its BOUNDS (the plan names the record in the message)."""
    for name in names:
        value = getattr(record, name)
        if value is None:
            continue
        minimum, maximum = BOUNDS[record.__name__, name]
        if not (minimum <= value <= maximum):
            raise PlanValidationError(gettext(
                    'clinic_packs_membership.msg_plan_bounds',
                    field=record._fields[name].string,
                    plan=plan.rec_name,
                    value=value,
                    minimum=minimum,
                    maximum=maximum))


ROLLOVERS = [
    ('lapse', "Lapse"),
    ('rollover', "Roll Over"),
    ]


class PlanAllotment(ModelSQL, ModelView):
    "Membership Plan Allotment"
    __name__ = 'clinic.membership.plan.allotment'

    plan = fields.Many2One(
        'clinic.membership.plan', "Plan", required=True, ondelete='CASCADE')
    pack_template = fields.Many2One(
        'clinic.pack.template', "Pack Template", required=True,
        domain=[('company', '=', Eval('_parent_plan', {}).get('company', -1))],
        help="The pack issued to the member each period.")
    quantity = fields.Integer(
        "Packs per Period", required=True,
        help="How many packs of the template each period includes.")
    rollover = fields.Selection(
        ROLLOVERS, "Unused Credits", required=True,
        help="What happens to unused packs when their period ends.")
    rollover_limit = fields.Integer(
        "Roll Over Limit",
        states={'invisible': Eval('rollover') != 'rollover'},
        help="The most unused packs kept from one period to the next "
        "(oldest first); empty for no limit.")

    @classmethod
    def default_quantity(cls):
        return 1

    @classmethod
    def validate(cls, allotments):
        super().validate(allotments)
        for allotment in allotments:
            check_bounds(allotment, ['quantity', 'rollover_limit'],
                allotment.plan)

    @classmethod
    def default_rollover(cls):
        return 'lapse'


class PlanDiscount(ModelSQL, ModelView):
    "Membership Plan Discount"
    __name__ = 'clinic.membership.plan.discount'

    plan = fields.Many2One(
        'clinic.membership.plan', "Plan", required=True, ondelete='CASCADE')
    product = fields.Many2One(
        'product.product', "Product",
        states={'readonly': Bool(Eval('category'))})
    category = fields.Many2One(
        'product.category', "Category",
        states={'readonly': Bool(Eval('product'))})
    # Checked in validate to raise the module's message.
    percentage = fields.Numeric(
        "Percentage", digits=(16, 2), required=True,
        help="Taken off the list price on member invoices (0 to 100).")

    @classmethod
    def create(cls, vlist):
        # NaN and Infinity would reach the database before validate.
        check_finite(cls, vlist)
        return super().create(vlist)

    @classmethod
    def write(cls, *args):
        check_finite(cls, args[1::2])
        super().write(*args)

    @classmethod
    def validate(cls, discounts):
        super().validate(discounts)
        for discount in discounts:
            discount.check_target()
            discount.check_percentage()

    def check_target(self):
        if bool(self.product) == bool(self.category):
            raise PlanValidationError(gettext(
                    'clinic_packs_membership.msg_discount_target',
                    plan=self.plan.rec_name))

    def check_percentage(self):
        # A percentage of the list price (50 is half price).
        if not (0 < self.percentage <= 100):
            raise PlanValidationError(gettext(
                    'clinic_packs_membership.msg_discount_percentage',
                    plan=self.plan.rec_name,
                    percentage=self.percentage))

    def get_rec_name(self, name):
        target = self.product or self.category
        return '%s %s%%' % (target.rec_name if target else '',
            self.percentage)
