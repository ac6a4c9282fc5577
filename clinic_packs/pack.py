# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Packs: what a patient bought, its balance and its life from issue to close."
import datetime as dt
from decimal import Decimal

from sql import Literal
from sql.conditionals import Coalesce

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

from . import compat, guard, value
from .reminder import ReminderMixin
from .exceptions import (
    PackAccessError, PackError, RedemptionError)
from .template import MAX_AMOUNT, MAX_QUANTITY, UNITS


STATES = [
    ('draft', "Draft"),
    ('active', "Active"),
    ('exhausted', "Exhausted"),
    ('expired', "Expired"),
    ('refunded', "Refunded"),
    ('cancelled', "Cancelled"),
    ('merged', "Merged"),
    ]
QUANTITY_DIGITS = (16, 4)


class Pack(
        ReminderMixin, guard.WorkflowGuardMixin, Workflow, ModelSQL,
        ModelView):
    "Pack"
    __name__ = 'clinic.pack'
    _rec_name = 'number'

    _draft = {'readonly': Eval('state') != 'draft'}

    number = fields.Char("Number", readonly=True)
    company = fields.Many2One(
        'company.company', "Company", required=True, states=_draft)
    party = fields.Many2One(
        'party.party', "Patient", required=True, states=_draft,
        context={'company': Eval('company', -1)}, depends=['company'])
    template = fields.Many2One(
        'clinic.pack.template', "Template", required=True, states=_draft,
        domain=[('company', '=', Eval('company', -1))])
    unit = fields.Function(
        fields.Selection(UNITS, "Unit"), 'on_change_with_unit')
    unit_string = unit.translated('unit')
    currency = fields.Many2One(
        'currency.currency', "Currency", required=True, states=_draft)
    state = fields.Selection(
        STATES, "State", readonly=True, required=True, sort=False)
    state_string = state.translated('state')
    start_date = fields.Date("Start Date", required=True, states=_draft)
    expiry_date = fields.Date(
        "Expiry Date", states=_draft,
        domain=['OR',
            ('expiry_date', '=', None),
            ('expiry_date', '>=', Eval('start_date', None)),
            ],
        help="The last day the pack is valid; empty for no expiry.")
    grace_end_date = fields.Function(
        fields.Date("Grace End Date",
            help="The last day a session can still be redeemed."),
        'get_grace_end_date')
    quantity = fields.Numeric(
        "Quantity", digits=QUANTITY_DIGITS, required=True,
        states={
            'readonly': Eval('state') != 'draft',
            # Screens show quantity_text once the pack is issued.
            'invisible': Eval('state') != 'draft',
            },
        domain=[('quantity', '>', 0)],
        help="N: the units of the pack, bonus included.")
    redeemed_quantity = fields.Numeric(
        "Redeemed Quantity", digits=QUANTITY_DIGITS, readonly=True,
        required=True)
    remaining_quantity = fields.Numeric(
        "Remaining Quantity", digits=QUANTITY_DIGITS, readonly=True,
        required=True)
    amount = Monetary(
        "Amount", currency='currency', digits='currency', required=True,
        states=_draft, domain=[('amount', '>=', 0)],
        help="P: the price paid, excluding tax, in company currency.")
    remaining_amount = Monetary(
        "Remaining Value", currency='currency', digits='currency',
        readonly=True, required=True,
        help="G: the value still owed to the patient (contract liability).")
    unit_value = fields.Numeric(
        "Unit Value", readonly=True,
        help="k: the value of one unit, kept unrounded.")
    progress = fields.Function(
        fields.Char("Progress"), 'get_progress')
    quantity_text = fields.Function(
        fields.Char("Units",
            help="The units of the pack, bonus included: sessions, hours "
            "or money."),
        'get_quantity_text')
    redeemed_text = fields.Function(
        fields.Char("Used", help="The units used so far."),
        'get_quantity_text')
    remaining_text = fields.Function(
        fields.Char("Left", help="The units left to use."),
        'get_quantity_text')
    unit_price = fields.Function(Monetary(
            "Value per Unit", currency='currency', digits='currency',
            help="The value of one unit, rounded (the pack keeps it "
            "unrounded)."),
        'get_unit_price')
    invoice = fields.Function(
        fields.Many2One('account.invoice', "Invoice",
            help="The customer invoice that sold the pack."),
        'get_invoice', searcher='search_invoice')
    transferable = fields.Function(
        fields.Boolean("Transferable"), 'on_change_with_transferable')
    invoiced = fields.Function(
        fields.Boolean("Invoiced"), 'get_invoiced')
    refund_quote = fields.Function(Monetary(
            "Refund Quote", currency='currency', digits='currency',
            help="What the patient would get back today under the "
            "template's refund policy."),
        'get_refund_quote')
    funder = fields.Many2One(
        'party.party', "Funder", states=_draft,
        context={'company': Eval('company', -1)}, depends=['company'],
        help="The insurer or agency paying for the pack.")
    funder_reference = fields.Char(
        "Funder Reference", states=_draft,
        help="The referral or approval number.")
    funder_start_date = fields.Date(
        "Approved From", states=_draft)
    funder_end_date = fields.Date(
        "Approved Until", states=_draft,
        domain=['OR',
            ('funder_end_date', '=', None),
            ('funder_start_date', '=', None),
            ('funder_end_date', '>=', Eval('funder_start_date', None)),
            ])
    origin = fields.Reference(
        "Origin", selection='get_origin', readonly=True)
    consent = fields.Many2One(
        'clinic.consent', "Consent", states=_draft,
        domain=[
            ('party', '=', Eval('party', -1)),
            ('state', '=', 'signed'),
            ])
    redemptions = fields.One2Many(
        'clinic.pack.redemption', 'pack', "Redemptions", readonly=True)
    merged_into = fields.Many2One(
        'clinic.pack', "Merged Into", readonly=True)
    merged_from = fields.One2Many(
        'clinic.pack', 'merged_into', "Merged From", readonly=True)
    events = fields.One2Many(
        'clinic.pack.event', 'pack', "History", readonly=True)
    reminder_sent = fields.Many2One(
        'ir.email', "Reminder Sent", readonly=True,
        help="The expiry reminder email, sent once per pack.")
    note = fields.Text("Note")

    del _draft

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.party, Index.Equality()),
                    (t.state, Index.Equality())),
                Index(t, (t.expiry_date, Index.Range()),
                    where=t.state.in_(['active', 'expired'])),
                Index(t, (t.origin, Index.Equality())),
                })
        cls._order = [
            ('start_date', 'DESC NULLS FIRST'),
            ('id', 'DESC'),
            ]
        cls._transitions |= {
            ('draft', 'active'),
            ('draft', 'cancelled'),
            ('active', 'cancelled'),
            ('active', 'exhausted'),
            ('exhausted', 'active'),
            ('active', 'expired'),
            ('expired', 'active'),
            ('active', 'merged'),
            ('draft', 'refunded'),
            ('active', 'refunded'),
            ('expired', 'refunded'),
            }
        cls._buttons.update({
                'activate': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-forward',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': ~Eval('state').in_(['draft', 'active']),
                    # Used packs keep their history; invoiced packs are
                    # cancelled by crediting their invoice (button help).
                    'readonly': (Eval('redeemed_quantity', 0) != 0)
                    | Eval('invoiced', False),
                    'icon': 'tryton-cancel',
                    'depends': ['state', 'redeemed_quantity', 'invoiced'],
                    },
                'redeem': {
                    'invisible': ~Eval('state').in_(['active', 'expired']),
                    'readonly': Eval('remaining_quantity', 0) <= 0,
                    'icon': 'tryton-ok',
                    'depends': ['state', 'remaining_quantity'],
                    },
                'extend': {
                    'invisible': ~Eval('state').in_(
                        ['active', 'expired', 'exhausted']),
                    'icon': 'tryton-date',
                    'depends': ['state'],
                    },
                'transfer': {
                    'invisible': ~Eval('state').in_(['draft', 'active']),
                    'readonly': ~Eval('transferable', False),
                    'icon': 'tryton-switch',
                    'depends': ['state', 'transferable'],
                    },
                'refund': {
                    'invisible': ~Eval('state').in_(
                        ['draft', 'active', 'expired']),
                    'icon': 'tryton-undo',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def _get_origin(cls):
        "Return the models a pack can originate from."
        return ['account.invoice.line', 'clinic.pack']

    @classmethod
    def get_origin(cls):
        pool = Pool()
        IrModel = pool.get('ir.model')
        get_name = IrModel.get_name
        models = cls._get_origin()
        return [(None, '')] + [(m, get_name(m)) for m in models]

    @staticmethod
    def default_company():
        return Transaction().context.get('company')

    @classmethod
    def default_currency(cls):
        pool = Pool()
        Company = pool.get('company.company')
        company = cls.default_company()
        if company is not None and company >= 0:
            return Company(company).currency.id

    @staticmethod
    def default_state():
        return 'draft'

    @classmethod
    def default_start_date(cls):
        return Pool().get('ir.date').today()

    @staticmethod
    def default_redeemed_quantity():
        return Decimal(0)

    @staticmethod
    def default_remaining_quantity():
        return Decimal(0)

    @staticmethod
    def default_remaining_amount():
        return Decimal(0)

    @fields.depends('template')
    def on_change_with_unit(self, name=None):
        if self.template:
            return self.template.unit

    @fields.depends('company')
    def on_change_company(self):
        if self.company:
            self.currency = self.company.currency

    @fields.depends('template', 'start_date', 'quantity', 'company')
    def on_change_template(self):
        if not self.template:
            return
        self.quantity = self.template.total_quantity
        product = self.template.product
        list_price = compat.list_price(product)
        if list_price is not None:
            self.amount = list_price
        if self.start_date:
            self.expiry_date = self.template.compute_expiry_date(
                self.start_date)

    @fields.depends('template', 'start_date')
    def on_change_start_date(self):
        if self.template and self.start_date:
            self.expiry_date = self.template.compute_expiry_date(
                self.start_date)

    @fields.depends('template')
    def on_change_with_transferable(self, name=None):
        return bool(self.template and self.template.transferable)

    def get_invoiced(self, name):
        return bool(self.origin
            and self.origin.__name__ == 'account.invoice.line')

    @classmethod
    def get_invoice(cls, packs, name):
        # The line's invoice is read without the user's access: the front
        # desk sees which invoice sold a pack.
        pool = Pool()
        Line = pool.get('account.invoice.line')
        result = {p.id: None for p in packs}
        lines = {p.id: int(str(p.origin).split(',')[1]) for p in packs
            if p.origin and str(p.origin).startswith(
                'account.invoice.line,')}
        with without_check_access():
            invoices = {l.id: l.invoice.id for l in Line.browse(
                    [i for i in set(lines.values()) if i >= 0])
                if l.invoice}
        for pack_id, line_id in lines.items():
            result[pack_id] = invoices.get(line_id)
        return result

    @classmethod
    def search_invoice(cls, name, clause):
        nested = clause[0][len(name):]
        return [('origin.invoice' + nested, *clause[1:3],
                'account.invoice.line')]

    def get_quantity_text(self, name):
        quantity = getattr(self, {
                'quantity_text': 'quantity',
                'redeemed_text': 'redeemed_quantity',
                'remaining_text': 'remaining_quantity',
                }[name])
        if quantity is None or not self.template:
            return ''
        return self.format_units(quantity)

    def get_unit_price(self, name):
        if self.unit_value is not None and self.currency:
            return self.currency.round(self.unit_value)

    def format_units(self, quantity):
        """Format a quantity for the screens: whole sessions, hours and
        minutes, or currency."""
        if self.unit == 'money':
            lang = Pool().get('ir.lang').get()
            return lang.currency(quantity, self.currency)
        if self.unit == 'hour':
            minutes = int((Decimal(quantity) * 60).quantize(Decimal(1)))
            hours, minutes = divmod(abs(minutes), 60)
            sign = '-' if quantity < 0 else ''
            if not minutes:
                return '%s%s h' % (sign, hours)
            if not hours:
                return '%s%s min' % (sign, minutes)
            return '%s%s h %02d min' % (sign, hours, minutes)
        return self.format_quantity(quantity)

    def get_grace_end_date(self, name):
        if self.expiry_date:
            grace = self.template.grace_days or 0
            return self.expiry_date + dt.timedelta(days=grace)

    @classmethod
    def _unit_names(cls):
        return {
            'session': (gettext('clinic_packs.msg_unit_session'),
                gettext('clinic_packs.msg_unit_sessions')),
            'hour': (gettext('clinic_packs.msg_unit_hour'),
                gettext('clinic_packs.msg_unit_hours')),
            'money': ('', ''),
            }

    def format_quantity(self, quantity):
        "Format a quantity of the pack's units for people."
        if self.unit == 'money':
            lang = Pool().get('ir.lang').get()
            return lang.currency(quantity, self.currency)
        quantity = Decimal(quantity).normalize()
        if quantity == quantity.to_integral():
            quantity = quantity.quantize(1)
        return str(quantity)

    def _unit_label(self):
        singular, plural = self._unit_names()[self.unit]
        return singular if self.quantity == 1 else plural

    def get_progress(self, name):
        "For example '3 of 6 sessions used'."
        if self.quantity is None:
            return ''
        return gettext('clinic_packs.msg_pack_progress',
            used=self.format_quantity(self.redeemed_quantity or 0),
            total=self.format_quantity(self.quantity),
            unit=self._unit_label()).replace('  ', ' ')

    def progress_label(self):
        "For example 'session 3 of 6', after a redemption."
        if self.unit == 'session':
            return gettext('clinic_packs.msg_pack_session_of',
                used=self.format_quantity(self.redeemed_quantity),
                total=self.format_quantity(self.quantity))
        return gettext('clinic_packs.msg_pack_remaining',
            remaining=self.format_quantity(self.remaining_quantity),
            total=self.format_quantity(self.quantity),
            unit=self._unit_label()).replace('  ', ' ')

    def get_refund_quote(self, name):
        if self.state not in {'draft', 'active', 'expired'}:
            return Decimal(0)
        list_price = self.refund_list_price()
        return value.refund_quote(
            self.template.refund_policy, self.amount or 0,
            self._refundable_amount(), self.redeemed_quantity or 0,
            list_price, digits=self.currency.digits)

    def _refundable_amount(self):
        "The value a refund is drawn from (G, or P for a draft pack)."
        if self.state == 'draft':
            return self.amount or Decimal(0)
        return self.remaining_amount or Decimal(0)

    def refund_list_price(self):
        "L: the list price of one unit, for the list_price refund policy."
        if self.unit == 'money':
            return Decimal(1)
        products = list(self.template.services)
        if products:
            return compat.list_price(products[0]) or Decimal(0)
        # Without a named service, one unit is worth the pack's price over
        # the units bought (bonus units excluded).
        bought = self.template.quantity or 1
        return (compat.list_price(self.template.product) or 0) / bought

    @classmethod
    def validate_fields(cls, packs, field_names):
        super().validate_fields(packs, field_names)
        cls.check_bounds(packs, field_names)

    @classmethod
    def check_bounds(cls, packs, field_names=None):
        "A starting balance within what a clinic can mean."
        if field_names and not (field_names & {'quantity', 'amount'}):
            return
        for pack in packs:
            guard.check_number(pack, 'quantity', pack.quantity, MAX_QUANTITY)
            guard.check_number(pack, 'amount', pack.amount, MAX_AMOUNT)

    @classmethod
    def _workflow_fields(cls):
        return super()._workflow_fields() | {
            'number', 'origin', 'redeemed_quantity', 'remaining_quantity',
            'remaining_amount', 'unit_value', 'merged_into', 'merged_from',
            'redemptions', 'events', 'reminder_sent'}

    @classmethod
    def _transition_fields(cls):
        # extend_expiry, transfer_to and set_issue_price
        return super()._transition_fields() | {
            'expiry_date', 'quantity', 'party', 'consent', 'amount'}

    @classmethod
    def _correctable_fields(cls):
        return super()._correctable_fields() | {'note', 'funder_reference'}

    @classmethod
    def create(cls, vlist):
        pool = Pool()
        Configuration = pool.get('clinic.pack.configuration')
        cls.check_create(vlist)
        configuration = Configuration(1)
        vlist = [v.copy() for v in vlist]
        for values in vlist:
            if not values.get('number'):
                # Each company numbers its packs with its own sequence.
                values['number'] = configuration.get_multivalue(
                    'pack_sequence',
                    company=values.get('company', cls.default_company())
                    ).get()
            values['redeemed_quantity'] = Decimal(0)
            # A draft's balance follows its (custom) starting balance.
            if values.get('quantity') is not None:
                values['remaining_quantity'] = values['quantity']
            if values.get('amount') is not None:
                values['remaining_amount'] = values['amount']
        return super().create(vlist)

    @classmethod
    def write(cls, *args):
        actions = iter(args)
        args = []
        for packs, values in zip(actions, actions):
            cls.check_modify(packs, values)
            if {'quantity', 'amount'} & values.keys():
                drafts = [p for p in packs if p.state == 'draft']
                others = [p for p in packs if p.state != 'draft']
                if drafts:
                    # A draft's balance follows its (custom) starting
                    # balance; named methods set the others' themselves.
                    draft_values = values.copy()
                    if 'quantity' in values:
                        draft_values['remaining_quantity'] = values['quantity']
                    if 'amount' in values:
                        draft_values['remaining_amount'] = values['amount']
                    args.extend((drafts, draft_values))
                if others:
                    args.extend((others, values))
            else:
                args.extend((packs, values))
        if args:
            super().write(*args)

    @classmethod
    def delete(cls, packs):
        for pack in packs:
            if pack.state != 'draft' or pack.origin:
                raise PackAccessError(gettext(
                        'clinic_packs.msg_pack_delete',
                        pack=pack.rec_name))
        super().delete(packs)

    @classmethod
    def copy(cls, packs, default=None):
        default = default.copy() if default is not None else {}
        for name in ['number', 'redemptions', 'events', 'origin',
                'merged_into', 'merged_from', 'reminder_sent', 'consent']:
            default.setdefault(name, None)
        default.setdefault('state', 'draft')
        default.setdefault('redeemed_quantity', Decimal(0))
        default.setdefault('remaining_quantity', None)
        default.setdefault('remaining_amount', None)
        default.setdefault('unit_value', None)
        return super().copy(packs, default=default)

    def check_consent(self):
        "Find and link the signed consent the template requires."
        pool = Pool()
        Consent = pool.get('clinic.consent')
        self.consent = Consent.check_for(self, self.template.consent_template)

    @classmethod
    @ModelView.button
    def activate(cls, packs):
        "Activate draft packs, once any consent they need is signed."
        packs = cls._lock_modified(packs)
        for pack in packs:
            if pack.state != 'draft':
                raise PackError(gettext(
                        'clinic_packs.msg_pack_not_draft',
                        pack=pack.rec_name, state=pack.state_string))
        cls._activate(packs)

    @classmethod
    @Workflow.transition('active')
    def _activate(cls, packs):
        for pack in packs:
            pack.check_consent()
            pack.redeemed_quantity = Decimal(0)
            pack.remaining_quantity = pack.quantity
            pack.remaining_amount = pack.amount
            pack.unit_value = value.unit_value(pack.amount, pack.quantity)
            if not pack.expiry_date:
                pack.expiry_date = pack.template.compute_expiry_date(
                    pack.start_date)
        cls.save(packs)

    @classmethod
    def activate_if_ready(cls, packs):
        "Activate the packs that need no consent or whose consent is signed."
        pool = Pool()
        Consent = pool.get('clinic.consent')
        ready = []
        for pack in packs:
            required = pack.template.consent_template
            if required and not pack.consent:
                pack.consent = Consent.find_signed(pack.party, required)
                if not pack.consent:
                    continue
            ready.append(pack)
        if ready:
            cls.save(ready)
            cls.activate(ready)
        return ready

    @classmethod
    @ModelView.button
    def cancel(cls, packs):
        """Cancel unused packs.

        A pack sold on an invoice is cancelled by crediting the invoice, so
        that the receivable is cancelled with it (cancel_credited).
        """
        packs = cls._lock_modified(packs)
        for pack in packs:
            if pack.state not in {'draft', 'active'}:
                raise PackError(gettext(
                        'clinic_packs.msg_pack_cancel_state',
                        pack=pack.rec_name, state=pack.state_string))
            if (pack.origin
                    and pack.origin.__name__ == 'account.invoice.line'):
                raise PackError(gettext(
                        'clinic_packs.msg_pack_cancel_invoiced',
                        pack=pack.rec_name,
                        invoice=pack.origin.invoice.rec_name))
        cls._cancel(packs)

    @classmethod
    def cancel_credited(cls, packs):
        "Cancel the unused packs whose invoice line was credited."
        cls._cancel(cls._lock_modified(packs))

    @classmethod
    @Workflow.transition('cancelled')
    def _cancel(cls, packs):
        for pack in packs:
            if pack.redeemed_quantity:
                raise PackError(gettext(
                        'clinic_packs.msg_pack_cancel_used',
                        pack=pack.rec_name))
        for pack in packs:
            pack.remaining_amount = pack.currency.round(Decimal(0))
            pack.remaining_quantity = Decimal(0)
        cls.save(packs)

    @classmethod
    @ModelView.button_action('clinic_packs.wizard_redeem')
    def redeem(cls, packs):
        pass

    @classmethod
    @Workflow.transition('exhausted')
    def exhaust(cls, packs):
        "Close packs whose last unit was used."
        pass

    @classmethod
    @Workflow.transition('active')
    def reopen(cls, packs):
        "Reopen packs that got units back (cancelled redemption, extension)."
        pass

    @classmethod
    @Workflow.transition('expired')
    def expire(cls, packs):
        "Expire packs past their grace period; hook for breakage."
        pass

    @classmethod
    def expire_packs(cls, date=None):
        "Cron: expire active packs whose grace period has ended."
        pool = Pool()
        Date = pool.get('ir.date')
        if date is None:
            date = Date.today()
        # The grace period is filtered in SQL and the packs are instantiated
        # a slice at a time, as the host's crons do: the ORM's work per pack
        # then stays the same whatever the number due.
        ids = cls.expire_due(date)
        for sub_ids in _chunks(ids, 500):
            cls.expire(cls.browse(sub_ids))
        return cls.browse(ids)

    @classmethod
    def expire_due(cls, date):
        """Return the ids of the active packs whose grace period ended
        before date, expiring first first, of the context's company when
        there is one.

        The partial index on expiry_date keeps this proportional to the
        packs due (no template grants more grace than the longest)."""
        pool = Pool()
        Template = pool.get('clinic.pack.template')
        pack = cls.__table__()
        template = Template.__table__()
        cursor = Transaction().connection.cursor()
        # One bound per grace period in use (a handful): date arithmetic on
        # columns is not portable across backends.
        grace = Coalesce(template.grace_days, 0)
        cursor.execute(*template.select(grace, distinct=True))
        due = Literal(False)
        for days, in cursor.fetchall():
            due |= ((grace == days)
                & (pack.expiry_date < date - dt.timedelta(days=days)))
        where = (pack.state == 'active') & (pack.expiry_date < date) & due
        # The cron runs once per company, with it in the context.
        company = Transaction().context.get('company')
        if company is not None:
            where &= pack.company == company
        cursor.execute(*pack
            .join(template, condition=pack.template == template.id)
            .select(pack.id,
                where=where, order_by=[pack.expiry_date.asc, pack.id.asc]))
        return [i for i, in cursor]

    def check_redeemable(self, redemption, units):
        "Raise if redemption cannot draw units from this pack."
        date = redemption.date
        if self.state not in {'active', 'expired'} or (
                self.state == 'expired'
                and self.grace_end_date and date > self.grace_end_date):
            raise RedemptionError(gettext(
                    'clinic_packs.msg_redemption_pack_state',
                    pack=self.rec_name,
                    state=self.state_string))
        if self.party != redemption.party:
            raise RedemptionError(gettext(
                    'clinic_packs.msg_redemption_party',
                    pack=self.rec_name, party=redemption.party.rec_name))
        if date < self.start_date or (
                self.grace_end_date and date > self.grace_end_date):
            raise RedemptionError(gettext(
                    'clinic_packs.msg_redemption_date',
                    pack=self.rec_name, date=date,
                    start=self.start_date,
                    end=self.grace_end_date))
        if self.funder and (
                (self.funder_start_date and date < self.funder_start_date)
                or (self.funder_end_date and date > self.funder_end_date)):
            raise RedemptionError(gettext(
                    'clinic_packs.msg_redemption_funder_date',
                    pack=self.rec_name, funder=self.funder.rec_name,
                    date=date, start=self.funder_start_date or '',
                    end=self.funder_end_date or ''))
        if not self.template.is_eligible(redemption.product):
            raise RedemptionError(gettext(
                    'clinic_packs.msg_redemption_service',
                    pack=self.rec_name,
                    product=redemption.product.rec_name))
        if units <= 0:
            raise RedemptionError(gettext(
                    'clinic_packs.msg_redemption_quantity_positive',
                    pack=self.rec_name))
        if units > self.remaining_quantity:
            message = ('clinic_packs.msg_redemption_funder_cap'
                if self.funder else 'clinic_packs.msg_redemption_too_much')
            raise RedemptionError(gettext(
                    message,
                    pack=self.rec_name,
                    funder=self.funder.rec_name if self.funder else '',
                    quantity=self.format_quantity(units),
                    remaining=self.format_quantity(self.remaining_quantity)))

    @classmethod
    def find_eligible(cls, party, product, date, company=None):
        "Return the packs that can pay for product, expiring first first."
        domain = [
            ('party', '=', party.id),
            ('state', 'in', ['active', 'expired']),
            ('remaining_quantity', '>', 0),
            ['OR',
                ('expiry_date', '=', None),
                ('expiry_date', '>=',
                    date - dt.timedelta(days=_max_grace())),
                ],
            ('start_date', '<=', date),
            ]
        if company:
            domain.append(('company', '=', company.id))
        packs = cls.search(domain, order=[
                ('expiry_date', 'ASC NULLS LAST'), ('id', 'ASC')])
        return [p for p in packs
            if p.template.is_eligible(product)
            and (not p.grace_end_date or date <= p.grace_end_date)
            and (p.state == 'active' or p.grace_end_date)]

    @classmethod
    @ModelView.button_action('clinic_packs.wizard_extend')
    def extend(cls, packs):
        pass

    @classmethod
    @ModelView.button_action('clinic_packs.wizard_transfer')
    def transfer(cls, packs):
        pass

    @classmethod
    @ModelView.button_action('clinic_packs.wizard_refund')
    def refund(cls, packs):
        pass

    @classmethod
    def _lock_modified(cls, packs):
        """Lock the packs' rows and return them re-read, in the order given.

        Every change of a pack's balances starts here: it checks that the
        packs are of the user's companies and waits for other requests."""
        packs = guard.lock(cls, packs)
        guard.check_company(packs)
        return packs

    @classmethod
    def set_issue_price(cls, packs, amounts):
        """Set the price P of packs just issued with no unit used.

        For example the share of a membership fee that an allotment pack
        carries: P = G = amount and k = P / N."""
        packs = cls._lock_modified(packs)
        for pack, amount in zip(packs, amounts):
            if pack.redeemed_quantity or pack.state not in {'draft', 'active'}:
                raise PackError(gettext(
                        'clinic_packs.msg_pack_price_used',
                        pack=pack.rec_name))
            pack.amount = amount
            pack.remaining_amount = amount
            if pack.state == 'active':
                pack.unit_value = value.unit_value(amount, pack.quantity)
        cls.save(packs)

    @classmethod
    def extend_expiry(cls, packs, date, reason, extra_quantity=0):
        """Move the expiry of packs to date, optionally adding free units.

        Nothing is posted: the value still held is spread over the units now
        remaining (k = G / R).  An expired pack whose new grace period runs
        to today or later becomes active again, and so does an exhausted pack
        given units.  Every pack gets an extension event naming the user and
        the reason.
        """
        pool = Pool()
        Event = pool.get('clinic.pack.event')
        packs = cls._lock_modified(packs)
        reason = (reason or '').strip()
        extra = Decimal(str(extra_quantity or 0))
        for pack in packs:
            if pack.state not in {'active', 'expired', 'exhausted'}:
                raise PackError(gettext(
                        'clinic_packs.msg_extend_state',
                        pack=pack.rec_name, state=pack.state_string))
            if not date:
                raise PackError(gettext(
                        'clinic_packs.msg_extend_no_date',
                        pack=pack.rec_name))
            if pack.expiry_date and date <= pack.expiry_date:
                raise PackError(gettext(
                        'clinic_packs.msg_extend_earlier',
                        pack=pack.rec_name, date=date,
                        expiry=pack.expiry_date))
            if date < pack.start_date:
                raise PackError(gettext(
                        'clinic_packs.msg_extend_before_start',
                        pack=pack.rec_name, date=date,
                        start=pack.start_date))
            if extra < 0:
                raise PackError(gettext(
                        'clinic_packs.msg_extend_quantity_negative',
                        pack=pack.rec_name))
            if not reason:
                raise PackError(gettext(
                        'clinic_packs.msg_extend_reason',
                        pack=pack.rec_name))
        events, reopen = [], []
        for pack in packs:
            today = guard.company_today(pack.company)
            events.append(pack.add_event('extension',
                    reason=reason,
                    previous_expiry_date=pack.expiry_date,
                    new_expiry_date=date,
                    quantity=extra or None))
            pack.expiry_date = date
            if extra:
                pack.quantity += extra
                pack.remaining_quantity += extra
            if pack.remaining_quantity > 0:
                pack.unit_value = value.rebase_unit_value(
                    pack.remaining_amount, pack.remaining_quantity)
                grace_end = date + dt.timedelta(
                    days=pack.template.grace_days or 0)
                if (pack.state == 'exhausted'
                        or (pack.state == 'expired' and grace_end >= today)):
                    reopen.append(pack)
        cls.save(packs)
        Event.save(events)
        if reopen:
            cls.reopen(reopen)

    @classmethod
    def check_merge(cls, packs):
        "Raise unless packs can be pooled into one pack."
        if len(packs) < 2:
            raise PackError(gettext('clinic_packs.msg_merge_count'))
        first = packs[0]
        for pack in packs:
            if pack.state != 'active':
                raise PackError(gettext(
                        'clinic_packs.msg_merge_state',
                        pack=pack.rec_name, state=pack.state_string))
            if pack.funder:
                raise PackError(gettext(
                        'clinic_packs.msg_merge_funder',
                        pack=pack.rec_name, funder=pack.funder.rec_name))
            other = dict(pack=pack.rec_name, other=first.rec_name)
            if pack.party != first.party:
                raise PackError(gettext(
                        'clinic_packs.msg_merge_party',
                        party=pack.party.rec_name,
                        other_party=first.party.rec_name, **other))
            if pack.unit != first.unit:
                raise PackError(gettext(
                        'clinic_packs.msg_merge_unit',
                        unit=pack.unit_string,
                        other_unit=first.unit_string, **other))
            if pack.company != first.company:
                raise PackError(gettext(
                        'clinic_packs.msg_merge_company',
                        company=pack.company.rec_name,
                        other_company=first.company.rec_name, **other))
            if pack.currency != first.currency:
                raise PackError(gettext(
                        'clinic_packs.msg_merge_currency',
                        currency=pack.currency.rec_name,
                        other_currency=first.currency.rec_name, **other))

    @classmethod
    def merge_template(cls, packs):
        "The template a merge keeps by default: the pack expiring last's."
        latest = max(packs, key=lambda p: (
                p.expiry_date is None, p.expiry_date or dt.date.min, p.id))
        return latest.template

    @classmethod
    def merge(cls, packs, template=None, reason=None):
        """Pool the units and value left on packs into a new active pack.

        The new pack has N = R = the sum of R, P = G = the sum of G and
        k = G / R; it starts today, expires when the last source does and
        keeps template (by default the template of the pack expiring last).
        The sources end merged with nothing left but keep their redemptions,
        reachable from the new pack's merged_from.  Nothing is posted: the
        liability only moves between packs.  Return the new pack.
        """
        pool = Pool()
        Event = pool.get('clinic.pack.event')
        packs = cls._lock_modified(packs)
        cls.check_merge(packs)
        first = packs[0]
        if template is None:
            template = cls.merge_template(packs)
        elif template not in {p.template for p in packs}:
            raise PackError(gettext(
                    'clinic_packs.msg_merge_template',
                    template=template.rec_name))
        today = guard.company_today(first.company)
        if any(p.expiry_date is None for p in packs):
            expiry_date = None
        else:
            expiry_date = max(p.expiry_date for p in packs)
        consents = [p.consent for p in packs
            if p.template == template and p.consent]
        merged = cls(
            company=first.company,
            party=first.party,
            template=template,
            currency=first.currency,
            # A source still in its grace period may have expired already.
            start_date=(min(today, expiry_date) if expiry_date else today),
            expiry_date=expiry_date,
            quantity=sum(p.remaining_quantity for p in packs),
            amount=sum(p.remaining_amount for p in packs),
            origin=first,
            consent=consents[0] if consents else None)
        merged.save()
        cls.activate([merged])
        if expiry_date is None and merged.expiry_date:
            # activate gives a pack without expiry the template's validity.
            merged.expiry_date = None
        merged.unit_value = value.rebase_unit_value(
            merged.remaining_amount, merged.remaining_quantity)
        merged.save()

        events = []
        for pack in packs:
            # The value each source hands over, for the roll-forward.
            events.append(pack.add_event('merge', reason=reason,
                    related_pack=merged, amount=pack.remaining_amount))
            events.append(merged.add_event('merge', reason=reason,
                    related_pack=pack, amount=pack.remaining_amount))
            pack.merged_into = merged
            pack.remaining_quantity = Decimal(0)
            pack.remaining_amount = Decimal(0)
        cls.save(packs)
        Event.save(events)
        cls.close_merged(packs)
        return merged

    @classmethod
    @Workflow.transition('merged')
    def close_merged(cls, packs):
        "End the source packs of a merge."
        pass

    def check_refund(self):
        "Raise unless the pack can be refunded today."
        if self.state == 'refunded':
            raise PackError(gettext(
                    'clinic_packs.msg_refund_refunded',
                    pack=self.rec_name))
        if self.state not in {'draft', 'active', 'expired'}:
            raise PackError(gettext(
                    'clinic_packs.msg_refund_state',
                    pack=self.rec_name, state=self.state_string))
        if self.state == 'draft' and not self.origin:
            raise PackError(gettext(
                    'clinic_packs.msg_refund_draft',
                    pack=self.rec_name))
        if self.template.refund_policy == 'none':
            raise PackError(gettext(
                    'clinic_packs.msg_refund_policy_none',
                    pack=self.rec_name, template=self.template.rec_name))
        if not self.get_refund_quote(None):
            raise PackError(gettext(
                    'clinic_packs.msg_refund_nothing',
                    pack=self.rec_name))

    @classmethod
    def refund_packs(cls, packs, reason):
        """Refund packs under their template's policy and end them.

        Each pack gets a posted customer credit note for its refund quote
        (see value.refund_split); the pack ends refunded with nothing left,
        keeping its redemptions, and a refund event records the reason and
        the amount.  Return the credit notes.
        """
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Event = pool.get('clinic.pack.event')
        packs = cls._lock_modified(packs)
        reason = (reason or '').strip()
        for pack in packs:
            pack.check_refund()
            if not reason:
                raise PackError(gettext(
                        'clinic_packs.msg_refund_reason',
                        pack=pack.rec_name))
        amounts = [p.get_refund_quote(None) for p in packs]
        invoices = [p._refund_credit_note(a) for p, a in zip(packs, amounts)]
        # Front desk administrators refund without being accountants.
        with without_check_access():
            Invoice.save(invoices)
            guard.lock_invoice_sequences(invoices)
            Invoice.post(invoices)
        events = []
        for pack, amount in zip(packs, amounts):
            events.append(pack.add_event('refund', reason=reason,
                    amount=amount))
            pack.remaining_quantity = Decimal(0)
            pack.remaining_amount = Decimal(0)
        cls.save(packs)
        Event.save(events)
        cls.close_refunded(packs)
        return invoices

    def _refund_credit_note(self, amount):
        "Return the unsaved customer credit note refunding amount."
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Line = pool.get('account.invoice.line')
        today = guard.company_today(self.company)
        description = gettext('clinic_packs.msg_refund_description',
            pack=self.rec_name)
        invoice = Invoice(
            type='out',
            company=self.company,
            currency=self.currency,
            party=self.party,
            invoice_date=today,
            description=description)
        invoice.on_change_type()
        line = Line(
            invoice=invoice,
            type='line',
            company=self.company,
            currency=self.currency,
            product=self.template.product,
            quantity=-1,
            description=description,
            origin=self)
        line.on_change_product()
        line.unit_price = amount
        invoice.lines = [line]
        return invoice

    @classmethod
    @Workflow.transition('refunded')
    def close_refunded(cls, packs):
        "End refunded packs."
        pass

    @classmethod
    def transfer_to(cls, packs, party, reason):
        """Give packs to another patient.

        Only packs of a transferable template, draft or active, can move.
        A consent belongs to the patient who signed it: when the template
        requires one, the new patient must have signed it already and that
        consent is linked instead.  A transfer event records both patients,
        the user and the reason.
        """
        pool = Pool()
        Consent = pool.get('clinic.consent')
        Event = pool.get('clinic.pack.event')
        packs = cls._lock_modified(packs)
        reason = (reason or '').strip()
        consents = {}
        for pack in packs:
            if not pack.template.transferable:
                raise PackError(gettext(
                        'clinic_packs.msg_transfer_not_transferable',
                        pack=pack.rec_name,
                        template=pack.template.rec_name))
            if pack.state not in {'draft', 'active'}:
                raise PackError(gettext(
                        'clinic_packs.msg_transfer_state',
                        pack=pack.rec_name, state=pack.state_string))
            if pack.party == party:
                raise PackError(gettext(
                        'clinic_packs.msg_transfer_same_party',
                        pack=pack.rec_name, party=party.rec_name))
            if pack.funder:
                raise PackError(gettext(
                        'clinic_packs.msg_transfer_funder',
                        pack=pack.rec_name, funder=pack.funder.rec_name))
            if not reason:
                raise PackError(gettext(
                        'clinic_packs.msg_transfer_reason',
                        pack=pack.rec_name))
            required = pack.template.consent_template
            consent_template = required or (
                pack.consent.template if pack.consent else None)
            consent = None
            if consent_template:
                consent = Consent.find_signed(party, consent_template)
            if required and not consent:
                raise PackError(gettext(
                        'clinic_packs.msg_transfer_consent',
                        pack=pack.rec_name, party=party.rec_name,
                        template=required.rec_name))
            consents[pack.id] = consent
        events = []
        for pack in packs:
            events.append(pack.add_event('transfer',
                    reason=reason, from_party=pack.party, to_party=party))
            pack.party = party
            pack.consent = consents[pack.id]
        cls.save(packs)
        Event.save(events)

    def add_event(self, type_, **values):
        "Record who did what to the pack and why."
        pool = Pool()
        Event = pool.get('clinic.pack.event')
        return Event(pack=self, type=type_, **values)


def _max_grace():
    pool = Pool()
    Template = pool.get('clinic.pack.template')
    template = Template.__table__()
    cursor = Transaction().connection.cursor()
    cursor.execute(*template.select(
            Coalesce(template.grace_days, 0).as_('g'),
            order_by=[Coalesce(template.grace_days, 0).desc], limit=1))
    row = cursor.fetchone()
    return row[0] if row else 0


def _chunks(records, size):
    for i in range(0, len(records), size):
        yield records[i:i + size]
