# This file is part of clinic_packs_accounting.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.modules.clinic_packs import value
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

from .pack import accrual_dates


class Redemption(metaclass=PoolMeta):
    __name__ = 'clinic.pack.redemption'

    moves = fields.One2Many(
        'account.move', 'origin', "Moves", readonly=True,
        help="The recognition of the redemption and of its cancellation.")

    @classmethod
    def _workflow_fields(cls):
        # Linking moves (add/remove) would change what is reversed.
        return super()._workflow_fields() | {'moves'}

    @classmethod
    def copy(cls, redemptions, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('moves', None)
        return super().copy(redemptions, default=default)

    # The overrides are buttons again: the host's button checks the user's
    # access and then runs without access checks, but only around its own
    # body; re-decorated, the postings after super() run with the rights
    # the button grants (a front desk user has no right on account.move).
    @classmethod
    @ModelView.button
    def do(cls, redemptions):
        pool = Pool()
        Pack = pool.get('clinic.pack')
        todo = [r for r in redemptions if r.state == 'draft']
        # A late session within the grace days of a pack already broken:
        # reinstate, redeem at the pack's unit value, break the rest again
        # (doc/accounting.md rule 7).
        late = Pack.reinstate_late(todo)
        super().do(redemptions)
        cls.post_revenue(cls.browse(todo))
        if late:
            Pack.post_breakage(Pack.browse(late))

    @classmethod
    @ModelView.button
    def cancel(cls, redemptions):
        pool = Pool()
        Pack = pool.get('clinic.pack')
        todo = [r for r in redemptions if r.state == 'done']
        # The value a cancelled session of a broken pack gives back is
        # broken with the rest, not left on an expired pack's liability.
        broken = Pack.reinstate_cancelled(todo)
        super().cancel(redemptions)
        cls.reverse_revenue(cls.browse(todo))
        if broken:
            Pack.post_breakage(Pack.browse(broken))

    @classmethod
    def post_revenue(cls, redemptions):
        """Recognise the value of done redemptions as service revenue.

        One move per redemption: Dr contract liability / Cr the service's
        revenue account, dated the service date (or the first open day when
        its period is closed).
        """
        pool = Pool()
        Move = pool.get('account.move')
        Pack = pool.get('clinic.pack')
        moves = []
        for redemption in redemptions:
            if not redemption.amount:
                continue
            pack = redemption.pack
            configuration = Move.pack_configuration(pack.company, redemption)
            with Transaction().set_context(
                    company=pack.company.id, date=redemption.date):
                revenue = redemption.product.account_revenue_used
            if pack.template.multi_purpose_voucher:
                credits = redemption.voucher_lines(revenue)
            else:
                credits = [(revenue, -redemption.amount)]
            moves.append(Move.new_pack_move(
                    pack.company, redemption.date, redemption, 'revenue',
                    gettext('clinic_packs_accounting.msg_move_redemption',
                        pack=pack.rec_name,
                        progress=redemption.sequence_label or ''),
                    [(configuration.contract_liability_account,
                            redemption.amount)] + credits,
                    party=pack.party))
        Move.save_post(moves)
        dates = accrual_dates(redemptions)
        Pack.post_breakage_accrual(Pack.browse(list(dates)), dates)

    def voucher_lines(self, revenue):
        """Return the credit lines of a multi-purpose voucher's redemption.

        The liability consumed is the tax-inclusive consideration of the
        service used (UK VATA 1994 Sch 10B; doc/accounting.md, "Tax"): it
        is split with the host's taxes of the service (its customer taxes)
        into revenue and each tax, with base and tax lines for the tax
        report.  An exempt service has no tax: all of it is revenue.
        """
        pool = Pool()
        Tax = pool.get('account.tax')
        TaxLine = pool.get('account.tax.line')
        pack = self.pack
        currency = pack.currency
        with Transaction().set_context(
                company=pack.company.id, date=self.date):
            product = self.product.__class__(self.product.id)
            taxes = list(product.customer_taxes_used)
        if not taxes:
            return [(revenue, -self.amount)]
        net = Tax.reverse_compute(self.amount, taxes, self.date)
        computed = Tax.compute(taxes, net, 1, self.date)
        net, amounts = value.tax_inclusive_split(
            self.amount, net, [c['amount'] for c in computed],
            digits=currency.digits)
        lines = []
        bases = []
        for row, amount in zip(computed, amounts):
            tax = row['tax']
            bases.append(TaxLine(amount=net, type='base', tax=tax))
            if amount:
                lines.append((tax.invoice_account, -amount, None,
                        [TaxLine(amount=amount, type='tax', tax=tax)]))
        return [(revenue, -net, None, bases)] + lines

    @classmethod
    def reverse_revenue(cls, redemptions):
        """Post the exact negative of cancelled redemptions' moves.

        Posted moves are never edited: the reversal is a new move with the
        redemption as origin, dated like the original when its period is
        still open.
        """
        pool = Pool()
        Move = pool.get('account.move')
        Pack = pool.get('clinic.pack')
        moves = []
        for redemption in redemptions:
            originals = [m for m in redemption.moves
                if m.pack_posting == 'revenue' and m.state == 'posted'
                and not any(l.origin for l in m.lines)]
            reversed_ = {l.origin.move.id for m in redemption.moves
                for l in m.lines
                if l.origin and l.origin.__name__ == 'account.move.line'}
            for move in originals:
                if move.id in reversed_:
                    continue
                moves.append(move.new_pack_reversal(
                        move.date, redemption,
                        gettext(
                            'clinic_packs_accounting'
                            '.msg_move_redemption_cancel',
                            pack=redemption.pack.rec_name,
                            progress=redemption.sequence_label or '')))
        Move.save_post(moves)
        dates = accrual_dates(redemptions)
        Pack.post_breakage_accrual(Pack.browse(list(dates)), dates)
