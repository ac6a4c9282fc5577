# This file is part of clinic_packs_membership.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""Renewal notices sent through a real SMTP server (aiosmtpd)."""
import datetime as dt
import unittest
from decimal import Decimal

from proteus import Model

from trytond.modules.clinic_packs.tests.tools import (
    setup_clinic, start_smtp_sink)
from trytond.tests.tools import activate_modules


def html(message):
    "The HTML body of message."
    return message.get_body(preferencelist=('html',)).get_content()


class RenewalNoticeTestCase(unittest.TestCase):
    "Renewal notice emails"

    def setUp(self):
        self.outbox = start_smtp_sink()
        self.addCleanup(self.outbox.stop)

    def test_notice_once_per_period(self):
        "The member is emailed once, renewal_notice_days before a renewal"
        config = activate_modules('clinic_packs_membership')
        clinic = setup_clinic(dt.date(2025, 1, 1))
        ProductTemplate = Model.get('product.template')
        Plan = Model.get('clinic.membership.plan')
        Membership = Model.get('clinic.membership')
        Period = Model.get('clinic.membership.period')
        Email = Model.get('ir.email')

        template = ProductTemplate(name="Wellness membership", type='service',
            default_uom=clinic.uom.unit, list_price=Decimal('60.00'),
            account_category=clinic.categories.massage)
        template.save()
        fee, = template.products
        plan = Plan(name="Wellness", product=fee, interval='month',
            renewal_notice_days=7)
        plan.save()

        jane = clinic.patient
        jane.contact_mechanisms.new(type='email', value='jane@example.com')
        jane.save()
        tom = clinic.other
        tom.contact_mechanisms.new(type='email', value='tom@example.com')
        tom.save()
        memberships = []
        for party, auto_renew in [(jane, True), (tom, False)]:
            membership = Membership(party=party, plan=plan,
                start_date=dt.date(2025, 1, 1))
            membership.auto_renew = auto_renew
            membership.save()
            membership.click('activate')
            memberships.append(membership)
        membership, not_renewing = memberships

        def notify(date):
            Membership.send_renewal_notices(date, config.context)

        # January renews on 1 February: nothing 8 days before.
        notify(dt.date(2025, 1, 24))
        self.assertEqual(self.outbox.messages, [])

        notify(dt.date(2025, 1, 25))

        message, = self.outbox.messages
        self.assertEqual(self.outbox.envelopes,
            [('clinic@example.com', ['jane@example.com'])])
        self.assertEqual(message['To'], 'Jane Doe <jane@example.com>')
        self.assertEqual(message['Subject'],
            "Your Wellness membership renews soon")
        self.assertIn(
            "Dear Jane Doe, your Wellness membership %s renews on "
            "02/01/2025 for $60.00." % membership.number, html(message))
        january, = Period.find([('membership', '=', membership.id)])
        email = january.renewal_notice_sent
        self.assertEqual(
            (email.recipients, email.subject, email.resource),
            ('Jane Doe <jane@example.com>',
                "Your Wellness membership renews soon",
                Membership(membership.id)))
        self.assertEqual(len(Email.find([])), 1)
        # Tom's membership does not renew: no notice.
        self.assertEqual(
            [p.renewal_notice_sent for p in Period.find(
                    [('membership', '=', not_renewing.id)])], [None])

        # Again, the same day and the next ones: still one.
        notify(dt.date(2025, 1, 25))
        notify(dt.date(2025, 1, 31))
        self.assertEqual(len(self.outbox.messages), 1)
        self.assertEqual(len(Email.find([])), 1)

        # February's period gets its own notice, 7 days before 1 March.
        Membership.renew(dt.date(2025, 2, 1), config.context)
        notify(dt.date(2025, 2, 21))
        self.assertEqual(len(self.outbox.messages), 1)
        notify(dt.date(2025, 2, 22))
        notify(dt.date(2025, 2, 23))
        self.assertEqual(len(self.outbox.messages), 2)
        message = self.outbox.messages[1]
        self.assertEqual(self.outbox.envelopes[1][1], ['jane@example.com'])
        self.assertIn(
            "renews on 03/01/2025 for $60.00.", html(message))
        february, = Period.find([
                ('membership', '=', membership.id),
                ('start_date', '=', dt.date(2025, 2, 1)),
                ])
        self.assertEqual(
            (february.renewal_notice_sent.subject,
                len(Email.find([]))),
            ("Your Wellness membership renews soon", 2))
