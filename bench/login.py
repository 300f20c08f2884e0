"""Login benchmark: password-step latency with the production argon2 parameters,
and 50 concurrent logins against a real server on 2 cores.

Figures (printed and merged into var/bench/results.json under "login"):
- `password_step_median_ms`, `password_step_p95_ms`: `POST /api/v1/session` with the
  right password, one at a time (argon2id m=64 MiB, t=3, p=4 over a peppered HMAC);
- `concurrent_50`: status counts of 50 logins sent at once, whether any 5xx other than
  503 came back, and the server's resident memory before and after (MiB).
"""

import argparse
import asyncio
import json
import statistics
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from stafett.aggregates.person import PersonDetails
from stafett.applications import accounts as accounts_module
from stafett.applications.accounts import OtpChannel
from stafett.bootstrap import (
    Services,
    build_access_log,
    build_accounts,
    build_archives,
    build_plans,
)
from stafett.settings import Secrets, Settings
from stafett.web.app import create_app

RESULTS = Path("var/bench/results.json")
PASSWORD = "blå fjorder og grå måker"
USERS = 50


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def serve(services: Services, secret_key: str, port: int) -> uvicorn.Server:
    app = create_app(
        services.plans,
        services.accounts,
        access_log=services.access_log,
        secret_key=secret_key,
    )
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server


async def login_all(base: str, usernames: Sequence[str]) -> list[int]:
    async def one(username: str) -> int:
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            body = {"username": username, "password": PASSWORD}
            return (await client.post("/api/v1/session", json=body)).status_code

    return list(await asyncio.gather(*(one(u) for u in usernames)))


def run(sequential: int, port: int) -> dict[str, Any]:
    # All requests come from 127.0.0.1: lift the per-address limit, which would
    # otherwise answer 429 and hide what hashing under load does.
    accounts_module.ATTEMPTS_PER_MINUTE_PER_ADDRESS = 10**9
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            database_url=f"sqlite:///{tmp}/bench.sqlite",
            outbox_dir=Path(tmp) / "outbox",
            secrets=Secrets("s" * 40, b"p" * 40, b"c" * 40),
        )
        with build_plans(settings) as plans:
            accounts = build_accounts(settings, plans)
            usernames = [f"bruker{i}" for i in range(USERS)]
            for name in usernames:
                accounts.create_account(
                    username=name,
                    password=PASSWORD,
                    details=PersonDetails(
                        first_name="Bench", last_name="Bruker", email=f"{name}@e.no"
                    ),
                    otp_channel=OtpChannel.EMAIL,
                )
            access_log = build_access_log(plans)
            archives = build_archives(settings, plans, access_log)
            services = Services(plans, accounts, access_log, archives)
            server = serve(services, "s" * 40, port)
            base = f"http://127.0.0.1:{port}"
            try:
                timings = []
                with httpx.Client(base_url=base, timeout=60) as client:
                    for i in range(sequential):
                        body = {"username": usernames[i % USERS], "password": PASSWORD}
                        started = time.perf_counter()
                        status = client.post("/api/v1/session", json=body).status_code
                        timings.append((time.perf_counter() - started) * 1000)
                        assert status == 200, status
                before = rss_mib()
                started = time.perf_counter()
                statuses = asyncio.run(login_all(base, usernames))
                elapsed = time.perf_counter() - started
                after = rss_mib()
            finally:
                server.should_exit = True
    counts = Counter(statuses)
    return {
        "password_step_median_ms": round(statistics.median(timings), 1),
        "password_step_p95_ms": round(statistics.quantiles(timings, n=20)[-1], 1),
        "concurrent_50": {
            "statuses": {str(k): v for k, v in sorted(counts.items())},
            "other_5xx": sum(v for k, v in counts.items() if k >= 500 and k != 503),
            "seconds": round(elapsed, 2),
            "rss_before_mib": round(before, 1),
            "rss_after_mib": round(after, 1),
        },
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.login", description=__doc__)
    parser.add_argument("--sequential", type=int, default=20)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args(argv)
    result = run(args.sequential, args.port)
    print("login (SQLite, argon2id m=64 MiB t=3 p=4, at most 2 hashes at once)")
    print(f"  password step median  {result['password_step_median_ms']:>8} ms")
    print(f"  password step p95     {result['password_step_p95_ms']:>8} ms")
    c = result["concurrent_50"]
    print(
        f"  50 concurrent logins  {c['statuses']} in {c['seconds']} s; other 5xx: {c['other_5xx']}"
    )
    print(f"  server RSS            {c['rss_before_mib']} MiB before, {c['rss_after_mib']} after")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    existing = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    existing["login"] = result
    RESULTS.write_text(json.dumps(existing, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
