# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"A patient with open packs or a signed consent is neither erased nor merged."
import datetime as dt

from trytond.modules.clinic_packs.exceptions import PartyPackError
from trytond.modules.party.exceptions import EraseError
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from . import test_consent
from .unit import ClinicTestCase


class PartyTestCase(ClinicTestCase):

    # The consent tests' company with its terms, and their signature.
    consents = test_consent.ConsentTestCase.consents
    sign = test_consent.ConsentTestCase.sign

    def erase_check(self, party):
        pool = Pool()
        Erase = pool.get('party.erase', type='wizard')
        Session = pool.get('ir.session.wizard')
        session = Session()
        session.save()
        Erase(session.id).check_erase(party)

    def replace(self, source, destination):
        pool = Pool()
        Replace = pool.get('party.replace', type='wizard')
        Session = pool.get('ir.session.wizard')
        session = Session()
        session.save()
        wizard = Replace(session.id)
        wizard.ask.source = source
        wizard.ask.destination = destination
        # The front desk confirmed the names differ: that warning is the
        # host's, not what is tested here.
        with Transaction().set_context(_skip_warnings=True):
            wizard.transition_replace()

    def pack_party(self, pack):
        "The patient stored on the pack, past the records' cache"
        table = Pool().get('clinic.pack').__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(
                table.party, where=table.id == pack.id))
        party, = cursor.fetchone()
        return party

    @with_transaction()
    def test_erase_patient_with_open_pack(self):
        "Erasing a patient or their funder is refused while the pack is open"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        Party = pool.get('party.party')
        with self.clinic() as clinic:
            pack = self.issue(clinic, funder=clinic.ndis)
            parties = [clinic.jane, clinic.ndis]
            Party.write(parties, {'active': False})
            for party in parties:
                with self.assertRaisesMessage(EraseError,
                        'You cannot erase patient "%s" of company "%s": '
                        'pack "%s" is still open.' % (
                            party.rec_name, clinic.company.rec_name,
                            pack.number)):
                    self.erase_check(party)

            # Once cancelled, nothing of the pack stops the erasure.
            Pack.cancel([pack])
            for party in parties:
                self.erase_check(party)

    @with_transaction()
    def test_replace_patient_with_open_pack(self):
        "A duplicate patient with an open pack is not merged away"
        pool = Pool()
        Pack = pool.get('clinic.pack')
        with self.clinic() as clinic:
            pack = self.issue(clinic)
            with self.assertRaisesMessage(PartyPackError,
                    'You cannot replace patient "%s": pack "%s" is still '
                    'open; use it up, refund or transfer it first.' % (
                        clinic.jane.rec_name, pack.number)):
                self.replace(clinic.jane, clinic.joe)
            self.assertEqual(self.pack_party(pack), clinic.jane.id)

            # A closed pack follows its patient to the record kept.
            Pack.cancel([pack])
            self.replace(clinic.jane, clinic.joe)
            self.assertEqual(self.pack_party(pack), clinic.joe.id)

    @with_transaction()
    def test_erase_and_replace_patient_with_signed_consent(self):
        "A signed consent keeps its signer until it is revoked"
        pool = Pool()
        Consent = pool.get('clinic.consent')
        Party = pool.get('party.party')
        with self.consents() as (terms, jane, joe):
            consent = self.sign(jane, terms, dt.datetime(2025, 1, 10, 9))
            Party.write([jane], {'active': False})
            with self.assertRaisesMessage(EraseError,
                    'You cannot erase patient "%s" of company "%s": their '
                    'signed consent "%s" is kept as evidence until '
                    'revoked.' % (
                        jane.rec_name, terms.company.rec_name,
                        consent.rec_name)):
                self.erase_check(jane)
            with self.assertRaisesMessage(PartyPackError,
                    'You cannot replace patient "%s": they signed consent '
                    '"%s", which stays with the signer until revoked.' % (
                        jane.rec_name, consent.rec_name)):
                self.replace(jane, joe)

            Consent.revoke([consent])
            self.erase_check(jane)
