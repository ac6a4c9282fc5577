# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool
from trytond.pyson import Bool, Eval, If
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from . import compat, guard, value
from .exceptions import PackAccessError, RedemptionError
from .pack import QUANTITY_DIGITS
from .template import MAX_AMOUNT, MAX_QUANTITY
from .wizard import GroupWizardMixin

STATES = [
    ('draft', "Draft"),
    ('done', "Done"),
    ('cancelled', "Cancelled"),
    ]


class Redemption(
        guard.WorkflowGuardMixin, Workflow, ModelSQL, ModelView):
    "Pack Redemption"
    __name__ = 'clinic.pack.redemption'

    _draft = {'readonly': Eval('state') != 'draft'}

    pack = fields.Many2One(
        'clinic.pack', "Pack", required=True, states=_draft,
        domain=[
            If(Eval('state') == 'draft',
                [('party', '=', Eval('party', -1))],
                []),
            ])
    party = fields.Many2One(
        'party.party', "Patient", required=True, states=_draft,
        context={'company': Eval('company', -1)}, depends=['company'])
    company = fields.Many2One(
        'company.company', "Company", required=True, states=_draft)
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"),
        'on_change_with_currency')
    date = fields.Date("Date", required=True, states=_draft,
        help="The day the service was delivered.")
    product = fields.Many2One(
        'product.product', "Service", required=True, states=_draft,
        domain=[('type', '=', 'service')],
        context={'company': Eval('company', -1)}, depends=['company'])
    quantity = fields.Float(
        "Quantity", digits='uom', required=True, states=_draft,
        help="Sessions, or the duration in the unit of measure for hour "
        "packs.")
    uom = fields.Many2One(
        'product.uom', "Unit of Measure", states=_draft,
        help="For hour packs: the unit the duration is given in.")
    list_value = Monetary(
        "List Value", currency='currency', digits='currency', states=_draft,
        help="For money packs: the list value of what was used; empty for "
        "the service's list price times the quantity.")
    units = fields.Numeric(
        "Pack Units", digits=QUANTITY_DIGITS, readonly=True,
        help="The units drawn from the pack.")
    units_text = fields.Function(fields.Char("Pack Units",
            help="The units drawn from the pack: sessions, hours or money."),
        'get_units_text')
    amount = Monetary(
        "Value", currency='currency', digits='currency', readonly=True,
        help="The value recognised: units times the unit value, the last "
        "unit taking exactly what is left.")
    employee = fields.Many2One(
        'company.employee', "Practitioner", states=_draft,
        domain=[('company', '=', Eval('company', -1))])
    origin = fields.Reference(
        "Origin", selection='get_origin', states=_draft)
    sequence_label = fields.Char("Session", readonly=True,
        help="For example 'session 3 of 6'.")
    state = fields.Selection(STATES, "State", readonly=True, required=True)
    month = fields.Function(fields.Char("Month",
            help="The month of the service, for the graph per month."),
        'get_month')
    month_service = fields.Function(fields.Char("Month and Service",
            help="The graph's bars: one per month and service."),
        'get_month')

    del _draft

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.pack, Index.Equality()),
                    (t.state, Index.Equality())),
                Index(t, (t.date, Index.Range())),
                Index(t, (t.origin, Index.Equality())),
                })
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'done'),
            ('done', 'cancelled'),
            }
        cls._buttons.update({
                'do': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': Eval('state') != 'done',
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def _get_origin(cls):
        return ['account.invoice.line']

    @classmethod
    def get_origin(cls):
        IrModel = Pool().get('ir.model')
        return [(None, '')] + [
            (m, IrModel.get_name(m)) for m in cls._get_origin()]

    @staticmethod
    def default_company():
        return Transaction().context.get('company')

    @staticmethod
    def default_state():
        return 'draft'

    @staticmethod
    def default_quantity():
        return 1

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()

    @fields.depends('pack', '_parent_pack.currency')
    def on_change_with_currency(self, name=None):
        if self.pack:
            return self.pack.currency.id

    @fields.depends('pack', '_parent_pack.party', '_parent_pack.company')
    def on_change_pack(self):
        if self.pack:
            self.party = self.pack.party
            self.company = self.pack.company

    @fields.depends('product', 'uom')
    def on_change_product(self):
        if self.product and not self.uom:
            self.uom = self.product.default_uom

    def get_units_text(self, name):
        if self.units is None or not self.pack:
            return ''
        return self.pack.format_units(self.units)

    def get_month(self, name):
        if not self.date:
            return
        month = self.date.strftime('%Y-%m')
        if name == 'month_service' and self.product:
            return '%s %s' % (month, self.product.rec_name)
        return month

    def get_rec_name(self, name):
        return '%s @ %s' % (self.pack.rec_name, self.date)

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('pack.rec_name',) + tuple(clause[1:])]

    def pack_units(self):
        "The units this redemption draws from its pack."
        pool = Pool()
        Uom = pool.get('product.uom')
        ModelData = pool.get('ir.model.data')
        unit = self.pack.template.unit
        quantity = self.quantity or 0
        if unit == 'session':
            units = Decimal(str(quantity))
        elif unit == 'hour':
            hour = Uom(ModelData.get_id('product', 'uom_hour'))
            uom = self.uom or self.product.default_uom
            if uom.category != hour.category:
                raise RedemptionError(gettext(
                        'clinic_packs.msg_redemption_uom_time',
                        pack=self.pack.rec_name, uom=uom.rec_name))
            units = Decimal(str(
                    Uom.compute_qty(uom, quantity, hour, round=False)))
            units = units.quantize(Decimal(10) ** -QUANTITY_DIGITS[1])
        else:
            if self.list_value is not None:
                units = self.list_value
            else:
                units = (compat.list_price(self.product) or 0) * Decimal(
                    str(quantity))
            units = self.pack.currency.round(units)
        return units

    @classmethod
    def _workflow_fields(cls):
        return super()._workflow_fields() | {
            'units', 'amount', 'sequence_label'}

    @classmethod
    def create(cls, vlist):
        pool = Pool()
        Pack = pool.get('clinic.pack')
        cls.check_create(vlist)
        vlist = [v.copy() for v in vlist]
        packs = Pack.browse({v['pack'] for v in vlist if v.get('pack')})
        guard.check_company(packs)
        for values in vlist:
            if values.get('pack') and (
                    not values.get('party') or not values.get('company')):
                pack = Pack(values['pack'])
                values.setdefault('party', pack.party.id)
                values.setdefault('company', pack.company.id)
        redemptions = super().create(vlist)
        guard.check_company(redemptions)
        return redemptions

    @classmethod
    def _modify_issued_error(cls, record, name):
        return PackAccessError(gettext(
                'clinic_packs.msg_redemption_modify_done',
                redemption=record.rec_name))

    @classmethod
    def write(cls, *args):
        actions = iter(args)
        for redemptions, values in zip(actions, actions):
            cls.check_modify(redemptions, values)
        super().write(*args)

    @classmethod
    def validate_fields(cls, redemptions, field_names):
        super().validate_fields(redemptions, field_names)
        cls.check_pack_company(redemptions, field_names)
        cls.check_finite_quantity(redemptions, field_names)

    @classmethod
    def check_pack_company(cls, redemptions, field_names=None):
        "The redemption is of its pack's company, patient and currency."
        if field_names and not (field_names & {'pack', 'company', 'party'}):
            return
        for redemption in redemptions:
            pack = redemption.pack
            if pack.company != redemption.company:
                raise RedemptionError(gettext(
                        'clinic_packs.msg_redemption_company',
                        redemption=redemption.rec_name,
                        company=redemption.company.rec_name,
                        pack=pack.rec_name,
                        pack_company=pack.company.rec_name))

    @classmethod
    def check_finite_quantity(cls, redemptions, field_names=None):
        "Quantities are finite numbers a clinic can deliver in one go."
        if field_names and not (field_names & {'quantity', 'list_value'}):
            return
        for redemption in redemptions:
            for name in ['quantity', 'list_value']:
                number = getattr(redemption, name)
                if number is None:
                    continue
                guard.check_number(
                    redemption, name, number, MAX_QUANTITY
                    if name == 'quantity' else MAX_AMOUNT)

    @classmethod
    def delete(cls, redemptions):
        for redemption in redemptions:
            if redemption.state != 'draft':
                raise PackAccessError(gettext(
                        'clinic_packs.msg_redemption_delete_done',
                        redemption=redemption.rec_name))
        super().delete(redemptions)

    @classmethod
    def copy(cls, redemptions, default=None):
        default = default.copy() if default is not None else {}
        for name in ['origin', 'units', 'amount', 'sequence_label']:
            default.setdefault(name, None)
        return super().copy(redemptions, default=default)

    @classmethod
    def _lock_packs(cls, redemptions):
        "Lock the packs' rows so balances change one request at a time."
        pool = Pool()
        Pack = pool.get('clinic.pack')
        guard.check_company(redemptions)
        # Read the balances as committed by whoever held the lock before.
        packs = Pack._lock_modified([r.pack for r in redemptions])
        return {p.id: p for p in packs}

    @classmethod
    @ModelView.button
    @Workflow.transition('done')
    def do(cls, redemptions):
        """Draw the redemptions' units from their packs.

        The only way units leave a pack: the redeem wizard, a covered invoice
        line and RPC all come here.
        """
        pool = Pool()
        Pack = pool.get('clinic.pack')
        packs = cls._lock_packs(redemptions)
        exhausted = []
        for redemption in sorted(redemptions, key=lambda r: (r.date, r.id)):
            pack = packs[redemption.pack.id]
            redemption.pack = pack
            units = redemption.pack_units()
            pack.check_redeemable(redemption, units)
            amount = value.redemption_value(
                units, pack.remaining_quantity, pack.remaining_amount,
                pack.unit_value, digits=pack.currency.digits)
            pack.redeemed_quantity += units
            pack.remaining_quantity -= units
            pack.remaining_amount -= amount
            redemption.units = units
            redemption.amount = amount
            redemption.sequence_label = pack.progress_label()
            if pack.remaining_quantity == 0 and pack.state == 'active':
                exhausted.append(pack)
        Pack.save(list(packs.values()))
        cls.save(redemptions)
        if exhausted:
            Pack.exhaust(exhausted)

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, redemptions):
        """Give the units and value back to the pack.

        A done redemption is never edited or deleted: cancelling reverses it.
        """
        pool = Pool()
        Pack = pool.get('clinic.pack')
        packs = cls._lock_packs(redemptions)
        reopen = []
        for redemption in redemptions:
            pack = packs[redemption.pack.id]
            if pack.state not in {'active', 'exhausted', 'expired'}:
                raise RedemptionError(gettext(
                        'clinic_packs.msg_redemption_cancel_pack_state',
                        redemption=redemption.rec_name,
                        pack=pack.rec_name, state=pack.state_string))
            pack.redeemed_quantity -= redemption.units
            pack.remaining_quantity += redemption.units
            pack.remaining_amount += redemption.amount
            if pack.state == 'exhausted':
                reopen.append(pack)
        Pack.save(list(packs.values()))
        if reopen:
            Pack.reopen(reopen)


class RedeemStart(ModelView):
    "Redeem Session"
    __name__ = 'clinic.pack.redeem.start'

    party = fields.Many2One('party.party', "Patient", required=True,
        context={'company': Eval('company', -1)}, depends=['company'])
    company = fields.Many2One('company.company', "Company", readonly=True)
    product = fields.Many2One(
        'product.product', "Service", required=True,
        domain=[('type', '=', 'service')],
        context={'company': Eval('company', -1)}, depends=['company'])
    date = fields.Date("Date", required=True)
    quantity = fields.Float("Quantity", required=True)
    uom = fields.Many2One('product.uom', "Unit of Measure")
    employee = fields.Many2One(
        'company.employee', "Practitioner",
        domain=[('company', '=', Eval('company', -1))])
    eligible_packs = fields.Many2Many(
        'clinic.pack', None, None, "Eligible Packs", readonly=True)
    pack = fields.Many2One(
        'clinic.pack', "Pack",
        domain=[
            ('party', '=', Eval('party', -1)),
            ('state', 'in', ['active', 'expired']),
            ('remaining_quantity', '>', 0),
            If(Bool(Eval('product')),
                ('id', 'in', Eval('eligible_packs', [])),
                ()),
            ],
        help="Only the packs that can pay for the service are offered; "
        "defaults to the one that expires first.")
    remaining = fields.Char("Remaining", readonly=True)
    explanation = fields.Text("Packs", readonly=True,
        help="Which packs can pay for the service, and why the others "
        "cannot.")

    @fields.depends('party', 'product', 'date', 'company', 'pack', 'uom',
        'eligible_packs')
    def on_change_product(self):
        pool = Pool()
        Pack = pool.get('clinic.pack')
        User = pool.get('res.user')
        self.explanation = None
        if (self.company and Transaction().user
                and self.company.id not in User.get_companies()):
            # on_change runs without record rules: never show another
            # company's packs.
            self.pack = None
            self.eligible_packs = []
        elif self.party and self.product and self.date:
            packs = Pack.find_eligible(
                self.party, self.product, self.date, self.company)
            self.eligible_packs = packs
            if not self.pack or self.pack not in packs:
                self.pack = packs[0] if packs else None
            self.explanation = self.explain(packs)
        if self.product and not self.uom:
            self.uom = self.product.default_uom
        self.on_change_pack()

    def explain(self, eligible):
        "Say which packs can pay for the service and why others cannot."
        pool = Pool()
        Pack = pool.get('clinic.pack')
        lines = []
        if eligible:
            lines.append(gettext('clinic_packs.msg_redeem_choose',
                    count=len(eligible), product=self.product.rec_name))
        else:
            lines.append(gettext('clinic_packs.msg_redeem_none_eligible',
                    party=self.party.rec_name,
                    product=self.product.rec_name))
        domain = [
            ('party', '=', self.party.id),
            ('state', 'in', ['draft', 'active', 'expired', 'exhausted']),
            ('id', 'not in', [p.id for p in eligible]),
            ]
        if self.company:
            domain.append(('company', '=', self.company.id))
        for pack in Pack.search(domain, order=[('expiry_date', 'ASC')],
                limit=10):
            lines.append(gettext('clinic_packs.msg_redeem_refused',
                    pack=pack.rec_name, template=pack.template.rec_name,
                    reason=self._refusal(pack)))
        return '\n'.join(lines)

    def _refusal(self, pack):
        template = pack.template
        if not template.is_eligible(self.product):
            eligible = [p.rec_name for p in template.services] + [
                c.rec_name for c in template.service_categories]
            return gettext('clinic_packs.msg_redeem_reason_service',
                eligible=', '.join(eligible))
        if pack.state not in {'active', 'expired'}:
            return gettext('clinic_packs.msg_redeem_reason_state',
                state=pack.state_string)
        if not pack.remaining_quantity:
            return gettext('clinic_packs.msg_redeem_reason_empty')
        return gettext('clinic_packs.msg_redeem_reason_dates',
            start=pack.start_date, end=pack.grace_end_date or '')

    @fields.depends(methods=['on_change_product'])
    def on_change_date(self):
        self.on_change_product()

    @fields.depends(methods=['on_change_product'])
    def on_change_party(self):
        self.on_change_product()

    @fields.depends('pack')
    def on_change_pack(self):
        if self.pack and self.pack.id is not None and self.pack.id >= 0:
            self.remaining = self.pack.progress
        else:
            self.remaining = None


class RedeemDone(ModelView):
    "Session Redeemed"
    __name__ = 'clinic.pack.redeem.done'

    pack = fields.Many2One('clinic.pack', "Pack", readonly=True)
    message = fields.Text("Redeemed", readonly=True)
    remaining = fields.Char("Pack", readonly=True)


class Redeem(GroupWizardMixin, Wizard):
    """Redeem a session from a patient's pack.

    Opened from a pack or from a patient; proposes the eligible pack that
    expires first and goes through the redemption's `do` transition, then
    says which session it was ("session 3 of 6").
    """
    __name__ = 'clinic.pack.redeem'
    start = StateView('clinic.pack.redeem.start',
        'clinic_packs.redeem_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Redeem", 'redeem', 'tryton-ok', default=True),
            ])
    redeem = StateTransition()
    done = StateView('clinic.pack.redeem.done',
        'clinic_packs.redeem_done_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    def default_start(self, fields):
        pool = Pool()
        Date = pool.get('ir.date')
        values = {
            'date': Date.today(),
            'quantity': 1,
            'company': Transaction().context.get('company'),
            }
        if self.model and self.model.__name__ == 'clinic.pack' and self.record:
            pack = self.record
            values.update({
                    'party': pack.party.id,
                    'company': pack.company.id,
                    'pack': pack.id,
                    'remaining': pack.progress,
                    })
            services = pack.template.services
            if len(services) == 1:
                values['product'] = services[0].id
                values['uom'] = services[0].default_uom.id
                values['eligible_packs'] = [pack.id]
        elif (self.model and self.model.__name__ == 'party.party'
                and self.record):
            values['party'] = self.record.id
        return values

    def transition_redeem(self):
        pool = Pool()
        Redemption = pool.get('clinic.pack.redemption')
        start = self.start
        if not start.pack:
            raise RedemptionError(start.explanation or gettext(
                    'clinic_packs.msg_redeem_none_eligible',
                    party=start.party.rec_name,
                    product=start.product.rec_name))
        redemption = Redemption(
            pack=start.pack,
            party=start.party,
            company=start.pack.company,
            date=start.date,
            product=start.product,
            quantity=start.quantity,
            uom=start.uom,
            employee=start.employee)
        redemption.save()
        Redemption.do([redemption])
        self.done.pack = redemption.pack
        self.done.message = gettext('clinic_packs.msg_redeem_done',
            service=redemption.product.rec_name,
            pack=redemption.pack.rec_name,
            progress=redemption.sequence_label)
        self.done.remaining = redemption.pack.progress
        return 'done'

    def default_done(self, fields):
        return {
            'pack': self.done.pack.id if self.done.pack else None,
            'message': self.done.message,
            'remaining': self.done.remaining,
            }

    def end(self):
        return 'reload'
