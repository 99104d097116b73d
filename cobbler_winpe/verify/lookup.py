"""Find whom to verify through Cobbler's XML-RPC (read-only calls, no token): system or MAC -> profile -> distro."""
import socket
import xmlrpc.client

from cobbler_winpe.errors import InputError, ToolError
from cobbler_winpe.gen import values
from cobbler_winpe.verify.chain import Client

DEFAULT_URL = "http://127.0.0.1:25151/"


class _Transport(xmlrpc.client.Transport):
    def __init__(self, timeout):
        super().__init__()
        self.timeout = timeout

    def make_connection(self, host):
        connection = super().make_connection(host)
        connection.timeout = self.timeout
        return connection


def connect(url=DEFAULT_URL, timeout=30.0):
    return xmlrpc.client.ServerProxy(url, allow_none=True, transport=_Transport(timeout))


def _call(url, method, *args):
    try:
        return getattr(connect(url), method)(*args)
    except (OSError, socket.timeout) as err:
        raise ToolError("Cobbler XML-RPC at %s" % url, "cannot connect: %s" % (getattr(err, "strerror", "") or err),
                        "start cobblerd, or pass --cobbler URL") from None
    except xmlrpc.client.Error as err:
        raise ToolError("Cobbler XML-RPC %s" % method, str(err).splitlines()[0][:200],
                        "check cobblerd's log (/var/log/cobbler/cobbler.log)") from None


def normal_mac(text):
    """aa:bb:cc:dd:ee:ff in lower case from any of aa-bb-.., AABBCC..., or InputError."""
    return str(values.mac("MAC", str(text))).replace("-", ":").lower()


def system_macs(record):
    """The MACs of a system record's interfaces, in interface-name order."""
    interfaces = record.get("interfaces") or {}
    return [normal_mac(iface["mac_address"]) for _name, iface in sorted(interfaces.items())
            if isinstance(iface, dict) and iface.get("mac_address")]


def _record(url, kind, name):
    record = _call(url, "get_" + kind, name)
    if not isinstance(record, dict) or not record:
        raise InputError("%s %r" % (kind, name), "not found in Cobbler", "list them with `cobbler %s list`" % kind)
    return record


def find_mac(url, mac):
    """The name of the system that owns MAC, or InputError."""
    found = _call(url, "find_system", {"mac_address": mac})
    if not found:
        raise InputError("MAC %s" % mac, "no Cobbler system has it",
                         "add one: cobbler system add --name NAME --profile P --mac %s" % mac)
    return found[0] if isinstance(found[0], str) else found[0].get("name")


def resolve(url=DEFAULT_URL, system=None, profile=None, mac=None):
    """The Client to verify from exactly one of SYSTEM, PROFILE, MAC (a MAC selects its system)."""
    if sum(bool(x) for x in (system, profile, mac)) != 1:
        raise InputError("verify", "give exactly one of --system, --profile, --mac", "see --help")
    if mac:
        mac = normal_mac(mac)
        system = find_mac(url, mac)
    if system:
        record = _record(url, "system", system)
        blended = _call(url, "get_blended_data", "", system)
        macs = system_macs(record)
        return Client(profile=blended.get("profile_name") or record.get("profile", ""),
                      distro=blended.get("distro_name", ""), arch=str(blended.get("arch") or "x86_64"),
                      system=system, mac=mac or (macs[0] if macs else ""),
                      netboot_enabled=bool(record.get("netboot_enabled", True)))
    _record(url, "profile", profile)
    blended = _call(url, "get_blended_data", profile, "")
    return Client(profile=profile, distro=blended.get("distro_name", ""), arch=str(blended.get("arch") or "x86_64"))


def settings(url=DEFAULT_URL):
    """The Cobbler settings verify needs: server, http_port, tftpboot_location, next_server_v4."""
    data = _call(url, "get_settings")
    return {key: data.get(key) for key in ("server", "http_port", "tftpboot_location", "next_server_v4", "webdir")}
