# This file is part of clinic_packs_accounting.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
from trytond.i18n import gettext
from trytond.model import ModelView, fields
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
        todo = [r for r in redemptions if r.state == 'draft']
        super().do(redemptions)
        cls.post_revenue(cls.browse(todo))

    @classmethod
    @ModelView.button
    def cancel(cls, redemptions):
        todo = [r for r in redemptions if r.state == 'done']
        super().cancel(redemptions)
        cls.reverse_revenue(cls.browse(todo))

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
            moves.append(Move.new_pack_move(
                    pack.company, redemption.date, redemption, 'revenue',
                    gettext('clinic_packs_accounting.msg_move_redemption',
                        pack=pack.rec_name,
                        progress=redemption.sequence_label or ''),
                    [(configuration.contract_liability_account,
                            redemption.amount),
                        (revenue, -redemption.amount)],
                    party=pack.party))
        Move.save_post(moves)
        dates = accrual_dates(redemptions)
        Pack.post_breakage_accrual(Pack.browse(list(dates)), dates)

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
