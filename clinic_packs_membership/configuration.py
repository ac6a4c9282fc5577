# This file is part of clinic_packs_membership.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, Id


class Configuration(metaclass=PoolMeta):
    __name__ = 'clinic.pack.configuration'

    membership_sequence = fields.MultiValue(fields.Many2One(
            'ir.sequence', "Membership Sequence", required=True,
            domain=[
                ('company', 'in',
                    [Eval('context', {}).get('company', -1), None]),
                ('sequence_type', '=',
                    Id('clinic_packs_membership', 'sequence_type_membership')),
                ],
            help="Numbers the memberships of the company."))

    @classmethod
    def _sequence_fields(cls):
        return super()._sequence_fields() | {'membership_sequence'}

    @classmethod
    def default_membership_sequence(cls, **pattern):
        return cls.multivalue_model(
            'membership_sequence').default_membership_sequence()


class ConfigurationSequence(metaclass=PoolMeta):
    __name__ = 'clinic.pack.configuration.sequence'

    membership_sequence = fields.Many2One(
        'ir.sequence', "Membership Sequence", required=True,
        domain=[
            ('company', 'in', [Eval('company', -1), None]),
            ('sequence_type', '=',
                Id('clinic_packs_membership', 'sequence_type_membership')),
            ])

    @classmethod
    def default_membership_sequence(cls):
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        try:
            return ModelData.get_id(
                'clinic_packs_membership', 'sequence_membership')
        except KeyError:
            return None
