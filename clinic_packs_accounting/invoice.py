# This file is part of clinic_packs_accounting.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
from trytond.model import fields
from trytond.pool import Pool, PoolMeta


class InvoiceLine(metaclass=PoolMeta):
    __name__ = 'account.invoice.line'

    def get_move_lines(self):
        """Post the price of a pack to the contract liability.

        A pack is paid before the care is delivered, so its price is a
        contract liability (IFRS 15.106) whatever revenue account the line
        shows; credit notes of such lines (a cancelled or refunded pack)
        debit the same account.  Taxes are left as the host computes them.
        """
        lines = super().get_move_lines()
        account = self.pack_liability_account()
        if account:
            for line in lines:
                line.account = account
                line.party = (
                    self.invoice.party if account.party_required else None)
        return lines

    @property
    def taxable_lines(self):
        # A multi-purpose voucher is sold without tax (UK VATA 1994 Sch
        # 10B): its use is taxed at the rate of the service redeemed.  Its
        # refunds carry none either.
        lines = super().taxable_lines
        if self.voucher_template():
            lines = [([],) + tuple(l[1:]) for l in lines]
        return lines

    @fields.depends('product', 'origin', 'invoice', '_parent_invoice.type',
        '_parent_invoice.company', 'type')
    def on_change_product(self):
        super().on_change_product()
        if self.voucher_template():
            self.taxes = []

    def voucher_template(self):
        "Return the multi-purpose voucher template the line sells or None."
        pool = Pool()
        Template = pool.get('clinic.pack.template')
        invoice = getattr(self, 'invoice', None)
        if (not invoice or getattr(invoice, 'type', None) != 'out'
                or getattr(self, 'type', None) != 'line'
                or getattr(self, 'pack', None)):
            return None
        origin = getattr(self, 'origin', None)
        if origin and getattr(origin, '__name__', None) == 'clinic.pack':
            template = origin.template
            return template if template.multi_purpose_voucher else None
        product = getattr(self, 'product', None)
        company = getattr(invoice, 'company', None)
        if not product or not company:
            return None
        for id_, _, voucher in Template.of_product(product, company):
            if voucher:
                return Template(id_)
        return None

    def pack_liability_account(self):
        "Return the contract liability account if the line sells a pack."
        pool = Pool()
        Move = pool.get('account.move')
        if (self.invoice.type != 'out' or self.type != 'line'
                or getattr(self, 'pack', None)):
            return None
        if not self.is_pack_sale():
            return None
        configuration = Move.pack_configuration(self.invoice.company, self)
        return configuration.contract_liability_account

    def is_pack_sale(self):
        "Whether the line sells, cancels or refunds a pack."
        pool = Pool()
        Template = pool.get('clinic.pack.template')
        LiabilityLine = pool.get('clinic.pack.liability.line')
        origin = self.origin
        if origin and origin.__name__ == 'clinic.pack':
            return True
        if (origin and origin.__name__ == 'account.invoice.line'
                and origin.invoice and origin.invoice.move):
            # A credit note mirrors the line it credits: a sale posted
            # before its product had a template went to revenue, and so
            # does its credit.
            roles = LiabilityLine.followed_roles(self.invoice.company)
            return any(roles.get(l.account.id) == 'liability'
                for l in origin.invoice.move.lines if l.origin == origin)
        if not self.product:
            return False
        # A credit note may follow the template's deactivation.
        return bool(Template.of_product(
                self.product, self.invoice.company))
