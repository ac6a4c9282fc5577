# This file is part of clinic_packs_membership.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError


class PlanValidationError(ValidationError):
    pass


class MembershipError(UserError):
    pass


class MembershipValidationError(ValidationError):
    pass
