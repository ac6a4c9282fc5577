# This file is part of clinic_packs_accounting.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"Unit tests of the IFRS 15.116(b) arithmetic of the roll-forward"
import unittest
from decimal import Decimal as D

from trytond.modules.clinic_packs_accounting.opening import (
    contract_figures, value_from_opening)


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


def lines(*rows):
    "Ledger-like lines (contract, kind, in_period, credit - debit)."
    return [(c, k, p, D(a)) for c, k, p, a in rows]


class NetOpeningTestCase(unittest.TestCase):
    """Test the 116(b) figure on the net liability (contract liability less
    breakage accrual) from the ledger's lines"""

    # E4a's proportional pack: ten sessions for 500.00 sold 1 January,
    # 20% breakage (B = 100.00 over E = 8 sessions: 12.50 accrued with each
    # session of 50.00), used on the 15th of January to April (the April
    # session cancelled and used again on the 20th), expired 30 June with
    # G = 300.00 and A = 50.00: Dr CL 300.00 / Cr accrual 50.00 / Cr
    # breakage 250.00.
    MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun']

    def proportional(self, first, last='jun'):
        "The pack's lines through month last, in the period from first."
        rows = [('billing', 'jan', '500.00')]
        for month in ['jan', 'feb', 'mar', 'apr']:
            rows += [
                ('revenue', month, '-50.00'), ('accrual', month, '-12.50')]
        rows += [
            ('revenue', 'apr', '50.00'), ('accrual', 'apr', '12.50'),
            ('revenue', 'apr', '-50.00'), ('accrual', 'apr', '-12.50'),
            # The expiry: the liability debited, the accrual released.
            ('breakage', 'jun', '-300.00'), ('breakage', 'jun', '50.00'),
            ]
        index = self.MONTHS.index
        return lines(*[('tom', k, index(m) >= index(first), a)
                for k, m, a in rows if index(m) <= index(last)])

    def test_proportional_second_quarter(self):
        """The opening is net of the accrual and the release at expiry is
        not earned again: 116(b) is the period's revenue, 312.50"""
        opening, earned = contract_figures(self.proportional('apr'))
        # G 350.00 less A 37.50.
        self.assertEqual(opening, {'tom': D('312.50')})
        # Service 50.00, accrual 12.50, breakage 300.00 - 50.00.
        self.assertEqual(earned, {'tom': D('312.50')})
        self.assertEqual(value_from_opening(opening, earned, []),
            {'tom': D('312.50')})

    def test_proportional_periods(self):
        """Across periods: what each period takes from its opening never
        exceeds what it earned, each closing is the next opening, and the
        periods earn the price once"""
        periods = [('jan', 'jan'), ('feb', 'mar'), ('apr', 'may'),
            ('jun', 'jun')]
        total_earned = D(0)
        closing = D(0)
        for first, last in periods:
            opening, earned = contract_figures(
                self.proportional(first, last))
            self.assertEqual(opening['tom'], closing)
            used = value_from_opening(opening, earned, [])
            self.assertLessEqual(used['tom'], earned['tom'])
            self.assertLessEqual(used['tom'], max(opening['tom'], 0))
            closing = sum(a for _, _, _, a in self.proportional(first, last))
            total_earned += earned['tom']
        self.assertEqual(closing, D('0.00'))
        # Service 200.00 + breakage 300.00: the price, each unit once.
        self.assertEqual(total_earned, D('500.00'))
        # June: only the expiry, G 300.00 less the 50.00 accrued before.
        opening, earned = contract_figures(self.proportional('jun'))
        self.assertEqual((opening, earned),
            ({'tom': D('250.00')}, {'tom': D('250.00')}))
        self.assertEqual(value_from_opening(opening, earned, []),
            {'tom': D('250.00')})

    def test_accrual_in_period(self):
        "Breakage accrued in the period is revenue from the opening"
        opening, earned = contract_figures(self.proportional('mar'))
        self.assertEqual(opening, {'tom': D('375.00')})
        # Service 100.00, accrual 25.00, breakage 250.00.
        self.assertEqual(earned, {'tom': D('375.00')})

    def test_refund_pro_rata(self):
        """A refund is no revenue: the accrual it reverses (negative
        breakage revenue) leaves nothing from the opening"""
        opening, earned = contract_figures(lines(
                ('a', 'billing', False, '500.00'),
                ('a', 'revenue', False, '-200.00'),
                ('a', 'accrual', False, '-50.00'),
                ('a', 'accrual', True, '50.00'),
                ('a', 'refund', True, '-300.00')))
        self.assertEqual((opening, earned), ({'a': D('250.00')},
                {'a': D('-50.00')}))
        self.assertEqual(
            value_from_opening(opening, earned, []), {'a': D('0')})

    def test_refund_list_price(self):
        """A list-price refund earns what it does not pay back, out of the
        opening balance"""
        opening, earned = contract_figures(lines(
                ('a', 'billing', False, '250.00'),
                ('a', 'revenue', False, '-83.34'),
                ('a', 'revenue', True, '-16.66'),
                ('a', 'refund', True, '-150.00')))
        self.assertEqual(
            value_from_opening(opening, earned, []), {'a': D('16.66')})

    def test_cancelled_redemption(self):
        """A redemption of an earlier period cancelled in this one lowers
        what the contract earned: 116(b) stays within it"""
        opening, earned = contract_figures(lines(
                ('a', 'billing', False, '300.00'),
                ('a', 'revenue', False, '-50.00'),
                ('a', 'revenue', True, '50.00'),
                ('a', 'revenue', True, '-120.00')))
        self.assertEqual(earned, {'a': D('70.00')})
        self.assertEqual(
            value_from_opening(opening, earned, []), {'a': D('70.00')})

    def test_reinstatement(self):
        """Breakage of an earlier period reinstated and then used: the
        contract earned less than nothing, nothing from the opening"""
        opening, earned = contract_figures(lines(
                ('a', 'billing', False, '300.00'),
                ('a', 'revenue', False, '-200.00'),
                ('a', 'breakage', False, '-100.00'),
                ('a', 'breakage', True, '100.00'),
                ('a', 'revenue', True, '-50.00')))
        self.assertEqual((opening, earned),
            ({'a': D('0.00')}, {'a': D('-50.00')}))
        self.assertEqual(
            value_from_opening(opening, earned, []), {'a': D('0')})

    def test_merge_proportional(self):
        """A proportional source merged in the period hands its net value
        (G less the accrual that follows it); the merged pack's release of
        that accrual is no revenue"""
        # Source: 500.00 for ten, four used (G 300.00, A 50.00) before the
        # period.  In the period it is merged with an empty-opening pack
        # into "m", whose template accrues nothing: the accrual is
        # released at once (Dr breakage / Cr accrual), then "m" is used
        # for 120.00.
        opening, earned = contract_figures(lines(
                ('s', 'billing', False, '500.00'),
                ('s', 'revenue', False, '-200.00'),
                ('s', 'accrual', False, '-50.00'),
                ('s', 'transfer', True, '-250.00'),
                ('m', 'transfer', True, '250.00'),
                ('m', 'accrual', True, '50.00'),
                ('m', 'revenue', True, '-120.00')))
        self.assertEqual(opening, {'s': D('250.00'), 'm': D('0')})
        # The release reverses 50.00 of breakage revenue.
        self.assertEqual(earned, {'s': D('0'), 'm': D('70.00')})
        used = value_from_opening(opening, earned, [('s', 'm', D('250.00'))])
        self.assertEqual(used, {'s': D('0'), 'm': D('70.00')})
        self.assertLessEqual(sum(used.values()), sum(earned.values()))

    def test_merge_before_period(self):
        "A merge before the period moved the opening balance with it"
        opening, earned = contract_figures(lines(
                ('s', 'billing', False, '300.00'),
                ('s', 'transfer', False, '-300.00'),
                ('m', 'transfer', False, '300.00'),
                ('m', 'revenue', True, '-100.00')))
        self.assertEqual(opening, {'s': D('0'), 'm': D('300.00')})
        self.assertEqual(value_from_opening(opening, earned, []),
            {'s': D('0'), 'm': D('100.00')})

    def test_merge_release(self):
        """scenario_accounting_merge: the merged pack's template accrues
        nothing, so it releases the 62.50 its proportional source accrued
        (12.50 of it in the period): the family earned 100.00, and that is
        all it takes from its opening balances"""
        opening, earned = contract_figures(lines(
                ('physio', 'billing', False, '300.00'),
                ('physio', 'revenue', False, '-100.00'),
                ('physio', 'revenue', True, '-50.00'),
                ('physio', 'transfer', True, '-150.00'),
                ('massage', 'billing', False, '500.00'),
                ('massage', 'revenue', False, '-200.00'),
                ('massage', 'accrual', False, '-50.00'),
                ('massage', 'revenue', True, '-50.00'),
                ('massage', 'accrual', True, '-12.50'),
                ('massage', 'transfer', True, '-187.50'),
                ('new', 'transfer', True, '337.50'),
                ('new', 'accrual', True, '62.50'),
                ('new', 'revenue', True, '-50.00')))
        self.assertEqual(opening,
            {'physio': D('200.00'), 'massage': D('250.00'), 'new': D('0')})
        self.assertEqual(sum(earned.values()), D('100.00'))
        used = value_from_opening(opening, earned, [
                ('physio', 'new', D('150.00')),
                ('massage', 'new', D('187.50'))])
        self.assertEqual(used,
            {'physio': D('50.00'), 'massage': D('50.00'), 'new': D('0')})
