# This file is part of clinic_packs_membership.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
from trytond.pool import Pool

from . import plan

__all__ = ['register']


def register():
    Pool.register(
        plan.Plan,
        module='clinic_packs_membership', type_='model')
