# This file is part of clinic_packs_membership.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"Membership periods: what each interval of a membership bills and allots."
import datetime as dt

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Unique, fields
from trytond.modules.clinic_packs import notice, value
from trytond.modules.clinic_packs.exceptions import WorkflowAccessError
from trytond.modules.clinic_packs.guard import (
    lock, lock_invoice_sequences, user_call)
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction


class Period(ModelSQL, ModelView):
    "Membership Period"
    __name__ = 'clinic.membership.period'

    membership = fields.Many2One(
        'clinic.membership', "Membership", required=True,
        ondelete='RESTRICT', readonly=True)
    party = fields.Function(
        fields.Many2One('party.party', "Member",
            context={'company': Eval('company', -1)}, depends=['company']),
        'get_membership_field', searcher='search_membership_field')
    plan = fields.Function(
        fields.Many2One('clinic.membership.plan', "Plan"),
        'get_membership_field', searcher='search_membership_field')
    company = fields.Function(
        fields.Many2One('company.company', "Company"),
        'get_membership_field', searcher='search_membership_field')
    start_date = fields.Date("Start Date", required=True, readonly=True)
    end_date = fields.Date(
        "End Date", required=True, readonly=True,
        domain=[('end_date', '>=', Eval('start_date', None))])
    invoice_line = fields.Many2One(
        'account.invoice.line', "Fee Invoice Line", readonly=True)
    refund_line = fields.Many2One(
        'account.invoice.line', "Refund Line", readonly=True,
        help="The credit note line of a pro-rata cancellation refund.")
    packs = fields.Function(
        fields.Many2Many('clinic.pack', None, None, "Allotment Packs"),
        'get_packs', searcher='search_packs')
    allotments_closed = fields.Boolean(
        "Allotments Closed", readonly=True,
        help="Whether the unused allotment packs lapsed or rolled over.")
    renewal_notice_sent = fields.Many2One(
        'ir.email', "Renewal Notice", readonly=True)
    start_month = fields.Function(
        fields.Char("Start Month"), 'get_start_month')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('membership_start_unique', Unique(t, t.membership, t.start_date),
                'clinic_packs_membership.msg_period_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.end_date, Index.Range()),
                    where=t.allotments_closed == False),  # noqa: E712
                })
        cls._order = [
            ('start_date', 'DESC'),
            ('id', 'DESC'),
            ]

    @classmethod
    def default_allotments_closed(cls):
        return False

    @classmethod
    def check_workflow(cls):
        """Raise when a user creates, changes or deletes periods directly.

        Periods, their invoices, packs and notices are the workflow's:
        activate, resume, the renewal cron and cancellation make them.
        """
        if user_call():
            raise WorkflowAccessError(gettext(
                    'clinic_packs_membership.msg_period_workflow'))

    @classmethod
    def create(cls, vlist):
        cls.check_workflow()
        return super().create(vlist)

    @classmethod
    def write(cls, *args):
        cls.check_workflow()
        super().write(*args)

    @classmethod
    def delete(cls, periods):
        cls.check_workflow()
        super().delete(periods)

    def get_rec_name(self, name):
        return '%s %s - %s' % (
            self.membership.rec_name, self.start_date, self.end_date)

    def get_membership_field(self, name):
        record = getattr(self.membership, name)
        return record.id if record else None

    @classmethod
    def search_membership_field(cls, name, clause):
        return [('membership.' + clause[0],) + tuple(clause[1:])]

    def get_start_month(self, name):
        return self.start_date.strftime('%Y-%m')

    @classmethod
    def get_packs(cls, periods, name):
        pool = Pool()
        Pack = pool.get('clinic.pack')
        result = {p.id: [] for p in periods}
        packs = Pack.search([
                ('origin', 'in', [str(p) for p in periods]),
                ], order=[('start_date', 'ASC'), ('id', 'ASC')])
        for pack in packs:
            result[pack.origin.id].append(pack.id)
        return result

    @classmethod
    def search_packs(cls, name, clause):
        pool = Pool()
        Pack = pool.get('clinic.pack')
        _, operator, operand = clause[:3]
        packs = Pack.search([('id', operator, operand)] + [
                ('origin', 'like', cls.__name__ + ',%')])
        return [('id', 'in', [p.origin.id for p in packs])]

    @classmethod
    def create_invoices(cls, periods, date=None):
        """Invoice the fee of each period, posted unless the plan says draft.

        The invoices are dated the period's start, or date when that is
        later: the host numbers customer invoices in date order, so a
        catch-up after downtime cannot post invoices dated in the past.
        """
        pool = Pool()
        Invoice = pool.get('account.invoice')
        invoices = []
        for period in periods:
            invoice = period._get_invoice(date)
            invoices.append(invoice)
        Invoice.save(invoices)
        for period, invoice in zip(periods, invoices):
            period.invoice_line, = invoice.lines
        cls.save(periods)
        to_post = [i for p, i in zip(periods, invoices)
            if p.membership.plan.post_invoices]
        if to_post:
            # Posted by the system: a renewal caught up after downtime has
            # payment dates in the past, which is no reason to stop.
            # Wait for the invoice numbering instead of the host's restart.
            lock_invoice_sequences(to_post)
            with Transaction().set_context(_skip_warnings=True):
                Invoice.post(to_post)

    def _new_invoice(self, date):
        pool = Pool()
        Invoice = pool.get('account.invoice')
        membership = self.membership
        invoice = Invoice(
            company=membership.company,
            type='out',
            party=membership.party,
            invoice_date=date,
            currency=membership.company.currency,
            )
        invoice.on_change_type()
        invoice.on_change_party()
        return invoice

    def _new_line(self, invoice, unit_price, quantity=1):
        pool = Pool()
        Line = pool.get('account.invoice.line')
        product = self.membership.plan.product
        line = Line(
            invoice=invoice, type='line', company=invoice.company,
            currency=invoice.currency, product=product, quantity=quantity,
            origin=self)
        line.on_change_product()
        line.unit = product.default_uom
        line.unit_price = unit_price
        line.description = gettext(
            'clinic_packs_membership.msg_period_description',
            plan=self.membership.plan.rec_name,
            start=self.start_date, end=self.end_date)
        return line

    def _get_invoice(self, date=None):
        "Return the unsaved invoice of the period's fee, dated date or later."
        invoice_date = self.start_date
        if date and date > invoice_date:
            invoice_date = date
        invoice = self._new_invoice(invoice_date)
        invoice.lines = [
            self._new_line(invoice, self.membership.plan.get_fee())]
        return invoice

    def refund_cancellation(self):
        """Credit the unused part of the fee after the effective date.

        Only for plans with a pro-rata cancellation refund; idempotent.
        """
        pool = Pool()
        Invoice = pool.get('account.invoice')
        membership = self.membership
        if self.refund_line or not self.invoice_line:
            return
        refund = membership.cancellation_refund(
            membership.cancel_effective_date)
        if not refund:
            return
        invoice = self._new_invoice(membership.cancel_requested_on)
        line = self._new_line(invoice, refund, quantity=-1)
        invoice.lines = [line]
        invoice.save()
        self.refund_line, = invoice.lines
        self.save()
        if membership.plan.post_invoices:
            lock_invoice_sequences([invoice])
            with Transaction().set_context(_skip_warnings=True):
                Invoice.post([invoice])

    @classmethod
    def create_packs(cls, periods):
        "Issue the allotment packs of each period."
        pool = Pool()
        Pack = pool.get('clinic.pack')
        packs = []
        for period in periods:
            membership = period.membership
            for allotment in membership.plan.allotments:
                template = allotment.pack_template
                for _ in range(allotment.quantity):
                    packs.append(Pack(
                            company=membership.company,
                            currency=membership.company.currency,
                            party=membership.party,
                            template=template,
                            quantity=template.total_quantity,
                            amount=membership.company.currency.round(0),
                            start_date=period.start_date,
                            expiry_date=period.end_date,
                            origin=period,
                            consent=membership.consent
                            if membership.consent
                            and membership.consent.template
                            == template.consent_template else None,
                            ))
        Pack.save(packs)
        Pack.activate_if_ready(packs)
        return packs

    @classmethod
    def close_allotments(cls, periods, date):
        """Lapse or roll over the unused allotment packs of ended periods.

        Rolled-over packs (oldest first, up to the plan's limit) run to the
        end of the next period; the others expire.
        """
        pool = Pool()
        Pack = pool.get('clinic.pack')
        Event = pool.get('clinic.pack.event')
        periods = lock(cls, periods)
        to_expire, to_roll, events = [], [], []
        for period in sorted(periods, key=lambda p: (p.end_date, p.id)):
            if period.allotments_closed or period.end_date >= date:
                continue
            membership = period.membership
            next_end = value.period_end(
                period.end_date + dt.timedelta(days=1),
                membership.plan.interval)
            origins = [str(p) for p in membership.periods]
            for allotment in membership.plan.allotments:
                # The period's own packs and those rolled into it.
                unused = Pack.search([
                        ('origin', 'in', origins),
                        ('template', '=', allotment.pack_template.id),
                        ('state', '=', 'active'),
                        ('remaining_quantity', '>', 0),
                        ('expiry_date', '=', period.end_date),
                        ], order=[('start_date', 'ASC'), ('id', 'ASC')])
                keep = []
                can_roll = (allotment.rollover == 'rollover'
                    and membership.state in {'active', 'paused'}
                    and not (membership.cancel_effective_date
                        and membership.cancel_effective_date
                        <= period.end_date))
                if can_roll:
                    limit = allotment.rollover_limit
                    keep = unused if limit is None else unused[:limit]
                for pack in unused:
                    if pack in keep:
                        events.append(pack.add_event('extension',
                                previous_expiry_date=pack.expiry_date,
                                new_expiry_date=next_end,
                                reason=gettext(
                                    'clinic_packs_membership'
                                    '.msg_allotment_rollover',
                                    membership=membership.rec_name)))
                        pack.expiry_date = next_end
                        to_roll.append(pack)
                    else:
                        to_expire.append(pack)
            period.allotments_closed = True
        Pack.save(to_roll)
        Event.save(events)
        if to_expire:
            Pack.expire(to_expire)
        cls.save(periods)

    def send_renewal_notice(self):
        """Email the member that the membership renews, on which day and
        for which fee; once per period.

        The email goes out when the transaction commits.
        """
        membership = self.membership
        email = notice.email_party(
            membership.party, membership, self._renewal_notice_message)
        if email:
            self.renewal_notice_sent = email
            self.save()

    def _renewal_notice_message(self):
        "Return the subject and plain text body of the renewal notice."
        pool = Pool()
        Lang = pool.get('ir.lang')
        lang = Lang.get()
        membership = self.membership
        subject = gettext(
            'clinic_packs_membership.msg_renewal_notice_subject',
            plan=membership.plan.rec_name)
        body = gettext(
            'clinic_packs_membership.msg_renewal_notice_body',
            party=membership.party.rec_name,
            plan=membership.plan.rec_name,
            date=lang.strftime(self.end_date + dt.timedelta(days=1)),
            fee=lang.currency(
                membership.plan.get_fee(), membership.company.currency),
            membership=membership.rec_name)
        return subject, body
