"""BCD element ids, names and value formats; well-known object GUIDs and object type names."""
import uuid

from cobbler_winpe import tables

# Element id = 0xCF00NNNN: C class (1 library, 2 application, 3 device, 4 template), F format.
FORMAT_DEVICE = 1
FORMAT_STRING = 2
FORMAT_OBJECT = 3
FORMAT_OBJECT_LIST = 4
FORMAT_INTEGER = 5
FORMAT_BOOLEAN = 6
FORMAT_INTEGER_LIST = 7

FORMAT_NAMES = {FORMAT_DEVICE: "device", FORMAT_STRING: "string", FORMAT_OBJECT: "object",
                FORMAT_OBJECT_LIST: "objectlist", FORMAT_INTEGER: "integer", FORMAT_BOOLEAN: "boolean",
                FORMAT_INTEGER_LIST: "integerlist"}

# Names as bcdedit prints them (the BIOS/UEFI loader names; see CONTEXT_NAMES for others).
ELEMENT_NAMES = dict((int(element, 16), name) for element, name in tables.pairs("""
    0x11000001 device                    0x12000002 path                      0x12000004 description
    0x12000005 locale                    0x14000006 inherit                   0x15000007 truncatememory
    0x14000008 recoverysequence          0x16000009 recoveryenabled           0x1700000a badmemorylist
    0x1600000b badmemoryaccess           0x1500000c firstmegabytepolicy       0x1500000d relocatephysical
    0x1500000e avoidlowmemory            0x1600000f traditionalkseg           0x16000010 bootdebug
    0x15000011 debugtype                 0x15000012 debugaddress              0x15000013 debugport
    0x15000014 baudrate                  0x15000015 channel                   0x12000016 targetname
    0x16000017 noumex                    0x15000018 debugstart                0x12000019 busparams
    0x1500001a hostip                    0x1500001b port                      0x1600001c dhcp
    0x1200001d key                       0x1600001e vm                        0x16000020 bootems
    0x15000022 emsport                   0x15000023 emsbaudrate               0x12000030 loadoptions
    0x16000040 advancedoptions           0x16000041 optionsedit               0x15000042 keyringaddress
    0x11000043 bootstatdevice            0x12000044 bootstatfilepath          0x16000045 preservebootstat
    0x16000046 graphicsmodedisabled      0x15000047 configaccesspolicy        0x16000048 nointegritychecks
    0x16000049 testsigning               0x1200004a fontpath                  0x1500004b integrityservices
    0x1500004c volumebandid              0x16000050 extendedinput             0x15000051 initialconsoleinput
    0x15000052 graphicsresolution        0x16000053 restartonfailure          0x16000054 highestmode
    0x16000060 isolatedcontext           0x15000065 displaymessage            0x15000066 displaymessageoverride
    0x16000068 nobootuxtext              0x16000069 nobootuxprogress          0x1600006a nobootuxfade
    0x1600006b bootuxreservepooldebug    0x1600006c bootuxdisabled            0x1500006d bootuxfadeframes
    0x16000071 bootuxdumpstats           0x16000072 bootuxshowstats           0x16000074 multibootsystem
    0x16000075 nokeyboard                0x15000076 aliaswindowskey           0x17000077 allowedinmemorysettings
    0x1600007b forcefipscrypto           0x1600007d booterrorux               0x1600007e flightsigning
    0x1500007f measuredbootlogformat   
    # boot manager
    0x24000001 displayorder              0x24000002 bootsequence              0x23000003 default
    0x25000004 timeout                   0x26000005 resume                    0x23000006 resumeobject
    0x24000010 toolsdisplayorder         0x26000020 displaybootmenu           0x26000021 noerrordisplay
    0x21000022 bcddevice                 0x22000023 bcdfilepath               0x26000028 processcustomactionsfirst
    0x27000030 customactions             0x26000031 persistbootsequence     
    # OS loader
    0x21000001 osdevice                  0x22000002 systemroot                0x26000010 detecthal
    0x26000022 winpe                     0x26000024 nocrashautoreboot         0x26000025 lastknowngood
    0x26000026 oslnxmemory               0x25000020 nx                        0x25000021 pae
    0x26000030 nolowmem                  0x25000031 removememory              0x25000032 increaseuserva
    0x26000040 vga                       0x26000041 quietboot                 0x26000042 novesa
    0x26000043 novga                     0x25000050 clustermodeaddressing     0x26000051 usephysicaldestination
    0x25000052 restrictapiccluster       0x26000060 onecpu                    0x25000061 numproc
    0x26000062 maxproc                   0x25000063 configflags               0x26000070 usefirmwarepcisettings
    0x25000071 msi                       0x25000072 pciexpress                0x25000080 safeboot
    0x26000081 safebootalternateshell    0x26000090 bootlog                   0x26000091 sos
    0x260000a0 debug                     0x260000a1 halbreakpoint             0x260000a2 useplatformclock
    0x260000b0 ems                       0x250000c1 driverloadfailurepolicy   0x250000c2 bootmenupolicy
    0x260000c3 onetimeadvancedoptions    0x250000e0 bootstatuspolicy          0x260000e1 disableelamdrivers
    0x250000f0 hypervisorlaunchtype      0x250000f3 hypervisordebugtype       0x250000f4 hypervisordebugport
    0x250000f5 hypervisorbaudrate        0x26000001 pxesoftreboot           
    # device options
    0x35000001 ramdiskimageoffset        0x35000002 ramdisktftpclientport     0x31000003 ramdisksdidevice
    0x32000004 ramdisksdipath            0x35000005 ramdiskimagelength        0x36000006 exportascd
    0x35000007 ramdisktftpblocksize      0x35000008 ramdisktftpwindowsize     0x36000009 ramdiskmcenabled
    0x3600000a ramdiskmctftpfallback     0x3600000b ramdisktftpvarwindow
"""))

ELEMENT_IDS = {name: element for element, name in ELEMENT_NAMES.items()}
# The elements the plugin writes and checks, named once here for bcd/pxe.py and verify/.
(DEVICE, PATH, DESCRIPTION, LOCALE, LOADOPTIONS, FONTPATH, DISPLAYORDER, DEFAULT, TIMEOUT, OSDEVICE,
 SYSTEMROOT, DETECTHAL, WINPE, SDIDEVICE, SDIPATH) = (ELEMENT_IDS[name] for name in (
    "device", "path", "description", "locale", "loadoptions", "fontpath", "displayorder", "default", "timeout",
    "osdevice", "systemroot", "detecthal", "winpe", "ramdisksdidevice", "ramdisksdipath"))
# WDS writes these ids (not the 0x36... of Microsoft's enum page).
TFTP_BLOCKSIZE, TFTP_WINDOWSIZE, TFTP_VARWINDOW = (ELEMENT_IDS[name] for name in (
    "ramdisktftpblocksize", "ramdisktftpwindowsize", "ramdisktftpvarwindow"))

# Ids whose name depends on the object's application type (low 20 bits of the object type).
CONTEXT_NAMES = {
    4: {0x21000001: "filedevice", 0x22000002: "filepath", 0x26000006: "debugoptionenabled",
        0x25000008: "bootmenupolicy"},                                                          # resume
    2: {0x23000003: "default"},                                                                 # boot manager
    3: {0x23000003: "resumeobject"},                                                            # OS loader
}

GUID_ALIASES = {
    "{9dea862c-5cdd-4e70-acc1-f32b344d4795}": "{bootmgr}",
    "{a5a30fa2-3d06-4e9f-b5f4-a01df9d1fcba}": "{fwbootmgr}",
    "{ae5534e0-a924-466c-b836-758539a3ee3a}": "{ramdiskoptions}",
    "{7ea2e1ac-2e61-4728-aaa3-896d9d0a9f0e}": "{globalsettings}",
    "{6efb52bf-1766-41db-a6b3-0ee5eff72bd7}": "{bootloadersettings}",
    "{4636856e-540f-4170-a130-a84776f4c654}": "{dbgsettings}",
    "{0ce4991b-e6b3-4b16-b23c-5e0d9250e5d9}": "{emssettings}",
    "{1afa9c49-16ab-4a5c-901b-212802da9460}": "{resumeloadersettings}",
    "{7ff607e0-4395-11db-b0de-0800200c9a66}": "{hypervisorsettings}",
    "{5189b25c-5558-4bf2-bca4-289b11bd29e2}": "{badmemory}",
    "{b2721d73-1db4-4c62-bf78-c548a880142d}": "{memdiag}",
    "{466f5a88-0af2-4f76-9038-095b170dc21c}": "{ntldr}",
    "{313e8eed-7098-4586-a9bf-309c61f8d449}": "{kerneldbgsettings}",
}
ALIAS_GUIDS = {alias: guid for guid, alias in GUID_ALIASES.items()}

BOOTMGR = ALIAS_GUIDS["{bootmgr}"]
RAMDISKOPTIONS = ALIAS_GUIDS["{ramdiskoptions}"]

OBJECT_TYPE_NAMES = {
    0x10100001: "firmware boot manager", 0x10100002: "Windows boot manager",
    0x10200002: "Windows boot manager (boot application)", 0x10200003: "Windows loader",
    0x10200004: "resume loader", 0x10200005: "memory tester", 0x10300006: "legacy loader (ntldr)",
    0x10400009: "real-mode startup application", 0x101fffff: "firmware application",
    0x20100000: "inheritable settings", 0x20200003: "loader settings", 0x20200004: "resume settings",
    0x30000000: "device options",
}


def element_format(element_id):
    """The value format (1..7) encoded in an element id."""
    return (element_id >> 24) & 0xF


def element_name(element_id, object_type=0):
    """bcdedit's name for an element id in an object of ``object_type``, or '' when unknown."""
    context = CONTEXT_NAMES.get(object_type & 0xFFFFF, {}) if object_type >> 28 == 1 else {}
    return context.get(element_id) or ELEMENT_NAMES.get(element_id, "")


def canonical_guid(text):
    """'{xxxxxxxx-...}' in lowercase for a GUID string or alias; None when it is neither."""
    text = text.strip()
    if text.lower() in ALIAS_GUIDS:
        return ALIAS_GUIDS[text.lower()]
    try:
        return "{%s}" % uuid.UUID(text.strip("{}"))
    except ValueError:
        return None


def guid_alias(guid):
    return GUID_ALIASES.get(guid.lower(), "")
