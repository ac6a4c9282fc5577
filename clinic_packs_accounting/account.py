# This file is part of clinic_packs_accounting.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
from trytond.i18n import gettext
from trytond.model import Index, fields
from trytond.modules.account.exceptions import PeriodNotFoundError
from trytond.pool import Pool, PoolMeta

from .exceptions import PackPostingError

PACK_POSTINGS = [
    (None, ''),
    ('revenue', "Service Revenue"),
    ('breakage', "Breakage"),
    ('unclaimed', "Unclaimed Property"),
    ('accrual', "Breakage Accrual"),
    ('allotment', "Allotment Allocation"),
    ('opening', "Opening Balance"),
    ]


class Move(metaclass=PoolMeta):
    __name__ = 'account.move'

    pack_posting = fields.Selection(
        PACK_POSTINGS, "Pack Posting", readonly=True,
        help="What a move of a pack or redemption recognises; the "
        "liability roll-forward groups by it.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.pack_posting, Index.Equality()),
                    where=t.pack_posting != None),  # noqa: E711
                # The accounts followed read the draft moves' lines live.
                Index(t, (t.id, Index.Range()),
                    where=t.state == 'draft'),
                })

    @classmethod
    def _get_origin(cls):
        return super()._get_origin() + [
            'clinic.pack', 'clinic.pack.redemption']

    @classmethod
    def copy(cls, moves, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('pack_posting', None)
        return super().copy(moves, default=default)

    @classmethod
    def post(cls, moves):
        super().post(moves)
        # The reports read the liability lines as classified when posted.
        Pool().get('clinic.pack.liability.line').store(moves)

    @classmethod
    def pack_configuration(cls, company, record):
        "Return the pack accounts and journal of company or raise."
        Configuration = Pool().get('account.configuration')
        return Configuration.pack_accounts(company, record)

    @classmethod
    def pack_period(cls, company, date, record):
        """Return (date, period) to post a pack event of date.

        An event dated in a closed period is posted on the first day of the
        next open period (doc/accounting.md rule 4); the record keeps its
        date.
        """
        pool = Pool()
        Period = pool.get('account.period')
        try:
            period = Period.find(company, date=date, test_state=False)
        except PeriodNotFoundError:
            raise PackPostingError(gettext(
                    'clinic_packs_accounting.msg_no_period',
                    record=record.rec_name, date=date,
                    company=company.rec_name))
        if period.state == 'open':
            return date, period
        periods = Period.search([
                ('fiscalyear.company', '=', company.id),
                ('type', '=', 'standard'),
                ('state', '=', 'open'),
                ('start_date', '>', date),
                ], order=[('start_date', 'ASC')], limit=1)
        if not periods:
            raise PackPostingError(gettext(
                    'clinic_packs_accounting.msg_no_open_period',
                    record=record.rec_name, date=date,
                    company=company.rec_name))
        period, = periods
        return period.start_date, period

    @classmethod
    def new_pack_move(
            cls, company, date, origin, posting, description, lines,
            party=None):
        """Return an unsaved move of a pack event, or None if it is zero.

        lines is a list of (account, amount), (account, amount, origin) or
        (account, amount, origin, tax_lines): a positive amount is debited,
        a negative one credited; origin tells which contract a line belongs
        to when a move concerns several; tax_lines are unsaved
        account.tax.line of the line (a voucher's redemption) for the
        host's tax report.
        """
        pool = Pool()
        Line = pool.get('account.move.line')
        configuration = cls.pack_configuration(company, origin)
        date, period = cls.pack_period(company, date, origin)
        move_lines = []
        for account, amount, *rest in lines:
            if not amount:
                continue
            line = Line(
                account=account,
                debit=max(amount, 0),
                credit=max(-amount, 0),
                party=party if account.party_required else None,
                origin=rest[0] if rest else None)
            if len(rest) > 1 and rest[1]:
                line.tax_lines = rest[1]
            move_lines.append(line)
        if not move_lines:
            return None
        return cls(
            company=company,
            journal=configuration.pack_journal,
            period=period,
            date=date,
            origin=origin,
            pack_posting=posting,
            description=description,
            lines=move_lines)

    def new_pack_reversal(self, date, origin, description):
        """Return an unsaved move that is the exact negative of this one.

        Tax lines are reversed too, so the tax report follows."""
        pool = Pool()
        Line = pool.get('account.move.line')
        TaxLine = pool.get('account.tax.line')
        date, period = self.pack_period(self.company, date, origin)
        return self.__class__(
            company=self.company,
            journal=self.journal,
            period=period,
            date=date,
            origin=origin,
            pack_posting=self.pack_posting,
            description=description,
            lines=[Line(
                    account=l.account,
                    debit=l.credit,
                    credit=l.debit,
                    party=l.party,
                    origin=l,
                    tax_lines=[TaxLine(
                            amount=-t.amount, type=t.type, tax=t.tax)
                        for t in l.tax_lines])
                for l in self.lines])

    @classmethod
    def save_post(cls, moves):
        "Save and post the moves that are not None."
        moves = [m for m in moves if m]
        if moves:
            cls.save(moves)
            cls.post(moves)
        return moves


class MoveLine(metaclass=PoolMeta):
    __name__ = 'account.move.line'

    @classmethod
    def _get_origin(cls):
        # The line of an allotment allocation that credits a pack.
        return super()._get_origin() + ['clinic.pack']
