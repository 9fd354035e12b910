"""Passwords (scrypt) and sign-in tokens (signed JWT with an expiry, a session and a version).

scrypt's cost follows OWASP's password storage guidance (N=2^15, r=8, p=3: the 32 MiB variant of
their minimum, the same work as N=2^17, p=1 with a quarter of the memory). Each hash records its
parameters, so older hashes still verify and are replaced at the next sign-in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

import jwt

from api import clock
from api.settings import Settings

_N, _R, _P = 2**15, 8, 3
_MAXMEM = 64 * 1024 * 1024
ALGORITHM = "HS256"


def hash_password(password: str) -> str:
    """A salted scrypt hash, as 'scrypt$n$r$p$salt$hash'."""
    salt = os.urandom(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32, maxmem=_MAXMEM
    )
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
        password.encode(),
        salt=base64.b64decode(salt),
        n=int(n),
        r=int(r),
        p=int(p),
        dklen=32,
        maxmem=_MAXMEM,
    )
    return hmac.compare_digest(candidate, base64.b64decode(digest))


def needs_rehash(stored: str) -> bool:
    """True if the hash was made with other (older) parameters than today's."""
    return not stored.startswith(f"scrypt${_N}${_R}${_P}$")


# Verified when a login does not exist, so that unknown and known logins take the same time.
_DUMMY = hash_password(secrets.token_urlsafe(16))


def spend_like_a_verify(password: str) -> None:
    """The cost of one verification, for a login that does not exist."""
    verify_password(password, _DUMMY)


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


@dataclass(frozen=True)
class TokenClaims:
    """What a valid token says: whose, which version of their sign-in, which session."""

    user_id: int
    version: int
    session_id: str
    auth_time: datetime  # when this session signed in with a password
    expires: datetime


def issue_token(
    *,
    user_id: int,
    role: str,
    version: int,
    settings: Settings,
    session_id: str | None = None,
    auth_time: datetime | None = None,
    now: datetime | None = None,
) -> tuple[str, TokenClaims]:
    """A signed token for a session of the user (a new session unless `session_id`)."""
    now = now or clock.now()
    claims = TokenClaims(
        user_id=user_id,
        version=version,
        session_id=session_id or secrets.token_urlsafe(18),
        auth_time=auth_time or now,
        expires=now + timedelta(minutes=settings.token_ttl_minutes),
    )
    token = jwt.encode(
        {
            "sub": str(user_id),
            "role": role,
            "ver": claims.version,
            "sid": claims.session_id,
            "auth_time": int(claims.auth_time.timestamp()),
            "iat": now,
            "exp": claims.expires,
        },
        secret_key(settings),
        algorithm=ALGORITHM,
    )
    return token, claims


def read_token(token: str, settings: Settings) -> TokenClaims | None:
    """The claims of a valid, unexpired token; None otherwise."""
    try:
        # Expiry is checked against the application's clock (tests may set it), not jwt's own.
        claims = jwt.decode(
            token,
            secret_key(settings),
            algorithms=[ALGORITHM],
            options={"verify_exp": False, "require": ["exp", "sub", "ver", "sid", "auth_time"]},
        )
        if claims["exp"] <= clock.now().timestamp():
            return None
        zone = clock.zone()
        return TokenClaims(
            user_id=int(claims["sub"]),
            version=int(claims["ver"]),
            session_id=str(claims["sid"]),
            auth_time=datetime.fromtimestamp(int(claims["auth_time"]), zone),
            expires=datetime.fromtimestamp(int(claims["exp"]), zone),
        )
    except (jwt.PyJWTError, KeyError, ValueError, TypeError):
        return None
