# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Per-company settings: each clinic numbers its packs its own way"
from trytond.model.exceptions import DomainValidationError
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction

from .unit import ClinicTestCase


def company_sequence(company, name, prefix, code):
    "Create a sequence of company for the sequence type of code."
    pool = Pool()
    Sequence = pool.get('ir.sequence')
    ModelData = pool.get('ir.model.data')
    sequence = Sequence(name=name, prefix=prefix, padding=3,
        company=company, sequence_type=ModelData.get_id(*code))
    sequence.save()
    return sequence


class ConfigurationTestCase(ClinicTestCase):
    "Test the clinic packs configuration"

    @with_transaction()
    def test_pack_numbers_per_company(self):
        "Each company numbers its packs with the sequence it chose"
        pool = Pool()
        Configuration = pool.get('clinic.pack.configuration')
        with self.clinic() as riverside:
            # Riverside keeps the default sequence created on activation.
            self.assertEqual(Configuration(1).pack_sequence.prefix, 'PK')
            first, second = self.issue(riverside), self.issue(riverside)
        self.assertEqual(first.number[:2], 'PK')
        self.assertEqual(int(second.number[2:]), int(first.number[2:]) + 1)
        with self.clinic() as harbourside:
            sequence = company_sequence(harbourside.company, "Harbourside",
                'HB-', ('clinic_packs', 'sequence_type_pack'))
            configuration = Configuration(1)
            configuration.pack_sequence = sequence
            configuration.save()
            self.assertEqual(self.issue(harbourside).number, 'HB-001')
            self.assertEqual(self.issue(harbourside).number, 'HB-002')
            self.assertEqual(Configuration(1).pack_sequence, sequence)
        with self.clinic():
            # A third clinic still has the default.
            self.assertEqual(Configuration(1).pack_sequence.prefix, 'PK')

    @with_transaction()
    def test_sequence_of_another_company_refused(self):
        "A company cannot number its packs with another company's sequence"
        pool = Pool()
        Configuration = pool.get('clinic.pack.configuration')
        with self.clinic() as riverside:
            sequence = company_sequence(riverside.company, "Riverside",
                'RS-', ('clinic_packs', 'sequence_type_pack'))
        with self.clinic():
            configuration = Configuration(1)
            configuration.pack_sequence = sequence
            with self.assertRaises(DomainValidationError) as cm:
                configuration.save()
            self.assertRegex(cm.exception.message,
                # 7.0 names the record "1", 8.0 record "(1)".
                r'^The value "Riverside" for field "Pack Sequence" in '
                r'(record )?"\(?\d+\)?" of "Clinic Packs Configuration Sequence" is not valid according to its '
                r'domain\.$')
