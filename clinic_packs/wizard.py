# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Wizards that modify packs: extend, merge, refund and transfer.

Each wizard only collects the administrator's input and calls the pack's
classmethod doing the work (`extend_expiry`, `merge`, `refund_packs`,
`transfer_to`), so integrators and other modules use and hook the same code.
"""
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.model.exceptions import AccessError
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction
from trytond.wizard import (
    Button, StateAction, StateTransition, StateView, Wizard)

from .pack import QUANTITY_DIGITS
from .template import REFUND_POLICIES, UNIT_DIGITS, UNITS


class GroupWizardMixin:
    "Refuse users outside the groups of the wizard's action."

    @classmethod
    def check_access(cls):
        # Tryton 7.0 formats this message with a key it lacks and so fails
        # with a KeyError instead of the access error.
        pool = Pool()
        ActionWizard = pool.get('ir.action.wizard')
        User = pool.get('res.user')
        transaction = Transaction()
        if transaction.user:
            groups = ActionWizard.get_groups(
                cls.__name__, action_id=transaction.context.get('action_id'))
            if groups and not groups & set(User.get_groups()):
                raise AccessError(gettext(
                        'ir.msg_access_wizard_error', wizard=cls.__name__))
        super().check_access()


class ExtendStart(ModelView):
    "Extend Pack"
    __name__ = 'clinic.pack.extend.start'

    pack = fields.Many2One('clinic.pack', "Pack", readonly=True)
    unit = fields.Selection(UNITS, "Unit", readonly=True)
    expiry_date = fields.Date("Current Expiry", readonly=True)
    date = fields.Date(
        "New Expiry", required=True,
        help="Must be later than the current expiry date.")
    extra_quantity = fields.Numeric(
        "Free Units", digits=UNIT_DIGITS, required=True,
        domain=[('extra_quantity', '>=', 0)],
        help="Goodwill units added at no charge; the value left is spread "
        "over all the units remaining.")
    reason = fields.Text("Reason", required=True)


class Extend(GroupWizardMixin, Wizard):
    """Extend a pack's validity.

    Moves the expiry date (and so the grace period) later, optionally adds
    free units, and records who did it and why.  An expired pack whose new
    grace period is not over is active again.
    """
    __name__ = 'clinic.pack.extend'
    start = StateView('clinic.pack.extend.start',
        'clinic_packs.extend_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Extend", 'extend', 'tryton-ok', default=True),
            ])
    extend = StateTransition()

    def default_start(self, fields):
        values = {'extra_quantity': Decimal(0)}
        if len(self.records) == 1:
            pack = self.record
            values.update({
                    'pack': pack.id,
                    'unit': pack.unit,
                    'expiry_date': pack.expiry_date,
                    })
        return values

    def transition_extend(self):
        Pack = Pool().get('clinic.pack')
        Pack.extend_expiry(
            self.records, self.start.date, self.start.reason,
            extra_quantity=self.start.extra_quantity)
        return 'end'

    def end(self):
        return 'reload'


class MergeStart(ModelView):
    "Merge Packs"
    __name__ = 'clinic.pack.merge.start'

    packs = fields.Many2Many(
        'clinic.pack', None, None, "Packs", readonly=True)
    templates = fields.Many2Many(
        'clinic.pack.template', None, None, "Templates", readonly=True)
    template = fields.Many2One(
        'clinic.pack.template', "Template", required=True,
        domain=[('id', 'in', Eval('templates', []))],
        help="The terms of the merged pack; by default those of the pack "
        "expiring last.")
    currency = fields.Many2One('currency.currency', "Currency", readonly=True)
    quantity = fields.Numeric(
        "Units", digits=QUANTITY_DIGITS, readonly=True,
        help="The units left on the packs, pooled.")
    quantity_text = fields.Char("Units", readonly=True,
        help="The units left on the packs, pooled.")
    amount = Monetary(
        "Value", currency='currency', digits='currency', readonly=True,
        help="The value left on the packs, pooled.")
    expiry_date = fields.Date("Expiry Date", readonly=True)
    reason = fields.Text("Reason")


class Merge(GroupWizardMixin, Wizard):
    """Merge a patient's packs into one.

    Opened from the pack list with two or more active packs of one patient
    selected; opens the new pack.
    """
    __name__ = 'clinic.pack.merge'
    start = StateView('clinic.pack.merge.start',
        'clinic_packs.merge_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Merge", 'merge', 'tryton-ok', default=True),
            ])
    merge = StateAction('clinic_packs.act_pack_form')

    def default_start(self, fields):
        Pack = Pool().get('clinic.pack')
        packs = list(self.records)
        Pack.check_merge(packs)
        expiry_dates = [p.expiry_date for p in packs]
        return {
            'packs': [p.id for p in packs],
            'templates': list({p.template.id for p in packs}),
            'template': Pack.merge_template(packs).id,
            'currency': packs[0].currency.id,
            'quantity': sum(p.remaining_quantity for p in packs),
            'quantity_text': packs[0].format_units(
                sum(p.remaining_quantity for p in packs)),
            'amount': sum(p.remaining_amount for p in packs),
            'expiry_date': (None if None in expiry_dates
                else max(expiry_dates)),
            }

    def do_merge(self, action):
        Pack = Pool().get('clinic.pack')
        pack = Pack.merge(
            self.records, template=self.start.template,
            reason=self.start.reason)
        action['res_id'] = [pack.id]
        action['views'].reverse()
        return action, {}


class RefundQuoteMixin:
    """The refund quote of packs under their templates' policy, as the
    refund and discharge forms show it."""
    __slots__ = ()
    pack = fields.Many2One('clinic.pack', "Pack", readonly=True)
    policy = fields.Selection(
        [(None, '')] + REFUND_POLICIES, "Refund Policy", readonly=True)
    currency = fields.Many2One('currency.currency', "Currency", readonly=True)
    remaining_amount = Monetary(
        "Remaining Value", currency='currency', digits='currency',
        readonly=True)
    amount = Monetary(
        "Refund", currency='currency', digits='currency', readonly=True,
        help="The refund quote: the amount credited to the patient.")
    revenue = Monetary(
        "Kept", currency='currency', digits='currency', readonly=True,
        help="The rest of the remaining value, earned by the clinic under "
        "the refund policy.")

    @classmethod
    def quote(cls, packs):
        "Return the form's values of the refund quote of packs."
        refundable = sum(
            (p._refundable_amount() for p in packs), Decimal(0))
        amount = sum((p.refund_quote for p in packs), Decimal(0))
        policies = {p.template.refund_policy for p in packs}
        return {
            'pack': packs[0].id if len(packs) == 1 else None,
            'policy': policies.pop() if len(policies) == 1 else None,
            'currency': packs[0].currency.id,
            'remaining_amount': refundable,
            'amount': amount,
            'revenue': refundable - amount,
            }


class RefundStart(RefundQuoteMixin, ModelView):
    "Refund Pack"
    __name__ = 'clinic.pack.refund.start'

    reason = fields.Text("Reason", required=True)


class Refund(GroupWizardMixin, Wizard):
    """Refund a pack.

    Shows the refund quote under the template's policy and, once confirmed,
    posts a customer credit note for it and ends the pack refunded.
    """
    __name__ = 'clinic.pack.refund'
    start = StateView('clinic.pack.refund.start',
        'clinic_packs.refund_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Refund", 'refund', 'tryton-ok', default=True),
            ])
    refund = StateTransition()

    def default_start(self, fields):
        packs = list(self.records)
        for pack in packs:
            pack.check_refund()
        return Pool().get('clinic.pack.refund.start').quote(packs)

    def transition_refund(self):
        Pack = Pool().get('clinic.pack')
        Pack.refund_packs(self.records, self.start.reason)
        return 'end'

    def end(self):
        return 'reload'


class TransferStart(ModelView):
    "Transfer Pack"
    __name__ = 'clinic.pack.transfer.start'

    company = fields.Many2One('company.company', "Company", readonly=True)
    from_party = fields.Many2One(
        'party.party', "From", readonly=True,
        context={'company': Eval('company', -1)}, depends=['company'])
    party = fields.Many2One(
        'party.party', "To", required=True,
        domain=[('id', '!=', Eval('from_party', -1))],
        context={'company': Eval('company', -1)}, depends=['company'],
        help="The patient who receives the pack.")
    reason = fields.Text("Reason", required=True)


class Transfer(GroupWizardMixin, Wizard):
    """Transfer a pack to another patient.

    Only packs of a transferable template move; when the template requires
    a consent, the new patient must have signed it.
    """
    __name__ = 'clinic.pack.transfer'
    start = StateView('clinic.pack.transfer.start',
        'clinic_packs.transfer_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Transfer", 'transfer', 'tryton-ok', default=True),
            ])
    transfer = StateTransition()

    def default_start(self, fields):
        pack = self.records[0]
        values = {'company': pack.company.id}
        if len({p.party for p in self.records}) == 1:
            values['from_party'] = pack.party.id
        return values

    def transition_transfer(self):
        Pack = Pool().get('clinic.pack')
        Pack.transfer_to(self.records, self.start.party, self.start.reason)
        return 'end'

    def end(self):
        return 'reload'
