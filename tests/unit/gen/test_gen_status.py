"""Install status: the stage table, report files, and the upload_log_data fix for Cobbler 3.3."""
import xmlrpc.client

import pytest

from cobbler_winpe.adapter import status as adapter_status
from cobbler_winpe.gen import status
from cobbler_winpe.snippets import Templates


def test_report_files_follow_the_stage_table():
    names = [status.report_file(stage) for stage in status.STAGE_NAMES]
    assert names[0] == "winpe-status-01-winpe-started.log" and names[-1] == "winpe-status-08-failed.log"
    assert all(status.REPORT_RE.match(name) for name in names)
    with pytest.raises(KeyError):
        status.report_file("made-up")


def test_report_text_round_trips_and_drops_control_characters():
    report = status.Report("failed", "31", "setup.exe ended\x1b[2J with error 31\nnext", "now")
    back = status.parse_report(status.render_report(report))
    assert back == status.Report("failed", "31", "setup.exe ended?[2J with error 31?next", "now")
    assert status.parse_report("stage: nonsense\n") is None


def test_reporter_knows_every_stage_by_the_table_number():
    vbs = status.render_reporter_vbs(templates=Templates())
    for stage in status.STAGE_NAMES:
        assert 'Case "%s": StageNumber = %d\r\n' % (stage, status.stage_number(stage)) in vbs
    assert "\n" not in vbs.replace("\r\n", "")


class BuggyInterface:
    """Cobbler 3.3's upload_log_data: checks bytes, then reads .data (cobbler/cobbler#3324)."""

    def upload_log_data(self, sys_name, file, size, offset, data, token=None):
        if not isinstance(data, bytes):
            return False
        return data.data


def test_binary_uploads_reach_cobblers_own_code():
    interface = type("Interface", (BuggyInterface,), {})
    assert interface().upload_log_data("pc", "f", 3, -1, xmlrpc.client.Binary(b"abc")) is False
    assert adapter_status.accept_binary_uploads(interface) is True
    assert adapter_status.accept_binary_uploads(interface) is False      # once only
    assert interface().upload_log_data("pc", "f", 3, -1, xmlrpc.client.Binary(b"abc")) == b"abc"


def test_stage_records_and_latest(tmp_path):
    adapter_status.record("pc1", "installed", "from 10.0.0.9", root=str(tmp_path))
    adapter_status.record("pc1", "first-boot", root=str(tmp_path))
    found = adapter_status.read_reports(str(tmp_path / "pc1"))
    assert [r.stage for r, _, _ in found] == ["installed", "first-boot"]
    assert adapter_status.latest(found)[0].stage == "first-boot"
    assert adapter_status.record("..", "installed", root=str(tmp_path)) is None


def test_check_says_when_cobbler_drops_the_reports(tmp_path, capsys):
    from cobbler_winpe import troubleshooting
    from cobbler_winpe.cli import check
    settings = tmp_path / "settings.yaml"
    settings.write_text("anamon_enabled: false\n")
    row = check.status_check(str(settings))
    assert (row.ok, row.needed) == (False, False) and "anamon_enabled" in row.fix
    assert troubleshooting.check_row(row.name) == "T-no-install-status"
    settings.write_text("anamon_enabled: true\n")
    assert check.status_check(str(settings)).ok
