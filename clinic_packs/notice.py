# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"The one way our modules email a patient: the host's ir.email."
import html

from trytond.pool import Pool
from trytond.transaction import Transaction


def email_party(party, record, compose):
    """Email party about record and return the ir.email, or None when the
    party has no email address.

    compose() returns the subject and the plain text body; it runs in the
    party's language.  The email is kept with record (its resource) and
    goes out when the transaction commits.
    """
    pool = Pool()
    EmailTemplate = pool.get('ir.email.template')
    Email = pool.get('ir.email')
    addresses = EmailTemplate.get_addresses(party)
    if not addresses:
        return None
    language = EmailTemplate.get_languages(party)[0]
    with Transaction().set_context(language=language.code):
        subject, body = compose()
    return Email.send(
        to=', '.join(addresses), subject=subject,
        body=html.escape(body).replace('\n', '<br/>\n'),
        record=[record.__name__, record.id])
