"""cobbler-winpe.spec builds a noarch RPM from the sdist with rpmbuild, laid out the way EL/Fedora's cobbler expects."""
import configparser
import os
import re
import shutil
import subprocess
import sys

import pytest

import cobbler_winpe

pytestmark = [pytest.mark.integration, pytest.mark.slow]
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SPEC = os.path.join(ROOT, "cobbler-winpe.spec")


def run(argv, **kwargs):
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600, **kwargs)
    assert done.returncode == 0, (argv, done.stdout[-3000:], done.stderr[-3000:])
    return done.stdout


def spec_field(name):
    for line in open(SPEC):
        if line.startswith(name + ":"):
            return line.split(":", 1)[1].strip()
    raise AssertionError("%s: no %s field" % (SPEC, name))


@pytest.fixture(scope="module")
def rpm_file(tmp_path_factory):
    if not shutil.which("rpmbuild"):
        pytest.fail("rpmbuild is missing: scripts/setup.sh installs Debian's rpm package")
    work = tmp_path_factory.mktemp("rpm")
    build = work / "src"
    shutil.copytree(ROOT, build, ignore=shutil.ignore_patterns(".venv", ".git", "*.egg-info", "build", "dist",
                                                                 "__pycache__", ".pytest_cache"))
    run([sys.executable, "setup.py", "-q", "sdist", "-d", str(work)], cwd=str(build))
    tarball = work / ("cobbler-winpe-%s.tar.gz" % cobbler_winpe.__version__)
    assert tarball.is_file(), os.listdir(work)
    run(["rpmbuild", "-ta", "--nodeps", "--define", "_topdir %s" % (work / "top"), str(tarball)])
    rpms = list((work / "top" / "RPMS" / "noarch").glob("*.rpm"))
    assert len(rpms) == 1, rpms
    return rpms[0]


def payload(rpm, dest):
    """The RPM's files unpacked under dest, the way rpm would install them below /."""
    os.makedirs(dest)
    cpio = subprocess.run(["rpm2cpio", str(rpm)], capture_output=True, timeout=120, check=True).stdout
    subprocess.run(["cpio", "-idm", "--quiet"], input=cpio, cwd=str(dest), timeout=120, check=True)
    return dest


def test_spec_version_is_the_package_version():
    assert spec_field("Version") == cobbler_winpe.__version__
    cfg = configparser.ConfigParser()
    cfg.read(os.path.join(ROOT, "setup.cfg"))
    assert spec_field("License") == cfg["metadata"]["license"]


def test_rpm_ships_the_package_cli_triggers_and_snippets(rpm_file, tmp_path):
    root = payload(rpm_file, tmp_path / "root")
    share = root / "usr" / "share" / "cobbler-winpe"
    assert sorted(os.listdir(share / "triggers")) == sorted(
        f for f in os.listdir(os.path.join(ROOT, "triggers")) if f.endswith(".py"))
    for folder in ("cobbler_winpe", "windows"):
        assert sorted(os.listdir(share / "snippets" / folder)) == sorted(
            os.listdir(os.path.join(ROOT, "snippets", folder)))
    sitelib = [p for p in root.rglob("cobbler_winpe") if (p / "__init__.py").is_file()]
    assert len(sitelib) == 1 and str(sitelib[0].relative_to(root)).startswith("usr/lib"), sitelib
    cli = root / "usr" / "bin" / "cobbler-winpe"
    env = dict(os.environ, PYTHONPATH=str(sitelib[0].parent))
    out = run([sys.executable, str(cli), "--version"], env=env)
    assert out.split() == ["cobbler-winpe", cobbler_winpe.__version__]
    out = run([sys.executable, str(cli), "install-hooks", "--help"], env=env)
    assert "--cobbler-python" in out


def scriptlet(rpm, name):
    """The body of the RPM's NAME scriptlet ("postinstall", "preuninstall"), as rpm hands it to /bin/sh."""
    parts = re.split(r"^(\w+) scriptlet \(using /bin/sh\):$", run(["rpm", "-qp", "--scripts", str(rpm)]),
                     flags=re.M)
    bodies = dict(zip(parts[1::2], parts[2::2]))
    assert name in bodies, (name, sorted(bodies))
    return bodies[name]


def run_scriptlet(body, arg, tmp_path):
    """Runs a scriptlet under /bin/sh with $1 = arg and a stand-in cobbler-winpe that records its arguments."""
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    calls = tmp_path / "calls"
    calls.write_text("")
    stand_in = bindir / "cobbler-winpe"
    stand_in.write_text('#!/bin/sh\necho "$*" >> %s\n' % calls)
    stand_in.chmod(0o755)
    env = dict(os.environ, PATH="%s:/usr/bin:/bin" % bindir)
    done = subprocess.run(["/bin/sh", "-e", "-c", body, "scriptlet", str(arg)], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return calls.read_text().splitlines()


def test_rpm_scriptlets_put_the_hooks_in_and_take_them_out(rpm_file, tmp_path):
    post = scriptlet(rpm_file, "postinstall")
    preun = scriptlet(rpm_file, "preuninstall")
    assert run_scriptlet(post, 1, tmp_path) == ["install-hooks"]        # first install
    assert run_scriptlet(post, 2, tmp_path) == ["install-hooks"]        # upgrade: new hook modules
    assert run_scriptlet(preun, 0, tmp_path) == ["remove-hooks"]        # erase
    assert run_scriptlet(preun, 1, tmp_path) == []                      # upgrade: the new package keeps them
    requires = run(["rpm", "-qpR", str(rpm_file)]).split("\n")
    assert "cobbler >= 3.3" in requires and "wimlib-utils" in requires
    assert run(["rpm", "-qp", "--qf", "%{ARCH}", str(rpm_file)]) == "noarch"
