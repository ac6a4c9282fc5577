# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError, ValidationError


class PackError(UserError):
    pass


class PackValidationError(ValidationError):
    pass


class PackAccessError(AccessError):
    pass


class RedemptionError(UserError):
    pass


class ConsentRequiredError(UserError):
    pass


class ConsentError(UserError):
    pass


class ConsentAccessError(AccessError):
    pass


class WorkflowAccessError(PackAccessError):
    "A user's direct change of what only the workflow changes."


class CompanyAccessError(PackAccessError):
    "A record of a company that is not one of the user's."


class BusyError(UserError):
    "A record held by another request for longer than we wait."


class NumberError(ValidationError):
    "A number that is not finite or beyond what a clinic could mean."


class PartyPackError(UserError):
    "A patient whose packs or consents stop a replacement."
