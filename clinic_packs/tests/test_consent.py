# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"The consent API that packs and memberships call before activating."
import datetime as dt
from contextlib import contextmanager

from trytond.modules.clinic_packs.exceptions import (
    ConsentError, ConsentRequiredError)
from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction

from .unit import ClinicTestCase


class ConsentTestCase(ClinicTestCase):
    "Test Consent.find_signed and Consent.check_signed"

    @contextmanager
    def consents(self, timezone=None):
        "Create a company with pack terms, Jane and Joe; yield them in it."
        pool = Pool()
        Template = pool.get('clinic.consent.template')
        Party = pool.get('party.party')

        company = create_company()
        if timezone:
            company.timezone = timezone
            company.save()
        template = Template(name="Pack terms", terms="No refund.",
            company=company)
        template.save()
        jane = Party(name="Jane Doe")
        joe = Party(name="Joe Bloggs")
        Party.save([jane, joe])
        with set_company(company):
            yield template, jane, joe

    def sign(self, party, template, signed_on):
        "Record a consent of party to template signed at signed_on."
        pool = Pool()
        Consent = pool.get('clinic.consent')
        Attachment = pool.get('ir.attachment')

        consent = Consent(party=party, template=template,
            company=template.company, signed_on=signed_on,
            signer_name=party.name)
        consent.save()
        consent.document = Attachment(
            name="consent.pdf", resource=consent,
            data=b'%PDF-1.4 ' + str(consent.id).encode())
        consent.document.save()
        consent.save()
        Consent.sign([consent])
        self.assertEqual(consent.state, 'signed')
        return consent

    def assertFoundOn(self, party, template, expected):
        "Assert find_signed on each date of expected finds its consent."
        pool = Pool()
        Consent = pool.get('clinic.consent')
        for date, consent in expected.items():
            with self.subTest(date=date):
                self.assertEqual(
                    Consent.find_signed(party, template, date), consent)

    @with_transaction()
    def test_find_signed_latest(self):
        "find_signed returns the latest signed consent of the patient"
        pool = Pool()
        Consent = pool.get('clinic.consent')
        with self.consents() as (template, jane, joe):
            self.sign(jane, template, dt.datetime(2025, 1, 10, 9))
            new = self.sign(jane, template, dt.datetime(2025, 3, 2, 15))

            self.assertEqual(Consent.find_signed(jane, template), new)
            self.assertEqual(Consent.find_signed(joe, template), None)

    @with_transaction()
    def test_find_signed_date(self):
        "find_signed counts consents signed by the end of the date"
        with self.consents() as (template, jane, joe):
            old = self.sign(jane, template, dt.datetime(2025, 1, 10, 9))
            new = self.sign(jane, template, dt.datetime(2025, 3, 2, 23, 59))

            self.assertFoundOn(jane, template, {
                    dt.date(2025, 1, 9): None,
                    dt.date(2025, 1, 10): old,
                    dt.date(2025, 3, 1): old,
                    dt.date(2025, 3, 2): new,
                    })

    @with_transaction()
    def test_find_signed_date_timezone(self):
        "find_signed ends the date at midnight in the company's timezone"
        with self.consents('Europe/Brussels') as (template, jane, joe):
            # 23:30 UTC on 10 January is 00:30 on 11 January in Brussels.
            consent = self.sign(
                jane, template, dt.datetime(2025, 1, 10, 23, 30))

            self.assertFoundOn(jane, template, {
                    dt.date(2025, 1, 10): None,
                    dt.date(2025, 1, 11): consent,
                    })

    @with_transaction()
    def test_find_signed_any_version_not_revoked(self):
        "find_signed accepts any version but no revoked consent"
        pool = Pool()
        Consent = pool.get('clinic.consent')
        Template = pool.get('clinic.consent.template')
        with self.consents() as (template, jane, joe):
            old = self.sign(jane, template, dt.datetime(2025, 1, 10, 9))
            Template.write([template], {'terms': "Refund pro rata."})
            self.assertEqual(template.version, 2)
            new = self.sign(jane, template, dt.datetime(2025, 2, 10, 9))
            self.assertEqual((old.version, new.version), (1, 2))
            self.assertEqual((old.terms, new.terms),
                ("No refund.", "Refund pro rata."))

            self.assertEqual(Consent.find_signed(jane, template), new)
            Consent.revoke([new])
            self.assertEqual(Consent.find_signed(jane, template), old)
            Consent.revoke([old])
            self.assertEqual(Consent.find_signed(jane, template), None)

    @with_transaction()
    def test_find_signed_draft(self):
        "find_signed ignores draft consents"
        pool = Pool()
        Consent = pool.get('clinic.consent')
        with self.consents() as (template, jane, joe):
            consent = Consent(party=jane, template=template)
            consent.save()

            self.assertEqual(Consent.find_signed(jane, template), None)

    @with_transaction()
    def test_check_signed(self):
        "check_signed returns the consent or names what is missing"
        pool = Pool()
        Consent = pool.get('clinic.consent')
        with self.consents() as (template, jane, joe):
            consent = self.sign(jane, template, dt.datetime(2025, 1, 10, 9))

            self.assertEqual(
                Consent.check_signed(jane, template, "pack PK0001"), consent)
            with self.assertRaisesMessage(ConsentRequiredError,
                    'To activate pack PK0002, Joe Bloggs must first sign '
                    'the consent "Pack terms".'):
                Consent.check_signed(joe, template, "pack PK0002")

    @with_transaction()
    def test_sign_future(self):
        "A consent cannot be signed in the future"
        pool = Pool()
        Consent = pool.get('clinic.consent')
        with self.consents() as (template, jane, joe):
            future = dt.datetime.now() + dt.timedelta(days=1)
            with self.assertRaisesMessage(ConsentError,
                    'Consent "Pack terms v1 - Jane Doe" cannot be signed '
                    'with a signing time in the future.'):
                self.sign(jane, template, future)
            consent, = Consent.search([])
            self.assertEqual(
                (consent.state, consent.document_sha256), ('draft', None))

