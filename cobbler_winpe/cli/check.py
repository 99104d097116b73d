"""`cobbler-winpe check`: lists what the host lacks for each enabled boot path, with the fix for each."""
import json
import os

import yaml

from cobbler_winpe import checks, seccheck, troubleshooting
from cobbler_winpe.cli import main
from cobbler_winpe.adapter import install
from cobbler_winpe.cli import sbreport
from cobbler_winpe.errors import WinpeError


def hooks_check(module_dir=None):
    """Are the plugin's hook modules where this host's Cobbler loads modules from?"""
    try:
        folder = os.path.join(module_dir or install.find_module_dir(), install.HOOK_PACKAGE)
    except WinpeError as err:
        return checks.Check("cobbler hooks", False, str(err), "install Cobbler 3.3, then cobbler-winpe install-hooks")
    ok = os.path.exists(os.path.join(folder, "__init__.py"))
    return checks.Check("cobbler hooks", ok, folder + (" installed" if ok else " missing"),
                        "cobbler-winpe install-hooks, then restart cobblerd")


def status_check(settings_path):
    """Does Cobbler keep what WinPE reports (`cobbler-winpe status`)? Only with anamon_enabled."""
    on = install.merged_settings(settings_path).get("anamon_enabled", False) is True
    return checks.Check("status reports (anamon)", on, "anamon_enabled is %s in %s" % ("on" if on else "off",
                                                                                       settings_path),
                        "cobbler setting edit --name=anamon_enabled --value=true (or set it in %s)" % settings_path,
                        needed=False)


def nopxe_check(settings_path):
    """Cobbler runs the add/system triggers on nopxe only with nopxe_with_triggers (its default): without them
    a system's answer files and passwords stay on the data share after its install has started."""
    fix = "set nopxe_with_triggers: true in %s and restart cobblerd" % settings_path
    try:
        on = install.merged_settings(settings_path).get("nopxe_with_triggers", True) is True
    except (OSError, yaml.YAMLError) as err:
        return checks.Check("nopxe_with_triggers", False, "%s unreadable (%s)" % (settings_path, err), fix, False)
    detail = ("on: a system's answer files leave the data share when its install starts" if on else
              "off: a system's answer files and passwords stay on the data share until the next sync")
    return checks.Check("nopxe_with_triggers", on, detail, fix, needed=False)


def run(args):
    cfg = main.settings(args)
    failed = 0
    rows = [hooks_check(args.module_dir), status_check(args.settings), nopxe_check(args.settings)] + \
        checks.all_checks(cfg, args.tftproot) + \
        seccheck.security_rows(cfg, args.tftproot)
    reports = sbreport.staged_reports(args.tftproot, cfg)
    if getattr(args, "json", False):
        print(json.dumps(json_report(rows, reports), indent=2))
        return 1 if any(c.needed and not c.ok for c in rows) else 0
    for check in rows:
        state = "ok" if check.ok else ("MISSING" if check.needed else "optional")
        print("%-8s %-32s %s" % (state, check.name, check.detail))
        if not check.ok:
            see = troubleshooting.see(troubleshooting.check_row(check.name))
            print("%-8s %-32s fix: %s%s" % ("", "", check.fix, see))
            failed += check.needed
    for name, report in reports:     # information: whether a site needs Secure Boot is its own choice
        print("\n".join(sbreport.text_lines("secure boot, distro %s:" % name, report)))
    return 1 if failed else 0


def json_report(rows, reports):
    """check --json: every row and each staged distro's Secure Boot report."""
    return {"checks": [{"name": c.name, "ok": c.ok, "needed": c.needed, "detail": c.detail,
                        "fix": None if c.ok else c.fix} for c in rows],
            "secure_boot": {name: sbreport.to_json(report) for name, report in reports}}


def register(subparsers):
    parser = subparsers.add_parser("check", help="list what this host lacks for Windows netboot")
    main.config_option(parser)
    parser.add_argument("--tftproot", default="/srv/tftpboot", help="Cobbler's TFTP root")
    parser.add_argument("--settings", default="/etc/cobbler/settings.yaml", help="Cobbler's settings file")
    parser.add_argument("--module-dir", help="Cobbler's cobbler/modules folder (found automatically)")
    parser.add_argument("--json", action="store_true",
                        help="print the checks and each staged distro's Secure Boot report as JSON")
    parser.set_defaults(func=run)
