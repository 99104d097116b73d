"""Install status reports: the stage table, the WinPE reporter script and the report files Cobbler keeps."""
import re
from dataclasses import dataclass

from cobbler_winpe.errors import CONTROL
from cobbler_winpe.gen import cheetah

REPORTER_VBS = "cobbler-report.vbs"
API_PATH = "/cobbler_api"                   # Cobbler's XML-RPC endpoint behind its web server
REPORT_FILE = "winpe-status-%02d-%s.log"    # one file per stage under /var/log/cobbler/anamon/<system>/
REPORT_RE = re.compile(r"^winpe-status-(\d\d)-([a-z-]+)\.log$")
LOG_TAIL_LINES = 60                         # lines of setuperr.log / setupact.log a failure report carries

# (stage, who reports it, what it means); the position gives the file's number.
STAGES = (
    ("winpe-started", "WinPE", "WinPE is up and wpeinit has run"),
    ("network-up", "WinPE", "the install share's server answered (source share mapped)"),
    ("share-mapped", "WinPE", "both shares are mapped and the machine found its answer file"),
    ("setup-started", "WinPE", "setup.exe was started with the answer file"),
    ("winpe-done", "WinPE", "setup finished its WinPE phase; WinPE reboots into the new Windows"),
    ("installed", "Cobbler install/post trigger", "SetupComplete.cmd ran in the installed Windows"),
    ("first-boot", "Cobbler install/firstboot trigger", "the first logon of the installed Windows ran"),
    ("failed", "WinPE", "the install stopped; the reason and the setup log tails are attached"),
)
STAGE_NAMES = tuple(stage for stage, _, _ in STAGES)


@dataclass(frozen=True)
class Report:
    stage: str
    code: str = ""
    detail: str = ""
    when: str = ""          # the reporter's own clock, as text


def stage_number(stage):
    """The position of STAGE in the table (a KeyError names an unknown stage)."""
    if stage not in STAGE_NAMES:
        raise KeyError(stage)
    return STAGE_NAMES.index(stage) + 1


def report_file(stage):
    """The file name a report of STAGE is kept under: winpe-status-04-setup-started.log."""
    return REPORT_FILE % (stage_number(stage), stage)


def render_report(report):
    """The text of a report file: one 'key: value' line each, control characters replaced."""
    fields = (("stage", report.stage), ("code", report.code), ("detail", report.detail), ("time", report.when))
    return "".join("%s: %s\n" % (key, CONTROL.sub("?", str(value))) for key, value in fields)


def parse_report(text):
    """A Report from a report file's text; unknown keys are ignored, a missing stage gives None."""
    fields = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip()] = value.strip()
    if fields.get("stage") not in STAGE_NAMES:
        return None
    return Report(fields["stage"], fields.get("code", ""), fields.get("detail", ""), fields.get("time", ""))


def api_url(base_url):
    """Cobbler's XML-RPC URL under BASE_URL (http://server[:port])."""
    return base_url + API_PATH


def render_reporter_vbs(distro=None, profile=None, *, templates):
    """cobbler-report.vbs STAGE [CODE] [LOG ...]: send one stage report to Cobbler's upload_log_data (anamon),
    from snippets/windows/cobbler-report.vbs.tmpl as TEMPLATES finds it for DISTRO and PROFILE.

    The system is %WINPE_SYSTEM%; before startnet.cmd knows it, reports wait in %TEMP% and go with the first one
    sent after.  A failure report also sends the last lines of each LOG that exists.  It never stops the install:
    the exit code only says whether Cobbler took the report (0) or not (1).
    """
    cases = "\n".join('  Case "%s": StageNumber = %d' % (stage, stage_number(stage)) for stage in STAGE_NAMES)
    context = {"stage_cases": cheetah.Safe(cases), "log_tail_lines": LOG_TAIL_LINES}
    return cheetah.render_script(templates, cheetah.WINDOWS_DIR + REPORTER_VBS + ".tmpl", context, distro, profile)
