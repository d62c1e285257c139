"""HTTP API end to end: ``wasteopt serve`` as a real process with API keys, killed with
SIGKILL mid-solve."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from wasteopt.apikeys import KeyRing

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "instances" / "examples" / "small.json"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def server(db: Path, log: Path, key: str) -> Iterator[tuple[subprocess.Popen, httpx.Client]]:
    """``wasteopt serve`` on a free loopback port, ready to answer, with a client sending
    ``key``; stopped on exit."""
    port = free_port()
    argv = ["serve", "--host", "127.0.0.1", "--port", str(port), "--db", str(db)]
    env = {**os.environ, "PYTHONPATH": str(REPO), "WASTEOPT_WORKERS": "1"}
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "wasteopt", *argv], cwd=REPO, env=env, stdout=out, stderr=out
        )
    client = httpx.Client(
        base_url=f"http://127.0.0.1:{port}", timeout=10, headers={"Authorization": f"Bearer {key}"}
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if client.get("/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.2)
        yield process, client
    finally:
        client.close()
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (the forkserver and the solvers it forked), from /proc."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        found |= frontier
    return found


def alive(pids: set[int]) -> set[int]:
    return {pid for pid in pids if Path(f"/proc/{pid}").exists()}


def wait_for(client: httpx.Client, job_id: str, ready, timeout_s: float = 90) -> dict:
    deadline = time.monotonic() + timeout_s
    while True:
        job = client.get(f"/v1/plans/{job_id}").json()
        if ready(job):
            return job
        assert time.monotonic() < deadline, f"job {job_id}: {job}"
        time.sleep(0.2)


def test_plans_survive_sigkill_and_the_running_job_is_marked_interrupted(tmp_path: Path) -> None:
    db, log = tmp_path / "api.db", tmp_path / "server.log"
    example = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    ring = KeyRing(db)
    key = ring.add("e2e", "dispatcher")[1]
    ring.close()

    with server(db, log, key) as (process, client):
        assert client.get("/v1/instances", headers={"Authorization": ""}).status_code == 401
        instance_id = client.post("/v1/instances", json=example).json()["id"]
        first = client.post("/v1/plans", json={"instance_id": instance_id, "time_limit_s": 1})
        assert first.status_code == 202
        done = wait_for(
            client, first.json()["id"], lambda j: j["status"] not in ("queued", "running")
        )
        assert done["status"] == "done", done["error"]
        plan = client.get(f"/v1/plans/{done['id']}/result").json()
        sheets = client.get(f"/v1/plans/{done['id']}/sheets").json()

        second = client.post("/v1/plans", json={"instance_id": instance_id, "time_limit_s": 60})
        second_id = second.json()["id"]
        wait_for(client, second_id, lambda j: j["progress"] is not None)
        solvers = descendants(process.pid)
        assert solvers, "the solve runs in processes of its own"
        process.send_signal(signal.SIGKILL)
        process.wait()
        deadline = time.monotonic() + 10
        while alive(solvers):  # orphaned solvers notice the server is gone and exit
            assert time.monotonic() < deadline, f"solvers outlived the server: {alive(solvers)}"
            time.sleep(0.1)

    with server(db, log, key) as (_, client):
        assert client.get(f"/v1/plans/{done['id']}").json() == done
        assert client.get(f"/v1/plans/{done['id']}/result").json() == plan
        assert client.get(f"/v1/plans/{done['id']}/sheets").json() == sheets
        assert client.get(f"/v1/instances/{instance_id}").status_code == 200

        interrupted = client.get(f"/v1/plans/{second_id}").json()
        assert interrupted["status"] == "interrupted"
        assert client.get(f"/v1/plans/{second_id}/result").status_code == 409
        again = client.post(f"/v1/plans/{second_id}/resubmit")
        assert again.status_code == 202
        assert client.delete(again.headers["location"]).json()["status"] == "cancelled"
        assert client.get(f"/v1/plans/{second_id}").json() == interrupted
