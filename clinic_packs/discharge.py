# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Discharge with refund: care is complete, the unused units are paid back.

A practitioner or the front desk records that a patient needs no more care
from a pack; the unused value is refunded through the pack's own refund path
(`Pack.refund_packs`, so the credit note and the ledger entries are those of
any refund) and the pack ends refunded, marked as discharged.  Making this
exit as easy as redeeming a session is the answer to packs that nudge
patients into "using up" sessions they no longer need.
"""
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from . import guard
from .exceptions import PackError
from .wizard import GroupWizardMixin, RefundQuoteMixin


class Pack(metaclass=PoolMeta):
    __name__ = 'clinic.pack'

    discharge_date = fields.Date(
        "Discharge Date", readonly=True,
        help="The day the practitioner found the care complete.")
    discharge_reason = fields.Text("Discharge Reason", readonly=True)
    discharge_employee = fields.Many2One(
        'company.employee', "Discharged By", readonly=True,
        help="The practitioner who found the care complete.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'discharge': {
                    'invisible': ~Eval('state').in_(['active', 'expired']),
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def _workflow_fields(cls):
        return super()._workflow_fields() | {
            'discharge_date', 'discharge_reason', 'discharge_employee'}

    @classmethod
    def copy(cls, packs, default=None):
        default = default.copy() if default is not None else {}
        for name in ['discharge_date', 'discharge_reason',
                'discharge_employee']:
            default.setdefault(name, None)
        return super().copy(packs, default=default)

    @classmethod
    @ModelView.button_action('clinic_packs.wizard_discharge')
    def discharge(cls, packs):
        pass

    def check_discharge(self, date, reason):
        "Raise unless the pack can be discharged on date for reason."
        if self.state not in {'active', 'expired'}:
            raise PackError(gettext(
                    'clinic_packs.msg_discharge_state',
                    pack=self.rec_name, state=self.state_string))
        if not date:
            raise PackError(gettext(
                    'clinic_packs.msg_discharge_no_date',
                    pack=self.rec_name))
        if date < self.start_date:
            raise PackError(gettext(
                    'clinic_packs.msg_discharge_before_start',
                    pack=self.rec_name, date=date, start=self.start_date))
        today = guard.company_today(self.company)
        if date > today:
            raise PackError(gettext(
                    'clinic_packs.msg_discharge_future',
                    pack=self.rec_name, date=date, today=today))
        if not reason:
            raise PackError(gettext(
                    'clinic_packs.msg_discharge_reason',
                    pack=self.rec_name))
        # Care complete is a clinical fact: a template refunding nothing
        # (policy "none" or nothing left under its policy) does not stop
        # the discharge, which then closes the pack without a credit note.
        if self.refund_quote:
            self.check_refund()

    @classmethod
    def discharge_packs(cls, packs, date, reason, employee=None):
        """Record that care is complete on date and refund the unused units.

        The refund goes through `refund_packs` under the template's policy
        (credit note, ledger entries, refund event); the pack then ends
        refunded with its discharge date, reason and practitioner, and a
        discharge event.  Return the credit notes.
        """
        pool = Pool()
        Event = pool.get('clinic.pack.event')
        packs = cls._lock_modified(packs)
        reason = (reason or '').strip()
        for pack in packs:
            pack.check_discharge(date, reason)
        quotes = {p.id: p.refund_quote for p in packs}
        refund_reason = gettext(
            'clinic_packs.msg_discharge_refund_reason',
            date=date, reason=reason)
        refunded = [p for p in packs if quotes[p.id]]
        kept = [p for p in packs if not quotes[p.id]]
        invoices = []
        if refunded:
            invoices = cls.refund_packs(refunded, refund_reason)
        if kept:
            # The refund path without its credit note: the modules above
            # (clinic_packs_accounting) earn the unused value as they earn
            # what a refund does not pay back.
            with Transaction().set_context(_clinic_discharge_no_refund=True):
                cls.refund_packs(kept, refund_reason)
        packs = cls.browse(packs)
        events = []
        for pack in packs:
            pack.discharge_date = date
            pack.discharge_reason = reason
            pack.discharge_employee = employee
            events.append(pack.add_event(
                    'discharge', reason=reason, amount=quotes[pack.id]))
        cls.save(packs)
        Event.save(events)
        return invoices

    @classmethod
    def refund_packs(cls, packs, reason):
        if not Transaction().context.get('_clinic_discharge_no_refund'):
            return super().refund_packs(packs, reason)
        # A discharge refunding nothing: close the packs with nothing left,
        # no credit note and no refund event (the discharge event says it).
        packs = cls._lock_modified(packs)
        for pack in packs:
            pack.remaining_quantity = Decimal(0)
            pack.remaining_amount = Decimal(0)
        cls.save(packs)
        cls.close_refunded(packs)
        return []


class PackEvent(metaclass=PoolMeta):
    __name__ = 'clinic.pack.event'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        item = ('discharge', "Discharge")
        if item not in cls.type.selection:
            cls.type.selection = cls.type.selection + [item]


class DischargeStart(RefundQuoteMixin, ModelView):
    "Discharge Pack"
    __name__ = 'clinic.pack.discharge.start'

    company = fields.Many2One('company.company', "Company", readonly=True)
    date = fields.Date(
        "Discharge Date", required=True,
        help="The day care was found complete; not later than today.")
    employee = fields.Many2One(
        'company.employee', "Practitioner",
        domain=[('company', '=', Eval('company', -1))],
        help="The practitioner who found the care complete.")
    reason = fields.Text(
        "Reason", required=True,
        help="Why no more sessions are needed, for example goals met.")
    remaining = fields.Char("Units Left", readonly=True)


class Discharge(GroupWizardMixin, Wizard):
    """Discharge a pack with a refund.

    Shows the refund quote of the unused units under the template's policy;
    once confirmed, refunds it and ends the pack (`Pack.discharge_packs`).
    """
    __name__ = 'clinic.pack.discharge'
    start = StateView('clinic.pack.discharge.start',
        'clinic_packs.discharge_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Discharge and Refund", 'discharge', 'tryton-ok',
                default=True),
            ])
    discharge = StateTransition()

    def default_start(self, fields):
        pool = Pool()
        Employee = pool.get('company.employee')
        packs = list(self.records)
        pack = packs[0]
        today = guard.company_today(pack.company)
        for pack_ in packs:
            if pack_.state not in {'active', 'expired'}:
                raise PackError(gettext(
                        'clinic_packs.msg_discharge_state',
                        pack=pack_.rec_name, state=pack_.state_string))
        values = pool.get('clinic.pack.discharge.start').quote(packs)
        values.update(company=pack.company.id, date=today)
        if len(packs) == 1:
            values['remaining'] = pack.remaining_text
        employee = Transaction().context.get('employee')
        if employee is not None and Employee(employee).company == pack.company:
            values['employee'] = employee
        return values

    def transition_discharge(self):
        Pack = Pool().get('clinic.pack')
        Pack.discharge_packs(
            self.records, self.start.date, self.start.reason,
            employee=self.start.employee)
        return 'end'

    def end(self):
        return 'reload'
