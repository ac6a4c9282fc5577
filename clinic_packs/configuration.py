# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.model import ModelSingleton, ModelSQL, ModelView, fields
from trytond.modules.company.model import (
    CompanyMultiValueMixin, CompanyValueMixin)
from trytond.pool import Pool
from trytond.pyson import Eval, Id


class Configuration(
        ModelSingleton, ModelSQL, ModelView, CompanyMultiValueMixin):
    "Clinic Packs Configuration"
    __name__ = 'clinic.pack.configuration'

    pack_sequence = fields.MultiValue(fields.Many2One(
            'ir.sequence', "Pack Sequence", required=True,
            domain=[
                ('company', 'in',
                    [Eval('context', {}).get('company', -1), None]),
                ('sequence_type', '=',
                    Id('clinic_packs', 'sequence_type_pack')),
                ],
            help="Numbers the packs of the company."))

    @classmethod
    def multivalue_model(cls, field):
        pool = Pool()
        if field in cls._sequence_fields():
            return pool.get('clinic.pack.configuration.sequence')
        return super().multivalue_model(field)

    @classmethod
    def _sequence_fields(cls):
        "The names of the per-company sequences (modules add theirs)."
        return {'pack_sequence'}

    @classmethod
    def default_pack_sequence(cls, **pattern):
        return cls.multivalue_model(
            'pack_sequence').default_pack_sequence()


class ConfigurationSequence(ModelSQL, CompanyValueMixin):
    "Clinic Packs Configuration Sequence"
    __name__ = 'clinic.pack.configuration.sequence'

    pack_sequence = fields.Many2One(
        'ir.sequence', "Pack Sequence", required=True,
        domain=[
            ('company', 'in', [Eval('company', -1), None]),
            ('sequence_type', '=',
                Id('clinic_packs', 'sequence_type_pack')),
            ])

    @classmethod
    def default_pack_sequence(cls):
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        try:
            return ModelData.get_id('clinic_packs', 'sequence_pack')
        except KeyError:
            return None
