# This file is part of clinic_packs_membership.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""A renewal cron worker in a process of its own, for the concurrency tests.

    python renew_worker.py DATE COMPANY [--batch-size N] [--hold SECONDS]
        [--kill-after-batches N]

The database is the one of the environment (TRYTOND_DATABASE_URI, DB_NAME).
The worker loads the pool, prints "ready" and waits for a line on stdin (the
test's barrier), then runs clinic.membership|renew for DATE the way ir.cron
does: in a transaction of user 0 restarted with the locks a TransactionError
asks for and retried on a DatabaseOperationalError (a lock held by the other
worker).  It prints a JSON summary on the last line of stdout.

--hold keeps each batch's transaction, and its row locks, open that long
before it commits, so that two workers collide.  --kill-after-batches makes
the process SIGKILL itself once that many batches have committed: a cron
killed mid-run.
"""
import argparse
import datetime as dt
import json
import os
import signal
import sys
import time

from trytond.pool import Pool
from trytond.transaction import Transaction


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('date', type=dt.date.fromisoformat)
    parser.add_argument('company', type=int)
    parser.add_argument('--batch-size', type=int)
    parser.add_argument('--hold', type=float, default=0)
    parser.add_argument('--kill-after-batches', type=int)
    args = parser.parse_args()

    database = os.environ['DB_NAME']
    pool = Pool(database)
    pool.init()
    from trytond.modules.clinic_packs import guard
    from trytond.modules.clinic_packs_membership import membership as module
    if args.batch_size:
        module.BATCH_SIZE = args.batch_size
    Membership = pool.get('clinic.membership')
    summary = {'periods': 0, 'batches': 0, 'retries': 0, 'restarts': 0}

    # Count the periods created in each attempt of a batch; only those of
    # the attempt that committed are the worker's.
    attempt = []
    create_periods = Membership._create_periods

    def _create_periods(memberships, *args, **kwargs):
        periods = create_periods(memberships, *args, **kwargs)
        attempt.extend(periods)
        return periods
    Membership._create_periods = staticmethod(_create_periods)

    in_new_transaction = module.in_new_transaction

    def _in_new_transaction(func, *locks):
        def run():
            attempt.clear()
            func()
            time.sleep(args.hold)
        tables = in_new_transaction(run, *locks)
        summary['periods'] += len(attempt)
        summary['batches'] += 1
        if summary['batches'] == args.kill_after_batches:
            sys.stdout.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        return tables
    module.in_new_transaction = _in_new_transaction

    print('ready', flush=True)
    sys.stdin.readline()
    summary['started'] = time.time()
    context = {'company': args.company, '_skip_warnings': True}

    def restarted():
        summary['restarts'] += 1

    def retried(count):
        summary['retries'] = count
    guard.retrying(
        lambda **extras: Transaction().start(
            database, 0, context=context, **extras),
        lambda: Membership.renew(args.date), retries=50, wait=0.01,
        on_restart=restarted, on_retry=retried)
    summary['finished'] = time.time()
    print(json.dumps(summary), flush=True)


if __name__ == '__main__':
    main()
