# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.pool import Pool

from . import pack

__all__ = ['register']


def register():
    Pool.register(
        pack.Template,
        pack.TemplateService,
        pack.TemplateServiceCategory,
        module='clinic_packs', type_='model')
