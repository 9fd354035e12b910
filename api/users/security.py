"""Passwords (scrypt) and sign-in tokens (signed JWT with an expiry)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

import jwt

from api import clock
from api.settings import Settings

_N, _R, _P = 2**14, 8, 1
ALGORITHM = "HS256"


def hash_password(password: str) -> str:
    """A salted scrypt hash, as 'scrypt$n$r$p$salt$hash'."""
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return "$".join(
        [
            "scrypt",
            str(_N),
            str(_R),
            str(_P),
            base64.b64encode(salt).decode(),
            base64.b64encode(digest).decode(),
        ]
    )


def verify_password(password: str, stored: str) -> bool:
    """True if `password` matches the stored hash (constant-time comparison)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(
        password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=32
    )
    return hmac.compare_digest(candidate, base64.b64decode(digest))


def secret_key(settings: Settings) -> str:
    """The signing key: the setting, or one generated once and kept (0600) in $SHUXIN_HOME."""
    if settings.secret_key:
        return settings.secret_key
    return _stored_key(settings.resolved_home / "secret_key")


@lru_cache(maxsize=4)
def _stored_key(path: Path) -> str:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def issue_token(
    *, user_id: int, role: str, settings: Settings, now: datetime | None = None
) -> tuple[str, datetime]:
    """A signed token for the user and the moment it expires."""
    now = now or clock.now()
    expires = now + timedelta(minutes=settings.token_ttl_minutes)
    token = jwt.encode(
        {"sub": str(user_id), "role": role, "iat": now, "exp": expires},
        secret_key(settings),
        algorithm=ALGORITHM,
    )
    return token, expires


def read_token(token: str, settings: Settings) -> int | None:
    """The user id in a valid, unexpired token; None otherwise."""
    try:
        # Expiry is checked against the application's clock (tests may set it), not jwt's own.
        claims = jwt.decode(
            token,
            secret_key(settings),
            algorithms=[ALGORITHM],
            options={"verify_exp": False, "require": ["exp", "sub"]},
        )
        if claims["exp"] <= clock.now().timestamp():
            return None
        return int(claims["sub"])
    except (jwt.PyJWTError, KeyError, ValueError, TypeError):
        return None
