# This file is part of clinic_packs_accounting.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
from trytond.pool import Pool

from . import configuration

__all__ = ['register']


def register():
    Pool.register(
        configuration.Configuration,
        module='clinic_packs_accounting', type_='model')
