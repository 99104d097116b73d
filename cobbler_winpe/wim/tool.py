"""Run the host programs this package relies on (wimlib-imagex, genisoimage) with argv lists, never a shell."""
import shutil
import subprocess

from cobbler_winpe.errors import ToolError

# program -> the Debian package that provides it
PACKAGES = {"wimlib-imagex": "wimtools", "wiminfo": "wimtools", "genisoimage": "genisoimage"}
TIMEOUT = 3600


def require(program):
    """The program's path, or a ToolError naming the Debian package to install."""
    path = shutil.which(program)
    if path is None:
        package = PACKAGES.get(program, program)
        raise ToolError(program, "program not found on PATH",
                        "install the Debian package %s: apt-get install %s" % (package, package))
    return path


def run_tool(argv, stdin=None, timeout=TIMEOUT, env=None):
    """Run argv (a list) and return its stdout bytes; a failure raises ToolError with its last stderr line."""
    if not isinstance(argv, (list, tuple)) or not argv:
        raise TypeError("argv must be a non-empty list")
    require(argv[0])
    try:
        done = subprocess.run(list(argv), input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=timeout, check=False, env=env)
    except subprocess.TimeoutExpired:
        raise ToolError(argv[0], "did not finish within %d s" % timeout) from None
    if done.returncode != 0:
        raise ToolError(" ".join(argv[:2]), "failed with exit code %d: %s"
                        % (done.returncode, _last_line(done.stderr) or _last_line(done.stdout)))
    return done.stdout


def _last_line(data):
    lines = [l for l in data.decode("utf-8", "replace").splitlines() if l.strip()]
    return lines[-1].strip()[:300] if lines else ""
