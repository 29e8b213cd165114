"""retrograd's distributed training across two "hosts": two network namespaces joined by a veth
pair, the ranks talking TCP over it (issue 12).

The mechanism: the test creates namespaces rg-host-a-<id> and rg-host-b-<id>, a veth pair with
10.X.Y.1/24 in a and 10.X.Y.2/24 in b, lo up in each. mpiexec runs inside namespace a (in a UTS
namespace of its own, hostname rg-host-a) with ``-hosts 10.X.Y.1,10.X.Y.2 -ppn 1 -launcher ssh
-launcher-exec fake_ssh``. Hydra starts the proxy of 10.X.Y.1 itself (a local address in a) and
"sshes" to 10.X.Y.2: fake_ssh gets ``-x 10.X.Y.2 <proxy command>`` and runs the command, as sshd
would (through ``sh -c``), under ``ip netns exec rg-host-b-<id> unshare --uts`` with hostname
rg-host-b. The proxy connects back to mpiexec's control port on 10.X.Y.1 over the veth.

The ranks share one kernel, so MPICH's default (the UCX netmod) would move the data through
shared memory; ``UCX_TLS=tcp,self`` (UCX) or ``MPIR_CVAR_CH4_NETMOD=ofi FI_PROVIDER=tcp``
(libfabric) makes it TCP, as between two machines. The proof that the data crossed: each rank
sees only lo and its end of the veth, in namespaces other than the test's, and the veth's byte
counters grew by more than the payload the job all-reduces.

Needs root, ``ip`` and ``unshare``; skips with the reason otherwise. RETROGRAD_CROSS_HOST=0
skips it too.
"""
import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

import retrograd as rg
import retrograd.distributed as dist

SCRIPT = Path(__file__).parent / "scripts" / "cross_host.py"
MPIEXEC = Path(sys.executable).parent / "mpiexec"
ROOT = Path(rg.__file__).resolve().parents[1]
TIMEOUT = 60  # seconds for any one job: a hung job fails the test, it never hangs it

# the transports that make the ranks talk TCP, as on two machines
TRANSPORTS = {"ucx-tcp": {"UCX_TLS": "tcp,self"},
              "ofi-tcp": {"MPIR_CVAR_CH4_NETMOD": "ofi", "FI_PROVIDER": "tcp"}}


def _why_not() -> str | None:
    if os.environ.get("RETROGRAD_CROSS_HOST") == "0":
        return "RETROGRAD_CROSS_HOST=0"
    if not (dist.is_available() and MPIEXEC.is_file()):
        return "mpi4py or mpiexec not installed (pip install 'retrograd[distributed]')"
    if not sys.platform.startswith("linux"):
        return "network namespaces are Linux's"
    if os.geteuid() != 0:
        return "creating network namespaces needs root"
    for tool in ("ip", "unshare"):
        if shutil.which(tool) is None:
            return f"no `{tool}` command (iproute2, util-linux)"
    return None


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=10)
    if check and done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {done.stderr.strip()}")
    return done


FAKE_SSH = """#!/bin/sh
# Hydra's "ssh": -x HOST COMMAND...; runs COMMAND (through sh -c, as sshd does) in HOST's
# network namespace, with a hostname of its own
[ "$1" = "-x" ] && shift
host=$1; shift
case $host in
{cases}
  *) echo "fake_ssh: unknown host $host" >&2; exit 255 ;;
esac
exec ip netns exec "$ns" unshare --uts sh -c "hostname $name && exec $*"
"""


class TwoHosts:
    """Namespaces a and b, a veth pair between them; ``close`` removes everything."""

    def __init__(self, tmp_path: Path) -> None:
        tag = uuid.uuid4().hex[:8]
        self.ns = {"a": f"rg-host-a-{tag}", "b": f"rg-host-b-{tag}"}
        self.dev = {"a": f"rga{tag}", "b": f"rgb{tag}"}  # interface names: 15 characters at most
        x, y = 1 + int(tag[:2], 16) % 254, 1 + int(tag[2:4], 16) % 254
        self.addr = {"a": f"10.{x}.{y}.1", "b": f"10.{x}.{y}.2"}
        self.created: list[str] = []
        try:
            self._create(tmp_path)
        except BaseException:
            self.close()  # what was made before the failure
            raise

    def _create(self, tmp_path: Path) -> None:
        for side in "ab":
            _ip("netns", "add", self.ns[side])
            self.created.append(self.ns[side])
        _ip("link", "add", self.dev["a"], "type", "veth", "peer", "name", self.dev["b"])
        for side in "ab":
            ns, dev = self.ns[side], self.dev[side]
            _ip("link", "set", dev, "netns", ns)
            _ip("-n", ns, "addr", "add", f"{self.addr[side]}/24", "dev", dev)
            _ip("-n", ns, "link", "set", "lo", "up")
            _ip("-n", ns, "link", "set", dev, "up")
        cases = "\n".join(f"  {self.addr[s]}) ns={self.ns[s]}; name=rg-host-{s} ;;" for s in "ab")
        self.fake_ssh = tmp_path / "fake_ssh"
        self.fake_ssh.write_text(FAKE_SSH.format(cases=cases))
        self.fake_ssh.chmod(0o755)

    def counters(self, side: str) -> dict[str, int]:
        """The byte counters of side's end of the veth."""
        stats = f"/sys/class/net/{self.dev[side]}/statistics"
        done = subprocess.run(["ip", "netns", "exec", self.ns[side], "cat", f"{stats}/tx_bytes",
                               f"{stats}/rx_bytes"], capture_output=True, text=True, timeout=10)
        tx, rx = done.stdout.split()
        return {"tx": int(tx), "rx": int(rx)}

    def close(self) -> None:
        for ns in reversed(self.created):  # what is left running in them, then the namespace
            pids = _ip("netns", "pids", ns, check=False).stdout.split()
            for pid in pids:
                try:
                    os.kill(int(pid), 9)
                except (ProcessLookupError, ValueError):
                    pass
            _ip("netns", "del", ns, check=False)  # takes the veth pair with it
        if self.created:  # a veth pair made but not yet moved into the namespaces
            _ip("link", "del", self.dev["a"], check=False)


@pytest.fixture
def hosts(tmp_path):
    why = _why_not()
    if why:
        pytest.skip(why)
    try:
        two = TwoHosts(tmp_path)
    except (RuntimeError, OSError, subprocess.SubprocessError) as error:
        pytest.skip(f"cannot create network namespaces here: {error}")
    try:
        yield two
    finally:
        two.close()
    for ns in two.ns.values():
        assert ns not in _ip("netns", "list").stdout, f"{ns} was not removed"


@pytest.mark.parametrize("transport", sorted(TRANSPORTS))
def test_training_crosses_two_hosts_over_tcp(hosts, transport, tmp_path):
    report = tmp_path / "report.json"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
           **TRANSPORTS[transport]}
    a, b = hosts.addr["a"], hosts.addr["b"]
    mpiexec = [str(MPIEXEC), "-launcher", "ssh", "-launcher-exec", str(hosts.fake_ssh),
               "-hosts", f"{a},{b}", "-ppn", "1", "-n", "2",
               sys.executable, str(SCRIPT), str(report)]
    before = {side: hosts.counters(side) for side in "ab"}
    job = subprocess.run(["ip", "netns", "exec", hosts.ns["a"], "unshare", "--uts", "sh", "-c",
                          'hostname rg-host-a && exec "$@"', "sh", *mpiexec],
                         env=env, capture_output=True, text=True, timeout=TIMEOUT)
    after = {side: hosts.counters(side) for side in "ab"}
    assert job.returncode == 0, job.stdout[-2000:] + job.stderr[-3000:]
    assert "OK rank 0 of 2 on rg-host-a" in job.stdout, job.stdout
    assert "OK rank 1 of 2 on rg-host-b" in job.stdout, job.stdout

    result = json.loads(report.read_text())
    rank0, rank1 = result["placement"]
    own_netns = os.readlink("/proc/self/ns/net")
    assert len({rank0["netns"], rank1["netns"], own_netns}) == 3, "three network namespaces"
    assert rank0["interfaces"] == sorted(["lo", hosts.dev["a"]])
    assert rank1["interfaces"] == sorted(["lo", hosts.dev["b"]])  # the veth is b's only way out
    assert (rank0["hostname"], rank1["hostname"]) == ("rg-host-a", "rg-host-b")

    d0, d1 = result["digests"]
    assert d0 == d1, "the ranks must end with identical parameters"
    l0, l1 = result["losses"]
    assert l0 != l1, "each rank trained on batches of its own"

    # each all_reduce of 4 MiB sends at least the rank's share of it across (all of it, here)
    sent = {side: after[side]["tx"] - before[side]["tx"] for side in "ab"}
    got = {side: after[side]["rx"] - before[side]["rx"] for side in "ab"}
    payload = result["allreduce_bytes"]
    print(f"{transport}: veth a sent {sent['a']} B, b sent {sent['b']} B "
          f"(all-reduced payload {payload} B per rank)")
    # (one end's tx is the other's rx, give or take a late ACK between the readings)
    assert min(*sent.values(), *got.values()) > payload, (sent, got, payload)
