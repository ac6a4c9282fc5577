# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Unit tests of the pure arithmetic against the worked examples of
doc/accounting.md"""
import datetime as dt
import unittest
from decimal import Decimal as D

from trytond.modules.clinic_packs import value


def redeem_all(amount, quantities):
    """Redeem quantities in turn from a pack of sum(quantities) units sold for
    amount; return the revenue of each redemption and G after each"""
    remaining_quantity = sum(quantities)
    remaining_amount = D(amount)
    k = value.unit_value(amount, remaining_quantity)
    revenues, balances = [], []
    for quantity in quantities:
        revenue = value.redemption_value(
            quantity, remaining_quantity, remaining_amount, k)
        remaining_quantity -= quantity
        remaining_amount -= revenue
        revenues.append(revenue)
        balances.append(remaining_amount)
    return revenues, balances


class RoundingTestCase(unittest.TestCase):
    "Test rounding and unit value"

    def test_round_amount_half_up(self):
        "Round half up to the currency digits"
        self.assertEqual(value.round_amount(D('0.125')), D('0.13'))
        self.assertEqual(value.round_amount(D('-0.125')), D('-0.13'))
        self.assertEqual(value.round_amount(D('2.5'), 0), D('3'))
        self.assertEqual(value.round_amount(D('1.2345'), 3), D('1.235'))
        self.assertEqual(str(value.round_amount(7)), '7.00')

    def test_unit_value_unrounded(self):
        "k keeps 28 significant digits"
        k = value.unit_value(D('275.00'), 6)
        self.assertEqual(k, D('45.83333333333333333333333333'))
        self.assertEqual(value.unit_value(D('300.00'), 6), D('50'))

    def test_unit_value_refuses_no_quantity(self):
        "k of zero or negative units is refused"
        for quantity in [0, D('-1')]:
            with self.assertRaises(ValueError):
                value.unit_value(D('100.00'), quantity)

    def test_exact_half_cent_rounds_up(self):
        "A product that is exactly half a cent rounds up despite k's digits"
        # 3 * 1.01 / 6 = 0.505 but 3 * k is 0.50499...9 with k unrounded.
        k = value.unit_value(D('1.01'), 6)
        self.assertEqual(
            value.redemption_value(3, 6, D('1.01'), k), D('0.51'))


class RedemptionTestCase(unittest.TestCase):
    "Test redemption values and the remainder rule"

    def test_e1_remainder(self):
        "E1: six sessions for 275.00, the last takes the remainder"
        revenues, balances = redeem_all(D('275.00'), [1] * 6)
        self.assertEqual(revenues, [D('45.83')] * 5 + [D('45.85')])
        # Month ends: 31 Jan after two, 28 Feb after four, 31 Mar after six.
        self.assertEqual(
            [balances[1], balances[3], balances[5]],
            [D('183.34'), D('91.68'), D('0.00')])
        self.assertEqual(sum(revenues[:2]), D('91.66'))
        self.assertEqual(sum(revenues[:4]), D('183.32'))
        self.assertEqual(sum(revenues), D('275.00'))

    def test_e2_bonus_unit(self):
        "E2: buy 5 get 1 free spreads the discount over six units"
        revenues, balances = redeem_all(D('250.00'), [1] * 6)
        self.assertEqual(revenues, [D('41.67')] * 5 + [D('41.65')])
        self.assertEqual(balances[3], D('83.32'))
        self.assertEqual(sum(revenues[:4]), D('166.68'))
        self.assertEqual(balances[5], D('0.00'))

    def test_several_units_at_once(self):
        "A redemption of several units rounds q * k once"
        k = value.unit_value(D('275.00'), 6)
        self.assertEqual(
            value.redemption_value(4, 6, D('275.00'), k), D('183.33'))
        self.assertEqual(
            value.redemption_value(D('2.00'), D('2.00'), D('91.67'), k),
            D('91.67'))

    def test_capped_at_remaining_amount(self):
        "A redemption never takes more than G"
        k = value.unit_value(D('100.00'), 4)
        self.assertEqual(
            value.redemption_value(1, 2, D('10.00'), k), D('10.00'))
        self.assertEqual(
            value.redemption_value(1, 2, D('0.00'), k), D('0.00'))

    def test_redemption_errors(self):
        "Zero, negative and over-redemptions are refused"
        k = value.unit_value(D('100.00'), 4)
        for quantity, remaining, amount in [
                (0, 4, D('100.00')),
                (D('-1'), 4, D('100.00')),
                (5, 4, D('100.00')),
                (D('1.01'), 1, D('25.00')),
                (1, 4, D('-0.01')),
                ]:
            with self.subTest(quantity=quantity, remaining=remaining,
                    amount=amount):
                with self.assertRaises(ValueError):
                    value.redemption_value(quantity, remaining, amount, k)

    def test_money_pack(self):
        "Money pack: face 550 for 500, a list value of 110 is worth 100.00"
        k = value.unit_value(D('500.00'), D('550.00'))
        self.assertEqual(
            value.redemption_value(D('110.00'), D('550.00'), D('500.00'), k),
            D('100.00'))
        # Face 300 for 250: 100 of list value is 83.33, the last use takes G.
        revenues, balances = redeem_all(
            D('250.00'), [D('100.00'), D('100.00'), D('100.00')])
        self.assertEqual(revenues, [D('83.33'), D('83.33'), D('83.34')])
        self.assertEqual(balances[-1], D('0.00'))

    def test_rebase_after_merge(self):
        "Merge pools G and R and re-bases k = G / R"
        k = value.rebase_unit_value(D('229.17') + D('100.00'), 5 + 2)
        self.assertEqual(k, D('47.02428571428571428571428571'))
        remaining_quantity, remaining_amount = 7, D('329.17')
        revenues = []
        while remaining_quantity:
            revenue = value.redemption_value(
                1, remaining_quantity, remaining_amount, k)
            revenues.append(revenue)
            remaining_quantity -= 1
            remaining_amount -= revenue
        self.assertEqual(revenues, [D('47.02')] * 6 + [D('47.05')])
        self.assertEqual(remaining_amount, D('0.00'))

    def test_rebase_after_extension(self):
        "Goodwill units spread the same G over more units"
        self.assertEqual(
            value.rebase_unit_value(D('100.00'), 4), D('25'))

    def test_rebase_errors(self):
        "Re-basing over no units or a negative G is refused"
        with self.assertRaises(ValueError):
            value.rebase_unit_value(D('100.00'), 0)
        with self.assertRaises(ValueError):
            value.rebase_unit_value(D('-1.00'), 2)


class RefundTestCase(unittest.TestCase):
    "Test refund quotes"

    def test_e5a_pro_rata(self):
        "E5a: pro-rata refund of the E2 pack after two redemptions"
        revenues, balances = redeem_all(D('250.00'), [1] * 6)
        remaining_amount = balances[1]
        self.assertEqual(remaining_amount, D('166.66'))
        self.assertEqual(
            value.refund_split(
                'pro_rata', D('250.00'), remaining_amount, 2, D('50.00')),
            (D('166.66'), D('0.00')))
        self.assertEqual(sum(revenues[:2]), D('83.34'))

    def test_list_price(self):
        "List price refund: P - C * L, the rest of G is revenue"
        refund, revenue = value.refund_split(
            'list_price', D('250.00'), D('166.66'), 2, D('50.00'))
        self.assertEqual((refund, revenue), (D('150.00'), D('16.66')))
        self.assertEqual(
            value.refund_quote(
                'list_price', D('250.00'), D('166.66'), 2, D('50.00')),
            D('150.00'))

    def test_list_price_nothing_left(self):
        "List price refund is 0 when C * L >= P"
        self.assertEqual(
            value.refund_split(
                'list_price', D('250.00'), D('41.65'), 5, D('50.00')),
            (D('0.00'), D('41.65')))
        self.assertEqual(
            value.refund_split(
                'list_price', D('250.00'), D('83.32'), 4, D('62.50')),
            (D('0.00'), D('83.32')))

    def test_list_price_capped_at_remaining_amount(self):
        "List price refund never exceeds G"
        # A discounted list price would refund more than is held.
        self.assertEqual(
            value.refund_split(
                'list_price', D('250.00'), D('166.66'), 2, D('40.00')),
            (D('166.66'), D('0.00')))

    def test_list_price_money_pack(self):
        "Money pack at list price: each unit of face value is worth 1"
        self.assertEqual(
            value.refund_split(
                'list_price', D('500.00'), D('400.00'), D('110.00'), 1),
            (D('390.00'), D('10.00')))

    def test_no_refund(self):
        "Policy none refunds nothing"
        self.assertEqual(
            value.refund_quote('none', D('250.00'), D('166.66'), 2, None),
            D('0.00'))
        self.assertEqual(
            value.refund_split('none', D('250.00'), D('166.66'), 2, None),
            (D('0.00'), D('166.66')))

    def test_refund_errors(self):
        "Unknown policies, missing list prices and negatives are refused"
        for args in [
                ('other', D('250.00'), D('166.66'), 2, D('50.00')),
                ('list_price', D('250.00'), D('166.66'), 2, None),
                ('list_price', D('250.00'), D('166.66'), -1, D('50.00')),
                ('list_price', D('250.00'), D('166.66'), 2, D('-1')),
                ('pro_rata', D('250.00'), D('-0.01'), 2, D('50.00')),
                ]:
            with self.subTest(args=args):
                with self.assertRaises(ValueError):
                    value.refund_split(*args)
                with self.assertRaises(ValueError):
                    value.refund_quote(*args)


class BreakageTestCase(unittest.TestCase):
    "Test breakage"

    def setUp(self):
        # N = 10 sessions for P = 400.00, b = 0.2: x = 2, B = 80.00, E = 8.
        self.k = value.unit_value(D('400.00'), 10)

    def target(self, redeemed, remaining_amount, rate=D('0.2')):
        return value.breakage_accrual_target(
            rate, 10, self.k, redeemed, remaining_amount)

    def test_breakage_total(self):
        "B = round(b * N * k)"
        self.assertEqual(
            value.breakage_total(D('0.2'), 10, self.k), D('80.00'))
        k = value.unit_value(D('275.00'), 6)
        self.assertEqual(
            value.breakage_total(D('0.1'), 6, k), D('27.50'))

    def test_proportional_targets(self):
        "A* = min(round(B * C / E), G)"
        self.assertEqual(self.target(0, D('400.00')), D('0.00'))
        self.assertEqual(self.target(1, D('360.00')), D('10.00'))
        self.assertEqual(self.target(4, D('240.00')), D('40.00'))
        self.assertEqual(self.target(8, D('80.00')), D('80.00'))

    def test_target_capped_at_remaining_amount(self):
        "A* never exceeds G"
        self.assertEqual(self.target(9, D('40.00')), D('40.00'))
        self.assertEqual(self.target(10, D('0.00')), D('0.00'))

    def test_target_rounding(self):
        "A* rounds B * C / E half up"
        # N = 6 for 275.00, b = 0.1: B = 27.50, E = 5.4; C = 1: 5.0925...
        k = value.unit_value(D('275.00'), 6)
        self.assertEqual(
            value.breakage_accrual_target(
                D('0.1'), 6, k, 1, D('229.17')),
            D('5.09'))

    def test_no_expected_use(self):
        "With b = 1 nothing is expected to be used: all of G is accrued"
        self.assertEqual(
            self.target(0, D('400.00'), rate=1), D('400.00'))
        self.assertEqual(self.target(3, D('280.00'), rate=1), D('280.00'))

    def test_no_breakage_expected(self):
        "With b = 0 nothing is accrued"
        self.assertEqual(self.target(5, D('200.00'), rate=0), D('0.00'))

    def test_breakage_errors(self):
        "Rates outside [0, 1], negative C or G and no units are refused"
        for rate, quantity, redeemed, remaining in [
                (D('-0.1'), 10, 0, D('400.00')),
                (D('1.1'), 10, 0, D('400.00')),
                (D('0.2'), 0, 0, D('400.00')),
                (D('0.2'), 10, -1, D('400.00')),
                (D('0.2'), 10, 0, D('-0.01')),
                ]:
            with self.subTest(rate=rate, quantity=quantity,
                    redeemed=redeemed, remaining=remaining):
                with self.assertRaises(ValueError):
                    value.breakage_accrual_target(
                        rate, quantity, self.k, redeemed, remaining)
        for rate, quantity in [(D('1.5'), 10), (D('0.2'), 0)]:
            with self.assertRaises(ValueError):
                value.breakage_total(rate, quantity, self.k)

    def test_e4a_remote_breakage(self):
        "E4a: 300.00 over 6, four used, 100.00 broken at expiry"
        revenues, balances = redeem_all(D('300.00'), [1] * 4 + [2])
        self.assertEqual(revenues[:4], [D('50.00')] * 4)
        self.assertEqual(balances[3], D('100.00'))
        self.assertEqual(sum(revenues[:4]), D('200.00'))
        self.assertEqual(
            value.expiry_breakage(balances[3], D('0.00')),
            (D('0.00'), D('100.00')))
        self.assertEqual(
            value.expiry_date(dt.date(2025, 1, 1), validity_months=6),
            dt.date(2025, 6, 30))

    def test_proportional_expiry(self):
        "Proportional expiry reverses A and breaks G - A"
        self.assertEqual(
            value.expiry_breakage(D('240.00'), D('40.00')),
            (D('40.00'), D('200.00')))
        self.assertEqual(
            value.expiry_breakage(D('80.00'), D('80.00')),
            (D('80.00'), D('0.00')))

    def test_expiry_breakage_errors(self):
        "An accrual above G or negative amounts are refused"
        for remaining, accrued in [
                (D('40.00'), D('40.01')),
                (D('40.00'), D('-1.00')),
                (D('-1.00'), D('0.00')),
                ]:
            with self.subTest(remaining=remaining, accrued=accrued):
                with self.assertRaises(ValueError):
                    value.expiry_breakage(remaining, accrued)


class DateTestCase(unittest.TestCase):
    "Test validity and period dates"

    def test_add_months(self):
        "Adding months clamps to the end of the target month"
        self.assertEqual(
            value.add_months(dt.date(2025, 1, 31), 1), dt.date(2025, 2, 28))
        self.assertEqual(
            value.add_months(dt.date(2024, 1, 31), 1), dt.date(2024, 2, 29))
        self.assertEqual(
            value.add_months(dt.date(2025, 3, 31), 1), dt.date(2025, 4, 30))
        self.assertEqual(
            value.add_months(dt.date(2025, 11, 15), 3), dt.date(2026, 2, 15))
        self.assertEqual(
            value.add_months(dt.date(2025, 1, 15), -1),
            dt.date(2024, 12, 15))
        self.assertEqual(
            value.add_months(dt.date(2024, 2, 29), 12), dt.date(2025, 2, 28))

    def test_expiry_date(self):
        "The pack is valid through the returned date"
        start = dt.date(2025, 1, 1)
        self.assertEqual(
            value.expiry_date(start, validity_months=6), dt.date(2025, 6, 30))
        self.assertEqual(
            value.expiry_date(start, validity_days=10), dt.date(2025, 1, 10))
        self.assertEqual(
            value.expiry_date(start, validity_days=1), start)
        self.assertEqual(
            value.expiry_date(start, validity_months=1, validity_days=10),
            dt.date(2025, 2, 10))
        self.assertEqual(
            value.expiry_date(dt.date(2025, 3, 15), validity_months=12),
            dt.date(2026, 3, 14))

    def test_expiry_date_month_end(self):
        "A start day missing in the target month is valid to its end"
        self.assertEqual(
            value.expiry_date(dt.date(2025, 1, 31), 1), dt.date(2025, 2, 28))
        self.assertEqual(
            value.expiry_date(dt.date(2024, 1, 31), 1), dt.date(2024, 2, 29))
        self.assertEqual(
            value.expiry_date(dt.date(2024, 1, 29), 1), dt.date(2024, 2, 28))
        self.assertEqual(
            value.expiry_date(dt.date(2025, 1, 28), 1), dt.date(2025, 2, 27))
        self.assertEqual(
            value.expiry_date(dt.date(2025, 3, 31), 1), dt.date(2025, 4, 30))
        self.assertEqual(
            value.expiry_date(dt.date(2025, 1, 31), 1, 2),
            dt.date(2025, 3, 2))

    def test_expiry_date_never(self):
        "No validity means no expiry"
        start = dt.date(2025, 1, 1)
        self.assertIsNone(value.expiry_date(start))
        self.assertIsNone(value.expiry_date(start, 0, 0))
        self.assertIsNone(value.expiry_date(start, None, 0))

    def test_expiry_date_errors(self):
        "A negative validity is refused"
        with self.assertRaises(ValueError):
            value.expiry_date(dt.date(2025, 1, 1), validity_months=-1)
        with self.assertRaises(ValueError):
            value.expiry_date(dt.date(2025, 1, 1), validity_days=-1)

    def test_period_end(self):
        "A period ends the day before the same day 1, 3 or 12 months later"
        start = dt.date(2025, 1, 15)
        self.assertEqual(
            value.period_end(start, 'month'), dt.date(2025, 2, 14))
        self.assertEqual(
            value.period_end(start, 'quarter'), dt.date(2025, 4, 14))
        self.assertEqual(
            value.period_end(start, 'year'), dt.date(2026, 1, 14))
        self.assertEqual(
            value.period_end(dt.date(2025, 1, 1), 'month'),
            dt.date(2025, 1, 31))
        self.assertEqual(
            value.period_end(dt.date(2024, 2, 29), 'year'),
            dt.date(2025, 2, 28))
        with self.assertRaises(ValueError):
            value.period_end(start, 'week')

    def test_period_days(self):
        "Days are counted inclusively"
        self.assertEqual(
            value.period_days(dt.date(2025, 1, 15), dt.date(2026, 1, 14)),
            365)
        self.assertEqual(
            value.period_days(dt.date(2025, 1, 15), dt.date(2025, 1, 15)), 1)
        with self.assertRaises(ValueError):
            value.period_days(dt.date(2025, 1, 15), dt.date(2025, 1, 14))


class MembershipTestCase(unittest.TestCase):
    "Test membership recognition by day"

    fee = D('600.00')
    start = dt.date(2025, 1, 15)
    end = dt.date(2026, 1, 14)

    def recognised(self, date):
        return value.recognised_to_date(self.fee, self.start, self.end, date)

    def test_e8_recognised(self):
        "E8: cumulative revenue at month ends"
        self.assertEqual(self.recognised(dt.date(2025, 1, 31)), D('27.95'))
        self.assertEqual(self.recognised(dt.date(2025, 2, 28)), D('73.97'))
        self.assertEqual(self.recognised(dt.date(2025, 3, 31)), D('124.93'))
        self.assertEqual(self.recognised(dt.date(2025, 4, 30)), D('174.25'))
        self.assertEqual(self.recognised(dt.date(2026, 1, 14)), D('600.00'))

    def test_outside_period(self):
        "Nothing before the start, all of the fee after the end"
        self.assertEqual(self.recognised(dt.date(2025, 1, 14)), D('0.00'))
        self.assertEqual(self.recognised(self.start), D('1.64'))
        self.assertEqual(self.recognised(dt.date(2026, 6, 1)), D('600.00'))

    def test_e8_pro_rata_refund(self):
        "E8: cancelled effective 20 May with a pro-rata refund"
        self.assertEqual(
            value.pro_rata_refund(
                self.fee, self.start, self.end, dt.date(2025, 5, 20)),
            (D('207.12'), D('392.88')))
        self.assertEqual(
            value.pro_rata_refund(
                self.fee, self.start, self.end, self.end),
            (D('600.00'), D('0.00')))
        self.assertEqual(
            value.pro_rata_refund(
                self.fee, self.start, self.end, dt.date(2025, 1, 1)),
            (D('0.00'), D('600.00')))

    def test_daily_postings_reach_fee(self):
        "Posting the daily difference reaches exactly the fee"
        posted = D('0.00')
        date = self.start
        while date <= self.end:
            posted += self.recognised(date) - posted
            date += dt.timedelta(days=1)
        self.assertEqual(posted, D('600.00'))


class AllocateTestCase(unittest.TestCase):
    "Test the stand-alone selling price split"

    def test_proportional(self):
        "Parts follow the weights"
        self.assertEqual(
            value.allocate(D('600.00'), [D('480.00'), D('120.00')]),
            [D('480.00'), D('120.00')])
        self.assertEqual(
            value.allocate(D('50.00'), [30, 25]), [D('27.27'), D('22.73')])

    def test_rounding_to_largest(self):
        "The rounding difference goes to the largest part"
        self.assertEqual(
            value.allocate(D('10.00'), [1, 1, 1]),
            [D('3.34'), D('3.33'), D('3.33')])
        self.assertEqual(
            value.allocate(D('0.05'), [1, 1]), [D('0.02'), D('0.03')])
        self.assertEqual(
            value.allocate(D('100.00'), [1, 2, 2, 2, 2, 2, 2]),
            [D('7.69'), D('15.41')] + [D('15.38')] * 5)

    def test_rounding_to_last(self):
        "Identical packs of one invoice line: the odd cent goes last"
        self.assertEqual(
            value.allocate(D('10.00'), [1, 1, 1], remainder='last'),
            [D('3.33'), D('3.33'), D('3.34')])
        self.assertEqual(
            value.allocate(D('0.05'), [1, 1], remainder='last'),
            [D('0.03'), D('0.02')])

    def test_sums_exactly(self):
        "The parts always sum to the total"
        for total, weights in [
                (D('600.00'), [D('540.00')] + [D('65.00')] * 12),
                (D('99.99'), [3, 7, 11, 13]),
                (D('1.00'), [1] * 7),
                ]:
            with self.subTest(total=total, weights=weights):
                parts = value.allocate(total, weights)
                self.assertEqual(sum(parts), total)
                self.assertEqual(len(parts), len(weights))

    def test_zero_weights(self):
        "All-zero weights put everything on the first part"
        self.assertEqual(
            value.allocate(D('60.00'), [0, 0, 0]),
            [D('60.00'), D('0.00'), D('0.00')])

    def test_allocate_errors(self):
        "No weights or a negative weight are refused"
        with self.assertRaises(ValueError):
            value.allocate(D('10.00'), [])
        with self.assertRaises(ValueError):
            value.allocate(D('10.00'), [1, -1])


class SplitMembershipFeeTestCase(unittest.TestCase):
    "The fee split by relative stand-alone selling price (IFRS 15.76-80)"

    def test_access_price_of_its_own(self):
        "Access valued at its own SSP, not at the bundle's fee"
        # 60.00 a month for access (alone 40.00) and a massage credit
        # (45.00): 60 x 40 / 85 = 28.24 and 60 x 45 / 85 = 31.76.
        self.assertEqual(
            value.split_membership_fee(D('60.00'), D('40.00'), [D('45.00')]),
            (D('28.24'), [D('31.76')]))
        # Valued at the fee itself the credit would get less: 25.71.
        self.assertEqual(
            value.split_membership_fee(D('60.00'), D('60.00'), [D('45.00')]),
            (D('34.29'), [D('25.71')]))

    def test_several_allotments(self):
        "Each allotment gets its share; the parts add up to the fee"
        access, parts = value.split_membership_fee(
            D('60.00'), D('40.00'), [D('45.00'), D('50.00')])
        self.assertEqual((access, parts), (D('17.78'), [D('20.00'), D('22.22')]))
        self.assertEqual(access + sum(parts), D('60.00'))
        access, parts = value.split_membership_fee(
            D('100.00'), D('30.00'), [D('30.00'), D('30.00')])
        self.assertEqual((access, parts), (D('33.34'), [D('33.33'), D('33.33')]))

    def test_no_allotment(self):
        "Without allotments the access takes the whole fee"
        self.assertEqual(
            value.split_membership_fee(D('60.00'), D('40.00'), []),
            (D('60.00'), []))

    def test_free_access(self):
        "Access worth nothing alone leaves the whole fee to the credits"
        self.assertEqual(
            value.split_membership_fee(D('90.00'), D('0'), [D('45.00')] * 2),
            (D('0.00'), [D('45.00'), D('45.00')]))

    def test_errors(self):
        "A missing or negative access price is refused"
        with self.assertRaises(ValueError):
            value.split_membership_fee(D('60.00'), None, [D('45.00')])
        with self.assertRaises(ValueError):
            value.split_membership_fee(D('60.00'), D('-1'), [D('45.00')])


class TaxInclusiveSplitTestCase(unittest.TestCase):
    "A voucher's consideration split into revenue and tax (Sch 10B)"

    def test_standard_rate(self):
        "30.00 of a 20 % service is 25.00 and 5.00 of tax"
        self.assertEqual(
            value.tax_inclusive_split(D('30.00'), D('25'), [D('5')]),
            (D('25.00'), [D('5.00')]))

    def test_rounding_goes_to_net(self):
        "The net takes the rounding so that the parts make up the gross"
        # 45.83 / 1.2 = 38.19166..., tax on it 7.63833...
        net, taxes = value.tax_inclusive_split(
            D('45.83'), D('38.191666666'), [D('7.638333333')])
        self.assertEqual((net, taxes), (D('38.19'), [D('7.64')]))
        self.assertEqual(net + sum(taxes), D('45.83'))
        net, taxes = value.tax_inclusive_split(
            D('0.05'), D('0.041666'), [D('0.008333')])
        self.assertEqual((net, taxes), (D('0.04'), [D('0.01')]))

    def test_exempt(self):
        "No tax: all of it is revenue"
        self.assertEqual(
            value.tax_inclusive_split(D('50.00'), D('50.00'), []),
            (D('50.00'), []))

    def test_inconsistent(self):
        "A net and taxes that do not make up the gross are refused"
        with self.assertRaises(ValueError):
            value.tax_inclusive_split(D('30.00'), D('20'), [D('5')])
