"""Authentication against the real third-party client (PyPI `mediafire` 0.6.1) and raw requests.

spec/auth.md §2 (login SHA-1 signature), §4 (v2 call signature, key rotation, one-step-ahead
rule, error codes 105/107/127).
"""

import hashlib
import itertools
from urllib.parse import urlencode

import requests

from conftest import HTTP_TIMEOUT

MINSTD_MUL = 16807
MINSTD_MOD = 2147483647


def rotate(key, steps=1):
    for _ in range(steps):
        key = key * MINSTD_MUL % MINSTD_MOD
    return key


def envelope(resp):
    """The `response` node of a JSON answer; the SDK needs this exact Content-Type."""
    content_type = resp.headers.get("Content-Type")
    assert content_type == "application/json", (
        f"Content-Type {content_type!r}: PyPI mediafire treats anything but exactly "
        "'application/json' as a raw (non-API) body"
    )
    body = resp.json()
    assert set(body) == {"response"}, body
    return body["response"]


def assert_error(node, code):
    assert node["result"] == "Error", node
    assert node["error"] == code and isinstance(node["error"], int), node
    assert isinstance(node.get("message"), str) and node["message"], node
    assert "new_key" not in node, f"errors never rotate: {node}"


def assert_success(node):
    assert node["result"] == "Success", node
    assert node.get("new_key") == "yes", f"a signed v2 call must answer new_key=yes: {node}"


# --- raw client -----------------------------------------------------------------------------


class RawSession:
    """A v2 session driven with plain `requests`, signing by the spec formula."""

    def __init__(self, server, session_token, secret_key, time):
        self.server = server
        self.session_token = session_token
        self.key = secret_key  # the key the next call should be signed with
        self.time = time

    def build(self, action, params=None, key=None, signature=None, session_token=None):
        """(path, body) for a POST form call; signature = MD5(k%256 + time + path?query)."""
        path = f"/api/1.5/{action}.php"
        pairs = [("session_token", session_token or self.session_token)]
        pairs += list((params or {}).items())
        pairs.append(("response_format", "json"))
        query = urlencode(pairs)
        if signature is None:
            k = self.key if key is None else key
            base = f"{k % 256}{self.time}{path}?{query}"
            signature = hashlib.md5(base.encode("utf-8")).hexdigest()
        return path, f"{query}&signature={signature}"

    def post(self, path, body):
        resp = requests.post(
            self.server.base_url + path,
            data=body.encode("utf-8"),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=HTTP_TIMEOUT,
        )
        return envelope(resp)

    def get(self, path, query):
        resp = requests.get(f"{self.server.base_url}{path}?{query}", timeout=HTTP_TIMEOUT)
        return envelope(resp)

    def call_ok(self, action, params=None):
        """A correctly signed call that must succeed; rotates the local key."""
        node = self.post(*self.build(action, params))
        assert_success(node)
        self.key = rotate(self.key)
        return node


def login_body(server, password=None, token_version="2"):
    password = server.password if password is None else password
    signature = hashlib.sha1(
        (server.email + password + server.app_id).encode("utf-8")
    ).hexdigest()
    return urlencode(
        [
            ("email", server.email),
            ("password", password),
            ("application_id", server.app_id),
            ("token_version", token_version),
            ("response_format", "json"),
            ("signature", signature),
        ]
    )


def raw_login(server):
    resp = requests.post(
        server.base_url + "/api/1.5/user/get_session_token.php",
        data=login_body(server).encode("utf-8"),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=HTTP_TIMEOUT,
    )
    node = envelope(resp)
    assert node["result"] == "Success", node
    assert "new_key" not in node, f"get_session_token never rotates: {node}"
    for field in ("session_token", "secret_key", "time"):
        assert isinstance(node.get(field), str) and node[field], (field, node)
    secret_key = int(node["secret_key"])
    assert 1 <= secret_key <= MINSTD_MOD - 1, node
    return RawSession(server, node["session_token"], secret_key, node["time"])


def raw_login_without_twins(server, keys=6):
    """A session whose next `keys` keys have distinct low bytes. Signatures cover key mod 256
    only, so a replayed or skipped-ahead call signed with a key that shares its low byte with
    a key the server accepts is, by the protocol, valid (docs/api-quirks.md); tests of 127 for
    replays and keys two ahead use a chain without such twins."""
    for _ in range(50):
        sess = raw_login(server)
        if len({rotate(sess.key, i) % 256 for i in range(keys)}) == keys:
            return sess
    raise AssertionError("50 logins without a twin-free key chain")


# --- the real SDK ---------------------------------------------------------------------------


def test_sdk_login_v2_and_200_signed_calls(server, mf_api):
    login = mf_api.user_get_session_token(
        app_id=server.app_id, email=server.email, password=server.password
    )
    assert isinstance(login, dict), f"login answer not parsed as JSON by the SDK: {login!r}"
    assert login["action"] == "user/get_session_token"
    # token_version=2 (the SDK always asks for it): secret_key and time come back as strings.
    assert isinstance(login["secret_key"], str) and isinstance(login["time"], str), login
    mf_api.session = login
    first_key = int(login["secret_key"])

    calls = itertools.cycle(
        [mf_api.user_get_info, mf_api.user_get_limits, mf_api.user_get_settings]
    )
    n_calls = 210
    for i in range(n_calls):
        call = next(calls)
        node = call()  # the SDK raises MediaFireApiError on result != Success
        assert isinstance(node, dict), f"call {i}: SDK got a non-JSON answer: {node!r}"
        assert node["result"] == "Success", (i, node)
        assert node.get("new_key") == "yes", (i, node)
        if call == mf_api.user_get_info:
            assert node["user_info"]["email"] == server.email, node

    # The SDK rotated once per answer carrying new_key=yes.
    assert int(mf_api.session["secret_key"]) == rotate(first_key, n_calls)
    info = mf_api.user_get_info()
    assert info["action"] == "user/get_info"
    assert info["user_info"]["email"] == server.email


# --- raw requests ---------------------------------------------------------------------------


def test_raw_signed_calls_post_and_get(server):
    sess = raw_login(server)
    node = sess.call_ok("user/get_info")
    assert node["user_info"]["email"] == server.email
    # GET signs the query string exactly as sent.
    path, query = sess.build("user/get_limits")
    node = sess.get(path, query)
    assert_success(node)
    sess.key = rotate(sess.key)
    sess.call_ok("user/get_settings")


def test_replay_of_previous_call_is_127(server):
    sess = raw_login_without_twins(server)
    call_1 = sess.build("user/get_info")
    assert_success(sess.post(*call_1))
    sess.key = rotate(sess.key)
    sess.call_ok("user/get_limits")
    assert_error(sess.post(*call_1), 127)
    # The error did not rotate: the expected key still works.
    sess.call_ok("user/get_info")


def test_signature_two_keys_ahead_is_127(server):
    sess = raw_login_without_twins(server)
    sess.call_ok("user/get_info")
    node = sess.post(*sess.build("user/get_info", key=rotate(sess.key, 2)))
    assert_error(node, 127)
    sess.call_ok("user/get_info")


def test_garbage_signature_is_127(server):
    sess = raw_login(server)
    for garbage in ("0" * 32, "not-a-signature"):
        assert_error(sess.post(*sess.build("user/get_info", signature=garbage)), 127)
    sess.call_ok("user/get_info")


def test_unknown_session_token_is_105(server):
    sess = raw_login(server)
    unknown = "f" * len(sess.session_token)
    assert unknown != sess.session_token
    assert_error(sess.post(*sess.build("user/get_info", session_token=unknown)), 105)
    sess.call_ok("user/get_info")


def test_login_with_wrong_password_is_107(server):
    resp = requests.post(
        server.base_url + "/api/1.5/user/get_session_token.php",
        data=login_body(server, password="wrong horse").encode("utf-8"),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=HTTP_TIMEOUT,
    )
    node = envelope(resp)
    assert_error(node, 107)
    assert "session_token" not in node


def test_one_step_ahead_is_accepted_once(server):
    sess = raw_login_without_twins(server)
    k0 = sess.key
    ahead = sess.build("user/get_info", key=rotate(k0))
    node = sess.post(*ahead)
    assert_success(node)  # adopted k1, then rotated to k2
    assert node["user_info"]["email"] == server.email
    # Accepted once only: the same request again, and the skipped key, are now too old.
    assert_error(sess.post(*ahead), 127)
    assert_error(sess.post(*sess.build("user/get_info", key=k0)), 127)
    sess.key = rotate(k0, 2)
    sess.call_ok("user/get_limits")
    sess.call_ok("user/get_settings")
