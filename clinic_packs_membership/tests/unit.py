# This file is part of clinic_packs_membership.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"The clinic of the membership unit tests: clinic_packs' own, with a plan."
from decimal import Decimal

from trytond.modules.clinic_packs.tests import unit
from trytond.pool import Pool

__all__ = ['setup_clinic']


def setup_clinic(company):
    """Create the clinic_packs test clinic of company (with its accounts)
    and a monthly plan whose fee of 60.00 is invoiced but not posted.

    Return the clinic_packs namespace with fee and plan added."""
    pool = Pool()
    ProductTemplate = pool.get('product.template')
    Plan = pool.get('clinic.membership.plan')
    clinic = unit.setup_clinic(company, accounting=True)
    template, = ProductTemplate.create([{
                'name': "Membership", 'type': 'service',
                'default_uom': clinic.unit.id,
                'list_price': Decimal('60.00'),
                'account_category': clinic.physio.account_category.id,
                'products': [('create', [{}])]}])
    clinic.fee, = template.products
    clinic.plan, = Plan.create([{
                'name': "Monthly", 'product': clinic.fee.id,
                'interval': 'month', 'post_invoices': False}])
    return clinic
