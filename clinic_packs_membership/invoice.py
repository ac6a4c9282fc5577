# This file is part of clinic_packs_membership.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
from decimal import Decimal

from trytond.model import fields
from trytond.modules.clinic_packs import compat
from trytond.modules.product import price_digits
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction


class Invoice(metaclass=PoolMeta):
    __name__ = 'account.invoice'

    @classmethod
    def _post(cls, invoices):
        pool = Pool()
        Line = pool.get('account.invoice.line')
        # The membership may have started or ended, or the price been edited,
        # since the line was entered: the discount is the one valid on the
        # invoice date.  The host posts again invoices already posted when it
        # processes them; those are left alone.
        drafts = [i for i in invoices
            if i.type == 'out' and i.state in {'draft', 'validated'}]
        changed = [l for i in drafts for l in i.lines
            if l.apply_member_discount()]
        # The host updates the taxes of draft invoices when it stores their
        # amounts before the move.
        Line.save(changed)
        super()._post(invoices)


class InvoiceLine(metaclass=PoolMeta):
    __name__ = 'account.invoice.line'

    # Read-only by states, not by field, so that the clients save the value
    # set by on_change_product: posting then knows a discount was applied.
    member_discount = fields.Numeric(
        "Member Discount", digits=(16, 2),
        states={
            'readonly': True,
            'invisible': ~Eval('member_discount'),
            },
        help="The percentage taken off the list price for a member.")

    @classmethod
    def _get_origin(cls):
        return super()._get_origin() + ['clinic.membership.period']

    @fields.depends(methods=['apply_member_discount'])
    def on_change_product(self):
        super().on_change_product()
        self.apply_member_discount()

    def _member_discount_date(self):
        pool = Pool()
        Date = pool.get('ir.date')
        invoice = getattr(self, 'invoice', None)
        if invoice and getattr(invoice, 'invoice_date', None):
            return invoice.invoice_date
        return Date.today()

    def _member_discount_applies(self):
        """Whether the member discount prices the line.

        Only sales entered at the list price: not credits or refunds
        (negative quantity), nor lines made from an origin that fixed their
        price (membership fees, credited lines, pack refunds), nor
        redemptions from a pack.
        """
        invoice = getattr(self, 'invoice', None)
        quantity = getattr(self, 'quantity', None)
        return bool(getattr(self, 'product', None)
            and getattr(self, 'type', 'line') == 'line'
            and not (invoice and invoice.type != 'out')
            and not getattr(self, 'pack', None)
            and not getattr(self, 'origin', None)
            and not (quantity is not None and quantity < 0))

    def member_discount_percentage(self):
        "Return the best member discount for the line's product or None."
        pool = Pool()
        Membership = pool.get('clinic.membership')
        invoice = getattr(self, 'invoice', None)
        party = invoice.party if invoice else getattr(self, 'party', None)
        product = getattr(self, 'product', None)
        if not party or not self._member_discount_applies():
            return None
        date = self._member_discount_date()
        company = (invoice.company if invoice and invoice.company
            else getattr(self, 'company', None))
        domain = [
            ('party', '=', party.id),
            ('state', 'in', ['active', 'paused', 'cancelled']),
            ('start_date', '<=', date),
            ['OR',
                ('cancel_effective_date', '=', None),
                ('cancel_effective_date', '>=', date),
                ],
            ]
        if company:
            domain.append(('company', '=', company.id))
        best = None
        for membership in Membership.search(domain):
            # A member is one whose period covers the date.
            if not membership.period_at(date):
                continue
            percentage = membership.plan.discount_for(product)
            if percentage is not None and (best is None or percentage > best):
                best = percentage
        return best

    @fields.depends('product', 'invoice', 'unit', 'unit_price', 'quantity',
        'member_discount', 'type', 'party', 'company', 'origin', 'pack',
        '_parent_invoice.party', '_parent_invoice.invoice_date',
        '_parent_invoice.type', '_parent_invoice.company')
    def apply_member_discount(self):
        """Set the unit price to the list price less the member discount.

        A line that had no member discount and gets none keeps the price
        entered; one whose discount ended goes back to the list price.
        Return whether the line changed.
        """
        pool = Pool()
        Uom = pool.get('product.uom')
        if not self._member_discount_applies():
            return False
        percentage = self.member_discount_percentage() or None
        if percentage is None and not self.member_discount:
            return False
        company = getattr(self, 'company', None)
        with Transaction().set_context(
                company=company.id if company else None):
            product = self.product.__class__(self.product.id)
            list_price = compat.list_price(product)
        if list_price is None:
            return False
        unit = getattr(self, 'unit', None)
        if unit and unit != product.default_uom:
            list_price = Uom.compute_price(
                product.default_uom, list_price, unit)
        unit_price = list_price
        if percentage:
            unit_price = list_price * (1 - percentage / Decimal(100))
        digits = price_digits[1]
        unit_price = unit_price.quantize(Decimal(1).scaleb(-digits))
        if (unit_price == self.unit_price
                and percentage == (self.member_discount or None)):
            return False
        self.unit_price = unit_price
        self.member_discount = percentage
        return True
