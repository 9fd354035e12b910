"""Sessions that end: every request's sign-in checked against what PostGIS says now.

A token names its user, the user's token version and its session. It is refused at once when
the user is disabled, when their version moved on (a password change or reset, disabling), or when
its session was ended (logout). Asking the database on every request would cost a round trip, so
each process keeps the actors it has seen and the sessions that were ended — and PostgreSQL tells
every process the moment either changes (`NOTIFY shuxin_auth`, sent in the same transaction as
the change, delivered when it commits). The process that makes a change forgets at once too.
While this process is not listening (not started yet, or its connection dropped), nothing is
cached: every request asks the database.
"""

from __future__ import annotations

import logging
import select
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete, text
from sqlalchemy import select as sql_select
from sqlalchemy.orm import Session

from api import clock
from api.users.models import RevokedSession, User

if TYPE_CHECKING:
    from api.users.service import Actor

log = logging.getLogger("shuxin.sessions")
CHANNEL = "shuxin_auth"


class SessionCache:
    """The actors and ended sessions one process knows, kept true by NOTIFY."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._actors: dict[int, tuple[int, Actor]] = {}  # user id: (token version, actor)
        self._ended: set[str] = set()
        self._generation = 0  # bumped by every change heard: a read begun before is not kept
        self.listening = False

    def peek(self, user_id: int, version: int, session_id: str) -> Actor | None:
        """The actor if this process knows, without asking the database, that the token is
        good; None when it does not know (then ask `ended` and `actor`)."""
        if not self.listening:
            return None
        with self._lock:
            if session_id in self._ended:
                return None
            cached = self._actors.get(user_id)
        if cached is None or cached[0] != version:
            return None
        return cached[1]

    def actor(self, session: Session, user_id: int, version: int) -> Actor | None:
        """The active user if their token version is `version`; None otherwise."""
        if self.listening:
            with self._lock:
                cached = self._actors.get(user_id)
            # A token newer than the cached version: the change is on its way; read it now.
            if cached is not None and cached[0] >= version:
                return cached[1] if cached[0] == version else None
        from api.users.service import actor_for  # (service → sessions to void tokens)

        with self._lock:
            generation = self._generation
        found = actor_for(session, user_id)
        current = session.scalar(sql_select(User.token_version).where(User.id == user_id))
        if found is None or current is None:
            return None
        with self._lock:
            if self.listening and generation == self._generation:
                self._actors[user_id] = (current, found)
        return found if current == version else None

    def ended(self, session: Session, session_id: str) -> bool:
        """True if the session was ended (logged out)."""
        if self.listening:
            with self._lock:
                return session_id in self._ended
        return (
            session.scalar(sql_select(RevokedSession.sid).where(RevokedSession.sid == session_id))
            is not None
        )

    # -- changes ---------------------------------------------------------------------------------

    def heard(self, payload: str) -> None:
        """Apply one notification: 'user:ID' (drop the actor) or 'session:SID' (ended)."""
        kind, _, value = payload.partition(":")
        with self._lock:
            self._generation += 1
            if kind == "user" and value.isdigit():
                self._actors.pop(int(value), None)
            elif kind == "session" and value:
                self._ended.add(value)
            else:
                self._actors.clear()

    def reset(self, ended: set[str] | None = None, *, listening: bool) -> None:
        with self._lock:
            self._generation += 1
            self._actors.clear()
            self._ended = set(ended or ())
            self.listening = listening


_cache = SessionCache()


def session_cache() -> SessionCache:
    return _cache


def announce(session: Session, payload: str) -> None:
    """Tell every process (when this transaction commits) and this one (now) of a change."""
    session.execute(
        text("SELECT pg_notify(:channel, :payload)"), {"channel": CHANNEL, "payload": payload}
    )
    _cache.heard(payload)


def end_session(session: Session, *, user_id: int, session_id: str, expires: datetime) -> None:
    """End one session (logout): its tokens are refused from now on. Sessions ended before
    whose tokens have expired anyway are forgotten on the way."""
    forget_expired(session)
    session.merge(
        RevokedSession(sid=session_id, user_id=user_id, revoked_at=clock.now(), expires_at=expires)
    )
    announce(session, f"session:{session_id}")


def void_tokens(session: Session, user: User) -> None:
    """Every token the user holds is refused from now on (password change, reset, disable)."""
    user.token_version += 1
    session.flush()
    announce(session, f"user:{user.id}")


def forget_expired(session: Session) -> int:
    """Drop ended sessions whose tokens have expired anyway."""
    return session.execute(
        delete(RevokedSession).where(RevokedSession.expires_at < clock.now())
    ).rowcount


class Listener(threading.Thread):
    """LISTEN shuxin_auth on a connection of its own; feeds the process's SessionCache."""

    def __init__(self, connect: Callable[[], object], cache: SessionCache | None = None) -> None:
        super().__init__(name="shuxin-sessions", daemon=True)
        self.connect = connect  # a DB-API connection to the application's database
        self.cache = cache or _cache
        self.stopped = threading.Event()

    def run(self) -> None:
        pause = 1.0
        while not self.stopped.is_set():
            try:
                self._listen()
                pause = 1.0
            except Exception as exc:  # noqa: BLE001 - lost connection: ask the database until back
                self.cache.reset(listening=False)
                if pause == 1.0:
                    log.warning(
                        "session notifications lost (%s); every sign-in is checked in PostGIS "
                        "until they are back",
                        str(exc).strip().splitlines()[0]
                        if str(exc).strip()
                        else type(exc).__name__,
                    )
                self.stopped.wait(pause)
                pause = min(pause * 2, 60.0)

    def _listen(self) -> None:
        connection = self.connect()
        connection.autocommit = True
        try:
            cursor = connection.cursor()
            cursor.execute(f"LISTEN {CHANNEL}")
            cursor.execute("SELECT sid FROM revoked_session WHERE expires_at > now()")
            self.cache.reset({row[0] for row in cursor.fetchall()}, listening=True)
            while not self.stopped.is_set():
                if select.select([connection], [], [], 5.0)[0]:
                    connection.poll()
                    while connection.notifies:
                        self.cache.heard(connection.notifies.pop(0).payload)
                else:
                    cursor.execute("SELECT 1")  # a dead connection shows here
        finally:
            self.cache.reset(listening=False)
            connection.close()

    def stop(self) -> None:
        self.stopped.set()


def start_listening(connect: Callable[[], object], wait_s: float = 5.0) -> Listener:
    """Start the listener; wait (a little) until it listens, so caching starts at once."""
    listener = Listener(connect)
    listener.start()
    deadline = time.monotonic() + wait_s
    while not _cache.listening and time.monotonic() < deadline and listener.is_alive():
        time.sleep(0.01)
    return listener
