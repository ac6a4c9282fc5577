# This file is part of clinic_packs_accounting.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError, ValidationError


class PackPostingError(UserError):
    pass


class ReportCompanyError(AccessError):
    "A report or a wizard on a company that is not one of the user's."


class PlanSellingPriceError(ValidationError):
    "A membership plan with allotments needs its access stand-alone price."
