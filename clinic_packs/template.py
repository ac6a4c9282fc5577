# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Pack templates: what a clinic sells, and what each pack of it may pay for."
from decimal import Decimal
from weakref import WeakKeyDictionary

from trytond import backend
from trytond.i18n import gettext
from trytond.model import DeactivableMixin, Index, ModelSQL, ModelView, fields
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.transaction import Transaction

from . import compat, guard, value
from .exceptions import PackValidationError

# The templates of each product, read once per transaction (see
# Template.of_product).
_of_product = WeakKeyDictionary()

# Whole sessions; hours and money to the hundredth.
UNIT_DIGITS = (16, If(Eval('unit') == 'session', 0, 2))


UNITS = [
    ('session', "Sessions"),
    ('hour', "Hours"),
    ('money', "Money"),
    ]
ELIGIBILITIES = [
    ('any', "Any service"),
    ('listed', "Listed services and categories"),
    ]
REFUND_POLICIES = [
    ('pro_rata', "Pro rata (unused value)"),
    ('list_price', "List price of sessions used"),
    ('none', "No refund"),
    ]
# Beyond these a number is a typing error, not a pack: sessions, hours or
# the face value of a money pack; prices and values in company currency.
MAX_QUANTITY = Decimal(1_000_000)
MAX_AMOUNT = Decimal(100_000_000)
MAX_DAYS = 36_500


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
        "Quantity", digits=UNIT_DIGITS, required=True,
        domain=[('quantity', '>', 0)],
        help="Units bought: sessions, hours, or the face value of a money "
        "pack.")
    bonus_quantity = fields.Numeric(
        "Bonus Quantity", digits=UNIT_DIGITS, required=True,
        domain=[('bonus_quantity', '>=', 0)],
        help="Free units on top of the bought ones (buy 5 get 1 free).")
    bonus_above_quantity = fields.Boolean(
        "Bonus Above Bought",
        help="Allow more free units than bought ones; unchecked, a bonus "
        "larger than the quantity bought is taken for a typing error.")
    eligibility = fields.Selection(
        ELIGIBILITIES, "Eligibility", required=True,
        help="Which services the pack pays for: any service, or only the "
        "services and categories listed.")
    services = fields.Many2Many(
        'clinic.pack.template-product.product', 'template', 'product',
        "Eligible Services",
        domain=[('type', '=', 'service')],
        states={'invisible': Eval('eligibility') != 'listed'},
        context={'company': Eval('company', -1)}, depends=['company'],
        help="The services the pack pays for.")
    service_categories = fields.Many2Many(
        'clinic.pack.template-product.category', 'template', 'category',
        "Eligible Service Categories",
        states={'invisible': Eval('eligibility') != 'listed'},
        context={'company': Eval('company', -1)}, depends=['company'],
        help="The pack pays for any service of these categories.")
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
    consent_template = fields.Many2One(
        'clinic.consent.template', "Required Consent",
        domain=[('company', '=', Eval('company', -1))],
        help="The terms the patient must sign before the pack is active.")
    reminder_days = fields.Integer(
        "Reminder Days",
        domain=['OR',
            ('reminder_days', '=', None),
            ('reminder_days', '>=', 0)],
        help="Days before expiry to remind the patient of unused units.")
    total_quantity = fields.Function(
        fields.Numeric("Total Quantity", digits=UNIT_DIGITS),
        'on_change_with_total_quantity')
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"),
        'on_change_with_currency')
    price = fields.Function(Monetary(
            "Price", currency='currency', digits='currency',
            help="The pack price: the list price of its product."),
        'on_change_with_price')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.product, Index.Equality())))
        cls._order.insert(0, ('name', 'ASC'))

    @classmethod
    def __register__(cls, module_name):
        pool = Pool()
        Service = pool.get('clinic.pack.template-product.product')
        Category = pool.get('clinic.pack.template-product.category')
        # Only a database that had templates before the eligibility field
        # migrates: on a new one the relation tables do not exist yet.
        migrate = (backend.TableHandler.table_exist(cls._table)
            and not cls.__table_handler__(module_name).column_exist(
                'eligibility'))
        super().__register__(module_name)
        if migrate:
            # Templates without lists accepted any service: say so; those
            # with lists keep them.
            table = cls.__table__()
            service = Service.__table__()
            category = Category.__table__()
            cursor = Transaction().connection.cursor()
            cursor.execute(*table.update(
                    [table.eligibility], ['any']))
            listed = (table.id.in_(service.select(service.template))
                | table.id.in_(category.select(category.template)))
            cursor.execute(*table.update(
                    [table.eligibility], ['listed'], where=listed))

    @classmethod
    def default_eligibility(cls):
        return 'any'

    @fields.depends('eligibility', 'services', 'service_categories')
    def on_change_eligibility(self):
        if self.eligibility == 'any':
            self.services = []
            self.service_categories = []

    @fields.depends('company')
    def on_change_with_currency(self, name=None):
        if self.company:
            return self.company.currency.id

    @fields.depends('product', 'company')
    def on_change_with_price(self, name=None):
        return self.get_price()

    def get_price(self):
        "The price a pack of this template sells at, in company currency."
        if not self.product:
            return None
        context = {}
        if self.company:
            context['company'] = self.company.id
        with Transaction().set_context(**context):
            product = self.product.__class__(self.product.id)
            price = compat.list_price(product)
        if price is not None and self.company:
            price = self.company.currency.round(price)
        return price

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
    def default_bonus_above_quantity(cls):
        return False

    @classmethod
    def of_product(cls, product, company):
        """Return the templates of company selling product, active or not,
        as (id, active, multi-purpose voucher), by id.

        An invoice asks this of each line several times (its price, taxes,
        move and packs), so it is read once per transaction until the
        transaction writes a template: PostgreSQL's repeatable read shows
        it no other transaction's change meanwhile, and SQLite runs one
        writer at a time."""
        transaction = Transaction()
        context = transaction.context
        # What the search's access checks and record rules depend on.
        key = (int(product), int(company), transaction.user,
            transaction.check_access, context.get('company'),
            tuple(context.get('companies') or ()))
        cache = _of_product.setdefault(transaction, {})
        if key not in cache:
            with transaction.set_context(active_test=False):
                templates = cls.search([
                        ('product', '=', key[0]),
                        ('company', '=', key[1]),
                        ], order=[('id', 'ASC')])
                # clinic_packs_accounting adds multi-purpose vouchers.
                cache[key] = tuple(
                    (t.id, t.active,
                        getattr(t, 'multi_purpose_voucher', False))
                    for t in templates)
        return cache[key]

    @classmethod
    def _forget_products(cls):
        _of_product.pop(Transaction(), None)

    @classmethod
    def create(cls, vlist):
        guard.check_finite(cls, vlist)
        vlist = [cls._listed_eligibility(v) for v in vlist]
        cls._forget_products()
        return super().create(vlist)

    @classmethod
    def delete(cls, templates):
        cls._forget_products()
        super().delete(templates)

    @classmethod
    def write(cls, *args):
        cls._forget_products()
        guard.check_finite(cls, args[1::2])
        actions = iter(args)
        args = []
        for templates, values in zip(actions, actions):
            args.extend((templates, cls._listed_eligibility(values)))
        super().write(*args)

    @classmethod
    def _listed_eligibility(cls, values):
        """Listing services or categories restricts the pack to them.

        Integrations (and scenarios) that only fill the lists keep their
        meaning; the client clears the lists when "Any service" is chosen.
        """
        if values.get('eligibility', 'any') == 'any' and any(
                action[0] in {'add', 'create'} and action[1]
                for name in ['services', 'service_categories']
                for action in values.get(name) or []):
            values = values.copy()
            values['eligibility'] = 'listed'
        return values

    @classmethod
    def validate_fields(cls, templates, field_names):
        super().validate_fields(templates, field_names)
        cls.check_bounds(templates, field_names)
        cls.check_eligibility(templates, field_names)

    @classmethod
    def check_eligibility(cls, templates, field_names=None):
        "Listed eligibility needs a service or a category listed."
        if field_names and not (field_names & {
                    'eligibility', 'services', 'service_categories'}):
            return
        for template in templates:
            if (template.eligibility == 'listed'
                    and not template.services
                    and not template.service_categories):
                raise PackValidationError(gettext(
                        'clinic_packs.msg_template_eligibility_empty',
                        template=template.rec_name))

    @classmethod
    def check_bounds(cls, templates, field_names=None):
        "Quantities, days and price within what a clinic can mean."
        for template in templates:
            for name in ['quantity', 'bonus_quantity']:
                guard.check_number(
                    template, name, getattr(template, name), MAX_QUANTITY)
            for name in ['validity_months', 'validity_days', 'grace_days',
                    'reminder_days']:
                number = getattr(template, name)
                if number is not None:
                    guard.check_number(template, name, number, MAX_DAYS)
            if (not template.bonus_above_quantity
                    and template.bonus_quantity > template.quantity):
                raise PackValidationError(gettext(
                        'clinic_packs.msg_template_bonus_too_large',
                        template=template.rec_name,
                        bonus=template.bonus_quantity,
                        quantity=template.quantity))
            price = compat.list_price(template.product)
            if price is not None and price < 0:
                raise PackValidationError(gettext(
                        'clinic_packs.msg_template_price_negative',
                        template=template.rec_name,
                        product=template.product.rec_name))

    @classmethod
    def default_reminder_days(cls):
        return 14

    @fields.depends('quantity', 'bonus_quantity')
    def on_change_with_total_quantity(self, name=None):
        "N: bought plus bonus units, over which the price is spread."
        if self.quantity is None:
            return None
        return self.quantity + (self.bonus_quantity or 0)

    def get_rec_name(self, name):
        return self.name

    def is_eligible(self, product):
        "Whether a pack of this template can pay for product."
        if self.eligibility != 'listed':
            return True
        if not self.services and not self.service_categories:
            return True
        if product in self.services:
            return True
        categories = set(self.service_categories)
        return bool(categories & set(product.template.categories_all))

    def compute_expiry_date(self, start_date):
        return value.expiry_date(
            start_date, self.validity_months, self.validity_days)


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
