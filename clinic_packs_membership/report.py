# This file is part of clinic_packs_membership.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"Membership reports: active members per month."
import datetime as dt

from sql import Literal, Values
from sql.aggregate import Count, Max, Min
from sql.functions import CurrentTimestamp

from trytond.model import ModelSQL, ModelView, fields
from trytond.modules.clinic_packs import value
from trytond.pool import Pool
from trytond.transaction import Transaction


class MembersActive(ModelSQL, ModelView):
    "Active Members per Month"
    __name__ = 'clinic.membership.active_month'

    month = fields.Char("Month")
    company = fields.Many2One('company.company', "Company")
    members = fields.Integer("Members",
        help="Memberships with a period covering part of the month.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('month', 'ASC'))

    @classmethod
    def table_query(cls):
        pool = Pool()
        Period = pool.get('clinic.membership.period')
        Membership = pool.get('clinic.membership')
        period = Period.__table__()
        membership = Membership.__table__()
        # A calendar of the months the periods span, so that a quarterly or
        # yearly member counts in every month of the period, not only in the
        # month it is billed.
        cursor = Transaction().connection.cursor()
        cursor.execute(*period.select(
                Min(period.start_date), Max(period.end_date)))
        first, last = (
            dt.date.fromisoformat(d) if isinstance(d, str) else d
            for d in cursor.fetchone())
        months = []
        if first and last:
            month = first.replace(day=1)
            while month <= last:
                following = value.add_months(month, 1)
                months.append([len(months) + 1, month.strftime('%Y-%m'),
                        month, following - dt.timedelta(days=1)])
                month = following
        if not months:
            months = [[0, '', dt.date.min, dt.date.min]]
        calendar = Values(months)
        number, label, start, end = (
            calendar.column1, calendar.column2, calendar.column3,
            calendar.column4)
        return (period
            .join(membership, condition=period.membership == membership.id)
            .join(calendar, condition=(period.start_date <= end)
                & (period.end_date >= start))
            .select(
                (number * 100000 + membership.company).as_('id'),
                Literal(0).as_('create_uid'),
                CurrentTimestamp().as_('create_date'),
                Literal(None).as_('write_uid'),
                Literal(None).as_('write_date'),
                label.as_('month'),
                membership.company.as_('company'),
                Count(membership.id, distinct=True).as_('members'),
                group_by=[number, label, membership.company]))
