# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Two front desks race for the last session of a pack."
import datetime as dt
import threading
import time
import unittest
from decimal import Decimal

from proteus import Model

from trytond.exceptions import UserError
from trytond.modules.clinic_packs import guard
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME
from trytond.tests.tools import activate_modules
from trytond.transaction import Transaction

from .tools import create_template, redeem, setup_clinic


def call(func, context, hold=0):
    """Run func in its own transaction the way the RPC dispatcher does.

    hold keeps the transaction (and its locks) open before commit, to force
    the other request to collide.
    """
    def run():
        result = func()
        time.sleep(hold)
        return result
    return guard.retrying(
        lambda **extras: Transaction().start(
            DB_NAME, 1, context=context, **extras),
        run, retries=200, wait=0.002)


class RaceForLastUnitTestCase(unittest.TestCase):

    def test_two_transactions_one_unit(self):
        config = activate_modules('clinic_packs')
        clinic = setup_clinic(dt.date(2025, 1, 10), config=config)
        template = create_template(
            "2 sessions", clinic.products.physio_pack, 2,
            services=[clinic.products.physio])
        PackModel = Model.get('clinic.pack')
        pack = PackModel(party=clinic.patient, template=template,
            amount=Decimal(100), start_date=dt.date(2025, 1, 10))
        pack.save()
        pack.click('activate')
        redeem(pack, clinic.products.physio, dt.date(2025, 1, 11))
        pack_id = pack.id
        product_id = clinic.products.physio.id
        context = {'company': clinic.company.id}

        def make_redemption():
            Redemption = Pool().get('clinic.pack.redemption')
            redemption = Redemption(pack=pack_id, product=product_id,
                date=dt.date(2025, 1, 12), quantity=1)
            redemption.save()
            return redemption.id
        ids = [call(make_redemption, context) for _ in range(2)]

        barrier = threading.Barrier(2)
        outcome = {}

        def desk(index):
            def do():
                Redemption = Pool().get('clinic.pack.redemption')
                Redemption.do([Redemption(ids[index])])
                return 'won'
            barrier.wait()
            try:
                outcome[index] = call(do, context, hold=0.5)
            except UserError as e:
                outcome[index] = e.message

        threads = [threading.Thread(target=desk, args=(i,)) for i in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        self.assertEqual(sorted(outcome.values(), key=len), [
                'won',
                'You cannot redeem from pack "%s" because it is Exhausted.'
                % pack.number,
                ])

        def read():
            pool = Pool()
            Pack = pool.get('clinic.pack')
            Redemption = pool.get('clinic.pack.redemption')
            pack = Pack(pack_id)
            return (pack.state, pack.remaining_quantity,
                pack.remaining_amount,
                sorted(r.state for r in Redemption.browse(ids)))
        self.assertEqual(call(read, context), (
                'exhausted', 0, 0, ['done', 'draft']))
