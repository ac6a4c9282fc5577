# This file is part of clinic_packs_accounting.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
import datetime as dt
from collections import defaultdict
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.modules.clinic_packs import guard, value
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval
from trytond.transaction import Transaction, without_check_access

from .exceptions import PackPostingError

BREAKAGE_METHODS = [
    ('none', "None (keep as liability)"),
    ('remote', "Remote (all at expiry)"),
    ('proportional', "Proportional (as units are used)"),
    ('escheat', "Escheat (unclaimed property)"),
    ]


# The states of a pack once activated whose value a posting may still have
# to open (see Pack.post_opening_balance): not draft (its activation will),
# nor cancelled (it gave nothing).
OPENED_STATES = ['active', 'exhausted', 'expired', 'refunded', 'merged']


class Template(metaclass=PoolMeta):
    __name__ = 'clinic.pack.template'

    breakage_method = fields.Selection(
        BREAKAGE_METHODS, "Breakage Method", required=True,
        help="How the value of units never used leaves the contract "
        "liability:\n"
        "None: it stays a liability.\n"
        "Remote: all of it is breakage revenue at expiry plus grace.\n"
        "Proportional: breakage is accrued as units are used, at the "
        "expected rate.\n"
        "Escheat: it is payable to the state as unclaimed property.")
    breakage_rate = fields.Numeric(
        "Breakage Rate", digits=(16, 4),
        domain=['OR',
            ('breakage_rate', '=', None),
            [('breakage_rate', '>=', 0), ('breakage_rate', '<=', 1)],
            ],
        states={
            'invisible': Eval('breakage_method') != 'proportional',
            'required': Eval('breakage_method') == 'proportional',
            },
        help="The share of units expected never to be used, from history "
        "(0.1 for 10%).")

    multi_purpose_voucher = fields.Boolean(
        "Multi-purpose Voucher",
        states={
            'invisible': Eval('unit') != 'money',
            },
        help="A money credit usable for services taxed differently (UK "
        "VATA 1994 Sch 10B, EU voucher directive): no tax when it is sold; "
        "each use is the tax-inclusive price of the service, split into "
        "revenue and the service's own tax.  Refunds and breakage carry no "
        "tax.")

    @classmethod
    def default_multi_purpose_voucher(cls):
        return False

    # The posted lines classify a product's sales by its template (see
    # ledger.LiabilityLine): a change of which products have one classifies
    # the exceptions again.
    @classmethod
    def create(cls, vlist):
        templates = super().create(vlist)
        Pool().get('clinic.pack.liability.line').reclassify_others()
        return templates

    @classmethod
    def write(cls, *args):
        super().write(*args)
        if any({'product', 'company'} & set(values)
                for values in args[1::2]):
            Pool().get('clinic.pack.liability.line').reclassify_others()

    @classmethod
    def delete(cls, templates):
        super().delete(templates)
        Pool().get('clinic.pack.liability.line').reclassify_others()

    @classmethod
    def validate_fields(cls, templates, field_names):
        super().validate_fields(templates, field_names)
        if field_names & {'multi_purpose_voucher', 'unit'}:
            for template in templates:
                if (template.multi_purpose_voucher
                        and template.unit != 'money'):
                    raise PackPostingError(gettext(
                            'clinic_packs_accounting.msg_voucher_money',
                            template=template.rec_name))

    @classmethod
    def default_breakage_method(cls):
        # A clinic that did not choose keeps the liability: recognising
        # breakage needs evidence (IFRS 15 B46) or may be owed to a state.
        return 'none'

    @classmethod
    def default_breakage_rate(cls):
        return Decimal(0)


class Pack(metaclass=PoolMeta):
    __name__ = 'clinic.pack'

    breakage_accrued = Monetary(
        "Breakage Accrued", currency='currency', digits='currency',
        readonly=True,
        help="A: the proportional breakage accrued on the unused value.")
    broken_amount = Monetary(
        "Broken Amount", currency='currency', digits='currency',
        readonly=True,
        help="The value taken out of the liability when the pack expired "
        "(breakage or unclaimed property).")
    breakage_move = fields.Many2One(
        'account.move', "Breakage Move", readonly=True,
        help="The move of the expiry, reversed if the pack is reinstated.")
    opening_move = fields.Many2One(
        'account.move', "Opening Move", readonly=True,
        help="The move that put the value of a pack entered by hand on the "
        "contract liability when it was activated, reversed if the pack is "
        "cancelled.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'post_opening_balance': {
                    # A pack entered by hand with a value, activated
                    # before its company had a pack opening balance account
                    # (a funder's pack at 0.00 has nothing to open).
                    'invisible': Bool(Eval('origin'))
                    | Bool(Eval('opening_move'))
                    | ~Bool(Eval('amount'))
                    | ~Eval('state').in_(OPENED_STATES),
                    'icon': 'tryton-forward',
                    'depends': ['origin', 'opening_move', 'amount', 'state'],
                    },
                })

    @classmethod
    def default_breakage_accrued(cls):
        return Decimal(0)

    @classmethod
    def default_broken_amount(cls):
        return Decimal(0)

    @classmethod
    def _workflow_fields(cls):
        # Only the postings set them, never a user's own create or write:
        # through breakage_move a user could make the pack post the exact
        # reversal of any move on reinstatement.
        return super()._workflow_fields() | {
            'breakage_accrued', 'broken_amount', 'breakage_move',
            'opening_move'}

    @classmethod
    def copy(cls, packs, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('breakage_accrued', Decimal(0))
        default.setdefault('broken_amount', Decimal(0))
        default.setdefault('breakage_move', None)
        default.setdefault('opening_move', None)
        return super().copy(packs, default=default)

    @classmethod
    def _activate(cls, packs):
        super()._activate(packs)
        cls.post_opening([p for p in packs if not p.origin])

    @classmethod
    def _cancel(cls, packs):
        super()._cancel(packs)
        cls.reverse_opening([p for p in packs if p.opening_move])

    @classmethod
    def post_opening(cls, packs):
        """Put the value of packs entered by hand on the contract liability.

        A pack with no origin (a migration, a funder's) was sold by no
        invoice, so nothing credited the liability its uses debit: Dr the
        company's pack opening balance account, Cr contract liability, for
        the pack's amount, dated its start.  A company without that account
        posts nothing, and the reconciliation shows the value as a
        difference.
        """
        pool = Pool()
        Configuration = pool.get('account.configuration')
        Move = pool.get('account.move')
        moves = {}
        for pack in packs:
            if pack.opening_move or not pack.amount:
                continue
            opening = Configuration(1).get_multivalue(
                'pack_opening_account', company=pack.company.id)
            if not opening:
                continue
            configuration = Move.pack_configuration(pack.company, pack)
            move = Move.new_pack_move(
                pack.company, pack.start_date, pack, 'opening',
                gettext('clinic_packs_accounting.msg_move_opening',
                    pack=pack.rec_name),
                [(opening, pack.amount),
                    (configuration.contract_liability_account,
                        -pack.amount)],
                party=pack.party)
            if move:
                moves[pack] = move
        Move.save_post(list(moves.values()))
        for pack, move in moves.items():
            pack.opening_move = move
        with without_check_access():
            cls.save(list(moves))

    @classmethod
    @ModelView.button
    def post_opening_balance(cls, packs):
        """Post the opening of packs entered by hand that were activated
        before their company had a pack opening balance account, so that
        the reconciliation stops showing their value as a difference."""
        Configuration = Pool().get('account.configuration')
        for pack in packs:
            if (pack.origin or pack.opening_move
                    or pack.state not in OPENED_STATES or not pack.amount):
                raise PackPostingError(gettext(
                        'clinic_packs_accounting.msg_opening_not_needed',
                        pack=pack.rec_name))
            if not Configuration(1).get_multivalue(
                    'pack_opening_account', company=pack.company.id):
                raise PackPostingError(gettext(
                        'clinic_packs_accounting.msg_no_opening_account',
                        pack=pack.rec_name, company=pack.company.rec_name))
        cls.post_opening(packs)

    @classmethod
    def reverse_opening(cls, packs):
        "Reverse the opening moves of cancelled packs, dated today."
        pool = Pool()
        Move = pool.get('account.move')
        moves = []
        for pack in packs:
            date = guard.company_today(pack.company)
            moves.append(pack.opening_move.new_pack_reversal(
                    max(date, pack.opening_move.date), pack,
                    gettext('clinic_packs_accounting.msg_move_opening_cancel',
                        pack=pack.rec_name)))
        Move.save_post(moves)

    @classmethod
    def expire(cls, packs):
        expiring = [p for p in packs if p.state == 'active']
        super().expire(packs)
        cls.post_breakage(expiring)

    @classmethod
    def reopen(cls, packs):
        # Reinstate before super so the units are valued again before use.
        cls.reinstate_breakage([p for p in packs if p.state == 'expired'])
        super().reopen(packs)

    @classmethod
    def extend_expiry(cls, packs, date, reason, extra_quantity=0):
        # Refused before anything is written: an expired pack whose value
        # was broken would stay expired (its new grace period is already
        # over), its breakage standing and its unit value re-based on
        # nothing left, so later sessions would be valued at 0.00.
        for pack in cls.browse(packs):
            if (pack.state != 'expired' or not pack.breakage_move
                    or not date
                    or (pack.expiry_date and date <= pack.expiry_date)):
                continue
            today = guard.company_today(pack.company)
            grace_end = date + dt.timedelta(
                days=pack.template.grace_days or 0)
            if grace_end < today:
                raise PackPostingError(gettext(
                        'clinic_packs_accounting.msg_extend_past',
                        pack=pack.rec_name, date=date, grace_end=grace_end,
                        today=today))
        return super().extend_expiry(
            packs, date, reason, extra_quantity=extra_quantity)

    @classmethod
    def reinstate_late(cls, redemptions):
        """Reinstate the breakage of expired packs for late sessions.

        A session dated within the grace days but entered after the expiry
        run took the pack's value to breakage (doc/accounting.md rule 7,
        "Edge cases"): the breakage is reversed first so that the session
        is redeemed at the pack's unit value.  Returns the packs reinstated;
        the caller breaks what is left again (post_breakage) once the
        sessions are redeemed.
        """
        late = {}
        for redemption in redemptions:
            pack = redemption.pack
            if (pack.state == 'expired' and pack.breakage_move
                    and redemption.date >= pack.start_date
                    and (not pack.grace_end_date
                        or redemption.date <= pack.grace_end_date)):
                late.setdefault(pack.id, redemption.date)
        return cls._reinstate_for(late)

    @classmethod
    def reinstate_cancelled(cls, redemptions):
        """Reinstate the breakage of expired packs whose sessions are
        cancelled, so that the value given back is broken with the rest
        (post_breakage) instead of staying on the liability of an expired
        pack."""
        late = {}
        for redemption in redemptions:
            pack = redemption.pack
            if pack.state == 'expired' and pack.breakage_move:
                late.setdefault(pack.id, redemption.date)
        return cls._reinstate_for(late)

    @classmethod
    def _reinstate_for(cls, dates):
        if not dates:
            return []
        packs = cls._lock_modified(cls.browse(list(dates)))
        for pack in packs:
            # Dated the expiry move's day at the earliest: the session
            # happened before the breakage was due.
            cls.reinstate_breakage([pack], date=dates[pack.id], rebase=False)
        return packs

    @classmethod
    def merge(cls, packs, template=None, reason=None):
        merged = super().merge(packs, template=template, reason=reason)
        # The accrual follows the liability into the new pack (no entry).
        sources = cls.browse(packs)
        accrued = sum((p.breakage_accrued or 0 for p in sources), Decimal(0))
        if accrued:
            merged.breakage_accrued = accrued
            # The postings' own fields, whoever called (see access.py).
            with without_check_access():
                merged.save()
                cls.write(sources, {
                        'breakage_accrued': merged.currency.round(
                            Decimal(0)),
                        })
            # A template without proportional breakage never settles an
            # accrual: the estimate is caught up (released) at once.
            if merged.template.breakage_method != 'proportional':
                cls.post_breakage_accrual(
                    [merged], {merged: merged.start_date})
        return merged

    @classmethod
    def refund_packs(cls, packs, reason):
        pool = Pool()
        Invoice = pool.get('account.invoice')
        packs = cls._lock_modified(packs)
        # A refund of an expired pack pays back the value broken at expiry.
        cls.reinstate_breakage(
            [p for p in packs if p.state == 'expired' and p.breakage_move])
        packs = cls.browse(packs)
        remaining = {p.id: p._refundable_amount() for p in packs}
        invoices = super().refund_packs(packs, reason)
        refunds = {}
        for invoice in Invoice.browse(invoices):
            for line in invoice.lines:
                if line.origin and line.origin.__name__ == 'clinic.pack':
                    refunds[line.origin.id] = (
                        refunds.get(line.origin.id, 0) - line.amount)
        cls.post_refund_revenue(
            packs, {p: remaining[p.id] - refunds.get(p.id, 0)
                for p in packs})
        dates = {}
        for pack in cls.browse(packs):
            dates[pack] = guard.company_today(pack.company)
        cls.post_breakage_accrual(list(dates), dates)
        return invoices

    @classmethod
    def post_breakage(cls, packs):
        """Take the unused value of expired packs out of the liability.

        Posted at the end of the grace period under the template's breakage
        method; the pack keeps its units so a late extension can reinstate
        them.
        """
        pool = Pool()
        Move = pool.get('account.move')
        moves = {}
        for pack in packs:
            method = pack.template.breakage_method
            if method == 'none' or pack.breakage_move:
                continue
            configuration = Move.pack_configuration(pack.company, pack)
            liability = configuration.contract_liability_account
            remaining = pack.remaining_amount or Decimal(0)
            accrued = pack.breakage_accrued or Decimal(0)
            if method == 'escheat':
                lines = [
                    (liability, remaining),
                    (configuration.unclaimed_property_account, -remaining),
                    ]
                posting, message = 'unclaimed', 'msg_move_escheat'
            else:
                reverse_accrual, breakage = value.expiry_breakage(
                    remaining, accrued)
                lines = [
                    (liability, remaining),
                    (configuration.breakage_accrual_account,
                        -reverse_accrual),
                    (configuration.breakage_revenue_account, -breakage),
                    ]
                posting, message = 'breakage', 'msg_move_breakage'
            date = pack.grace_end_date or pack.expiry_date
            move = Move.new_pack_move(
                pack.company, date, pack, posting,
                gettext('clinic_packs_accounting.' + message,
                    pack=pack.rec_name),
                lines, party=pack.party)
            if move:
                moves[pack] = move
        Move.save_post(list(moves.values()))
        for pack, move in moves.items():
            pack.breakage_move = move
            zero = pack.currency.round(Decimal(0))
            pack.broken_amount = pack.remaining_amount
            pack.remaining_amount = zero
            pack.breakage_accrued = zero
        with without_check_access():
            cls.save(list(moves))

    @classmethod
    def reinstate_breakage(cls, packs, date=None, rebase=True):
        """Put the value broken at expiry back into the liability.

        Posts the exact negative of the expiry move (breakage or unclaimed
        property back to contract liability) dated date (today by
        default), before the pack can be used again.  With rebase, k is
        re-based on the value reinstated (G / R: an extension re-based it
        on nothing left); a late session keeps the pack's own k.
        """
        pool = Pool()
        Move = pool.get('account.move')
        moves = {}
        for pack in packs:
            if not pack.breakage_move:
                continue
            if date is None:
                date = guard.company_today(pack.company)
            configuration = Move.pack_configuration(pack.company, pack)
            moves[pack] = pack.breakage_move.new_pack_reversal(
                max(date, pack.breakage_move.date), pack,
                gettext('clinic_packs_accounting.msg_move_reinstatement',
                    pack=pack.rec_name))
            # The accrual reversed at expiry is accrued again.
            pack.breakage_accrued = pack.currency.round(sum(
                    (l.credit - l.debit for l in pack.breakage_move.lines
                        if l.account
                        == configuration.breakage_accrual_account),
                    Decimal(0)))
        Move.save_post(list(moves.values()))
        for pack in moves:
            pack.remaining_amount = (
                (pack.remaining_amount or 0) + pack.broken_amount)
            pack.broken_amount = pack.currency.round(Decimal(0))
            pack.breakage_move = None
            if rebase and pack.remaining_quantity:
                # An extension re-based k on the value left after expiry.
                pack.unit_value = value.rebase_unit_value(
                    pack.remaining_amount, pack.remaining_quantity)
        with without_check_access():
            cls.save(list(moves))

    @classmethod
    def post_breakage_accrual(cls, packs, dates):
        """Catch the proportional breakage accrual up with the use of packs.

        After redemptions or their cancellation the accrual target A* is
        recomputed and the difference A* - A posted Dr accrual / Cr
        breakage revenue (reversed when negative).  dates maps a pack to the
        date to post on.
        """
        pool = Pool()
        Move = pool.get('account.move')
        moves = {}
        targets = {}
        for pack in packs:
            accrued = pack.breakage_accrued or Decimal(0)
            target = pack.breakage_accrual_target()
            if target is None or target == accrued:
                continue
            configuration = Move.pack_configuration(pack.company, pack)
            difference = target - accrued
            move = Move.new_pack_move(
                pack.company, dates[pack], pack, 'accrual',
                gettext('clinic_packs_accounting.msg_move_accrual',
                    pack=pack.rec_name),
                [(configuration.breakage_accrual_account, difference),
                    (configuration.breakage_revenue_account, -difference)],
                party=pack.party)
            moves[pack] = move
            targets[pack] = target
        Move.save_post(list(moves.values()))
        for pack, target in targets.items():
            pack.breakage_accrued = target
        with without_check_access():
            cls.save(list(targets))

    def breakage_accrual_target(self):
        """Return A*, the breakage accrual the pack should carry, or None.

        Only proportional packs in use accrue; a pack that ended without
        expiring (refunded, merged, cancelled) carries none.  Expiry settles
        the accrual itself.
        """
        template = self.template
        if self.state in {'refunded', 'merged', 'cancelled'}:
            return Decimal(0)
        if (template.breakage_method != 'proportional'
                and self.state in {'active', 'exhausted'}
                and self.breakage_accrued):
            # Merged from proportional packs into a template that accrues
            # nothing.
            return self.currency.round(Decimal(0))
        # An expired pack reinstated for a late session (no expiry move
        # yet) accrues on its use until its value is broken again.
        if (template.breakage_method != 'proportional'
                or (self.state not in {'active', 'exhausted'}
                    and not (self.state == 'expired'
                        and not self.breakage_move))
                or not self.unit_value):
            return None
        return value.breakage_accrual_target(
            template.breakage_rate or 0, self.quantity, self.unit_value,
            self.redeemed_quantity, self.remaining_amount,
            digits=self.currency.digits)

    @classmethod
    def post_refund_revenue(cls, packs, earned):
        """Recognise the part of G a refund does not pay back.

        Under the list_price policy the patient pays the list price of the
        units used, so G - refund is earned: Dr contract liability / Cr the
        revenue account of the pack's product.  earned maps a pack to that
        amount.
        """
        pool = Pool()
        Move = pool.get('account.move')
        moves = []
        for pack in packs:
            amount = earned.get(pack, 0)
            if amount <= 0:
                continue
            configuration = Move.pack_configuration(pack.company, pack)
            date = guard.company_today(pack.company)
            # The revenue account of the pack's company.
            with Transaction().set_context(company=pack.company.id):
                revenue = pack.template.product.account_revenue_used
            moves.append(Move.new_pack_move(
                    pack.company, date, pack, 'revenue',
                    gettext('clinic_packs_accounting.msg_move_refund_revenue',
                        pack=pack.rec_name),
                    [(configuration.contract_liability_account, amount),
                        (revenue, -amount)],
                    party=pack.party))
        Move.save_post(moves)
        return moves


def accrual_dates(redemptions):
    "Map each pack to the latest date of its redemptions"
    dates = defaultdict(lambda: None)
    for redemption in redemptions:
        pack = redemption.pack
        if dates[pack] is None or redemption.date > dates[pack]:
            dates[pack] = redemption.date
    return dict(dates)
