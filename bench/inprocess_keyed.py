"""CPU time per request of the keyed reads, in one process: a user of 60 logs, kept answers asked again.

    PYTHONPATH=<tree> .venv/bin/python -m bench.inprocess_keyed

(the reads without a key: bench.inprocess). Works on trees before and after the typed AppState.
"""
import asyncio
import datetime as dt
import json
import tempfile
import time

from app import keys
from app.main import create_app
from app.settings import Settings

d = tempfile.mkdtemp()
app = create_app(Settings(database_url=f"sqlite:///{d}/x.db", access_log=False))
def engine():
    running = getattr(app.state, "hipflex", None)
    return running.engine if running is not None else app.state.engine
async def main():
    async with app.router.lifespan_context(app):
        key, _ = keys.create(engine(), "acme")
        auth = [(b"host", b"b"), (b"authorization", f"Bearer {key}".encode()), (b"content-type", b"application/json")]
        async def one(method, path, query=b"", raw=b""):
            sent = []
            async def receive(): return {"type": "http.request", "body": raw, "more_body": False}
            async def send(m): sent.append(m)
            scope = {"type": "http", "method": method, "path": path, "raw_path": path.encode(), "query_string": query,
                     "headers": auth, "scheme": "http", "server": ("127.0.0.1", 80), "root_path": "", "http_version": "1.1", "client": ("127.0.0.1", 1)}
            await app(scope, receive, send)
            return sent[0]["status"]
        now = dt.datetime.now(dt.UTC)
        for n in range(60):
            body = {"performed_at": (now - dt.timedelta(hours=13*n)).isoformat(), "entries": [{"exercise": "core-brace", "sets": [{"reps": 5 + n % 5, "rpe": 6}]}]}
            assert await one("POST", "/users/u/logs", raw=json.dumps(body).encode()) == 201
        for path, query in [("/users/u/records", b""), ("/users/u/progress", b"window=90d&tz=Europe/Berlin"), ("/users/u/workouts/next", b"goal=rehab&seed=3")]:
            for _ in range(20):
                assert await one("GET", path, query) == 200
            best = 1e9
            for _ in range(3):
                t = time.process_time()
                for _ in range(300):
                    await one("GET", path, query)
                best = min(best, (time.process_time() - t) / 300)
            print(json.dumps({"url": path, "cpu_us_per_request": round(best * 1e6)}))
asyncio.run(main())
