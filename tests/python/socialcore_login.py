#!/usr/bin/env python3
"""Drive the real social-auth-core OIDC backend the way NetBox does, without Django.

    socialcore_login.py dump SETTINGS [--repr]
    socialcore_login.py login SETTINGS --redirect-uri URI [--browser-ca PATH]

SETTINGS is a NetBox configuration file: a Python module of module-level assignments
(helper functions and imports allowed). It is executed as a module, as NetBox imports its
configuration.py, and only its upper-case names are kept.

dump   prints the evaluated upper-case names as one JSON object (tuples and sets become
       lists; other non-JSON values become their repr). With --repr every value is its
       Python repr instead, so type and exact text can be compared.

login  builds social_core.backends.open_id_connect.OpenIdConnectAuth with a minimal
       in-memory strategy and storage, calls auth_url() (discovery), performs the browser
       step with requests (GET the authorize URL, no redirect following, take code/state
       from Location), then backend.complete() (token, ID token checks, userinfo, the
       pipeline). It prints one JSON object:
         ok, stage, uid, username, user, details, authorize_status, authorize_url,
         authorize_location, callback_query, error_type, error_class, error,
         id_token_claims, social_core_version, pipeline_skipped
       `stage` is where the run stopped: config, begin (auth_url/discovery), authorize
       (the IdP's authorize endpoint), callback (auth_complete) or done.
       `error` is str(exception) exactly, `error_type` the exception class name.

Settings reach social-core as NetBox 4.7 passes them: every SOCIAL_AUTH_* name of the
configuration (netbox/settings.py copies exactly those), looked up through social-core's own
BaseStrategy.setting (SOCIAL_AUTH_OIDC_<X>, then SOCIAL_AUTH_<X>, then <X>). The pipeline is
NetBox's default SOCIAL_AUTH_PIPELINE without its Django-only step
(netbox.authentication.user_default_groups_handler); a SOCIAL_AUTH_PIPELINE from the settings
is honoured, minus steps outside social_core (reported in pipeline_skipped).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import traceback
from urllib.parse import parse_qsl, urlsplit

OIDC_BACKEND = "social_core.backends.open_id_connect.OpenIdConnectAuth"

# NetBox 4.7.3 netbox/settings.py SOCIAL_AUTH_PIPELINE, minus the NetBox-only step.
NETBOX_PIPELINE = (
    "social_core.pipeline.social_auth.social_details",
    "social_core.pipeline.social_auth.social_uid",
    "social_core.pipeline.social_auth.social_user",
    "social_core.pipeline.user.get_username",
    "social_core.pipeline.user.create_user",
    "social_core.pipeline.social_auth.associate_user",
    # "netbox.authentication.user_default_groups_handler",  (needs Django)
    "social_core.pipeline.social_auth.load_extra_data",
    "social_core.pipeline.user.user_details",
)
CAPTURE_STEP = "nbsso_socialcore_harness.capture_step"
CAPTURED: dict = {}


def load_settings(path: str) -> dict:
    spec = importlib.util.spec_from_file_location("configuration", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load settings file {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {k: v for k, v in vars(module).items() if k.isupper()}


def to_json(value):
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((to_json(v) for v in value), key=repr)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


def emit(obj: dict) -> None:
    sys.stdout.write(json.dumps(obj, sort_keys=True) + "\n")
    sys.stdout.flush()


def capture_step(backend, details, response, uid=None, user=None, *args, **kwargs):
    """Last pipeline step: remember what the pipeline computed."""
    CAPTURED.update({"uid": uid, "details": dict(details), "response": dict(response)})
    if user is not None:
        CAPTURED["user"] = getattr(user, "username", None)
    return None


def make_strategy(social_settings: dict):
    from social_core.storage import (
        AssociationMixin,
        BaseStorage,
        CodeMixin,
        NonceMixin,
        PartialMixin,
        UserMixin,
    )
    from social_core.strategy import BaseStrategy, BaseTemplateStrategy

    class User:
        by_username: dict = {}
        next_id = 1

        def __init__(self, username, email=None, **fields):
            self.id = User.next_id
            User.next_id += 1
            self.username = username
            self.email = email
            self.first_name = ""
            self.last_name = ""
            self.is_active = True
            self.is_authenticated = True
            self.social = []
            for key, value in fields.items():
                setattr(self, key, value)
            User.by_username[username] = self

        def save(self):
            User.by_username[self.username] = self

    class UserSocialAuth(UserMixin):
        by_key: dict = {}

        def __init__(self, user, provider, uid, extra_data=None):
            self.id = len(UserSocialAuth.by_key) + 1
            self.user, self.provider, self.uid = user, provider, uid
            self.extra_data = extra_data or {}
            user.social.append(self)
            UserSocialAuth.by_key[(provider, uid)] = self

        def save(self):
            UserSocialAuth.by_key[(self.provider, self.uid)] = self

        @classmethod
        def changed(cls, user):
            user.save()

        @classmethod
        def get_username(cls, user):
            return user.username

        @classmethod
        def user_model(cls):
            return User

        @classmethod
        def username_max_length(cls):
            return 150  # Django's AbstractUser.username

        @classmethod
        def allowed_to_disconnect(cls, user, backend_name, association_id=None):
            return True

        @classmethod
        def disconnect(cls, entry):
            cls.by_key.pop((entry.provider, entry.uid), None)

        @classmethod
        def user_exists(cls, username):
            return username in User.by_username

        @classmethod
        def create_user(cls, username, email=None, **fields):
            return User(username, email, **fields)

        @classmethod
        def get_user(cls, pk):
            return next((u for u in User.by_username.values() if u.id == pk), None)

        @classmethod
        def get_social_auth(cls, provider, uid):
            return cls.by_key.get((provider, uid))

        @classmethod
        def get_social_auth_for_user(cls, user, provider=None, id=None):  # noqa: A002
            return [
                s
                for s in user.social
                if provider in (None, s.provider) and id in (None, s.id)
            ]

        @classmethod
        def create_social_auth(cls, user, uid, provider):
            return cls(user, provider, uid)

        @classmethod
        def get_users_by_email(cls, email):
            return [u for u in User.by_username.values() if u.email == email]

    class Association(AssociationMixin):
        rows: dict = {}

        @classmethod
        def store(cls, server_url, association):
            row = cls()
            row.id = len(cls.rows) + 1
            row.server_url, row.handle = server_url, association.handle
            row.secret = association.secret
            row.issued, row.lifetime = association.issued, association.lifetime
            row.assoc_type = association.assoc_type
            cls.rows[(server_url, association.handle)] = row

        @classmethod
        def get(cls, server_url=None, handle=None):
            return [
                r
                for r in cls.rows.values()
                if (not server_url or r.server_url == server_url)
                and (not handle or r.handle == handle)
            ]

        @classmethod
        def remove(cls, ids_to_delete):
            for key, row in list(cls.rows.items()):
                if row.id in ids_to_delete:
                    del cls.rows[key]

    class Nonce(NonceMixin):
        pass

    class Code(CodeMixin):
        pass

    class Partial(PartialMixin):
        pass

    class Storage(BaseStorage):
        user = UserSocialAuth
        nonce = Nonce
        association = Association
        code = Code
        partial = Partial

        @classmethod
        def is_integrity_error(cls, exception):
            return False

    class Redirect:
        def __init__(self, url):
            self.url = url

    class Templates(BaseTemplateStrategy):
        def render_template(self, tpl, context):
            return tpl

        def render_string(self, html, context):
            return html

    class Strategy(BaseStrategy):
        """In-memory strategy. setting() is social-core's own BaseStrategy.setting."""

        DEFAULT_TEMPLATE_STRATEGY = Templates

        def __init__(self, settings):
            self._settings = dict(settings)
            self._session: dict = {}
            self._request: dict = {}
            super().__init__(Storage)

        def get_setting(self, name):
            return self._settings[name]

        def request_data(self, merge=True):
            return self._request

        def set_request_data(self, data, backend):
            self._request = dict(data)
            backend.data = self._request

        def request_host(self):
            return "netbox.invalid"

        def request_is_secure(self):
            return True

        def request_path(self):
            return "/"

        def request_port(self):
            return 443

        def request_get(self):
            return dict(self._request)

        def request_post(self):
            return {}

        def redirect(self, url):
            return Redirect(url)

        def html(self, content):
            return content

        def render_html(self, tpl=None, html=None, context=None):
            return tpl or html or ""

        def session_get(self, name, default=None):
            return self._session.get(name, default)

        def session_set(self, name, value):
            self._session[name] = value

        def session_pop(self, name):
            return self._session.pop(name, None)

        def build_absolute_uri(self, path=None):
            path = path or ""
            if path.startswith(("http://", "https://")):
                return path
            return "https://netbox.invalid" + path

    return Strategy(social_settings)


def pipeline_for(settings: dict) -> tuple[list, list]:
    configured = settings.get("SOCIAL_AUTH_PIPELINE", NETBOX_PIPELINE)
    kept = [s for s in configured if str(s).startswith("social_core.")]
    skipped = [s for s in configured if not str(s).startswith("social_core.")]
    return [*kept, CAPTURE_STEP], skipped


def error_fields(exc: BaseException) -> dict:
    cls = type(exc)
    return {
        "error_type": cls.__name__,
        "error_class": f"{cls.__module__}.{cls.__qualname__}",
        "error": str(exc),
    }


def login(settings_path: str, redirect_uri: str, browser_ca: str | None) -> dict:
    import requests
    import social_core
    from social_core.backends.open_id_connect import OpenIdConnectAuth

    sys.modules.setdefault("nbsso_socialcore_harness", sys.modules[__name__])
    settings = load_settings(settings_path)
    out: dict = {
        "ok": False,
        "stage": "config",
        "social_core_version": getattr(social_core, "__version__", None),
        "authorize_status": None,
    }

    backends = settings.get("REMOTE_AUTH_BACKEND", "netbox.authentication.RemoteUserBackend")
    if isinstance(backends, str):
        backends = [backends]
    if OIDC_BACKEND not in list(backends):
        out.update(
            error_type="BackendNotEnabled",
            error_class=None,
            error=f"REMOTE_AUTH_BACKEND does not include {OIDC_BACKEND}: {backends!r}",
        )
        return out

    social = {k: v for k, v in settings.items() if k.startswith("SOCIAL_AUTH_")}
    pipeline, skipped = pipeline_for(social)
    social["SOCIAL_AUTH_PIPELINE"] = pipeline
    social["SOCIAL_AUTH_JSONFIELD_ENABLED"] = True  # forced by NetBox
    out["pipeline_skipped"] = skipped

    strategy = make_strategy(social)
    backend = OpenIdConnectAuth(strategy, redirect_uri=redirect_uri)

    out["stage"] = "begin"
    try:
        auth_url = backend.auth_url()
    except Exception as exc:  # noqa: BLE001 - report whatever social-core raised
        traceback.print_exc()
        out.update(error_fields(exc))
        return out
    out["authorize_url"] = auth_url

    out["stage"] = "authorize"
    if browser_ca is None:
        verify = social.get("SOCIAL_AUTH_VERIFY_SSL", True)
        browser_verify = verify if isinstance(verify, str) else True
    else:
        browser_verify = browser_ca
    try:
        browser = requests.Session()
        answer = browser.get(auth_url, allow_redirects=False, verify=browser_verify, timeout=30)
    except Exception as exc:  # noqa: BLE001
        traceback.print_exc()
        out.update(error_fields(exc))
        return out
    out["authorize_status"] = answer.status_code
    location = answer.headers.get("Location")
    out["authorize_location"] = location
    if answer.status_code not in (301, 302, 303, 307, 308) or not location:
        out.update(
            error_type="AuthorizeNotRedirected",
            error_class=None,
            error=f"authorize endpoint answered {answer.status_code} without a redirect",
            authorize_body=answer.text[:2000],
        )
        return out
    target = urlsplit(location)
    expected = urlsplit(redirect_uri)
    if (target.scheme, target.netloc, target.path) != (
        expected.scheme,
        expected.netloc,
        expected.path,
    ):
        out.update(
            error_type="AuthorizeRedirectMismatch",
            error_class=None,
            error=f"authorize redirected to {location}, not to {redirect_uri}",
        )
        return out
    query = dict(parse_qsl(target.query, keep_blank_values=True))
    out["callback_query"] = sorted(query)

    out["stage"] = "callback"
    strategy.set_request_data(query, backend)
    try:
        user = backend.complete()
    except Exception as exc:  # noqa: BLE001
        traceback.print_exc()
        out.update(error_fields(exc))
        out["id_token_claims"] = to_json(backend.id_token)
        return out

    out["stage"] = "done"
    out["id_token_claims"] = to_json(backend.id_token)
    details = CAPTURED.get("details") or {}
    out.update(
        ok=user is not None and "uid" in CAPTURED,
        uid=CAPTURED.get("uid"),
        username=details.get("username"),
        user=CAPTURED.get("user"),
        details=to_json(details),
        error_type=None,
        error_class=None,
        error=None,
    )
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    dump_p = sub.add_parser("dump")
    dump_p.add_argument("settings")
    dump_p.add_argument("--repr", action="store_true", dest="as_repr")
    login_p = sub.add_parser("login")
    login_p.add_argument("settings")
    login_p.add_argument("--redirect-uri", required=True)
    login_p.add_argument("--browser-ca", default=None)
    args = parser.parse_args(argv)

    if args.mode == "dump":
        settings = load_settings(args.settings)
        if args.as_repr:
            emit({k: repr(v) for k, v in settings.items()})
        else:
            emit(to_json(settings))
        return 0
    emit(login(args.settings, args.redirect_uri, args.browser_ca))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
