# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"The episode and statistics rules of the visit-fairness report, by hand."
import datetime as dt
import unittest

from trytond.modules.clinic_packs import fairness
from trytond.modules.clinic_packs.fairness import Visit


def visit(patient, date, route='pack', category='physio', practitioner='A'):
    return Visit(patient, category, date, route, practitioner, 'session')


D = dt.date


class EpisodeTestCase(unittest.TestCase):
    "Episodes: runs of visits with no gap over gap_days."

    def test_gap_splits(self):
        "61 days apart is a new episode at 60, not at 61"
        visits = [
            visit('jane', D(2025, 1, 1)),
            visit('jane', D(2025, 1, 15)),
            visit('jane', D(2025, 3, 16)),  # 60 days after 15 January
            visit('jane', D(2025, 5, 16)),  # 61 days after 16 March
            ]
        episodes = fairness.episodes(visits, gap_days=60)
        self.assertEqual(
            [(e.start, e.end, e.visits) for e in episodes],
            [(D(2025, 1, 1), D(2025, 3, 16), 3),
                (D(2025, 5, 16), D(2025, 5, 16), 1)])
        self.assertEqual(
            [e.visits for e in fairness.episodes(visits, gap_days=61)], [4])

    def test_patient_and_category(self):
        "Each patient and category has its own episodes, in any order"
        visits = [
            visit('tom', D(2025, 1, 3)),
            visit('jane', D(2025, 1, 2), category='massage'),
            visit('jane', D(2025, 1, 1)),
            visit('jane', D(2025, 1, 5)),
            ]
        episodes = fairness.episodes(reversed(visits))
        self.assertEqual(
            [(e.patient, e.category, e.visits) for e in episodes],
            [('jane', 'physio', 2), ('jane', 'massage', 1),
                ('tom', 'physio', 1)])

    def test_first_visit_decides(self):
        "The route and practitioner of an episode are its first visit's"
        episode, = fairness.episodes([
                visit('jane', D(2025, 1, 8), route='visit',
                    practitioner='B'),
                visit('jane', D(2025, 1, 1), route='pack', practitioner='A'),
                ])
        self.assertEqual((episode.route, episode.practitioner), ('pack', 'A'))

    def test_negative_gap(self):
        with self.assertRaises(ValueError):
            fairness.episodes([], gap_days=-1)


class StatisticsTestCase(unittest.TestCase):
    "Summaries and the difference of means with its 95% interval."

    def test_summarize(self):
        summary = fairness.summarize([3, 5, 4, 6, 4])
        self.assertEqual(summary.episodes, 5)
        self.assertEqual(summary.visits, 22)
        self.assertAlmostEqual(summary.mean, 4.4)
        self.assertEqual(summary.median, 4)
        self.assertEqual(summary.distribution, {3: 1, 4: 2, 5: 1, 6: 1})
        self.assertEqual(
            fairness.summarize([]), fairness.Summary(0, 0, None, None, {}))

    def test_welch_interval(self):
        """[3, 5, 4, 6] against [1, 2, 3]: means 4.5 and 2, difference 2.5;
        variances 5/3 and 1, standard error sqrt(5/12 + 1/3) = 0.8660,
        Welch df = 0.5625 / ((5/12)^2 / 3 + (1/3)^2 / 2) = 4.9592,
        t(0.975, 4.9592) = 2.5770, interval 2.5 -/+ 2.2317"""
        result = fairness.mean_difference(
            [3, 5, 4, 6], [1, 2, 3], min_size=3)
        self.assertEqual((result.size, result.reference_size), (4, 3))
        self.assertAlmostEqual(result.difference, 2.5)
        self.assertAlmostEqual(result.low, 0.2683, places=4)
        self.assertAlmostEqual(result.high, 4.7317, places=4)
        self.assertEqual(result.verdict, 'more')

    def test_no_verdict_small_samples(self):
        "Fewer than 10 episodes on a side: the figures but no verdict"
        result = fairness.mean_difference([3, 5, 4, 6], [1, 2, 3])
        self.assertAlmostEqual(result.low, 0.2683, places=4)
        self.assertIsNone(result.verdict)

    def test_no_difference(self):
        result = fairness.mean_difference(
            [2, 3] * 5, [3, 2] * 5)
        self.assertEqual(result.difference, 0)
        self.assertEqual(result.verdict, 'no_difference')

    def test_fewer(self):
        result = fairness.mean_difference([1] * 10, [3] * 10)
        self.assertEqual((result.difference, result.low, result.high),
            (-2, -2, -2))
        self.assertEqual(result.verdict, 'fewer')

    def test_empty(self):
        result = fairness.mean_difference([], [1, 2])
        self.assertEqual(result, fairness.Difference(0, 2, None, None, None,
                None))
        result = fairness.mean_difference([4], [1, 2])
        self.assertEqual((result.difference, result.low), (2.5, None))


class PackUseTestCase(unittest.TestCase):
    "Late use before expiry and how packs closed."

    def test_late_use(self):
        "Expiring 30 June: 17 June to 30 June are the last 14 days"
        expiry = D(2025, 6, 30)
        redemptions = [
            (D(2025, 6, 16), 1), (D(2025, 6, 17), 1), (D(2025, 6, 30), 2),
            (D(2025, 7, 3), 1)]  # in grace, after expiry
        self.assertEqual(fairness.late_use(redemptions, expiry), (3, 5))
        self.assertEqual(fairness.late_use(redemptions, None), (0, 5))

    def test_closure_shares(self):
        shares, closed = fairness.closure_shares(
            ['expired', 'refunded', 'discharged', 'discharged'])
        self.assertEqual(closed, 4)
        self.assertEqual(shares,
            {'expired': 0.25, 'refunded': 0.25, 'discharged': 0.5})
        self.assertEqual(fairness.closure_shares([]), ({}, 0))
        self.assertEqual(fairness.share(1, 0), None)
