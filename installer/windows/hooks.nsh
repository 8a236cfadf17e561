; Hublink's additions to Tauri's NSIS installer (tauri.conf.json:
; bundle.windows.nsis.installerHooks). Tauri's template itself registers the hublink: scheme
; from plugins.deep-link.desktop.schemes under SHCTX\Software\Classes\hublink: HKLM for an
; all-users install (/ALLUSERS, or "Anyone who uses this computer"), HKCU for a per-user one.
;
; Machine-wide configuration, copied to %ProgramData%\Hublink\ (all-users installs only):
;   /HUBSINI=<full path of a hubs.ini>          -> %ProgramData%\Hublink\hubs.ini
;   /HUBLINKPOLICY=<full path of a policy.json>  -> %ProgramData%\Hublink\policy.json
; Silent, machine-wide:
;   Hublink_0.1.0_x64-setup.exe /S /ALLUSERS /HUBSINI=C:\deploy\hubs.ini /HUBLINKPOLICY=C:\deploy\policy.json
;
; The option names must not start with an option Tauri's template reads with GetOptions, which
; matches by prefix: /P (passive), /NS, /UPDATE, /R, /ARGS, /ALLUSERS, /CURRENTUSER, /D.
; (/POLICYJSON would switch passive mode on.)
; A copy that fails aborts the installation with exit code 2, silent or not.

!include LogicLib.nsh
!include FileFunc.nsh

!macro HUBLINK_MACHINE_FILE OPTION FILENAME
  ClearErrors
  ${GetOptions} $CMDLINE "/${OPTION}=" $R0
  ${IfNot} ${Errors}
  ${AndIf} $R0 != ""
    !if "${INSTALLMODE}" == "both"
      ${If} $MultiUser.InstallMode != "AllUsers"
        MessageBox MB_ICONSTOP "/${OPTION} needs an all-users installation (/ALLUSERS): $\"%ProgramData%\Hublink$\" is machine-wide." /SD IDOK
        SetErrorLevel 2
        Abort
      ${EndIf}
    !else if "${INSTALLMODE}" == "currentUser"
      MessageBox MB_ICONSTOP "/${OPTION} needs an all-users installation: $\"%ProgramData%\Hublink$\" is machine-wide." /SD IDOK
      SetErrorLevel 2
      Abort
    !endif
    ${IfNot} ${FileExists} "$R0"
      MessageBox MB_ICONSTOP "/${OPTION}: $\"$R0$\" does not exist (give its full path)." /SD IDOK
      SetErrorLevel 2
      Abort
    ${EndIf}
    Call HublinkMachineDir
    ClearErrors
    CopyFiles /SILENT /FILESONLY "$R0" "$R1\${FILENAME}"
    ${If} ${Errors}
      MessageBox MB_ICONSTOP "Could not copy $\"$R0$\" to $\"$R1\${FILENAME}$\"." /SD IDOK
      SetErrorLevel 2
      Abort
    ${EndIf}
    DetailPrint "Hublink: $R0 -> $R1\${FILENAME}"
  ${EndIf}
!macroend

; $R1 = %ProgramData%\Hublink, created with an ACL that lets only administrators and SYSTEM
; write (ProgramData's inherited ACL would let every user add files: files there count as the
; administrator's).
Function HublinkMachineDir
  ReadEnvStr $R1 "ProgramData"
  ${If} $R1 == ""
    StrCpy $R1 "C:\ProgramData"
  ${EndIf}
  StrCpy $R1 "$R1\Hublink"
  ${IfNot} ${FileExists} "$R1\*.*"
    CreateDirectory "$R1"
    ; SIDs, not names: *S-1-5-18 SYSTEM, *S-1-5-32-544 Administrators, *S-1-5-32-545 Users.
    Push $0
    nsExec::ExecToLog '"$SYSDIR\icacls.exe" "$R1" /inheritance:r /grant:r *S-1-5-18:(OI)(CI)F *S-1-5-32-544:(OI)(CI)F *S-1-5-32-545:(OI)(CI)RX'
    Pop $0
    Pop $0
  ${EndIf}
FunctionEnd

!macro NSIS_HOOK_POSTINSTALL
  Push $R0
  Push $R1
  !insertmacro HUBLINK_MACHINE_FILE "HUBSINI" "hubs.ini"
  !insertmacro HUBLINK_MACHINE_FILE "HUBLINKPOLICY" "policy.json"
  Pop $R1
  Pop $R0
!macroend

; Uninstalling keeps %ProgramData%\Hublink (the administrator's files) and every user's data.
