"""The README's demo: cobbler-winpe in a real Cobbler on loopback, from sample media to a QEMU client booting it."""
import argparse
import os
import pathlib
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent.parent
sys.path[:0] = [str(HERE / "tests" / "integration"), str(HERE / "tests" / "integration" / "qemu")]

import cobbler_client  # noqa: E402  (the QEMU client helpers live beside the tests)
import conftest  # noqa: E402
import testbed  # noqa: E402
from testbed import CobblerBed  # noqa: E402

VENV = HERE / ".venv"


def step(text):
    print("\n==> %s" % text, flush=True)


def show(text, limit=40):
    lines = text.rstrip("\n").splitlines()
    for line in lines[:limit]:
        print("    " + line)
    if len(lines) > limit:
        print("    ... (%d more lines)" % (len(lines) - limit))


def cobbler(bed, *args):
    rc, out, err = bed.cli(*args)
    if rc != 0:
        raise SystemExit("demo: cobbler %s failed: %s" % (" ".join(map(str, args)), (out + err).strip()))
    return out


def winpe(*args):
    done = subprocess.run([str(VENV / "bin" / "cobbler-winpe")] + [str(a) for a in args],
                          capture_output=True, text=True, timeout=300)
    return done.returncode, done.stdout + done.stderr


def add_linux(bed, work):
    kernel, initrd = work / "vmlinuz", work / "initrd.img"
    kernel.write_bytes(b"\x7fELF demo kernel" * 64)
    initrd.write_bytes(b"demo initrd" * 64)
    cobbler(bed, "distro", "add", "--name", "centos9", "--arch", "x86_64", "--breed", "redhat",
            "--os-version", "rhel9", "--kernel", kernel, "--initrd", initrd)
    cobbler(bed, "profile", "add", "--name", "centos9-x86_64", "--distro", "centos9")


def start_tftpd(bed, work):
    """A real tftpd-hpa on 127.0.0.1 with the remap rules the plugin wrote, for `cobbler-winpe verify`."""
    port = testbed.free_port()
    proc = subprocess.Popen(["in.tftpd", "-L", "-a", "127.0.0.1:%d" % port, "-s", str(bed.tftproot),
                             "-m", "/etc/cobbler/winpe/tftpd.rules"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    time.sleep(0.3)
    return proc, port


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keep", action="store_true", help="leave the Cobbler trees in place afterwards")
    args = parser.parse_args()
    work = pathlib.Path(tempfile.mkdtemp(prefix="cobbler-winpe-demo-"))
    step("Building sample Windows 10 media (wimlib-imagex + genisoimage; pxeboot.n12 is a stand-in NBP)")
    media = cobbler_client.standin_media(str(work), "win10-x64", "win10-x86_64")
    print("    %s (%d KiB)" % (media.iso, os.path.getsize(media.iso) // 1024))
    rc, out = winpe("inspect", media.iso)
    show(out)
    step("Starting a real cobblerd 3.3.10 and Apache on 127.0.0.1")
    with CobblerBed() as bed:
        print("    web front http://127.0.0.1:%d/  (ready in %.1f s)" % (bed.http_port, bed.timings["start_total"]))
        step("cobbler-winpe install-hooks, then restart cobblerd")
        conftest.write_bed_config()
        conftest.install_plugin(bed)
        add_linux(bed, work)
        step("cobbler import --path=%s --name=win10" % media.iso)
        show(cobbler(bed, "import", "--path", media.iso, "--name", "win10"), 12)
        show(cobbler(bed, "profile", "list"))
        step("cobbler sync")
        cobbler(bed, "sync")
        show("\n".join(sorted(str(p.relative_to(bed.tftproot)) for p in
                              (pathlib.Path(bed.tftproot) / "images" / "win10-x86_64").rglob("*") if p.is_file())))
        profile = "win10-x86_64-pro"
        step("cobbler-winpe verify --profile %s (real tftpd-hpa with the plugin's remap rules, real Apache)" % profile)
        tftpd, port = start_tftpd(bed, work)
        try:
            rc, out = winpe("verify", "--profile", profile, "--firmware", "bios", "--tftp", "127.0.0.1:%d" % port,
                            "--http", "http://127.0.0.1:%d" % bed.http_port)
            show(out, 60)
        finally:
            tftpd.kill()
            tftpd.wait(timeout=10)
        step("QEMU BIOS client: PXE -> pxelinux menu from cobblerd -> '%s' -> pxeboot.n12" % profile)
        result = cobbler_client.boot_menu_entry(str(bed.tftproot), str(work), profile)
        labels = [l.strip() for l in cobbler(bed, "profile", "list").split()]
        seen = [label for label in ["(local)"] + labels if label in result.text]
        print("    menu entries the client showed: %s" % ", ".join(seen))
        show("\n".join(dict.fromkeys(result.lines("pxechn.c32") + result.lines("STANDIN-NBP"))), 10)
        ok = result.exit_code == 33 and any("opt252=\\images\\win10-x86_64\\bcd\\" + profile in l
                                            for l in result.lines("STANDIN-NBP"))
        print("\n%s: the client chainloaded win10-x86_64's pxeboot.n12 with option 252 = its BCD (%.1f s)"
              % ("OK" if ok else "FAILED", result.seconds))
        if not args.keep:
            bed.reset()
    return 0 if ok and rc == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
