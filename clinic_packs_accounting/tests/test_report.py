# This file is part of clinic_packs_accounting.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"Unit tests of the IFRS 15.116(b) arithmetic of the roll-forward"
import unittest
from decimal import Decimal as D

from trytond.modules.clinic_packs_accounting.report import value_from_opening


class ValueFromOpeningTestCase(unittest.TestCase):
    "Test the revenue earned out of the opening balance"

    def test_no_merge(self):
        "Each contract's earnings consume its own opening balance first"
        self.assertEqual(value_from_opening(
                {'a': D('200'), 'b': D('0'), 'c': D('50')},
                {'a': D('50'), 'b': D('80'), 'c': D('70')}, []),
            {'a': D('50'), 'b': D('0'), 'c': D('50')})

    def test_negative(self):
        "A negative opening or net reinstatement consumes nothing"
        self.assertEqual(value_from_opening(
                {'a': D('-10'), 'b': D('100')},
                {'a': D('30'), 'b': D('-20')}, []),
            {'a': D('0'), 'b': D('0')})

    def test_merge(self):
        "scenario_accounting_merge: the new pack earns from the opening"
        self.assertEqual(value_from_opening(
                {'physio': D('200'), 'massage': D('300'), 'new': D('0')},
                {'physio': D('50'), 'massage': D('50'), 'new': D('50')},
                [('physio', 'new', D('150')), ('massage', 'new', D('250'))]),
            {'physio': D('50'), 'massage': D('50'), 'new': D('50')})

    def test_merge_billed_in_period(self):
        """A source billed in the period hands over what is left of its
        opening balance first, up to the amount merged"""
        self.assertEqual(value_from_opening(
                {'a': D('100'), 'b': D('0'), 'new': D('0')},
                {'a': D('30'), 'b': D('0'), 'new': D('200')},
                # a was billed 80 more: 150 left, 70 of it from the opening.
                [('a', 'new', D('150')), ('b', 'new', D('100'))]),
            {'a': D('30'), 'b': D('0'), 'new': D('70')})

    def test_chain(self):
        "A merged pack merged again carries what it did not earn"
        self.assertEqual(value_from_opening(
                {'a': D('100'), 'b': D('60'), 'm1': D('0'), 'm2': D('0')},
                {'a': D('10'), 'b': D('0'), 'm1': D('40'), 'm2': D('500')},
                [('a', 'm1', D('90')), ('m1', 'm2', D('50')),
                    ('b', 'm2', D('60'))]),
            {'a': D('10'), 'b': D('0'), 'm1': D('40'), 'm2': D('110')})
