# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Pack events: who extended, transferred, merged, refunded or cancelled a pack, and why."
import datetime as dt

from trytond.model import ModelSQL, ModelView, fields
from trytond.modules.currency.fields import Monetary
from trytond.pyson import Eval
from trytond.transaction import Transaction

from .pack import QUANTITY_DIGITS


EVENT_TYPES = [
    ('extension', "Extension"),
    ('transfer', "Transfer"),
    ('merge', "Merge"),
    ('refund', "Refund"),
    ('reminder', "Reminder"),
    ('cancel', "Cancellation"),
    ]


class PackEvent(ModelSQL, ModelView):
    "Pack Event"
    __name__ = 'clinic.pack.event'
    pack = fields.Many2One(
        'clinic.pack', "Pack", required=True, ondelete='CASCADE',
        readonly=True)
    type = fields.Selection(EVENT_TYPES, "Type", required=True, readonly=True)
    date = fields.DateTime("Date", required=True, readonly=True)
    user = fields.Many2One('res.user', "User", readonly=True)
    reason = fields.Text("Reason", readonly=True)
    previous_expiry_date = fields.Date("Previous Expiry", readonly=True)
    new_expiry_date = fields.Date("New Expiry", readonly=True)
    from_party = fields.Many2One('party.party', "From", readonly=True,
        context={'company': Eval('company', -1)}, depends=['company'])
    to_party = fields.Many2One('party.party', "To", readonly=True,
        context={'company': Eval('company', -1)}, depends=['company'])
    related_pack = fields.Many2One('clinic.pack', "Related Pack",
        readonly=True)
    quantity = fields.Numeric(
        "Units Added", digits=QUANTITY_DIGITS, readonly=True,
        help="Free units given with an extension.")
    quantity_text = fields.Function(
        fields.Char("Units Added",
            help="Free units given with an extension."),
        'get_quantity_text')
    amount = Monetary(
        "Amount", currency='currency', digits='currency', readonly=True,
        help="The amount refunded, or the remaining value a merge moved.")
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"),
        'on_change_with_currency')
    company = fields.Function(
        fields.Many2One('company.company', "Company"),
        'on_change_with_company', searcher='search_company')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]

    @staticmethod
    def default_date():
        return dt.datetime.now()

    @staticmethod
    def default_user():
        return Transaction().user

    def get_quantity_text(self, name):
        if self.quantity is not None and self.pack:
            return self.pack.format_units(self.quantity)

    @fields.depends('pack', '_parent_pack.currency')
    def on_change_with_currency(self, name=None):
        if self.pack and self.pack.currency:
            return self.pack.currency.id

    @fields.depends('pack', '_parent_pack.company')
    def on_change_with_company(self, name=None):
        if self.pack and self.pack.company:
            return self.pack.company.id

    @classmethod
    def search_company(cls, name, clause):
        return [('pack.' + clause[0],) + tuple(clause[1:])]
