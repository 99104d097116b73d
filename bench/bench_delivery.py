"""On-demand benchmark: boot.wim over an emulated 1 Gbit/s LAN (0.5 ms RTT) by HTTP and TFTP, to 1 and to 50 clients.

Run (root): .venv/bin/python bench/bench_delivery.py [--size BYTES] [--clients N] [--client-size BYTES]
Needs ip/tc (iproute2), ethtool, gcc, curl, apache2, tftpd-hpa's in.tftpd and atftpd (scripts/setup.sh installs
them; atftpd is unpacked into .bench-tools/, since Debian's package would remove tftpd-hpa). The network is bench/benchnet.py's (namespaces cwb17*, removed at the end); every server runs in the
server namespace in the foreground and is stopped by its PID. Clients run in the client namespace:
- HTTP: curl from Apache (a minimal foreground apache2 -f config: mpm_event, sendfile, core static files: what
  the bed's Apache does for /cobbler/images/);
- TFTP: bench/tftpclient.py, asking what the Windows boot manager asks (tsize, blksize, windowsize, msftwindow):
  upstream's BCD (no ramdisktftpblocksize/windowsize: 512-byte blocks, one block per ACK) on tftpd-hpa, the
  plugin's BCD settings (cobbler_winpe.config DEFAULTS) on tftpd-hpa (no RFC 7440: window 1) and on atftpd
  (RFC 7440 windowsize), and atftpd with larger windows.
Goals: TFTP (plugin's settings, best server) >= 8x upstream's; >= 50 % of HTTP; HTTP >= 90 % of the link.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import benchlib
import benchnet

ROOT = benchlib.ROOT
sys.path.insert(0, ROOT)
from cobbler_winpe.config import DEFAULTS  # noqa: E402  (the BCD's TFTP settings: one place)

HTTP_PORT, BARE_PORT, TFTPD_HPA_PORT, ATFTPD_PORT = 80, 8080, 69, 1069
APACHE_CONF = """ServerRoot /etc/apache2
ServerName cwb17-bench
Listen {ip}:{port}
PidFile {work}/apache.pid
LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
User www-data
Group www-data
ErrorLog {work}/apache-error.log
MaxRequestWorkers 150
ThreadsPerChild 25
EnableSendfile On
DocumentRoot {root}
<Directory {root}>
  Require all granted
</Directory>
"""


def make_payload(path, size):
    """SIZE bytes of non-zero data (a repeated random MiB), written for real (not sparse)."""
    block = os.urandom(1 << 20)
    with open(path, "wb") as handle:
        left = size
        while left > 0:
            handle.write(block[:min(left, len(block))])
            left -= len(block)
    os.chmod(path, 0o644)


def bcd_settings():
    """(blksize, windowsize) the plugin writes into its BCDs by default (0: left out)."""
    return DEFAULTS["tftp_blocksize"][0], DEFAULTS["tftp_windowsize"][0]


class Servers:
    """Apache, tftpd-hpa and atftpd in the server namespace, serving WORK/root; started and stopped by PID."""

    def __init__(self, net, work):
        self.net, self.root = net, os.path.join(work, "root")
        conf = os.path.join(work, "apache.conf")
        with open(conf, "w") as handle:
            handle.write(APACHE_CONF.format(ip=benchnet.SERVER_IP, port=HTTP_PORT, work=work, root=self.root))
        ip = benchnet.SERVER_IP
        self.started = [
            net.popen(benchnet.SERVER, ["apache2", "-f", conf, "-DFOREGROUND"]),
            net.popen(benchnet.SERVER, ["in.tftpd", "-L", "-a", "%s:%d" % (ip, TFTPD_HPA_PORT), "-s", self.root,
                                        "-u", "nobody"]),
            net.popen(benchnet.SERVER, [benchlib.ATFTPD, "--daemon", "--no-fork", "--bind-address", ip, "--port",
                                        str(ATFTPD_PORT), "--user", "nobody", "--group", "nogroup", "--logfile",
                                        "/dev/null", "--maxthread", "200", self.root])]
        time.sleep(1.0)
        for proc in self.started:
            if proc.poll() is not None:
                raise benchlib.BaselineMissing("server %s exited with %s at start" % (proc.args[4], proc.returncode))


def curl_argv(name, port=HTTP_PORT):
    return ["curl", "-sS", "-o", "/dev/null", "-w", "%{time_total} %{size_download}",
            "http://%s:%d/%s" % (benchnet.SERVER_IP, port, name)]


def tftp_argv(port, name, blksize, windowsize):
    argv = [sys.executable, os.path.join(benchlib.ROOT, "bench", "tftpclient.py"),
            "%s:%d" % (benchnet.SERVER_IP, port), name, "--msftwindow"]
    argv += ["--blksize", str(blksize)] if blksize else []
    argv += ["--windowsize", str(windowsize)] if windowsize else []
    return argv


def parse_result(kind, done):
    """{'seconds', 'bytes', ...} of one client run; {'error'} when it failed."""
    if kind == "http":
        if done.returncode != 0:
            return {"error": done.stderr.strip() or "curl exit %d" % done.returncode}
        seconds, size = done.stdout.split()
        return {"seconds": float(seconds), "bytes": int(size)}
    lines = done.stdout.strip().splitlines()
    return json.loads(lines[-1]) if lines else {"error": done.stderr.strip()[-300:] or "no output"}


def one(net, kind, argv, size, timeout):
    """One download in the client namespace; raises unless all SIZE bytes arrived."""
    result = parse_result(kind, net.run(benchnet.CLIENT, argv, timeout))
    if "error" in result or result["bytes"] != size:
        raise RuntimeError("%s download failed: %s" % (kind, result.get("error") or "%d of %d bytes"
                                                       % (result["bytes"], size)))
    return result


def many(net, kind, argvs, size, timeout):
    """All ARGVS at once in the client namespace; (wall seconds, results). Each is bounded by TIMEOUT."""
    start = time.monotonic()
    procs = [net.popen(benchnet.CLIENT, argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for argv in argvs]
    results = []
    for proc in procs:
        try:
            out, err = proc.communicate(timeout=max(1.0, timeout - (time.monotonic() - start)))
            done = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
            result = parse_result(kind, done)
        except subprocess.TimeoutExpired:
            net.stop(proc)
            result = {"error": "timed out after %d s" % timeout}
        if "error" not in result and result["bytes"] != size:
            result = {"error": "%d of %d bytes" % (result["bytes"], size)}
        results.append(result)
    return time.monotonic() - start, results


def single_rows(net, size, windows, timeout):
    """The one-client figures: {label: result}."""
    blksize, windowsize = bcd_settings()
    rows = {"http": one(net, "http", curl_argv("boot.wim"), size, timeout),
            "bare": one(net, "http", curl_argv("boot.wim", BARE_PORT), size, timeout)}
    rows["upstream"] = one(net, "tftp", tftp_argv(TFTPD_HPA_PORT, "boot.wim", None, None), size, timeout)
    rows["plugin-hpa"] = one(net, "tftp", tftp_argv(TFTPD_HPA_PORT, "boot.wim", blksize, windowsize), size, timeout)
    rows["plugin-atftpd"] = one(net, "tftp", tftp_argv(ATFTPD_PORT, "boot.wim", blksize, windowsize), size, timeout)
    for window in windows:
        rows["atftpd-w%d" % window] = one(net, "tftp", tftp_argv(ATFTPD_PORT, "boot.wim", blksize, window), size,
                                          timeout)
    return rows


def many_rows(net, clients, size, timeout):
    """CLIENTS downloads at once by HTTP and by TFTP (atftpd, the plugin's settings): {kind: (wall, results)}."""
    blksize, windowsize = bcd_settings()
    return {"http": many(net, "http", [curl_argv("small.wim")] * clients, size, timeout),
            "tftp": many(net, "tftp", [tftp_argv(ATFTPD_PORT, "small.wim", blksize, windowsize)] * clients, size,
                         timeout)}


def mbps(result):
    return result["bytes"] / result["seconds"] / 1e6


def report(size, rtt, rows, crowd, clients, client_size, relay):
    blksize, windowsize = bcd_settings()
    link = benchnet.LINK_BITS
    labels = [("http", "HTTP, Apache (curl)"),
              ("bare", "HTTP, bare socket.sendfile() server (the link's TCP ceiling)"),
              ("upstream", "TFTP tftpd-hpa, upstream's BCD (blksize 512, window 1)"),
              ("plugin-hpa", "TFTP tftpd-hpa, plugin's BCD (blksize %d, window %d asked: 1 granted)"
               % (blksize, windowsize)),
              ("plugin-atftpd", "TFTP atftpd, plugin's BCD (blksize %d, windowsize %d)" % (blksize, windowsize))]
    labels += [(key, "TFTP atftpd, blksize %d, windowsize %s" % (blksize, key.split("-w")[1]))
               for key in rows if key.startswith("atftpd-w")]
    upstream = rows["upstream"]["seconds"]
    benchlib.table("boot.wim (%s) to one client: 1 Gbit/s, MTU %d, RTT %.2f ms" % (benchlib.human(size),
                                                                                 benchnet.MTU, rtt),
                   ("", "wall s", "MB/s", "x upstream", "of link"),
                   [(label, "%.2f" % rows[key]["seconds"], "%.1f" % mbps(rows[key]),
                     "%.1f" % benchlib.ratio(upstream, rows[key]["seconds"], "TFTP with upstream's BCD"),
                     "%.0f%%" % (100 * benchlib.link_share(size, rows[key]["seconds"], link)))
                    for key, label in labels])
    print("  granted (atftpd, plugin's BCD): %s" % {k: rows["plugin-atftpd"][k] for k in
                                                   ("blksize", "windowsize", "msftwindow", "resent_acks")})
    crowd_rows = []
    for kind, (wall, results) in crowd.items():
        failed = [r["error"] for r in results if "error" in r]
        done = sum(r["bytes"] for r in results if "error" not in r)
        crowd_rows.append((kind.upper() + (" (atftpd, plugin's BCD)" if kind == "tftp" else " (Apache)"),
                           "%.2f" % wall, "%d" % len(failed), "%.1f" % (done / wall / 1e6),
                           "%.0f%%" % (100 * done * 8 / wall / link)))
        for error in sorted(set(failed))[:3]:
            print("  %s failure: %s" % (kind, error))
    benchlib.table("%d clients at once, %s each" % (clients, benchlib.human(client_size)),
                   ("", "wall s", "failed", "aggregate MB/s", "of link"), crowd_rows)
    print("  relay frames: %s" % relay)
    best = max((k for k in rows if k.startswith(("plugin", "atftpd"))), key=lambda k: mbps(rows[k]))
    ours = rows["plugin-atftpd"]
    benchlib.goal("TFTP, plugin's BCD on atftpd / upstream's >= 8 (x)",
                  benchlib.ratio(upstream, ours["seconds"], "TFTP with upstream's BCD"), 8, below=False)
    benchlib.goal("TFTP, plugin's BCD on atftpd / HTTP >= 0.5",
                  benchlib.ratio(mbps(ours), mbps(rows["http"]), "HTTP through Apache"), 0.5, below=False)
    benchlib.goal("HTTP / link >= 0.9", benchlib.link_share(size, rows["http"]["seconds"], link), 0.9, below=False)
    print("  HTTP through Apache is %.0f%% of the bare sendfile server on the same link"
          % (100 * benchlib.ratio(mbps(rows["http"]), mbps(rows["bare"]), "bare HTTP server")))
    for kind, (_, results) in crowd.items():
        benchlib.goal("%d %s clients: failed transfers <= 0" % (clients, kind.upper()),
                      sum("error" in r for r in results), 0)
    print("  fastest TFTP: %s, %.1f MB/s" % (best, mbps(rows[best])))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=300 * 1000 ** 2, help="boot.wim bytes (default 300 MB)")
    parser.add_argument("--clients", type=int, default=50, help="clients at once (default 50)")
    parser.add_argument("--client-size", type=int, default=20 * 1000 ** 2, help="bytes each of them fetches")
    parser.add_argument("--windows", default="8,16,32,64", help="extra atftpd windowsizes to measure")
    parser.add_argument("--timeout", type=int, default=900, help="seconds any one transfer may take")
    args = parser.parse_args(argv)
    benchlib.require(os.geteuid() == 0, "baseline cannot run: the emulated LAN needs root (namespaces)")
    benchlib.require_programs("ip", "tc", "ethtool", "gcc", "curl", "apache2", "in.tftpd")
    benchlib.require(os.access(benchlib.ATFTPD, os.X_OK), "baseline cannot run: no %s (run scripts/setup.sh as root)"
                     % benchlib.ATFTPD)
    work = tempfile.mkdtemp(prefix="cwb17-delivery-", dir=benchlib.SCRATCH)
    os.chmod(work, 0o755)
    try:
        root = os.path.join(work, "root")
        os.makedirs(root, mode=0o755)
        make_payload(os.path.join(root, "boot.wim"), args.size)
        make_payload(os.path.join(root, "small.wim"), args.client_size)
        windows = [int(w) for w in args.windows.split(",") if w]
        with benchnet.BenchNet(work, seconds=3 * args.timeout + 600) as net:
            rtt = net.rtt_ms()
            Servers(net, work)
            net.bare_http(os.path.join(root, "boot.wim"), BARE_PORT, 3 * args.timeout + 300)
            rows = single_rows(net, args.size, windows, args.timeout)
            crowd = many_rows(net, args.clients, args.client_size, args.timeout)
            relay = net.relay_counts()
        report(args.size, rtt, rows, crowd, args.clients, args.client_size, relay)
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(benchlib.run_main(main))
