"""Several chat processes behind HAProxy (`cinechat ui --workers N`): Chainlit keeps each chat
session in the process that opened it, so the balancer pins a browser to one process with a
cookie and carries its websocket; every process shares the login secret, the users, the chat
history and the version history, so a user whose process died logs in again on another one
and goes on with the same projects. A supervisor restarts a worker that exits.

The workers listen on 127.0.0.1 only; HAProxy (Debian's `haproxy`) is the one public port,
and with a certificate it terminates TLS there."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.procs import tied

CONFIG = """\
global
    maxconn {maxconn}

defaults
    mode http
    option redispatch
    retries 2
    timeout connect 5s
    timeout client 60s
    timeout server 600s
    timeout tunnel 1h
    timeout http-keep-alive 10s

frontend chat
    bind {host}:{port}{tls}
    # the workers see the browser's address (login limits, audit log), never one it made up
    http-request del-header X-Forwarded-For
    option forwardfor
    # and whether it came over TLS (HSTS, the Secure cookie), from the balancer alone
    http-request del-header X-Forwarded-Proto
    http-request set-header X-Forwarded-Proto https if {{ ssl_fc }}
    default_backend workers

backend workers
    balance leastconn
    cookie CINECHAT_WORKER insert indirect nocache httponly{secure}
    option httpchk GET /healthz
    http-check expect status 200
    default-server inter 1s fall 2 rise 1
{servers}
"""
"""The balancer: sticky by cookie, websockets tunnelled for up to an hour, a dead worker taken
out of the pool within about two seconds and its users sent to another (`redispatch`)."""


def haproxy_config(host: str, port: int, workers: dict[str, int], tls: Path | None = None) -> str:
    """HAProxy's configuration for `workers` (name → port on 127.0.0.1); with `tls` (a PEM of
    the certificate followed by its key) the public port serves HTTPS only."""
    servers = "\n".join(f"    server {name} 127.0.0.1:{p} cookie {name} check" for name, p in workers.items())
    return CONFIG.format(
        host=host,
        port=port,
        servers=servers,
        maxconn=max_connections(),
        tls=f" ssl crt {tls}" if tls else "",
        secure=" secure" if tls else "",
    )


def tls_bundle(cert: Path, key: Path, into: Path) -> Path:
    """The certificate and its key in one file readable by this user only (HAProxy's `crt`)."""
    into.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(into, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(cert.read_text().rstrip("\n") + "\n" + key.read_text().rstrip("\n") + "\n")
    return into


def max_connections() -> int:
    """As many connections as the open-file limit allows HAProxy (two descriptors each: the
    browser's and the worker's), at most 20000."""
    import resource

    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    limit = 40_100 if hard == resource.RLIM_INFINITY else hard
    return max(256, min(20_000, (limit - 100) // 2))


def haproxy_binary() -> str:
    """Debian's haproxy (`make run` installs it), or an error naming the package."""
    found = shutil.which("haproxy") or ("/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None)
    if not found:
        raise FileNotFoundError("haproxy is not installed (Debian package: haproxy)")
    return found


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as reply:
            return bool(reply.status == 200)
    except OSError:
        return False


@dataclass
class Cluster:
    """N Chainlit workers and HAProxy in front of them, supervised."""

    host: str
    port: int
    count: int
    state: Path
    command: Callable[[str, int], list[str]]
    """The command that serves one worker on (host, port)."""
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    cwd: str | None = None
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    restarts: dict[str, int] = field(default_factory=dict)
    balancer: subprocess.Popen[bytes] | None = None
    tls: Path | None = None
    """HAProxy's certificate bundle: the public port serves HTTPS (the workers stay plain HTTP
    on 127.0.0.1 and are told the browser's requests came over TLS)."""

    def _start_worker(self, name: str) -> None:
        log = open(self.state / f"{name}.log", "ab")  # noqa: SIM115 - the child owns it
        self.procs[name] = subprocess.Popen(
            tied(self.command("127.0.0.1", self.ports[name])),  # gone if the supervisor dies
            cwd=self.cwd,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self._publish()

    def _publish(self) -> None:
        """`workers.json` in the state folder: each worker's port, pid and restarts."""
        data = {
            "balancer": {"port": self.port, "pid": self.balancer.pid if self.balancer else None},
            "workers": {
                n: {"port": self.ports[n], "pid": p.pid, "restarts": self.restarts.get(n, 0)}
                for n, p in self.procs.items()
            },
        }
        tmp = self.state / "workers.json.tmp"
        tmp.write_text(json.dumps(data))
        os.replace(tmp, self.state / "workers.json")

    def start(self, wait: float = 90.0) -> None:
        """Start the workers, wait until each answers /healthz, then start HAProxy."""
        from graph.cli import free_port

        self.state.mkdir(parents=True, exist_ok=True)
        self.ports = {f"w{i + 1}": free_port() for i in range(self.count)}
        for name in self.ports:
            self._start_worker(name)
        deadline = time.time() + wait
        for name, port in self.ports.items():
            while not _healthy(port):
                if self.procs[name].poll() is not None or time.time() > deadline:
                    self.stop()
                    raise RuntimeError(f"worker {name} did not start; see {self.state / (name + '.log')}")
                time.sleep(0.3)
        config = self.state / "haproxy.cfg"
        config.write_text(haproxy_config(self.host, self.port, self.ports, self.tls))
        log = open(self.state / "haproxy.log", "ab")  # noqa: SIM115 - the child owns it
        self.balancer = subprocess.Popen(
            tied([haproxy_binary(), "-db", "-f", str(config)]), stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        self._publish()

    def supervise(self, poll: float = 0.5) -> int:
        """Restart any worker that exits, until HAProxy exits or a signal stops the cluster."""
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            while not stopping:
                if self.balancer is not None and self.balancer.poll() is not None:
                    return int(self.balancer.returncode or 1)
                for name, proc in list(self.procs.items()):
                    if proc.poll() is not None:
                        self.restarts[name] = self.restarts.get(name, 0) + 1
                        print(
                            f"worker {name} exited ({proc.returncode}); restarting",
                            file=sys.stderr,
                            flush=True,
                        )
                        self._start_worker(name)
                time.sleep(poll)
            return 0
        finally:
            self.stop()

    def stop(self) -> None:
        """Stop HAProxy and every worker."""
        everything = [p for p in [self.balancer, *self.procs.values()] if p is not None]
        for proc in everything:
            if proc.poll() is None:
                proc.terminate()
        for proc in everything:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
