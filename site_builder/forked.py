"""Work done in a forked copy of this process, beside it: `Beside(work)` forks, the copy runs
`work()` and sends back what it returns (pickled, through a pipe), and `result()` collects it.

The copy shares everything this process had at the fork (the site, its templates), so nothing
is sent to it.  It must not write files, print or use the cache's database: it only computes.
Whatever goes wrong in it (an exception, a signal, a result that cannot be pickled) makes
`result()` answer None, and the caller does that work itself (where any error is reported
as it would have been without the copy).
"""

from __future__ import annotations

import os
import pickle
import signal
from typing import Any, Callable


class Beside:
    def __init__(self, work: Callable[[], Any]):
        read_end, write_end = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the copy: compute, send, leave at once (no cleanup of what is the parent's)
            code = 1
            try:
                os.close(read_end)
                data = pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL)
                with os.fdopen(write_end, "wb") as pipe:
                    pipe.write(data)
                code = 0
            except BaseException:  # noqa: BLE001 (any failure: the parent does the work)
                pass
            finally:
                os._exit(code)
        os.close(write_end)
        self.pipe = os.fdopen(read_end, "rb")

    def result(self) -> Any | None:
        """What `work()` returned in the copy, or None if it failed (waits for it)."""
        if self.pid == -1:
            return None
        try:
            data = self.pipe.read()
        except OSError:
            data = b""
        finally:
            self.pipe.close()
        _, status = os.waitpid(self.pid, 0)
        self.pid = -1
        if status != 0 or not data:
            return None
        try:
            return pickle.loads(data)
        except Exception:  # noqa: BLE001 (a truncated send)
            return None

    def cancel(self) -> None:
        """Stop the copy if it still runs (nothing happens once collected or cancelled)."""
        if self.pid == -1:
            return
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(self.pid, 0)
        self.pid = -1
        self.pipe.close()
