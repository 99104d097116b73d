"""Microsoft's Unattended Windows Setup Reference as a table, and a checker that walks an answer file against it.

Each row: component, the configuration passes where the setting is valid, its path below the component, the
value it takes and the reference page it was read from (learn.microsoft.com/windows-hardware/customize/desktop/
unattend/<page>; the text was read from MicrosoftDocs' commercialization-public sources of those pages, and
ComputerName's passes from the live page).  Only settings the plugin's templates emit are listed: anything else
in a rendered file is an error, so a new setting needs its row (and its page) here first.
"""
import re
import xml.etree.ElementTree as ET
from collections import namedtuple

UNATTEND_NS = "urn:schemas-microsoft-com:unattend"
WCM_NS = "http://schemas.microsoft.com/WMIConfig/2002/State"
BASE_URL = "https://learn.microsoft.com/en-us/windows-hardware/customize/desktop/unattend/"
PASSES = ("windowsPE", "offlineServicing", "generalize", "specialize", "auditSystem", "auditUser", "oobeSystem")
# component-settings-and-properties-reference: the public key token of Microsoft's components, versionScope
# nonSxS and language neutral for these settings; best-practices-for-authoring-answer-files: one architecture
# per pass (windowsPE matches the WinPE that runs setup, the other passes the installed image: both the distro's).
COMPONENT_ATTRS = {"publicKeyToken": "31bf3856ad364e35", "language": "neutral", "versionScope": "nonSxS"}
ARCHS = ("x86", "amd64", "arm64")

Row = namedtuple("Row", "component passes path value page")


class Node:
    """An element that only holds other settings."""
    kind = "container"

    def check(self, text):
        return None if not (text or "").strip() else "a container must not hold text"


class Item(Node):
    """A list entry: wcm:action="add", and a wcm:keyValue when the list is keyed (FirewallGroup, PathAndCredentials)."""
    kind = "list item"

    def __init__(self, keyed=False):
        self.keyed = keyed


class Text:
    """A string of at most MAX characters; EMPTY when the page says the type supports empty elements."""
    kind = "string"

    def __init__(self, max_len=1024, empty=False, pattern=None, forbidden=""):
        self.max_len, self.empty, self.pattern, self.forbidden = max_len, empty, pattern, forbidden

    def check(self, text):
        text = text or ""
        if not text:
            return None if self.empty else "empty, and this setting does not support empty elements"
        if len(text) > self.max_len:
            return "longer than %d characters" % self.max_len
        if self.pattern and not re.fullmatch(self.pattern, text):
            return "%r is not of the form %s" % (text, self.pattern)
        bad = sorted(set(text) & set(self.forbidden))
        return "contains %s" % "".join(bad) if bad else None


class Int:
    """An integer in [LO, HI]."""
    kind = "integer"

    def __init__(self, lo=0, hi=2 ** 31 - 1):
        self.lo, self.hi = lo, hi

    def check(self, text):
        if not re.fullmatch(r"[0-9]+", text or "") or not self.lo <= int(text) <= self.hi:
            return "%r is not an integer from %d to %d" % (text, self.lo, self.hi)
        return None


class Enum:
    """One of the listed values (spelled as the page spells them)."""
    kind = "enumeration"

    def __init__(self, *choices):
        self.choices = choices

    def check(self, text):
        return None if text in self.choices else "%r is not one of %s" % (text, ", ".join(self.choices))


BOOL = Enum("true", "false")
SHOW_UI = Enum("Always", "OnError", "Never")
LOCALE = Text(85, pattern=r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}")
INPUT_LOCALE = Text(256, pattern=r"([0-9A-Fa-f]{4}:(\{[0-9A-Fa-f\-]{36}\}\{[0-9A-Fa-f\-]{36}\}|[0-9A-Fa-f]{8})"
                              r"|[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3})(;[^;]+)*")
ACCOUNT_NAME = Text(256, forbidden='"/\\[]:|<>+=;,?*%@')
# ComputerName: at most 15 bytes, none of the listed characters, no spaces, not all digits; '*' means random.
COMPUTER_NAME = Text(15, empty=True, pattern=r"\*|(?![0-9]+$)[A-Za-z0-9\-_]{1,15}")

SETUP, SHELL, INTL, INTL_PE = ("Microsoft-Windows-Setup", "Microsoft-Windows-Shell-Setup",
                               "Microsoft-Windows-International-Core", "Microsoft-Windows-International-Core-WinPE")
JOIN, DEPLOY, TS, FIREWALL, PNP = ("Microsoft-Windows-UnattendedJoin", "Microsoft-Windows-Deployment",
                                   "Microsoft-Windows-TerminalServices-LocalSessionManager", "Networking-MPSSVC-Svc",
                                   "Microsoft-Windows-PnpCustomizationsWinPE")
PE = ("windowsPE",)
SPECIALIZE = ("specialize",)
OOBE = ("oobeSystem",)
INTL_PASSES = ("oobeSystem", "specialize")
ACCOUNT_PASSES = ("auditSystem", "oobeSystem")
AUTOLOGON_PASSES = ("auditSystem", "oobeSystem", "specialize")
REGISTERED_PASSES = ("auditUser", "generalize", "offlineServicing", "oobeSystem", "specialize")


def _rows(component, passes, page_prefix, settings):
    """Rows for COMPONENT: SETTINGS maps a path to its value (the page is the prefix plus the lower-cased path)."""
    return [Row(component, passes, path, value,
                BASE_URL + page_prefix + ("-" + path.lower().replace("/", "-").replace("_", "-") if path else ""))
            for path, value in settings.items()]


def _setup_rows():
    disk = "DiskConfiguration/Disk/"
    create, modify = disk + "CreatePartitions/CreatePartition/", disk + "ModifyPartitions/ModifyPartition/"
    osimage = "ImageInstall/OSImage/"
    command = "RunSynchronous/RunSynchronousCommand/"
    return _rows(SETUP, PE, "microsoft-windows-setup", {
        "RunSynchronous": Node(), command[:-1]: Item(), command + "Order": Int(1, 500),
        command + "Path": Text(259), command + "Description": Text(259, empty=True),
        "DiskConfiguration": Node(), "DiskConfiguration/WillShowUI": SHOW_UI, disk[:-1]: Item(),
        disk + "DiskID": Int(), disk + "WillWipeDisk": BOOL, disk + "CreatePartitions": Node(),
        create[:-1]: Item(), create + "Order": Int(1), create + "Type": Enum("Primary", "EFI", "Extended", "Logical",
                                                                             "MSR"),
        create + "Size": Int(1), create + "Extend": BOOL, disk + "ModifyPartitions": Node(), modify[:-1]: Item(),
        modify + "Order": Int(1), modify + "PartitionID": Int(1), modify + "Format": Enum("NTFS", "FAT32"),
        modify + "Label": Text(32), modify + "Letter": Text(1, pattern="[C-Z]"), modify + "Active": BOOL,
        modify + "Extend": BOOL,
        "ImageInstall": Node(), osimage[:-1]: Node(), osimage + "InstallFrom": Node(),
        osimage + "InstallFrom/Path": Text(259), osimage + "InstallFrom/MetaData": Item(),
        osimage + "InstallFrom/MetaData/Key": Enum("/IMAGE/INDEX", "/IMAGE/NAME", "/IMAGE/DESCRIPTION"),
        osimage + "InstallFrom/MetaData/Value": Text(), osimage + "InstallTo": Node(),
        osimage + "InstallTo/DiskID": Int(), osimage + "InstallTo/PartitionID": Int(1),
        osimage + "WillShowUI": SHOW_UI,
        "UserData": Node(), "UserData/AcceptEula": BOOL, "UserData/FullName": Text(63),
        "UserData/Organization": Text(63), "UserData/ProductKey": Node(),
        "UserData/ProductKey/Key": Text(29, pattern=r"([A-Z0-9]{5}-){4}[A-Z0-9]{5}"),
        "UserData/ProductKey/WillShowUI": SHOW_UI,
        "DynamicUpdate": Node(), "DynamicUpdate/Enable": BOOL, "DynamicUpdate/WillShowUI": SHOW_UI,
    })


def _shell_rows():
    local = "UserAccounts/LocalAccounts/LocalAccount/"
    logon = "FirstLogonCommands/SynchronousCommand/"
    rows = _rows(SHELL, ("offlineServicing", "specialize"), "microsoft-windows-shell-setup",
                 {"ComputerName": COMPUTER_NAME})
    rows += _rows(SHELL, ("auditSystem", "oobeSystem", "specialize"), "microsoft-windows-shell-setup",
                  {"TimeZone": Text(256)})
    rows += _rows(SHELL, REGISTERED_PASSES, "microsoft-windows-shell-setup",
                  {"RegisteredOwner": Text(256, empty=True), "RegisteredOrganization": Text(256, empty=True)})
    rows += _rows(SHELL, OOBE, "microsoft-windows-shell-setup", {
        "OOBE": Node(), "OOBE/HideEULAPage": BOOL, "OOBE/HideOEMRegistrationScreen": BOOL,
        "OOBE/HideOnlineAccountScreens": BOOL, "OOBE/HideWirelessSetupInOOBE": BOOL,
        "OOBE/HideLocalAccountScreen": BOOL, "OOBE/ProtectYourPC": Enum("1", "2", "3"),
        "FirstLogonCommands": Node(), logon[:-1]: Item(), logon + "Order": Int(1, 500),
        logon + "CommandLine": Text(1024, empty=True), logon + "Description": Text(256, empty=True),
        logon + "RequiresUserInput": BOOL})
    rows += _rows(SHELL, ACCOUNT_PASSES, "microsoft-windows-shell-setup", {
        "UserAccounts": Node(), "UserAccounts/AdministratorPassword": Node(),
        "UserAccounts/AdministratorPassword/Value": Text(1024, empty=True),
        "UserAccounts/AdministratorPassword/PlainText": BOOL,
        "UserAccounts/LocalAccounts": Node(), local[:-1]: Item(), local + "Name": ACCOUNT_NAME,
        local + "Group": Text(256, empty=True), local + "DisplayName": Text(256, empty=True),
        local + "Description": Text(256, empty=True), local + "Password": Node(),
        local + "Password/Value": Text(1024), local + "Password/PlainText": BOOL})
    rows += _rows(SHELL, AUTOLOGON_PASSES, "microsoft-windows-shell-setup", {
        "AutoLogon": Node(), "AutoLogon/Enabled": BOOL, "AutoLogon/LogonCount": Int(1),
        "AutoLogon/Username": ACCOUNT_NAME, "AutoLogon/Domain": Text(256, empty=True),
        "AutoLogon/Password": Node(), "AutoLogon/Password/Value": Text(1024, empty=True),
        "AutoLogon/Password/PlainText": BOOL})
    return rows


def _other_rows():
    command = "RunSynchronous/RunSynchronousCommand/"
    ident = "Identification/"
    drivers = "DriverPaths/PathAndCredentials/"
    intl = {"InputLocale": INPUT_LOCALE, "SystemLocale": LOCALE, "UILanguage": LOCALE, "UserLocale": LOCALE}
    rows = _rows(INTL_PE, PE, "microsoft-windows-international-core-winpe",
                 dict(intl, SetupUILanguage=Node(), **{"SetupUILanguage/UILanguage": LOCALE}))
    rows += _rows(INTL, INTL_PASSES, "microsoft-windows-international-core", intl)
    rows += _rows(JOIN, SPECIALIZE, "microsoft-windows-unattendedjoin", {
        ident[:-1]: Node(), ident + "Credentials": Node(), ident + "Credentials/Domain": Text(255),
        ident + "Credentials/Username": Text(256), ident + "Credentials/Password": Text(1024),
        ident + "JoinDomain": Text(255), ident + "MachineObjectOU": Text(1024, pattern=r"[A-Za-z]+=.+")})
    rows += _rows(DEPLOY, ("auditUser", "specialize"), "microsoft-windows-deployment", {
        "RunSynchronous": Node(), command[:-1]: Item(), command + "Order": Int(1, 500),
        command + "Path": Text(259), command + "Description": Text(259),
        command + "WillReboot": Enum("Always", "OnRequest", "Never")})
    rows += _rows(TS, ("offlineServicing", "generalize", "specialize"),
                  "microsoft-windows-terminalservices-localsessionmanager", {"fDenyTSConnections": BOOL})
    group = "FirewallGroups/FirewallGroup/"
    rows += _rows(FIREWALL, SPECIALIZE, "networking-mpssvc-svc", {
        "DomainProfile_EnableFirewall": BOOL, "PrivateProfile_EnableFirewall": BOOL,
        "PublicProfile_EnableFirewall": BOOL, "FirewallGroups": Node(), group[:-1]: Item(keyed=True),
        group + "Active": BOOL, group + "Group": Text(256), group + "Profile": Enum("all", "domain", "private",
                                                                                   "public")})
    rows += _rows(PNP, PE, "microsoft-windows-pnpcustomizationswinpe", {
        "DriverPaths": Node(), drivers[:-1]: Item(keyed=True), drivers + "Path": Text(259),
        drivers + "Credentials": Node(), drivers + "Credentials/Domain": Text(256, empty=True),
        drivers + "Credentials/Username": Text(256, empty=True),
        drivers + "Credentials/Password": Text(1024, empty=True)})
    return rows


REFERENCE = _setup_rows() + _shell_rows() + _other_rows()
BY_KEY = {(row.component, row.path): row for row in REFERENCE}


def _local(tag):
    return tag.split("}", 1)[1] if tag.startswith("{" + UNATTEND_NS + "}") else None


def _check_list_attrs(elem, row, where):
    action = elem.get("{%s}action" % WCM_NS)
    key = elem.get("{%s}keyValue" % WCM_NS)
    problems = []
    if isinstance(row.value, Item):
        if action != "add":
            problems.append("%s: a list entry needs wcm:action=\"add\"" % where)
        if row.value.keyed and not key:
            problems.append("%s: a keyed list entry needs wcm:keyValue" % where)
    elif action or key:
        problems.append("%s: wcm attributes on a setting that is not a list entry" % where)
    return problems


def _check_orders(elem, where):
    """Sibling list entries with an Order child: each Order once (Setup runs them by Order)."""
    orders = [child.findtext("{%s}Order" % UNATTEND_NS) for child in elem]
    orders = [o for o in orders if o is not None]
    return ["%s: Order %s used twice" % (where, o) for o in sorted(set(orders)) if orders.count(o) > 1]


def _walk(elem, component, pass_name, path, where):
    problems = []
    for child in elem:
        name = _local(child.tag)
        child_path = "/".join(p for p in (path, name) if p)
        spot = "%s %s %s" % (pass_name, component, child_path)
        row = BY_KEY.get((component, child_path)) if name else None
        if row is None:
            problems.append("%s: not in the reference table" % spot)
            continue
        if pass_name not in row.passes:
            problems.append("%s: valid only in %s (%s)" % (spot, ", ".join(row.passes), row.page))
        problems += _check_list_attrs(child, row, spot)
        error = row.value.check(None if len(child) else child.text) if not len(child) or isinstance(row.value, Node) \
            else "holds elements but is a %s" % row.value.kind
        if error:
            problems.append("%s: %s (%s)" % (spot, error, row.page))
        if len(child) and isinstance(row.value, Node):
            problems += _check_orders(child, spot)
            problems += _walk(child, component, pass_name, child_path, where)
    return problems


def _check_component(comp, pass_name, arch):
    name = comp.get("name", "")
    problems = []
    if not any(row.component == name for row in REFERENCE):
        return ["%s: component %r is not in the reference table" % (pass_name, name)]
    if comp.get("processorArchitecture") != arch:
        problems.append("%s %s: processorArchitecture %r, expected %r" % (pass_name, name,
                                                                          comp.get("processorArchitecture"), arch))
    for attr, value in COMPONENT_ATTRS.items():
        if comp.get(attr) != value:
            problems.append("%s %s: %s=%r, expected %r" % (pass_name, name, attr, comp.get(attr), value))
    return problems + _walk(comp, name, pass_name, "", pass_name)


def check_answer_file(text, arch):
    """Every problem of answer file TEXT (bytes or str) against the table, for processor architecture ARCH.

    Not well-formed XML raises ET.ParseError.  The root must be <unattend> in Microsoft's namespace, each
    <settings> a known pass at most once, each component at most once per pass."""
    assert arch in ARCHS, arch
    root = ET.fromstring(text.encode("utf-8") if isinstance(text, str) else text)
    if root.tag != "{%s}unattend" % UNATTEND_NS:
        return ["root element %s is not unattend in %s" % (root.tag, UNATTEND_NS)]
    problems, seen = [], set()
    for settings in root:
        pass_name = settings.get("pass")
        if settings.tag != "{%s}settings" % UNATTEND_NS or pass_name not in PASSES or pass_name in seen:
            problems.append("unexpected or repeated %s pass=%r" % (settings.tag, pass_name))
            continue
        seen.add(pass_name)
        names = [comp.get("name") for comp in settings]
        problems += ["%s: component %s twice" % (pass_name, n) for n in sorted(set(names)) if names.count(n) > 1]
        for comp in settings:
            if comp.tag != "{%s}component" % UNATTEND_NS:
                problems.append("%s: %s is not a component" % (pass_name, comp.tag))
                continue
            problems += _check_component(comp, pass_name, arch)
    return problems


def setting(root_text, pass_name, component, path):
    """The texts of every element at PATH (a/b/c) of COMPONENT in PASS of an answer file (str)."""
    root = ET.fromstring(root_text.encode("utf-8"))
    ns = {"u": UNATTEND_NS}
    found = root.findall("u:settings[@pass='%s']/u:component[@name='%s']/%s"
                         % (pass_name, component, "/".join("u:" + p for p in path.split("/"))), ns)
    return [elem.text or "" for elem in found]
