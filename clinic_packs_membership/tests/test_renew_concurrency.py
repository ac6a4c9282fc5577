# This file is part of clinic_packs_membership.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""The renewal cron in separate processes: two racing, one killed mid-run.

Six memberships are behind by up to three periods (catch-up after downtime).
Each run is a process of its own (renew_worker.py) on the test database.
"""
import datetime as dt
import json
import os
import subprocess
import sys
import unittest
from collections import Counter
from decimal import Decimal
from pathlib import Path

from proteus import Model

from trytond.modules.clinic_packs.tests.tools import (
    create_template, setup_clinic)
from trytond.tests.test_tryton import DB_NAME
from trytond.tests.tools import activate_modules

WORKER = Path(__file__).with_name('renew_worker.py')
RUN_DATE = dt.date(2025, 4, 1)


def d(month, day):
    return dt.date(2025, month, day)


# Membership: plan, start date, auto renew; activated in this order, that of
# the dates, as the host numbers customer invoices in date order.
MEMBERSHIPS = {
    'A': ('monthly', d(1, 1), True),
    'D': ('quarterly', d(1, 1), True),
    'F': ('monthly', d(1, 1), False),
    'B': ('monthly', d(1, 15), True),
    'C': ('monthly', d(2, 1), True),
    'E': ('monthly', d(3, 10), True),
    }
# What a complete run on 1 April leaves: the periods' start dates, the state
# and the next period start of each membership.
EXPECTED = {
    'A': ([d(1, 1), d(2, 1), d(3, 1), d(4, 1)], 'active', d(5, 1)),
    'B': ([d(1, 15), d(2, 15), d(3, 15)], 'active', d(4, 15)),
    'C': ([d(2, 1), d(3, 1), d(4, 1)], 'active', d(5, 1)),
    'D': ([d(1, 1), d(4, 1)], 'active', d(7, 1)),
    'E': ([d(3, 10)], 'active', d(4, 10)),
    # No auto renewal: closed when its only period ended.
    'F': ([d(1, 1)], 'closed', d(2, 1)),
    }
NEW_PERIODS = 8


class RenewConcurrencyTestCase(unittest.TestCase):
    "Renewal cron workers in separate processes"

    def setUp(self):
        activate_modules('clinic_packs_membership')
        clinic = setup_clinic(d(1, 1))
        self.company = clinic.company

        ProductTemplate = Model.get('product.template')
        Party = Model.get('party.party')
        Plan = Model.get('clinic.membership.plan')
        Membership = Model.get('clinic.membership')

        def service(name, price):
            template = ProductTemplate(name=name, type='service',
                default_uom=clinic.uom.unit, list_price=Decimal(price),
                account_category=clinic.categories.massage)
            template.save()
            product, = template.products
            return product
        credit = create_template("Member massage",
            service("Member massage credit", '45.00'), 1,
            services=[clinic.products.massage])
        monthly = Plan(name="Monthly", interval='month',
            product=service("Monthly membership", '60.00'))
        monthly.allotments.new(pack_template=credit, quantity=1)
        monthly.save()
        quarterly = Plan(name="Quarterly", interval='quarter',
            product=service("Quarterly membership", '150.00'))
        quarterly.save()
        plans = {'monthly': monthly, 'quarterly': quarterly}

        self.memberships = {}
        for key, (plan, start, auto_renew) in MEMBERSHIPS.items():
            party = Party(name="Member %s" % key)
            party.customer_payment_term = clinic.payment_term
            party.save()
            membership = Membership(party=party, plan=plans[plan],
                start_date=start)
            membership.auto_renew = auto_renew
            membership.save()
            membership.click('activate')
            self.memberships[key] = membership
        self.assertEqual(self.periods(), {
                k: [s] for k, (_, s, _) in MEMBERSHIPS.items()})
        self.processes = []
        self.addCleanup(self.stop_workers)

    def start_worker(self, *options):
        "Start a worker and wait until it has loaded the pool."
        process = subprocess.Popen(
            [sys.executable, str(WORKER), RUN_DATE.isoformat(),
                str(self.company.id), *options],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True,
            env=dict(os.environ, DB_NAME=DB_NAME))
        self.processes.append(process)
        line = process.stdout.readline()
        if line != 'ready\n':
            process.kill()
            _, err = process.communicate()
            self.fail("worker did not start: %r\n%s" % (line, err))
        return process

    def go(self, *processes):
        "Release the workers together; return their exit codes and summaries."
        for process in processes:
            process.stdin.write('go\n')
            process.stdin.flush()
        results = []
        for process in processes:
            out, err = process.communicate(timeout=300)
            lines = out.splitlines()
            summary = (json.loads(lines[-1])
                if process.returncode == 0 else None)
            results.append((process.returncode, summary, err))
        return results

    def stop_workers(self):
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.communicate()

    def periods(self):
        "The start dates of each membership's periods."
        Period = Model.get('clinic.membership.period')
        keys = {m.id: k for k, m in self.memberships.items()}
        result = {k: [] for k in self.memberships}
        for period in Period.find([], order=[('start_date', 'ASC')]):
            result[keys[period.membership.id]].append(period.start_date)
        return result

    def assertComplete(self):
        "Everything due on 1 April exists once, and nothing more."
        Membership = Model.get('clinic.membership')
        Period = Model.get('clinic.membership.period')
        Invoice = Model.get('account.invoice')
        Pack = Model.get('clinic.pack')

        self.assertEqual(self.periods(),
            {k: starts for k, (starts, _, _) in EXPECTED.items()})
        for key, (_, state, next_start) in EXPECTED.items():
            membership = Membership(self.memberships[key].id)
            self.assertEqual(
                (key, membership.state, membership.next_period_start),
                (key, state, next_start))

        periods = Period.find([])
        self.assertEqual(len(periods), 14)
        # One fee invoice per period, posted: 12 months at 60.00 and 2
        # quarters at 150.00.
        invoices = Invoice.find([('type', '=', 'out')])
        self.assertEqual(len(invoices), 14)
        self.assertEqual(
            sorted(p.invoice_line.invoice.id for p in periods),
            sorted(i.id for i in invoices))
        self.assertEqual(Counter((i.state, i.total_amount) for i in invoices),
            Counter({
                    ('posted', Decimal('60.00')): 12,
                    ('posted', Decimal('150.00')): 2,
                    }))
        self.assertEqual(sum(i.total_amount for i in invoices),
            Decimal('1020.00'))
        # One massage credit per monthly period; those of the periods ended
        # by 1 April lapsed.
        packs = Pack.find([])
        self.assertEqual(Counter(p.origin.id for p in packs), Counter({
                    p.id: 1 for p in periods if p.plan.name == "Monthly"}))
        self.assertEqual(Counter(p.state for p in packs),
            Counter({'expired': 8, 'active': 4}))

    def test_two_workers_race(self):
        "Two cron workers renew at once: each period is created once"
        options = ['--batch-size', '2', '--hold', '0.5']
        first = self.start_worker(*options)
        second = self.start_worker(*options)

        results = self.go(first, second)

        for returncode, summary, err in results:
            self.assertEqual(returncode, 0, err)
        summaries = [s for _, s, _ in results]
        # They ran at the same time...
        self.assertLess(max(s['started'] for s in summaries),
            min(s['finished'] for s in summaries))
        # ...and shared the work without doing any of it twice.
        self.assertEqual(sum(s['periods'] for s in summaries), NEW_PERIODS)
        self.assertComplete()

    def test_killed_worker_then_rerun(self):
        "A run killed after its first batch is completed by the next one"
        killed = self.start_worker(
            '--batch-size', '1', '--kill-after-batches', '1')

        (returncode, summary, err), = self.go(killed)

        self.assertEqual(returncode, -9, err)
        # The first batch, membership A (due first), was committed whole.
        self.assertEqual(self.periods(), {
                'A': [d(1, 1), d(2, 1), d(3, 1), d(4, 1)],
                'B': [d(1, 15)],
                'C': [d(2, 1)],
                'D': [d(1, 1)],
                'E': [d(3, 10)],
                'F': [d(1, 1)],
                })

        rerun = self.start_worker('--batch-size', '1')
        (returncode, summary, err), = self.go(rerun)

        self.assertEqual(returncode, 0, err)
        self.assertEqual(summary['periods'], NEW_PERIODS - 3)
        self.assertComplete()
