# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Sell Pack: the front desk sells a pack to a patient in one dialog.

The wizard shows what the template sells (price, units, expiry, the consent
to sign), then creates the customer invoice at the template's price and
posts it through the host's Invoice.post, which issues the pack as any
posted invoice does (invoice.InvoiceLine.process_packs); it opens the
issued pack.  Wizards run without access checks: the front desk needs no
invoice rights to sell, only the wizard's group.
"""
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool
from trytond.pyson import Bool, Eval
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateAction, StateView, Wizard

from . import guard
from .exceptions import PackError
from .template import UNITS
from .wizard import GroupWizardMixin


class SellStart(ModelView):
    "Sell Pack"
    __name__ = 'clinic.pack.sell.start'

    company = fields.Many2One('company.company', "Company", readonly=True)
    party = fields.Many2One(
        'party.party', "Patient", required=True,
        context={'company': Eval('company', -1)}, depends=['company'])
    template = fields.Many2One(
        'clinic.pack.template', "Pack", required=True,
        domain=[('company', '=', Eval('company', -1))],
        help="The pack template to sell.")
    currency = fields.Many2One('currency.currency', "Currency", readonly=True)
    price = Monetary(
        "Price", currency='currency', digits='currency', readonly=True,
        help="The template's price, invoiced to the patient.")
    unit = fields.Selection([(None, '')] + UNITS, "Unit", readonly=True)
    units = fields.Char("Units", readonly=True,
        help="What the patient gets, bonus included.")
    date = fields.Date("Date", readonly=True)
    expiry_date = fields.Date("Expiry Date", readonly=True,
        help="The last day the pack is valid, if sold today.")
    eligible = fields.Char("Pays For", readonly=True)
    consent_template = fields.Many2One(
        'clinic.consent.template', "Consent to Sign", readonly=True,
        states={'invisible': ~Bool(Eval('consent_template'))})
    consent_status = fields.Char("Consent", readonly=True,
        states={'invisible': ~Bool(Eval('consent_template'))})
    # Payment at the desk, with the host's invoice payment (the Pay
    # wizard's Invoice.pay_invoice), offered when the company has a payment
    # method.
    can_take_payment = fields.Boolean("Can Take Payment", readonly=True)
    take_payment = fields.Boolean("Take Payment Now",
        states={'invisible': ~Eval('can_take_payment')},
        help="The patient pays the invoice now: the payment is recorded "
        "on the invoice, which is paid.")
    payment_method = fields.Many2One(
        'account.invoice.payment.method', "Payment Method",
        domain=[('company', '=', Eval('company', -1))],
        states={
            'invisible': ~Eval('take_payment'),
            'required': Bool(Eval('take_payment')),
            })
    in_person = fields.Boolean("Paid in Person",
        states={'invisible': ~Eval('take_payment')},
        help="The patient is at the desk (card present or cash); kept on "
        "the invoice as how the first payment was taken.")

    @fields.depends('template', 'party', 'date', 'company')
    def on_change_template(self):
        pool = Pool()
        Consent = pool.get('clinic.consent')
        Lang = pool.get('ir.lang')
        template = self.template
        if not template or (template.id is not None and template.id < 0):
            self.price = self.unit = self.units = None
            self.expiry_date = self.eligible = None
            self.consent_template = self.consent_status = None
            return
        self.currency = template.company.currency
        self.price = template.get_price()
        self.unit = template.unit
        self.units = self.describe_units(template)
        if self.date:
            self.expiry_date = template.compute_expiry_date(self.date)
        if template.eligibility == 'listed':
            self.eligible = ', '.join(
                [s.rec_name for s in template.services]
                + [c.rec_name for c in template.service_categories])
        else:
            self.eligible = dict(template.__class__.eligibility.selection)[
                'any']
        self.consent_template = template.consent_template
        self.consent_status = None
        if template.consent_template and self.party:
            consent = Consent.find_signed(
                self.party, template.consent_template)
            if consent:
                lang = Lang.get()
                self.consent_status = gettext(
                    'clinic_packs.msg_sell_consent_signed',
                    date=lang.strftime(consent.signed_on.date()
                        if consent.signed_on else self.date))
            else:
                self.consent_status = gettext(
                    'clinic_packs.msg_sell_consent_missing',
                    consent=template.consent_template.rec_name)

    @fields.depends(methods=['on_change_template'])
    def on_change_party(self):
        self.on_change_template()

    @staticmethod
    def describe_units(template):
        pool = Pool()
        Pack = pool.get('clinic.pack')
        pack = Pack(template=template, unit=template.unit,
            currency=template.company.currency)
        text = pack.format_units(template.total_quantity)
        if template.unit == 'session':
            singular, plural = Pack._unit_names()['session']
            text = '%s %s' % (
                text, singular if template.total_quantity == 1 else plural)
        if template.bonus_quantity:
            text += ' (%s + %s free)' % (
                pack.format_units(template.quantity),
                pack.format_units(template.bonus_quantity))
        return text


class Sell(GroupWizardMixin, Wizard):
    """Sell a pack to a patient.

    Opened from the patient (Sell Pack) or from the pack list; posts the
    customer invoice at the template's price and opens the issued pack.
    """
    __name__ = 'clinic.pack.sell'
    start = StateView('clinic.pack.sell.start',
        'clinic_packs.sell_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Sell and Invoice", 'sell', 'tryton-ok', default=True),
            ])
    sell = StateAction('clinic_packs.act_pack_form')

    def default_start(self, fields):
        pool = Pool()
        Date = pool.get('ir.date')
        PaymentMethod = pool.get('account.invoice.payment.method')
        company = Transaction().context.get('company')
        with without_check_access():
            can_pay = bool(company and PaymentMethod.search([
                        ('company', '=', company),
                        ], limit=1))
        values = {
            'company': company,
            'date': Date.today(),
            'can_take_payment': can_pay,
            'take_payment': False,
            'in_person': True,
            }
        if (self.model and self.model.__name__ == 'party.party'
                and self.record):
            values['party'] = self.record.id
        elif (self.model and self.model.__name__ == 'clinic.pack'
                and self.records and len({p.party for p in self.records}) == 1):
            values['party'] = self.records[0].party.id
        return values

    def do_sell(self, action):
        method = getattr(self.start, 'payment_method', None)
        if getattr(self.start, 'take_payment', False) and (
                not method or method.company != self.start.template.company):
            raise PackError(gettext('clinic_packs.msg_sell_payment_method',
                    template=self.start.template.rec_name))
        invoice = self.create_invoice()
        packs = self.post_invoice(invoice)
        if getattr(self.start, 'take_payment', False):
            self.pay_invoice(invoice)
        action['res_id'] = [p.id for p in packs]
        # Open the form of the issued pack first.
        action['views'].reverse()
        return action, {}

    def create_invoice(self):
        "Return the saved draft customer invoice selling the template."
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Line = pool.get('account.invoice.line')
        template = self.start.template
        party = self.start.party
        company = template.company
        guard.check_company([template])
        price = template.get_price()
        if price is None:
            raise PackError(gettext('clinic_packs.msg_sell_no_price',
                    template=template.rec_name,
                    product=template.product.rec_name))
        today = guard.company_today(company)
        invoice = Invoice(
            type='out',
            company=company,
            party=party,
            invoice_date=today)
        if getattr(self.start, 'take_payment', False):
            # Recorded before posting: a posted invoice is not modified.
            invoice.first_payment_in_person = bool(
                getattr(self.start, 'in_person', False))
        invoice.on_change_type()
        invoice.on_change_party()
        invoice.currency = company.currency
        line = Line(
            invoice=invoice,
            type='line',
            company=company,
            currency=company.currency,
            product=template.product,
            quantity=1,
            )
        line.on_change_product()
        line.unit_price = price
        line.description = gettext('clinic_packs.msg_sell_description',
            template=template.rec_name)
        invoice.lines = [line]
        with without_check_access():
            invoice.save()
        return invoice

    def post_invoice(self, invoice):
        "Post invoice the host's way and return the packs it issued."
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Pack = pool.get('clinic.pack')
        with without_check_access():
            guard.lock_invoice_sequences([invoice])
            Invoice.post([invoice])
            return Pack.search([
                    ('origin', 'in', [str(l) for l in invoice.lines]),
                    ], order=[('id', 'ASC')])

    def pay_invoice(self, invoice):
        """Pay the posted invoice in full the host's way, as its Pay wizard
        does: Invoice.pay_invoice then the reconciliation that makes it
        paid."""
        pool = Pool()
        Invoice = pool.get('account.invoice')
        MoveLine = pool.get('account.move.line')
        method = self.start.payment_method
        with without_check_access():
            invoice = Invoice(invoice.id)
            amount = invoice.amount_to_pay
            reconcile_lines, remainder = (
                invoice.get_reconcile_lines_for_amount(
                    amount, invoice.currency))
            lines = invoice.pay_invoice(
                amount, method, guard.company_today(invoice.company))
            if not remainder:
                MoveLine.reconcile(reconcile_lines + lines)
