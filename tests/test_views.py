# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Every list view of our modules renders in the sao web client.

sao 7.0 builds list columns from a fixed table of widgets; a field whose
widget is missing there (a DateTime shown as one column, say) breaks the
whole form that embeds the list, with only a JavaScript error.  Tryton's
own view tests do not see it, so this checks our views against the table
of the installed web client.
"""
import re
import unittest
from pathlib import Path

from lxml import etree

from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction

REPO = Path(__file__).resolve().parent.parent
SAO = REPO / '.local' / 'sao' / 'node_modules' / 'tryton-sao' / 'dist' / (
    'tryton-sao.js')
MODULES = ['clinic_packs', 'clinic_packs_membership', 'clinic_packs_accounting']


def sao_tree_widgets():
    "The widget names sao's list views know."
    source = SAO.read_text()
    table = re.search(
        r'Sao\.View\.TreeXMLViewParser\.WIDGETS = \{(.*?)\};', source,
        re.S).group(1)
    return set(re.findall(r"'([a-z0-9]+)':", table))


class SaoListViewsTestCase(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        activate_module(MODULES)

    @with_transaction()
    def test_list_views_use_known_widgets(self):
        pool = Pool()
        View = pool.get('ir.ui.view')
        widgets = sao_tree_widgets()
        self.assertIn('char', widgets)
        # Our list views, and the host's lists our views extend.
        views = {v.inherit or v for v in View.search([
                    ('module', 'in', MODULES),
                    ])}
        views = [v for v in views if v.type == 'tree']
        self.assertGreater(len(views), 15)
        unknown = []
        for view in views:
            Model = pool.get(view.model)
            result = Model.fields_view_get(view_id=view.id)
            arch = etree.fromstring(result['arch'])
            for field in arch.iter('field'):
                name = field.get('name')
                widget = field.get('widget') or result['fields'][name]['type']
                if widget not in widgets:
                    unknown.append((view.module, view.name, name, widget))
        self.assertEqual(unknown, [])
