"""What one app keeps beside its database, built in its lifespan and kept on ``app.state.storage``.

One object rather than per-engine registries at module level: its life is the
app's, and two apps (the tests build many) never share a writer or a key cache.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from app.erasure import Scrubber
from app.keys import RememberedKeys
from app.logs import LogWriter


@dataclass(eq=False)
class Storage:
    engine: Engine
    scrubber: Scrubber
    log_writer: LogWriter = field(init=False)
    remembered_keys: RememberedKeys = field(init=False, default_factory=RememberedKeys)

    def __post_init__(self) -> None:
        self.log_writer = LogWriter(self.engine)
