# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The visit-fairness report: do packs change how much care patients get?

For a date range it compares episodes of care paid per visit, from packs,
from memberships and from funders, per practitioner, service category or
service.  The visits are read with two set-based queries (redemptions and
per-visit invoice lines); episodes and statistics are the pure functions of
`fairness`.  A report is a record kept with its figures, so that what the
manager saw can be seen again.
"""
from collections import defaultdict

from sql import Literal, Null
from sql.aggregate import Min
from sql.conditionals import Case

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction

from . import fairness
from .exceptions import PackError

ROUTES = [
    ('visit', "Per visit"),
    ('pack', "Pack"),
    ('membership', "Membership"),
    ('funder', "Funder"),
    ]
GROUPS = [
    ('practitioner', "Practitioner"),
    ('category', "Service Category"),
    ('service', "Service"),
    ]
VERDICTS = [
    (None, ""),
    ('more', "More visits"),
    ('fewer', "Fewer visits"),
    ('no_difference', "No difference shown"),
    ]
MEMBERSHIP_ORIGIN = 'clinic.membership.period,%'


class InvoiceLine(metaclass=PoolMeta):
    __name__ = 'account.invoice.line'

    practitioner = fields.Many2One(
        'company.employee', "Practitioner",
        domain=[('company', '=', Eval('company', -1))],
        states={'invisible': Eval('type') != 'line'},
        help="Who gave the care billed per visit, for the visit-fairness "
        "report.")


class Report(ModelSQL, ModelView):
    "Visit-Fairness Report"
    __name__ = 'clinic.fairness.report'

    company = fields.Many2One('company.company', "Company", required=True)
    from_date = fields.Date("From Date", required=True)
    to_date = fields.Date("To Date", required=True)
    gap_days = fields.Integer(
        "Episode Gap (Days)", required=True,
        help="A visit more than this many days after the patient's previous "
        "visit of the same category starts a new episode.")
    group_by = fields.Selection(GROUPS, "Per", required=True)
    lines = fields.One2Many(
        'clinic.fairness.report.line', 'report', "Lines", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('to_date', 'DESC'), ('id', 'DESC')]
        cls._buttons.update({
                'compute': {'icon': 'tryton-refresh'},
                })

    @staticmethod
    def default_company():
        return Transaction().context.get('company')

    @classmethod
    def default_gap_days(cls):
        return 60

    @classmethod
    def default_group_by(cls):
        return 'practitioner'

    def get_rec_name(self, name):
        return '%s - %s' % (self.from_date, self.to_date)

    @classmethod
    @ModelView.button
    def compute(cls, reports):
        "Compute the figures of the reports, replacing earlier ones."
        pool = Pool()
        Line = pool.get('clinic.fairness.report.line')
        for report in reports:
            report.check_parameters()
        Line.delete([l for r in reports for l in r.lines])
        Line.save([l for r in reports for l in r.get_lines()])

    def check_parameters(self):
        "Raise unless the range and gap make sense."
        if self.from_date > self.to_date:
            raise PackError(gettext(
                    'clinic_packs.msg_fairness_dates',
                    from_date=self.from_date, to_date=self.to_date))
        if self.gap_days < 0:
            raise PackError(gettext(
                    'clinic_packs.msg_fairness_gap', gap=self.gap_days))

    def get_lines(self):
        "Return the unsaved lines: one per group and route."
        Line = Pool().get('clinic.fairness.report.line')
        visits, packs = self.get_visits()
        episodes = fairness.episodes(visits, gap_days=self.gap_days)
        counts = defaultdict(list)
        for episode in episodes:
            counts[(self._key(episode), episode.route)].append(episode.visits)
        closures = defaultdict(list)
        late = defaultdict(lambda: [0, 0])
        for pack in packs.values():
            key = (pack['key'], pack['route'])
            if pack['closure']:
                closures[key].append(pack['closure'])
            if pack['expiry_date'] and pack['expiry_date'] <= self.to_date:
                l, t = fairness.late_use(pack['units'], pack['expiry_date'])
                late[key][0] += l
                late[key][1] += t
        lines = []
        order = {r: i for i, (r, _) in enumerate(ROUTES)}
        for key, route in sorted(set(counts) | set(closures),
                key=lambda k: (str(k[0]), order[k[1]])):
            summary = fairness.summarize(counts.get((key, route), []))
            line = Line(report=self, route=route,
                episodes=summary.episodes, visits=summary.visits,
                mean_visits=_round(summary.mean, 2),
                median_visits=_round(summary.median, 1),
                distribution=', '.join(
                    '%s: %s' % i for i in summary.distribution.items()))
            setattr(line, self.group_by, key)
            if route != 'visit':
                difference = fairness.mean_difference(
                    counts.get((key, route), []),
                    counts.get((key, 'visit'), []))
                line.reference_episodes = difference.reference_size
                line.difference = _round(difference.difference, 2)
                line.difference_low = _round(difference.low, 2)
                line.difference_high = _round(difference.high, 2)
                line.verdict = difference.verdict
                shares, closed = fairness.closure_shares(
                    closures.get((key, route), []))
                line.packs_closed = closed
                if closed:
                    line.expired_share = _round(shares.get('expired', 0), 4)
                    line.refunded_share = _round(
                        shares.get('refunded', 0), 4)
                    line.discharged_share = _round(
                        shares.get('discharged', 0), 4)
                late_units, units = late.get((key, route), (0, 0))
                late_share = fairness.share(late_units, units)
                if late_share is not None:
                    line.late_share = _round(late_share, 4)
            lines.append(line)
        return lines

    def _key(self, episode):
        return {
            'practitioner': episode.practitioner,
            'category': episode.category,
            'service': episode.service,
            }[self.group_by]

    def get_visits(self):
        """Return the visits of the range and the packs they drew from.

        Visits are the done redemptions (route pack, membership or funder)
        and the posted customer invoice lines of services paid per visit;
        packs maps a pack id to its route, group key, closure, expiry date
        and units redeemed in the range.
        """
        pool = Pool()
        Redemption = pool.get('clinic.pack.redemption')
        Pack = pool.get('clinic.pack')
        Product = pool.get('product.product')
        ProductTemplate = pool.get('product.template')
        TemplateCategory = pool.get('product.template-product.category')
        Invoice = pool.get('account.invoice')
        InvoiceLine = pool.get('account.invoice.line')
        PackTemplate = pool.get('clinic.pack.template')
        cursor = Transaction().connection.cursor()
        redemption = Redemption.__table__()
        pack = Pack.__table__()
        product = Product.__table__()
        category = TemplateCategory.__table__()
        # One category per service: the first it is filed under.
        first_category = category.select(
            category.template, Min(category.category).as_('category'),
            group_by=[category.template])

        route = Case(
            (pack.funder != Null, 'funder'),
            (pack.origin.like(MEMBERSHIP_ORIGIN), 'membership'),
            else_='pack')
        cursor.execute(*redemption
            .join(pack, condition=redemption.pack == pack.id)
            .join(product, condition=redemption.product == product.id)
            .join(first_category, 'LEFT',
                condition=first_category.template == product.template)
            .select(
                redemption.party, first_category.category, redemption.date,
                route, redemption.employee, redemption.product,
                pack.id, redemption.units, pack.state, pack.discharge_date,
                pack.expiry_date,
                where=(redemption.state == 'done')
                & (redemption.date >= self.from_date)
                & (redemption.date <= self.to_date)
                & (pack.company == self.company.id),
                order_by=[redemption.date.asc, redemption.id.asc]))
        visits, packs = [], {}
        for (party, category_id, date, route_, employee, service, pack_id,
                units, state, discharge_date, expiry_date) in cursor:
            visit = fairness.Visit(
                party, category_id, date, route_, employee, service)
            visits.append(visit)
            if pack_id not in packs:
                # A pack belongs to the group of its first visit.
                packs[pack_id] = {
                    'route': route_,
                    'key': self._key(visit),
                    'closure': _closure(state, discharge_date),
                    'expiry_date': expiry_date,
                    'units': [],
                    }
            packs[pack_id]['units'].append((date, units))

        invoice = Invoice.__table__()
        line = InvoiceLine.__table__()
        template = ProductTemplate.__table__()
        pack_template = PackTemplate.__table__()
        cursor.execute(*line
            .join(invoice, condition=line.invoice == invoice.id)
            .join(product, condition=line.product == product.id)
            .join(template, condition=product.template == template.id)
            .join(first_category, 'LEFT',
                condition=first_category.template == product.template)
            .select(
                invoice.party, first_category.category, invoice.invoice_date,
                Literal('visit'), line.practitioner, line.product,
                where=(invoice.type == 'out')
                & invoice.state.in_(['posted', 'paid'])
                & (invoice.company == self.company.id)
                & (invoice.invoice_date >= self.from_date)
                & (invoice.invoice_date <= self.to_date)
                & (line.type == 'line')
                & (line.pack == Null)
                & (line.quantity > 0)
                & (template.type == 'service')
                # Selling a pack or a membership fee is not a visit.
                & ~line.product.in_(pack_template.select(
                        pack_template.product))
                & ((line.origin == Null)
                    | ~line.origin.like(MEMBERSHIP_ORIGIN)),
                order_by=[invoice.invoice_date.asc, line.id.asc]))
        visits.extend(fairness.Visit(*row) for row in cursor)
        return visits, packs


def _round(number, digits):
    "Round number for a Float field of digits; None stays None."
    return None if number is None else round(float(number), digits)


def _closure(state, discharge_date):
    "How a pack closed, or None while it is open."
    if state == 'refunded':
        return 'discharged' if discharge_date else 'refunded'
    if state in {'expired', 'exhausted', 'merged', 'cancelled'}:
        return state
    return None


class ReportLine(ModelSQL, ModelView):
    "Visit-Fairness Report Line"
    __name__ = 'clinic.fairness.report.line'

    report = fields.Many2One(
        'clinic.fairness.report', "Report", required=True,
        ondelete='CASCADE', readonly=True)
    route = fields.Selection(ROUTES, "Payment Route", readonly=True)
    practitioner = fields.Many2One(
        'company.employee', "Practitioner", readonly=True)
    category = fields.Many2One(
        'product.category', "Service Category", readonly=True)
    service = fields.Many2One('product.product', "Service", readonly=True)
    episodes = fields.Integer("Episodes", readonly=True)
    visits = fields.Integer("Visits", readonly=True)
    mean_visits = fields.Float(
        "Mean Visits per Episode", digits=(16, 2), readonly=True)
    median_visits = fields.Float(
        "Median Visits per Episode", digits=(16, 1), readonly=True)
    distribution = fields.Char(
        "Distribution", readonly=True,
        help="Visits per episode: number of episodes.")
    reference_episodes = fields.Integer(
        "Per-Visit Episodes", readonly=True,
        help="The sample the difference is measured against: episodes of "
        "the same group paid per visit.")
    difference = fields.Float(
        "Difference", digits=(16, 2), readonly=True,
        help="Mean visits per episode minus that of episodes paid per "
        "visit.")
    difference_low = fields.Float(
        "95% Low", digits=(16, 2), readonly=True)
    difference_high = fields.Float(
        "95% High", digits=(16, 2), readonly=True)
    verdict = fields.Selection(
        VERDICTS, "Verdict", readonly=True,
        help="Empty when either side has fewer than 10 episodes: too few to "
        "say.")
    late_share = fields.Float(
        "Used in Last 14 Days", digits=(16, 4), readonly=True,
        help="Share of the units of packs expired by the end of the range "
        "that were used in the 14 days before expiry.")
    packs_closed = fields.Integer("Packs Closed", readonly=True)
    expired_share = fields.Float(
        "Closed by Expiry", digits=(16, 4), readonly=True)
    refunded_share = fields.Float(
        "Closed by Refund", digits=(16, 4), readonly=True)
    discharged_share = fields.Float(
        "Closed by Discharge", digits=(16, 4), readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.report, Index.Equality())))
        cls._order = [('id', 'ASC')]
