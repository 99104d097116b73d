@echo off
rem cobbler-winpe: boot this Windows from the network once, to reinstall it as Cobbler system $system_name.
rem Served per system by Cobbler: /cblr/svc/op/script/system/$system_name/?script=winpe_reinstall.cmd (the template
rem is /var/lib/cobbler/scripts/winpe_reinstall.cmd; `cobbler-winpe reinstall --system NAME` prints the one-liner).
rem Run it as Administrator. It asks the UEFI firmware boot manager for its IPv4 network entry (the one naming this
rem machine's MAC first), makes it the next boot only (bcdedit bootsequence) and restarts.
setlocal EnableExtensions DisableDelayedExpansion
#if not $getVar('netboot_enabled', False)
echo cobbler-winpe: netboot is off for $system_name in Cobbler; first run: cobbler system edit --name $system_name --netboot-enabled true
exit /b 1
#else
set "WINPE_ID="
set "WINPE_PXE="
set "WINPE_MAC="
for /f "tokens=1,*" %%a in ('bcdedit /enum firmware 2^>nul') do call :line "%%a" "%%b"
if defined WINPE_MAC set "WINPE_PXE=%WINPE_MAC%"
if not defined WINPE_PXE goto no_entry
bcdedit /set {fwbootmgr} bootsequence %WINPE_PXE% >nul
if errorlevel 1 goto failed
echo cobbler-winpe: the next boot starts from the network (%WINPE_PXE%); restarting to reinstall $system_name
shutdown /r /t 0 /d p:4:2 /c "cobbler-winpe: reinstall $system_name from Cobbler"
exit /b 0

:line
rem %2: the value of one line of `bcdedit /enum firmware`. An identifier line holds a {GUID}; a network boot
rem option's description names IPv4 (PXEv4 on OVMF) and often the NIC's MAC. Only %%-expansion is used here.
set "WINPE_V=%~2"
if not defined WINPE_V exit /b 0
for /f "tokens=1 delims={}" %%g in ("%~2") do if "{%%g}"=="%~2" set "WINPE_ID=%~2"
set "WINPE_A=%WINPE_V:ipv4=%"
set "WINPE_B=%WINPE_V:pxev4=%"
if "%WINPE_A%%WINPE_B%"=="%WINPE_V%%WINPE_V%" exit /b 0
if not defined WINPE_PXE set "WINPE_PXE=%WINPE_ID%"
#for $iname, $iface in $interfaces.items()
#set $mac = str($iface.get("mac_address", "")).upper()
#if $mac
set "WINPE_M=%WINPE_V:${mac.replace(":", "")}=%"
if not "%WINPE_M%"=="%WINPE_V%" if not defined WINPE_MAC set "WINPE_MAC=%WINPE_ID%"
set "WINPE_M=%WINPE_V:${mac.replace(":", "-")}=%"
if not "%WINPE_M%"=="%WINPE_V%" if not defined WINPE_MAC set "WINPE_MAC=%WINPE_ID%"
#end if
#end for
exit /b 0

:no_entry
echo cobbler-winpe: no IPv4 network boot entry in the UEFI firmware boot manager (bcdedit /enum firmware); on a BIOS machine pick network boot in the firmware's boot menu
exit /b 2
:failed
echo cobbler-winpe: bcdedit could not set the next boot (run this as Administrator)
exit /b 3
#end if
