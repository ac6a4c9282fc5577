# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Expiry reminders: the patient hears of unused units before they lapse."
import datetime as dt

from sql import Null

from trytond.i18n import gettext
from trytond.pool import Pool
from trytond.transaction import Transaction

from . import notice

BATCH_SIZE = 100


class ReminderMixin:
    "The expiry reminders of clinic.pack (mixed into the model in pack.py)."
    __slots__ = ()

    @classmethod
    def _reminder_domain(cls, date):
        """Return the domain of the packs due a reminder on date.

        A pack is due from template.reminder_days before its expiry through
        its expiry date, while it is active with units left and was never
        reminded.  Return None when no template reminds at all.
        """
        pool = Pool()
        Template = pool.get('clinic.pack.template')
        template = Template.__table__()
        cursor = Transaction().connection.cursor()
        # A handful of distinct delays: one exact clause each keeps the
        # search to the packs due, on the expiry_date index.
        cursor.execute(*template.select(
                template.reminder_days,
                where=template.reminder_days != Null,
                group_by=[template.reminder_days]))
        days = sorted(d for d, in cursor)
        if not days:
            return None
        domain = [
            ('state', '=', 'active'),
            ('remaining_quantity', '>', 0),
            ('reminder_sent', '=', None),
            ('expiry_date', '>=', date),
            ('expiry_date', '<=', date + dt.timedelta(days=days[-1])),
            ['OR'] + [[
                    ('template.reminder_days', '=', d),
                    ('expiry_date', '<=', date + dt.timedelta(days=d)),
                    ] for d in days],
            ]
        company = Transaction().context.get('company')
        if company is not None and company >= 0:
            # The cron runs once per company it is registered for.
            domain.append(('company', '=', company))
        return domain

    @classmethod
    def send_reminders(cls, date=None):
        """Cron: email patients whose packs expire soon with units left.

        Each pack is reminded once, from its template's reminder_days before
        its expiry date, through the host's ir.email so that the message is
        kept with the pack; the email is linked as reminder_sent and a
        reminder event is added.  Patients without an email address are
        skipped.  Return the packs reminded.
        """
        pool = Pool()
        Date = pool.get('ir.date')
        Event = pool.get('clinic.pack.event')
        if date is None:
            date = Date.today()
        domain = cls._reminder_domain(date)
        if domain is None:
            return []
        packs = cls.search(
            domain, order=[('expiry_date', 'ASC'), ('id', 'ASC')])
        reminded = []
        for i in range(0, len(packs), BATCH_SIZE):
            # Locked and read again: a concurrent run must not send twice.
            batch = cls._lock_modified(packs[i:i + BATCH_SIZE])
            done, events = [], []
            for pack in batch:
                if (pack.reminder_sent or pack.state != 'active'
                        or pack.remaining_quantity <= 0):
                    continue
                email = pack.send_reminder()
                if email:
                    pack.reminder_sent = email
                    events.append(pack.add_event('reminder'))
                    done.append(pack)
            cls.save(done)
            Event.save(events)
            reminded.extend(done)
        return reminded

    def send_reminder(self):
        """Email the patient the state of the pack before it expires.

        Return the ir.email sent, or None when the patient has no email.
        """
        # Read again for the progress text in the patient's language.
        return notice.email_party(self.party, self,
            lambda: self.__class__(self.id)._reminder_message())

    def _reminder_message(self):
        "Return the subject and plain text body of the expiry reminder."
        pool = Pool()
        Lang = pool.get('ir.lang')
        lang = Lang.get()
        values = {
            'party': self.party.rec_name,
            'pack': self.rec_name,
            'template': self.template.rec_name,
            'progress': self.progress,
            'remaining': gettext(
                'clinic_packs.msg_pack_remaining',
                remaining=self.format_quantity(self.remaining_quantity),
                total=self.format_quantity(self.quantity),
                unit=self._unit_label()).replace('  ', ' '),
            'remaining_amount': lang.currency(
                self.remaining_amount, self.currency),
            'expiry_date': lang.strftime(self.expiry_date),
            'refund_quote': lang.currency(
                self.refund_quote, self.currency),
            'company': self.company.rec_name,
            }
        return (gettext('clinic_packs.msg_reminder_subject', **values),
            gettext('clinic_packs.msg_reminder_body', **values))
