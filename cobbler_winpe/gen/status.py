"""Install status reports: the stage table, the WinPE reporter script and the report files Cobbler keeps."""
import re
from dataclasses import dataclass

from cobbler_winpe.errors import CONTROL

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


def render_reporter_vbs():
    """cobbler-report.vbs STAGE [CODE] [LOG ...]: send one stage report to Cobbler's upload_log_data (anamon).

    The system is %WINPE_SYSTEM%; before startnet.cmd knows it, reports wait in %TEMP% and go with the first one
    sent after.  A failure report also sends the last lines of each LOG that exists.  It never stops the install:
    the exit code only says whether Cobbler took the report (0) or not (1).
    """
    numbers = "\n".join('  Case "%s": StageNumber = %d' % (stage, stage_number(stage)) for stage in STAGE_NAMES)
    return VBS.replace("{stage_cases}", numbers).replace("{tail}", str(LOG_TAIL_LINES)).replace(
        "{new_http}", VBS_NEW_HTTP).replace("\n", "\r\n")


# One HTTP object for both WinPE helpers (cobbler-get.vbs, cobbler-report.vbs): WinHTTP, else MSXML2's.
VBS_NEW_HTTP = """Function NewHttp()
  On Error Resume Next
  Set NewHttp = CreateObject("WinHttp.WinHttpRequest.5.1")
  If Err.Number <> 0 Then
    Err.Clear
    Set NewHttp = CreateObject("MSXML2.XMLHTTP")
  End If
End Function"""

VBS = r"""' cobbler-winpe: report an install stage to Cobbler (XML-RPC upload_log_data); generated, do not edit.
Option Explicit
Dim sh, env, fso, api, sys, pending, stage, code, i, ok
Set sh = CreateObject("WScript.Shell")
Set env = sh.Environment("PROCESS")
Set fso = CreateObject("Scripting.FileSystemObject")
api = env("WINPE_API")
sys = env("WINPE_SYSTEM")
pending = fso.GetSpecialFolder(2).Path & "\cobbler-winpe-status.txt"
If WScript.Arguments.Count < 1 Or api = "" Then WScript.Quit 2
stage = WScript.Arguments(0)
If StageNumber(stage) = 0 Then WScript.Quit 2
code = ""
If WScript.Arguments.Count > 1 Then code = Clean(WScript.Arguments(1))
If sys = "" Then
  Keep Entry(stage, code)
  WScript.Quit 0
End If
ok = SendPending()
If Not Send(ReportName(stage), Entry(stage, code)) Then ok = False
For i = 2 To WScript.Arguments.Count - 1
  If fso.FileExists(WScript.Arguments(i)) Then
    If Not Send("winpe-" & fso.GetFileName(WScript.Arguments(i)), Tail(WScript.Arguments(i))) Then ok = False
  End If
Next
If ok Then WScript.Quit 0
WScript.Quit 1

Function StageNumber(name)
  Select Case name
{stage_cases}
  Case Else: StageNumber = 0
  End Select
End Function

Function ReportName(name)
  ReportName = "winpe-status-" & Right("0" & StageNumber(name), 2) & "-" & name & ".log"
End Function

Function Entry(name, number)
  Entry = "stage: " & name & vbLf & "code: " & number & vbLf & "detail: " & Clean(env("WINPE_WHY")) & vbLf & _
          "time: " & Date & " " & Time & vbLf
End Function

Function Clean(text)
  Dim j, c
  Clean = ""
  For j = 1 To Len(text)
    c = Asc(Mid(text, j, 1))
    If c >= 32 And c < 127 Then Clean = Clean & Mid(text, j, 1) Else Clean = Clean & "?"
  Next
End Function

Sub Keep(text)
  Dim f
  Set f = fso.OpenTextFile(pending, 8, True)
  f.Write Replace(text, vbLf, Chr(30)) & vbCrLf
  f.Close
End Sub

Function SendPending()
  Dim f, line, fields, rest
  SendPending = True
  If Not fso.FileExists(pending) Then Exit Function
  rest = ""
  Set f = fso.OpenTextFile(pending, 1)
  Do While Not f.AtEndOfStream
    line = f.ReadLine
    fields = Split(line, Chr(30))
    If Left(fields(0), 7) = "stage: " Then
      If Not Send(ReportName(Mid(fields(0), 8)), Replace(line, Chr(30), vbLf)) Then rest = rest & line & vbCrLf
    End If
  Loop
  f.Close
  fso.DeleteFile pending
  If rest <> "" Then
    Set f = fso.OpenTextFile(pending, 2, True)
    f.Write rest
    f.Close
    SendPending = False
  End If
End Function

Function Tail(path)
  Dim f, lines, n, j, first
  Set f = fso.OpenTextFile(path, 1)
  lines = Split(Replace(f.ReadAll, vbCr, ""), vbLf)
  f.Close
  n = UBound(lines)
  If n >= 0 Then
    If lines(n) = "" Then n = n - 1
  End If
  first = n - {tail} + 1
  If first < 0 Then first = 0
  Tail = ""
  For j = first To n
    Tail = Tail & Clean(lines(j)) & vbLf
  Next
End Function

Function Send(file, text)
  Dim http, body
  Send = False
  body = "<?xml version=""1.0""?><methodCall><methodName>upload_log_data</methodName><params>" & _
         "<param><value><string>" & sys & "</string></value></param>" & _
         "<param><value><string>" & file & "</string></value></param>" & _
         "<param><value><int>" & Len(text) & "</int></value></param>" & _
         "<param><value><int>-1</int></value></param>" & _
         "<param><value><base64>" & Base64(text) & "</base64></value></param></params></methodCall>"
  On Error Resume Next
  Set http = NewHttp()
  If Err.Number <> 0 Then Exit Function
  http.Open "POST", api, False
  http.SetRequestHeader "Content-Type", "text/xml"
  http.Send body
  If Err.Number <> 0 Then Exit Function
  On Error GoTo 0
  Send = (http.Status = 200 And InStr(http.ResponseText, "<boolean>1</boolean>") > 0)
End Function

{new_http}

Function Base64(text)
  Const table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
  Dim j, b1, b2, b3, n
  Base64 = ""
  n = Len(text)
  For j = 1 To n Step 3
    b1 = Asc(Mid(text, j, 1)) And 255
    b2 = 0: b3 = 0
    If j + 1 <= n Then b2 = Asc(Mid(text, j + 1, 1)) And 255
    If j + 2 <= n Then b3 = Asc(Mid(text, j + 2, 1)) And 255
    Base64 = Base64 & Mid(table, (b1 \ 4) + 1, 1) & Mid(table, ((b1 And 3) * 16 + b2 \ 16) + 1, 1)
    If j + 1 <= n Then Base64 = Base64 & Mid(table, ((b2 And 15) * 4 + b3 \ 64) + 1, 1) Else Base64 = Base64 & "="
    If j + 2 <= n Then Base64 = Base64 & Mid(table, (b3 And 63) + 1, 1) Else Base64 = Base64 & "="
  Next
End Function
"""
