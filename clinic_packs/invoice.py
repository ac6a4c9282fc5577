# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

from . import compat, value
from .exceptions import PackError


class Invoice(metaclass=PoolMeta):
    __name__ = 'account.invoice'

    @classmethod
    def _post(cls, invoices):
        pool = Pool()
        Line = pool.get('account.invoice.line')
        # The host posts again the invoices it processes (payments
        # reconciled or not, cancellations undone): their packs were issued
        # or reversed when they were first posted.
        lines = [l for i in invoices
            if i.type == 'out' and i.state in {'draft', 'validated'}
            for l in i.lines]
        # Refuse what packs cannot do before the invoice gets its number and
        # move.
        Line.check_packs(lines)
        # Covered lines are redeemed and shown at zero before the move is
        # built and the lines become read-only.
        Line.redeem_covered(lines)
        super()._post(invoices)
        Line.process_packs(lines)


class InvoiceLine(metaclass=PoolMeta):
    __name__ = 'account.invoice.line'

    pack = fields.Many2One(
        'clinic.pack', "Pack", ondelete='RESTRICT',
        domain=[
            ('company', '=', Eval('company', -1)),
            ],
        states={
            'invisible': Eval('invoice_type') != 'out',
            'readonly': Eval('invoice_state') != 'draft',
            },
        help="The patient's pack that pays for this service.")

    # Many2Many: Tryton 8.0 wants a setter on every function One2Many.
    issued_packs = fields.Function(fields.Many2Many(
            'clinic.pack', None, None, "Issued Packs", readonly=True,
            help="The packs this line sold, issued when the invoice was "
            "posted."),
        'get_issued_packs')
    pack_note = fields.Function(fields.Char("Packs",
            help="What the line does to packs."),
        'get_pack_note')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.pack.domain.append(
            ['OR',
                ('state', 'in', ['active', 'expired']),
                ('id', '=', Eval('pack', -1)),
                ])

    @classmethod
    def _get_origin(cls):
        # The credit note of a pack refund originates from the pack.
        return super()._get_origin() + ['clinic.pack']

    @fields.depends('product', 'company', 'invoice', '_parent_invoice.type',
        'invoice_type', 'unit_price', 'pack')
    def on_change_product(self):
        super().on_change_product()
        if not self.product or self.pack:
            return
        type_ = (self.invoice.type if self.invoice and self.invoice.type
            else self.invoice_type)
        if type_ != 'out':
            return
        template = self.pack_template()
        if template:
            price = template.get_price()
            if price is not None:
                # A pack sells at its template's price.
                self.unit_price = price

    def pack_template(self):
        "The pack template this line's product sells, if any."
        pool = Pool()
        Template = pool.get('clinic.pack.template')
        if not self.product or not self.company:
            return None
        for id_, active, _ in Template.of_product(self.product, self.company):
            if active:
                return Template(id_)
        return None

    @classmethod
    def get_issued_packs(cls, lines, name):
        pool = Pool()
        ModelAccess = pool.get('ir.model.access')
        result = {l.id: [] for l in lines}
        # Invoice users who may not read packs see the note, not the packs.
        if not ModelAccess.check('clinic.pack', 'read',
                raise_exception=False):
            return result
        for line_id, packs in cls._issued_packs(lines).items():
            result[line_id] = [p.id for p in packs]
        return result

    @classmethod
    def _issued_packs(cls, lines):
        pool = Pool()
        Pack = pool.get('clinic.pack')
        result = {}
        with without_check_access():
            for pack in Pack.search([
                        ('origin', 'in', [str(l) for l in lines]),
                        ], order=[('id', 'ASC')]):
                result.setdefault(pack.origin.id, []).append(pack)
        return result

    def get_pack_note(self, name):
        issued = self._issued_packs([self]).get(self.id)
        if issued:
            with without_check_access():
                return gettext('clinic_packs.msg_invoice_line_issues',
                    count=len(issued),
                    packs=', '.join(p.rec_name for p in issued),
                    template=issued[0].template.rec_name)
        if self.pack:
            with without_check_access():
                return gettext('clinic_packs.msg_invoice_line_pays',
                    pack=self.pack.__class__(self.pack.id).rec_name)
        if (self.invoice and self.invoice.state in {'draft', 'validated'}
                and self.type == 'line' and (self.quantity or 0) > 0):
            template = self.pack_template()
            if template:
                return gettext('clinic_packs.msg_invoice_line_will_issue',
                    template=template.rec_name)
        return ''

    @fields.depends('pack', 'unit_price')
    def on_change_pack(self):
        if self.pack:
            self.unit_price = Decimal(0)

    def _credit(self):
        line = super()._credit()
        line.pack = self.pack
        return line

    @classmethod
    def copy(cls, lines, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('pack', None)
        return super().copy(lines, default=default)

    @classmethod
    def process_packs(cls, lines):
        """Issue, redeem or reverse packs for the lines of posted invoices.

        Idempotent: the host posts again when an invoice is processed.
        """
        to_issue, to_credit = [], []
        for line in lines:
            if line.type != 'line' or not line.quantity:
                continue
            if line.pack:
                if line.quantity < 0:
                    to_credit.append(line)
            elif line.product:
                if line.quantity > 0:
                    to_issue.append(line)
                else:
                    to_credit.append(line)
        cls._issue_packs(to_issue)
        cls._credit_packs(to_credit)

    @classmethod
    def check_packs(cls, lines):
        "Raise if posting lines could not issue or reverse their packs."
        issued = [l for l in lines
            if l.type == 'line' and l.product and not l.pack
            and (l.quantity or 0) > 0]
        templates = cls._pack_templates(issued)
        for line in issued:
            template = templates.get((line.product.id, line.company.id))
            if template:
                cls._check_pack_quantity(line, template)
        cls._credited_packs([l for l in lines
                if l.type == 'line' and (l.quantity or 0) < 0])

    @classmethod
    def _check_pack_quantity(cls, line, template):
        quantity = Decimal(str(line.quantity))
        if quantity != quantity.to_integral_value():
            raise PackError(gettext(
                    'clinic_packs.msg_invoice_pack_quantity',
                    line=line.rec_name, template=template.rec_name))
        return int(quantity)

    @classmethod
    def _pack_templates(cls, lines):
        pool = Pool()
        Template = pool.get('clinic.pack.template')
        products = {l.product.id for l in lines if l.product}
        templates = {}
        if products:
            for template in Template.search([
                        ('product', 'in', list(products)),
                        ], order=[('id', 'ASC')]):
                templates.setdefault(
                    (template.product.id, template.company.id), template)
        return templates

    @classmethod
    def _issue_packs(cls, lines):
        pool = Pool()
        Pack = pool.get('clinic.pack')
        Currency = pool.get('currency.currency')
        templates = cls._pack_templates(lines)
        if not templates:
            return
        issued = {p.origin.id for p in Pack.search([
                    ('origin', 'in', [str(l) for l in lines]),
                    ])}
        packs = []
        for line in lines:
            template = templates.get((line.product.id, line.company.id))
            if not template or line.id in issued:
                continue
            quantity = cls._check_pack_quantity(line, template)
            invoice = line.invoice
            date = invoice.invoice_date
            with Transaction().set_context(date=invoice.currency_date):
                amount = Currency.compute(
                    invoice.currency, line.amount, line.company.currency,
                    round=False)
            # Identical packs: the odd cent goes to the last one.
            amounts = value.allocate(amount, [1] * quantity,
                digits=line.company.currency.digits, remainder='last')
            for unit_amount in amounts:
                packs.append(Pack(
                        company=line.company,
                        party=invoice.party,
                        template=template,
                        currency=line.company.currency,
                        start_date=date,
                        expiry_date=template.compute_expiry_date(date),
                        quantity=template.total_quantity,
                        amount=unit_amount,
                        origin=line))
        if packs:
            Pack.save(packs)
            Pack.activate_if_ready(packs)

    @classmethod
    def redeem_covered(cls, lines):
        "Redeem the packs that cover lines and show the lines at zero."
        pool = Pool()
        Redemption = pool.get('clinic.pack.redemption')
        Date = pool.get('ir.date')
        lines = [l for l in lines
            if l.type == 'line' and l.pack and (l.quantity or 0) > 0]
        if not lines:
            return
        done = {r.origin.id for r in Redemption.search([
                    ('origin', 'in', [str(l) for l in lines]),
                    ('state', '!=', 'cancelled'),
                    ])}
        redemptions = []
        for line in lines:
            if line.id in done:
                continue
            if line.pack.party != line.invoice.party:
                raise PackError(gettext(
                        'clinic_packs.msg_invoice_pack_party',
                        line=line.rec_name, pack=line.pack.rec_name))
            redemptions.append(Redemption(
                    pack=line.pack,
                    party=line.invoice.party,
                    company=line.company,
                    date=line.invoice.invoice_date or Date.today(),
                    product=line.product,
                    quantity=line.quantity,
                    uom=line.unit,
                    list_value=(compat.list_price(line.product) * Decimal(
                            str(line.quantity))
                        if line.pack.unit == 'money' and line.product
                        else None),
                    origin=line))
        if not redemptions:
            return
        Redemption.save(redemptions)
        Redemption.do(redemptions)
        for redemption in redemptions:
            line = redemption.origin
            covered = gettext('clinic_packs.msg_invoice_line_covered',
                pack=redemption.pack.rec_name,
                progress=redemption.sequence_label)
            line.description = '\n'.join(
                filter(None, [line.description, covered]))
            line.unit_price = Decimal(0)
        cls.save([r.origin for r in redemptions])

    @classmethod
    def _credit_packs(cls, lines):
        "Reverse what the credited lines did to packs."
        pool = Pool()
        Redemption = pool.get('clinic.pack.redemption')
        Pack = pool.get('clinic.pack')
        # Only credits of invoice lines concern packs: a pack refund's credit
        # note line originates from the pack it refunds.
        lines = [l for l in lines
            if l.origin and l.origin.__name__ == 'account.invoice.line']
        origins = [l.origin for l in lines]
        if not origins:
            return
        redemptions = Redemption.search([
                ('origin', 'in', [str(o) for o in origins]),
                ('state', '=', 'done'),
                ])
        if redemptions:
            Redemption.cancel(redemptions)
        to_cancel = cls._credited_packs(lines)
        if to_cancel:
            Pack.cancel_credited(to_cancel)

    @classmethod
    def _credited_packs(cls, lines):
        """Return the packs that crediting lines cancels.

        Raise unless the packs issued by the credited lines are unused and
        draft or active: the patient cannot get back by a credit note what
        was used, refunded, merged or has expired.
        """
        pool = Pool()
        Pack = pool.get('clinic.pack')
        lines = [l for l in lines
            if not l.pack and l.origin
            and l.origin.__name__ == 'account.invoice.line']
        if not lines:
            return []
        packs = Pack.search([
                ('origin', 'in', [str(l.origin) for l in lines]),
                ('state', '!=', 'cancelled'),
                ], order=[('id', 'DESC')])
        by_origin = {}
        for pack in packs:
            by_origin.setdefault(pack.origin.id, []).append(pack)
        to_cancel = []
        for line in lines:
            candidates = by_origin.get(line.origin.id, [])
            count = int(abs(line.quantity))
            unused = [p for p in candidates
                if p.state in {'draft', 'active'} and not p.redeemed_quantity]
            kept = [p for p in candidates if p not in unused]
            # Crediting more packs than the line sold cancels them all.
            if len(unused) < count and kept:
                used = [p for p in kept if p.redeemed_quantity]
                if used:
                    raise PackError(gettext(
                            'clinic_packs.msg_invoice_credit_pack_used',
                            line=line.rec_name, pack=used[0].rec_name))
                raise PackError(gettext(
                        'clinic_packs.msg_invoice_credit_pack_state',
                        line=line.rec_name, pack=kept[0].rec_name,
                        state=kept[0].state_string))
            to_cancel.extend(unused[:count])
        return to_cancel
