"""Django's SQLite backend, with writers taking turns.

SQLite has one write lock per database. Django runs each request's sync code in a thread of
its own under ASGI, so when a class posts at once several threads ask for that lock
together, and SQLite's busy handler makes each waiter sleep and retry (up to 100 ms at a
time) while newcomers get the lock first: measured on the fan-out bench (docs/performance.md),
a burst of 16 posters left a few posts waiting 5–6 s while others took 0.2 s. Here a write
transaction first takes its turn in the process (a lock the operating system hands to
waiters as it is released), then `BEGIN IMMEDIATE`; the turn ends with the commit, the
rollback or the close. Another process on the same file (a management command) still meets
SQLite's own lock, as before.
"""

import threading

from django.db.backends.sqlite3 import base

_turn = threading.Lock()  # per process: the database file has one write lock
# No longer than SQLite's own timeout (settings): past it, go ahead and let SQLite decide.
TURN_TIMEOUT = 20.0


class DatabaseWrapper(base.DatabaseWrapper):
    _has_turn = False

    def _start_transaction_under_autocommit(self):
        if not self._has_turn:
            self._has_turn = _turn.acquire(timeout=TURN_TIMEOUT)
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._end_turn()
            raise

    def _end_turn(self):
        if self._has_turn:
            self._has_turn = False
            _turn.release()

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._end_turn()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._end_turn()

    def _close(self):
        try:
            return super()._close()
        finally:
            self._end_turn()
