# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Episodes of care and their statistics, for the visit-fairness report.

Pure functions, no ORM: the report reads the visits with one query and
hands them here.  An episode is a patient's run of visits of one service
category with no gap over `gap_days`; it belongs to the payment route, the
practitioner and the service of its first visit (how the care was arranged
when it began).  The figures are observational: they show differences, not
their cause (doc/fairness.md).
"""
import datetime as dt
import math
import statistics
from collections import Counter, defaultdict, namedtuple

from scipy import stats

ROUTES = ['visit', 'pack', 'membership', 'funder']
# Below this many episodes on either side no verdict is given: the interval
# is too wide and the normal approximation of Welch's interval too rough.
MIN_EPISODES = 10
LATE_DAYS = 14

Visit = namedtuple(
    'Visit', ['patient', 'category', 'date', 'route', 'practitioner',
        'service'])
Episode = namedtuple(
    'Episode', ['patient', 'category', 'route', 'practitioner', 'service',
        'start', 'end', 'visits'])
Summary = namedtuple(
    'Summary', ['episodes', 'visits', 'mean', 'median', 'distribution'])
Difference = namedtuple(
    'Difference', ['size', 'reference_size', 'difference', 'low', 'high',
        'verdict'])


def episodes(visits, gap_days=60):
    """Return the episodes of visits, oldest first per patient and category.

    A visit more than gap_days after the previous one of the same patient
    and category starts a new episode.
    """
    if gap_days < 0:
        raise ValueError("gap_days must not be negative: %s" % gap_days)
    by_key = defaultdict(list)
    for visit in visits:
        by_key[(visit.patient, visit.category)].append(visit)
    result = []
    for (patient, category), runs in by_key.items():
        runs.sort(key=lambda v: v.date)
        current = []
        for visit in runs:
            if current and (visit.date - current[-1].date).days > gap_days:
                result.append(_episode(current))
                current = []
            current.append(visit)
        result.append(_episode(current))
    result.sort(key=lambda e: (e.start, str(e.patient), str(e.category)))
    return result


def _episode(visits):
    first = visits[0]
    return Episode(
        patient=first.patient, category=first.category, route=first.route,
        practitioner=first.practitioner, service=first.service,
        start=first.date, end=visits[-1].date, visits=len(visits))


def summarize(counts):
    """Return the number of episodes, visits, mean and median visits per
    episode and the distribution {visits: episodes}."""
    counts = list(counts)
    if not counts:
        return Summary(0, 0, None, None, {})
    return Summary(
        episodes=len(counts), visits=sum(counts),
        mean=statistics.fmean(counts), median=statistics.median(counts),
        distribution=dict(sorted(Counter(counts).items())))


def mean_difference(counts, reference, confidence=0.95,
        min_size=MIN_EPISODES):
    """Return the difference of mean visits per episode, counts minus
    reference, with its Welch t interval at confidence.

    verdict is None when either sample has fewer than min_size episodes
    (the interval is still given when it can be computed), else 'more' or
    'fewer' when the interval excludes 0 and 'no_difference' when it holds
    it.
    """
    counts, reference = list(counts), list(reference)
    n, m = len(counts), len(reference)
    if not n or not m:
        return Difference(n, m, None, None, None, None)
    difference = statistics.fmean(counts) - statistics.fmean(reference)
    low = high = None
    if n > 1 and m > 1:
        va = statistics.variance(counts) / n
        vb = statistics.variance(reference) / m
        se = math.sqrt(va + vb)
        if se == 0:
            low = high = difference
        else:
            # Welch-Satterthwaite degrees of freedom.
            df = (va + vb) ** 2 / (va ** 2 / (n - 1) + vb ** 2 / (m - 1))
            half = float(stats.t.ppf((1 + confidence) / 2, df)) * se
            low, high = difference - half, difference + half
    verdict = None
    if n >= min_size and m >= min_size and low is not None:
        if low > 0:
            verdict = 'more'
        elif high < 0:
            verdict = 'fewer'
        else:
            verdict = 'no_difference'
    return Difference(n, m, difference, low, high, verdict)


def late_use(redemptions, expiry_date, days=LATE_DAYS):
    """Return (late, total) units of redemptions [(date, units)] where late
    are those of the last days before expiry_date, expiry day included."""
    total = late = 0
    first = (expiry_date - dt.timedelta(days=days - 1)
        if expiry_date else None)
    for date, units in redemptions:
        total += units
        if first and first <= date <= expiry_date:
            late += units
    return late, total


def share(part, whole):
    "Return part / whole, None when whole is 0."
    return part / whole if whole else None


def closure_shares(closures):
    """Return the share of each way packs closed, from a list of 'expired',
    'refunded', 'discharged', 'exhausted'..., and the number closed."""
    closures = list(closures)
    if not closures:
        return {}, 0
    counter = Counter(closures)
    return {k: v / len(closures) for k, v in counter.items()}, len(closures)
