# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""A small JSON-RPC client for trytond 7.0, on urllib only, and the
modules' messages for comparing what the server says.

    client = Client(url, database)
    client.login('frontdesk', 'clinicdesk')
    Pack = client.model('clinic.pack')
    ids = Pack.call('search', [('state', '=', 'active')], 0, None, None)
    client.button('clinic.pack.redemption', 'do', [redemption_id])
    wizard = client.wizard('clinic.pack.redeem', 'party.party', [party_id])
    view = wizard.execute('start')
    wizard.execute('redeem', {'start': {...}})
    wizard.delete()

The user context (from res.user.get_preferences) is passed as the last
parameter of every model and wizard call, as the Tryton clients do.

Errors: trytond 7.0 answers {"error": [name, args]} and serialises every
UserError subclass (AccessError, ValidationError, the modules' own) as
"UserError" with args [message, description, domain]; a UserWarning as
"UserWarning" with [name, message, description]; any other exception
(a raw database error for example) as [str(exception), traceback].  RPCError
keeps the raw payload; its kind is the Tryton exception name, or
"ServerError" for anything else.
"""
import base64
import datetime as dt
import itertools
import json
import re
import threading
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

from trytond.modules.clinic_packs.compat import TRYTON_8

REPO = Path(__file__).resolve().parent.parent

TRYTON_EXCEPTIONS = {
    'UserError', 'UserWarning', 'LoginException', 'ConcurrencyException',
    'RateLimitException', 'MissingDependenciesException',
    }


# --- JSON as trytond speaks it ---------------------------------------------

def _default(obj):
    if isinstance(obj, dt.datetime):
        return {'__class__': 'datetime', 'year': obj.year,
            'month': obj.month, 'day': obj.day, 'hour': obj.hour,
            'minute': obj.minute, 'second': obj.second,
            'microsecond': obj.microsecond}
    if isinstance(obj, dt.date):
        return {'__class__': 'date', 'year': obj.year, 'month': obj.month,
            'day': obj.day}
    if isinstance(obj, dt.time):
        return {'__class__': 'time', 'hour': obj.hour,
            'minute': obj.minute, 'second': obj.second,
            'microsecond': obj.microsecond}
    if isinstance(obj, dt.timedelta):
        return {'__class__': 'timedelta', 'seconds': obj.total_seconds()}
    if isinstance(obj, Decimal):
        return {'__class__': 'Decimal', 'decimal': str(obj)}
    if isinstance(obj, (bytes, bytearray)):
        return {'__class__': 'bytes',
            'base64': base64.encodebytes(bytes(obj)).decode('ascii')}
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    raise TypeError("cannot send %r over JSON-RPC" % (obj,))


_DECODERS = {
    'datetime': lambda d: dt.datetime(d['year'], d['month'], d['day'],
        d['hour'], d['minute'], d['second'], d['microsecond']),
    'date': lambda d: dt.date(d['year'], d['month'], d['day']),
    'time': lambda d: dt.time(d['hour'], d['minute'], d['second'],
        d['microsecond']),
    'timedelta': lambda d: dt.timedelta(seconds=d['seconds']),
    'bytes': lambda d: base64.decodebytes(d['base64'].encode('ascii')),
    'Decimal': lambda d: Decimal(d['decimal']),
    }


def _object_hook(dct):
    decoder = _DECODERS.get(dct.get('__class__'))
    return decoder(dct) if decoder else dct


def dumps(data):
    # allow_nan: NaN and Infinity floats go out as the JSON extensions
    # Python (and so trytond) reads back.
    return json.dumps(data, default=_default, allow_nan=True,
        separators=(',', ':'))


def loads(text):
    return json.loads(text, object_hook=_object_hook)


# --- errors ------------------------------------------------------------------

class RPCError(Exception):
    """An error answered by the server.

    kind: "UserError" (also AccessError, ValidationError and the modules'
    exceptions), "UserWarning", "LoginException", "ConcurrencyException",
    ..., "ServerError" for an exception that is not Tryton's (a raw
    database error), or "HTTP <status>".
    message: the message text (for a ServerError, the exception's text).
    payload: the raw "error" of the answer.
    """

    def __init__(self, method, payload, status=None):
        self.method = method
        self.payload = payload
        self.status = status
        self.description = ''
        self.traceback = ''
        if status is not None:
            self.kind = 'HTTP %s' % status
            self.message = str(payload)
        elif (isinstance(payload, (list, tuple)) and payload
                and payload[0] in TRYTON_EXCEPTIONS):
            self.kind = payload[0]
            args = payload[1] if len(payload) > 1 else None
            if self.kind == 'UserWarning' and isinstance(args, list):
                self.message = args[1] if len(args) > 1 else ''
                self.description = args[2] if len(args) > 2 else ''
            elif isinstance(args, list):
                self.message = args[0] if args else ''
                self.description = args[1] if len(args) > 1 else ''
            else:
                self.message = args if isinstance(args, str) else str(args)
        else:
            self.kind = 'ServerError'
            if isinstance(payload, (list, tuple)) and payload:
                self.message = str(payload[0])
                self.traceback = str(payload[1]) if len(payload) > 1 else ''
            else:
                self.message = str(payload)
        super().__init__('%s: %s: %s' % (method, self.kind, self.message))

    @property
    def user_error(self):
        "Whether the server refused cleanly, with a Tryton user error."
        return self.kind == 'UserError'

    def __str__(self):
        text = '%s: %s: %s' % (self.method, self.kind, self.message)
        if self.description:
            text += ' (%s)' % self.description
        if self.traceback:
            text += '\n' + self.traceback[-2000:]
        return text


# --- the client --------------------------------------------------------------

def rpc_url(url, database):
    "The JSON-RPC address of database: /<database>/rpc/ on 8.0, / before."
    return '%s%s/%s' % (url, database, 'rpc/' if TRYTON_8 else '')


class Client:
    "One user's session on one trytond server."

    _ids = itertools.count(1)
    _ids_lock = threading.Lock()

    def __init__(self, url, database, timeout=120):
        self.url = url if url.endswith('/') else url + '/'
        self.database = database
        self.timeout = timeout
        self.login_name = None
        self.user_id = None
        self.session = None
        self.context = {}

    def __repr__(self):
        return '<Client %s@%s%s>' % (self.login_name, self.url, self.database)

    def _next_id(self):
        with self._ids_lock:
            return next(self._ids)

    def request(self, method, params):
        "Send one call; return its result or raise RPCError."
        headers = {'Content-Type': 'application/json'}
        if self.session:
            token = '%s:%s:%s' % (self.login_name, self.user_id, self.session)
            headers['Authorization'] = 'Session ' + base64.b64encode(
                token.encode('utf-8')).decode('ascii')
        body = dumps({'id': self._next_id(), 'method': method,
                'params': list(params)}).encode('utf-8')
        request = urllib.request.Request(
            rpc_url(self.url, self.database), data=body, method='POST',
            headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as r:
                answer = loads(r.read().decode('utf-8'))
        except urllib.error.HTTPError as error:
            text = error.read().decode('utf-8', 'replace')
            raise RPCError(method, text, status=error.code) from None
        if answer.get('error') is not None:
            raise RPCError(method, answer['error'])
        return answer.get('result')

    def login(self, login, password, language='en'):
        "Log in and fetch the user's context; return self."
        # 8.0 adds the bus address after the user and the session.
        user_id, session = self.request(
            'common.db.login', [login, {'password': password}, language])[:2]
        self.login_name = login
        self.user_id = user_id
        self.session = session
        self.context = self.request(
            'model.res.user.get_preferences', [True, {}])
        return self

    def logout(self):
        if self.session:
            try:
                self.request('common.db.logout', [])
            except (RPCError, OSError):
                pass
        self.session = None

    def with_context(self, **values):
        "The user's context updated with values (a new dict)."
        return {**self.context, **values}

    def call(self, method, *args, context=None):
        "Call a model or wizard method; the context goes last."
        ctx = self.context if context is None else context
        return self.request(method, [*args, ctx])

    def model(self, name):
        return ModelProxy(self, name)

    def button(self, model, name, ids, context=None):
        "Click button name of model on ids, as the clients do."
        return self.call(
            'model.%s.%s' % (model, name), list(ids), context=context)

    def wizard(self, name, active_model=None, active_ids=None,
            action_id=None, context=None):
        """Start wizard name on records (a new session); the context carries
        active_model, active_id and active_ids as the clients set them."""
        return WizardSession(self, name, active_model, active_ids,
            action_id=action_id, context=context)


class ModelProxy:
    def __init__(self, client, name):
        self.client = client
        self.name = name

    def call(self, method, *args, context=None):
        return self.client.call(
            'model.%s.%s' % (self.name, method), *args, context=context)

    # The usual calls, for brevity.
    def search(self, domain, offset=0, limit=None, order=None, context=None):
        return self.call('search', domain, offset, limit, order,
            context=context)

    def read(self, ids, fields, context=None):
        return self.call('read', list(ids), list(fields), context=context)

    def create(self, vlist, context=None):
        return self.call('create', list(vlist), context=context)

    def write(self, *args, context=None):
        return self.call('write', *args, context=context)

    def delete(self, ids, context=None):
        return self.call('delete', list(ids), context=context)

    def button(self, name, ids, context=None):
        return self.client.button(self.name, name, ids, context=context)


class WizardSession:
    "A wizard session run over RPC, step by step as the clients do."

    def __init__(self, client, name, active_model=None, active_ids=None,
            action_id=None, context=None):
        self.client = client
        self.name = name
        ctx = dict(client.context if context is None else context)
        if active_model:
            ids = list(active_ids or [])
            ctx.update({
                    'active_model': active_model,
                    'active_id': ids[0] if ids else None,
                    'active_ids': ids,
                    })
        if action_id is not None:
            ctx['action_id'] = action_id
        self.context = ctx
        self.session_id, self.start_state, self.end_state = client.call(
            'wizard.%s.create' % name, context=ctx)
        self.values = {}

    def execute(self, state, data=None):
        """Execute state with data {state_name: {field: value}}; remember
        the defaults a view state returns, to send them back later."""
        result = self.client.call(
            'wizard.%s.execute' % self.name, self.session_id, data or {},
            state, context=self.context)
        view = (result or {}).get('view')
        if view:
            # The clients send every field of the view, empty ones too.
            fields = (view.get('fields_view') or {}).get('fields') or {}
            values = dict.fromkeys(fields)
            values.update(view.get('defaults') or {})
            values.update(view.get('values') or {})
            values = {k: v for k, v in values.items()
                if '.' not in k and k != 'id'}
            self.values[view['state']] = values
        return result

    def submit(self, view_state, button_state, **values):
        "Send the view's defaults updated with values, and click button."
        data = dict(self.values.get(view_state, {}))
        data.update(values)
        return self.execute(button_state, {view_state: data})

    def delete(self):
        try:
            return self.client.call(
                'wizard.%s.delete' % self.name, self.session_id,
                context=self.context)
        except (RPCError, OSError):
            return None

    def run(self, view_state, button_state, **values):
        """Open view_state, fill values, click button_state and end the
        session; return the result of the click."""
        try:
            self.execute(view_state)
            return self.submit(view_state, button_state, **values)
        finally:
            self.delete()


# --- the modules' messages ---------------------------------------------------

# A balance sheet account of company %(company)s that no pack setting
# names (id, name): an account to open packs entered by hand against.
SPARE_BALANCE_ACCOUNT = (
    "SELECT a.id, a.name FROM account_account AS a "
    "JOIN account_account_type AS t ON t.id = a.type "
    "WHERE a.company = %(company)s AND t.statement = 'balance' "
    "AND NOT t.receivable AND NOT t.payable "
    "AND a.closed IS NOT TRUE AND a.id NOT IN ("
        "SELECT unnest(ARRAY[contract_liability_account, "
            "breakage_revenue_account, breakage_accrual_account, "
            "unclaimed_property_account]) "
        "FROM account_configuration_pack_account "
        "WHERE company = %(company)s) "
    "ORDER BY a.code, a.id LIMIT 1")


MESSAGE_FILES = {
    'clinic_packs': REPO / 'clinic_packs' / 'message.xml',
    'clinic_packs_membership': REPO / 'clinic_packs_membership'
    / 'message.xml',
    'clinic_packs_accounting': REPO / 'clinic_packs_accounting'
    / 'message.xml',
    }


def _trytond_message_file():
    import trytond
    return Path(trytond.__file__).resolve().parent / 'ir' / 'message.xml'


_messages = None


def _load_messages():
    messages = {}
    files = dict(MESSAGE_FILES)
    try:
        files['ir'] = _trytond_message_file()
    except ImportError:
        pass
    for module, path in files.items():
        root = ET.parse(path).getroot()
        for record in root.iter('record'):
            if record.get('model') != 'ir.message':
                continue
            for field in record.iter('field'):
                if field.get('name') == 'text':
                    messages['%s.%s' % (module, record.get('id'))] = (
                        field.text or '')
    return messages


def messages(reload=False):
    "All messages: 'module.id' -> text (the three modules and trytond's ir)."
    global _messages
    if _messages is None or reload:
        _messages = _load_messages()
    return _messages


class MissingMessage(AssertionError):
    "The test names a message its module does not define (yet)."


def message_text(message_id):
    "The text of message_id, e.g. 'clinic_packs.msg_workflow_field'."
    try:
        return messages()[message_id]
    except KeyError:
        module = message_id.split('.', 1)[0]
        raise MissingMessage(
            "message %s is not defined in %s/message.xml"
            % (message_id, module)) from None


def format_message(message_id, **kwargs):
    "The message as gettext formats it with kwargs."
    return message_text(message_id) % kwargs


_PLACEHOLDER = re.compile(r'%%|%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[sdrfg]')


def message_pattern(message_id, **kwargs):
    """A regular expression matching message_id formatted with kwargs, any
    placeholder not in kwargs matching any text."""
    text = message_text(message_id)
    parts = []
    position = 0
    for match in _PLACEHOLDER.finditer(text):
        parts.append(re.escape(text[position:match.start()]))
        if match.group(0) == '%%':
            parts.append('%')
        elif match.group(1) in kwargs:
            parts.append(re.escape(str(kwargs[match.group(1)])))
        else:
            parts.append('.+?')
        position = match.end()
    parts.append(re.escape(text[position:]))
    return re.compile(''.join(parts), re.DOTALL)


def matches_message(text, message_id, **kwargs):
    return bool(message_pattern(message_id, **kwargs).fullmatch(text or ''))


def which_message(text, message_ids):
    "The first of message_ids whose pattern text matches, or None."
    for message_id in message_ids:
        if message_id in messages() and matches_message(text, message_id):
            return message_id
    return None


# Trytond's own refusals of a user's access (ir/message.xml).
ACCESS_MESSAGES = [
    'ir.msg_access_rule_error',
    'ir.msg_access_rule_field_error',
    'ir.msg_read_rule_error',
    'ir.msg_write_rule_error',
    'ir.msg_create_rule_error',
    'ir.msg_delete_rule_error',
    'ir.msg_read_error',
    'ir.msg_write_error',
    'ir.msg_access_button_error',
    'ir.msg_access_wizard_error',
    'ir.msg_access_wizard_model_error',
    ]


# --- assertions ----------------------------------------------------------------

def refused(function, *args, **kwargs):
    """Call function and return the RPCError it raises; fail when the call
    is accepted."""
    try:
        result = function(*args, **kwargs)
    except RPCError as error:
        return error
    raise AssertionError("the call was accepted (result %r)" % (result,))


def assert_clean_refusal(error):
    "The server refused with a user error, not a raw exception."
    assert isinstance(error, RPCError), error
    assert error.kind == 'UserError', (
        "expected a user error, got %s" % error)


def assert_message(error, message_id, **kwargs):
    """error is a user error whose message is message_id (formatted with
    kwargs, other placeholders matching anything)."""
    assert_clean_refusal(error)
    pattern = message_pattern(message_id, **kwargs)
    assert pattern.fullmatch(error.message or ''), (
        "expected %s (%r), got: %s" % (
            message_id, message_text(message_id), error.message))


def assert_state_refused(error, message_id, button):
    """error refuses a click on button, read-only in the record's state:
    7.0 runs our method, which refuses with message_id saying what to do
    instead; 8.0 refuses such a click itself before our method runs,
    naming the button, the record and the model."""
    if TRYTON_8:
        assert_message(error, 'ir.msg_button_state_record', button=button)
    else:
        assert_message(error, message_id)


def state_refusals(message_id):
    """The messages refusing a click on a button the record's state makes
    read-only: ours (message_id), and on 8.0 the host's own, which refuses
    before our method runs when the record is already in that state."""
    return [message_id] + (['ir.msg_button_state_record'] if TRYTON_8 else [])


def assert_one_of_messages(error, message_ids):
    "error is a user error whose message is one of message_ids."
    assert_clean_refusal(error)
    known = [m for m in message_ids if m in messages()]
    assert which_message(error.message, known), (
        "expected one of %s, got: %s" % (', '.join(message_ids),
            error.message))


def assert_access_refused(error, message_ids=()):
    """error is a refusal of access: trytond's own access messages or one
    of message_ids (the modules' access errors)."""
    assert_one_of_messages(error, list(message_ids) + ACCESS_MESSAGES)
