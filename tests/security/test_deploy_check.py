"""Production settings pass Django's deployment checklist with zero findings."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SECRET_KEY", "ALLOWED_HOSTS", "DEBUG", "SESSION_COOKIE_AGE"}
    }
    environment.update(env, DJANGO_SETTINGS_MODULE="config.settings.production")
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy_with_no_warning():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="example.com",
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key():
    result = _manage("check", ALLOWED_HOSTS="example.com")

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_settings_fail_check_deploy_with_a_weak_secret_key():
    """The check is real: a short key is reported (so the passing run above means something)."""
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY="short",
        ALLOWED_HOSTS="example.com",
    )

    assert result.returncode != 0
    assert "security.W009" in result.stderr + result.stdout


def test_production_settings_keep_throttling_headers_and_secure_cookies():
    script = (
        "import json; from django.conf import settings as s; print(json.dumps({"
        "'axes': s.AXES_ENABLED, 'backend': s.AUTHENTICATION_BACKENDS[0],"
        "'middleware': s.MIDDLEWARE, 'debug': s.DEBUG,"
        "'cookies': [s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY],"
        "'idle': [s.SESSION_COOKIE_AGE, s.SESSION_REFRESH_SECONDS]}))"
    )
    result = _manage(
        "shell", "-c", script, SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="example.com"
    )

    assert result.returncode == 0, result.stderr
    production = json.loads(result.stdout.strip().splitlines()[-1])
    assert production["axes"] is True
    assert production["backend"] == "axes.backends.AxesStandaloneBackend"
    assert "core.middleware.SecurityHeadersMiddleware" in production["middleware"]
    assert production["middleware"][-1] == "axes.middleware.AxesMiddleware"
    assert production["debug"] is False
    assert production["cookies"] == [True, True, True]
    assert production["idle"] == [8 * 3600, 60]
    assert "core.middleware.SessionRefreshMiddleware" in production["middleware"]
