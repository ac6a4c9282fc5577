# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"The pack statement is a PDF with LibreOffice, OpenDocument text without."
import io
import os
import shutil
import tempfile
import zipfile
from unittest.mock import patch

from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction

from .unit import ClinicTestCase


class StatementTestCase(ClinicTestCase):

    def print_statement(self, clinic):
        Statement = Pool().get('clinic.pack.statement', type='report')
        return Statement.execute([clinic.jane.id], {})

    @with_transaction()
    def test_statement_pdf(self):
        "With LibreOffice (setup/install installs it) the statement is a PDF"
        self.assertTrue(shutil.which('soffice'),
            "soffice not found: setup/install installs "
            "libreoffice-writer-nogui")
        with self.clinic() as clinic:
            self.issue(clinic)
            extension, content, _, name = self.print_statement(clinic)
        self.assertEqual(extension, 'pdf')
        self.assertEqual(name, 'Pack Statement-%s' % clinic.jane.name)
        self.assertEqual(content[:5], b'%PDF-')

    @with_transaction()
    def test_statement_without_libreoffice(self):
        "Without soffice on the path the statement is OpenDocument text"
        with self.clinic() as clinic, tempfile.TemporaryDirectory() as empty:
            self.issue(clinic)
            with patch.dict(os.environ, {'PATH': empty}):
                self.assertIsNone(shutil.which('soffice'))
                extension, content, _, _ = self.print_statement(clinic)
        self.assertEqual(extension, 'odt')
        with zipfile.ZipFile(io.BytesIO(content)) as odt:
            self.assertIn('Pack Statement',
                odt.read('content.xml').decode('utf-8'))

