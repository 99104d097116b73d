"""An emulated LAN for the delivery benchmarks: client and server namespaces, 1 Gbit/s, MTU 1500, ~0.5 ms RTT.

Layout (every name starts with PREFIX; removed on exit, every process stopped by its PID):
  netns cwb17c: c0 10.217.17.1/24 --veth-- netns cwb17r: r0 [delayrelay] r1 --veth-- netns cwb17s: s0 10.217.17.2/24
- delay: this kernel has no sch_netem, so bench/delayrelay.c (built here with gcc) passes Ethernet frames between
  r0 and r1 and holds each one DELAY_US (250 us each way: 0.5 ms RTT); it exits by itself after its time limit;
- rate: tbf 1 Gbit/s (256 KiB bucket) on c0 and s0 egress (each direction of the link);
- offloads (TSO/GSO/GRO, checksum) off on all four ends, so every frame is a real <= 1514-byte frame.
Run alone (root) to see the link: python3 bench/benchnet.py  (prints the measured RTT and leaves nothing behind).
"""
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time

import benchlib

HERE = os.path.dirname(os.path.abspath(__file__))
PREFIX = "cwb17"
CLIENT, RELAY, SERVER = PREFIX + "c", PREFIX + "r", PREFIX + "s"
CLIENT_IP, SERVER_IP = "10.217.17.1", "10.217.17.2"
LINK_BITS = 1000 * 1000 * 1000
MTU = 1500


def sh(*argv, timeout=60):
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError("%s failed: %s" % (" ".join(argv), done.stderr.strip()))
    return done.stdout


def in_ns(ns, argv):
    return ["ip", "netns", "exec", ns] + list(argv)


class BenchNet:
    """The namespaces, links and relay; use as a context manager. popen()/run() start programs inside them."""

    def __init__(self, workdir, delay_us=250, rate="1gbit", seconds=3600, burst="256kb"):
        self.workdir, self.delay_us, self.rate, self.seconds, self.burst = workdir, delay_us, rate, seconds, burst
        self.procs = []
        self.relay = None

    def __enter__(self):
        try:
            self.up()
        except BaseException:
            self.down()
            raise
        return self

    def __exit__(self, *exc):
        self.down()

    def up(self):
        remove_namespaces()
        for ns in (CLIENT, RELAY, SERVER):
            sh("ip", "netns", "add", ns)
            sh(*in_ns(ns, ["ip", "link", "set", "lo", "up"]))
            sh(*in_ns(ns, ["sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1"]))
        veth("c0", CLIENT, "r0", RELAY)
        veth("s0", SERVER, "r1", RELAY)
        for ns, dev, addr in ((CLIENT, "c0", CLIENT_IP), (SERVER, "s0", SERVER_IP)):
            sh(*in_ns(ns, ["ip", "addr", "add", addr + "/24", "dev", dev]))
            # bucket 256 KiB (2 ms at 1 Gbit/s): with 64 KiB (0.5 ms), any pause of the shared CPUs longer than
            # that wasted tokens and TCP got 100 MB/s; with 256 KiB it gets 119 MB/s, the 95.6 % payload ceiling
            # (1,448 of 1,514 bytes per frame). Queue up to 4 ms before dropping.
            sh(*in_ns(ns, ["tc", "qdisc", "add", "dev", dev, "root", "tbf", "rate", self.rate, "burst", self.burst,
                           "latency", "4ms"]))
        self.relay = self.popen(RELAY, [self.build_relay(), "r0", "r1", str(self.delay_us), str(self.seconds)],
                                stdout=subprocess.PIPE)
        if self.relay.stdout.readline().strip() != "ready":
            raise RuntimeError("delayrelay did not start")

    def build_relay(self):
        binary = os.path.join(self.workdir, "delayrelay")
        sh("gcc", "-O2", "-pthread", "-o", binary, os.path.join(HERE, "delayrelay.c"), timeout=120)
        return binary

    def popen(self, ns, argv, **kwargs):
        """Start ARGV in namespace NS (ip netns exec replaces itself, so the PID is the program's)."""
        kwargs.setdefault("stdin", subprocess.DEVNULL)
        kwargs.setdefault("stdout", subprocess.DEVNULL)
        kwargs.setdefault("stderr", subprocess.DEVNULL)
        proc = subprocess.Popen(in_ns(ns, argv), text=True, **kwargs)
        self.procs.append(proc)
        return proc

    def run(self, ns, argv, timeout):
        """Run ARGV in NS to the end (bounded by TIMEOUT seconds); returns its CompletedProcess."""
        return subprocess.run(in_ns(ns, argv), capture_output=True, text=True, timeout=timeout)

    def stop(self, proc):
        benchlib.stop_process(proc)

    def relay_counts(self):
        """The relay's 'passed/dropped' line, read after stopping it (it prints the line on SIGTERM)."""
        self.stop(self.relay)
        return self.relay.stdout.read().strip()

    def down(self):
        for proc in reversed(self.procs):
            self.stop(proc)
            for stream in (proc.stdout, proc.stderr):
                if stream:
                    stream.close()
        self.procs = []
        remove_namespaces()

    def bare_http(self, path, port, seconds):
        """Start sendfile_server for PATH on the server's PORT (stopped with the network); returns once it listens."""
        proc = self.popen(SERVER, [sys.executable, os.path.abspath(__file__), "--sendfile", SERVER_IP, str(port), path,
                                   str(seconds)], stdout=subprocess.PIPE)
        if proc.stdout.readline().strip() != "ready":
            raise RuntimeError("bare HTTP server did not start")

    def rtt_ms(self, count=200):
        """Median round trip of COUNT small UDP echoes, client to server, in ms."""
        echo = self.popen(SERVER, [sys.executable, os.path.abspath(__file__), "--echo", SERVER_IP, "30"],
                          stdout=subprocess.PIPE)
        try:
            echo.stdout.readline()
            done = self.run(CLIENT, [sys.executable, os.path.abspath(__file__), "--ping", SERVER_IP, str(count)],
                            timeout=60)
            if done.returncode != 0:
                raise RuntimeError("RTT probe failed: %s" % done.stderr.strip())
            return json.loads(done.stdout)["median_ms"]
        finally:
            self.stop(echo)


def veth(end_a, ns_a, end_b, ns_b):
    """A veth pair END_A (in NS_A) -- END_B (in NS_B), MTU 1500, offloads off, both up."""
    sh("ip", "link", "add", end_a, "netns", ns_a, "mtu", str(MTU), "type", "veth", "peer", "name", end_b,
       "netns", ns_b, "mtu", str(MTU))
    for ns, dev in ((ns_a, end_a), (ns_b, end_b)):
        sh(*in_ns(ns, ["ethtool", "-K", dev, "tx", "off", "rx", "off", "tso", "off", "gso", "off", "gro", "off"]))
        sh(*in_ns(ns, ["ip", "link", "set", dev, "up"]))


def remove_namespaces():
    """Delete this benchmark's namespaces (their veths go with them); any left by an earlier run too."""
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, timeout=30).stdout
    names = {line.split()[0] for line in listed.splitlines() if line.strip()}
    for ns in (CLIENT, RELAY, SERVER):
        if ns in names:
            pids = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True, timeout=30).stdout
            if pids.split():
                raise RuntimeError("namespace %s still has processes %s (not stopped by this run)" % (ns, pids.split()))
            sh("ip", "netns", "del", ns)


def echo_server(address, seconds):
    """Answer UDP datagrams on ADDRESS:7 with themselves for SECONDS (the RTT probe's far end)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((address, 7))
    sock.settimeout(0.5)
    print("ready", flush=True)
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        try:
            data, peer = sock.recvfrom(2048)
        except socket.timeout:
            continue
        sock.sendto(data, peer)


def ping(address, count):
    """Median RTT in ms of COUNT echoes to ADDRESS:7 (each waited for, 1 s timeout)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(1.0)
    samples = []
    for number in range(count):
        start = time.monotonic()
        sock.sendto(b"%d" % number, (address, 7))
        sock.recvfrom(2048)
        samples.append((time.monotonic() - start) * 1000.0)
    return {"median_ms": statistics.median(samples), "min_ms": min(samples)}


def sendfile_server(address, port, path, seconds):
    """A bare HTTP/1.0 responder on ADDRESS:PORT sending PATH with socket.sendfile() for SECONDS: what the
    link carries with nothing but the kernel in the way (the HTTP baseline's ceiling)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((address, port))
    sock.listen(64)
    sock.settimeout(0.5)
    print("ready", flush=True)
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        try:
            conn, _ = sock.accept()
        except socket.timeout:
            continue
        with conn, open(path, "rb") as handle:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n" % os.fstat(handle.fileno()).st_size)
            conn.sendfile(handle)


def main(argv):
    if argv[:1] == ["--sendfile"]:
        sendfile_server(argv[1], int(argv[2]), argv[3], float(argv[4]))
        return 0
    if argv[:1] == ["--echo"]:
        echo_server(argv[1], float(argv[2]))
        return 0
    if argv[:1] == ["--ping"]:
        print(json.dumps(ping(argv[1], int(argv[2]))))
        return 0
    work = "/var/tmp/%s-net" % PREFIX
    os.makedirs(work, exist_ok=True)
    try:
        with BenchNet(work, seconds=120) as net:
            print("RTT client -> server: %.3f ms (median of 200 UDP echoes)" % net.rtt_ms())
            print("relay:", net.relay_counts())
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
