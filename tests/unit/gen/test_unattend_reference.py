"""The reference-table checker itself: it passes a file Microsoft's pages allow and names each kind of fault."""
import xml.etree.ElementTree as ET

import pytest

from unattend_reference import BASE_URL, REFERENCE, check_answer_file

HEAD = ('<unattend xmlns="urn:schemas-microsoft-com:unattend" '
        'xmlns:wcm="http://schemas.microsoft.com/WMIConfig/2002/State">')
COMPONENT = ('<component name="%s" processorArchitecture="%s" publicKeyToken="31bf3856ad364e35" '
             'language="neutral" versionScope="nonSxS">%s</component>')


def answer(pass_name, component, body, arch="amd64"):
    return HEAD + '<settings pass="%s">%s</settings></unattend>' % (pass_name, COMPONENT % (component, arch, body))


RDP_ON = ('<FirewallGroups><FirewallGroup wcm:action="add" wcm:keyValue="RemoteDesktop"><Active>true</Active>'
          '<Group>@FirewallAPI.dll,-28752</Group><Profile>all</Profile></FirewallGroup></FirewallGroups>')
GOOD = [("specialize", "Microsoft-Windows-Shell-Setup", "<ComputerName>LAB-01</ComputerName>"),
        ("specialize", "Networking-MPSSVC-Svc", RDP_ON),   # Microsoft's own example on the FirewallGroup pages
        ("specialize", "Microsoft-Windows-TerminalServices-LocalSessionManager",
         "<fDenyTSConnections>false</fDenyTSConnections>"),
        ("oobeSystem", "Microsoft-Windows-Shell-Setup",
         '<FirstLogonCommands><SynchronousCommand wcm:action="add"><Order>1</Order><CommandLine>a</CommandLine>'
         '</SynchronousCommand><SynchronousCommand wcm:action="add"><Order>2</Order><CommandLine>b</CommandLine>'
         '</SynchronousCommand></FirstLogonCommands>'),
        ("windowsPE", "Microsoft-Windows-PnpCustomizationsWinPE",
         '<DriverPaths><PathAndCredentials wcm:action="add" wcm:keyValue="1"><Path>\\\\srv\\d\\net</Path>'
         '</PathAndCredentials></DriverPaths>')]


@pytest.mark.parametrize("pass_name, component, body", GOOD)
def test_reference_examples_pass(pass_name, component, body):
    assert check_answer_file(answer(pass_name, component, body), "amd64") == []


BAD = {
    "wrong pass": ("oobeSystem", "Microsoft-Windows-Shell-Setup", "<ComputerName>LAB-01</ComputerName>",
                   "valid only in offlineServicing, specialize"),
    "unknown setting": ("specialize", "Microsoft-Windows-Shell-Setup", "<ComputerNam>x</ComputerNam>",
                        "not in the reference table"),
    "unknown component": ("specialize", "Microsoft-Windows-Shell-Setupp", "", "not in the reference table"),
    "bool": ("specialize", "Microsoft-Windows-TerminalServices-LocalSessionManager",
             "<fDenyTSConnections>yes</fDenyTSConnections>", "'yes' is not one of true, false"),
    "enum": ("specialize", "Networking-MPSSVC-Svc", RDP_ON.replace(">all<", ">any<"), "'any' is not one of"),
    "int range": ("oobeSystem", "Microsoft-Windows-Shell-Setup",
                  '<FirstLogonCommands><SynchronousCommand wcm:action="add"><Order>501</Order></SynchronousCommand>'
                  '</FirstLogonCommands>', "not an integer from 1 to 500"),
    "too long": ("specialize", "Microsoft-Windows-Shell-Setup", "<ComputerName>ABCDEFGHIJKLMNOP</ComputerName>",
                 "longer than 15"),
    "all digits": ("specialize", "Microsoft-Windows-Shell-Setup", "<ComputerName>12345</ComputerName>",
                   "is not of the form"),
    "empty not allowed": ("specialize", "Microsoft-Windows-UnattendedJoin",
                          "<Identification><Credentials><Password></Password></Credentials></Identification>",
                          "does not support empty elements"),
    "no wcm:action": ("oobeSystem", "Microsoft-Windows-Shell-Setup",
                      "<FirstLogonCommands><SynchronousCommand><Order>1</Order></SynchronousCommand>"
                      "</FirstLogonCommands>", 'needs wcm:action="add"'),
    "no key": ("specialize", "Networking-MPSSVC-Svc", RDP_ON.replace(' wcm:keyValue="RemoteDesktop"', ""),
               "needs wcm:keyValue"),
    "order twice": ("oobeSystem", "Microsoft-Windows-Shell-Setup", GOOD[3][2].replace("<Order>2<", "<Order>1<"),
                    "Order 1 used twice"),
    "text in container": ("specialize", "Microsoft-Windows-UnattendedJoin", "<Identification>x</Identification>",
                          "container must not hold text"),
    "elements in a value": ("specialize", "Microsoft-Windows-Shell-Setup", "<TimeZone><a/></TimeZone>",
                            "holds elements but is a string"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_each_fault_is_named(case):
    pass_name, component, body, expected = BAD[case]
    problems = check_answer_file(answer(pass_name, component, body), "amd64")
    assert len(problems) == 1 and expected in problems[0], problems


def test_architecture_and_component_identity():
    body = "<ComputerName>LAB-01</ComputerName>"
    assert "processorArchitecture 'x86', expected 'amd64'" in check_answer_file(
        answer("specialize", "Microsoft-Windows-Shell-Setup", body, "x86"), "amd64")[0]
    text = answer("specialize", "Microsoft-Windows-Shell-Setup", body).replace("nonSxS", "SxS")
    assert "versionScope='SxS'" in check_answer_file(text, "amd64")[0]
    twice = answer("specialize", "Microsoft-Windows-Shell-Setup", body).replace(
        "</settings>", COMPONENT % ("Microsoft-Windows-Shell-Setup", "amd64", "") + "</settings>")
    assert "component Microsoft-Windows-Shell-Setup twice" in check_answer_file(twice, "amd64")[0]


def test_not_well_formed_raises():
    with pytest.raises(ET.ParseError):
        check_answer_file(answer("specialize", "Microsoft-Windows-Shell-Setup", "<ComputerName>a&b</ComputerName>"),
                          "amd64")


def test_table_rows_name_their_page():
    assert all(row.page.startswith(BASE_URL) and row.passes for row in REFERENCE)
    assert len({(row.component, row.path) for row in REFERENCE}) == len(REFERENCE)
