// Packaging configuration that cannot be built on this Linux machine (Windows NSIS/MSI, macOS
// .app/.dmg), proven by reading it: tauri.conf.json, the desktop-file template and maintainer
// scripts, the NSIS hooks (compiled with makensis when it is installed), the WiX fragment and
// the macOS Info.plist fragment. Where Tauri's own templates do the work (the registry keys of
// the scheme), they are read from the bundler's source in the cargo registry when present.
//
//   node --test tests/package/config.test.mjs

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';

import { ROOT, run } from './common.mjs';

const TAURI_DIR = path.join(ROOT, 'src-tauri');
const conf = JSON.parse(fs.readFileSync(path.join(TAURI_DIR, 'tauri.conf.json'), 'utf8'));
const fromConf = (p) => path.resolve(TAURI_DIR, p);
const read = (p) => fs.readFileSync(fromConf(p), 'utf8');
const { bundle } = conf;

/** Tauri's bundler source (templates), if cargo has downloaded it: the newest 2.x. */
function bundlerSource() {
  const base = path.join(process.env.CARGO_HOME ?? path.join(os.homedir(), '.cargo'), 'registry/src');
  const dirs = fs.existsSync(base) ? fs.readdirSync(base).flatMap((d) => {
    const reg = path.join(base, d);
    return fs.readdirSync(reg).filter((n) => /^tauri-bundler-2\.\d+\.\d+$/.test(n)).map((n) => path.join(reg, n));
  }) : [];
  const version = (d) => path.basename(d).split('-').pop().split('.').map(Number);
  dirs.sort((a, b) => {
    const [x, y] = [version(a), version(b)];
    return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
  });
  return dirs.pop() ?? null;
}
const BUNDLER = bundlerSource();

describe('tauri.conf.json: targets, scheme, icons', () => {
  test('bundle targets: deb, rpm, nsis, msi, app, dmg — no AppImage (its bundler downloads linuxdeploy)', () => {
    assert.equal(bundle.active, true);
    assert.deepEqual([...bundle.targets].sort(), ['app', 'deb', 'dmg', 'msi', 'nsis', 'rpm']);
  });

  test('the hublink scheme is declared once, for every platform bundle (plugins.deep-link.desktop)', () => {
    const desktop = conf.plugins['deep-link'].desktop;
    const schemes = Array.isArray(desktop) ? desktop.flatMap((d) => d.schemes) : desktop.schemes;
    assert.deepEqual(schemes, ['hublink']);
    assert.equal(conf.identifier, 'app.hublink.desktop');
  });

  test('icons: the window PNG first, every file exists, .ico (Windows) and .icns (macOS) included', () => {
    assert.equal(bundle.icon[0], 'icons/icon.png');
    for (const icon of bundle.icon) assert.ok(fs.existsSync(fromConf(icon)), `${icon} is missing`);
    assert.ok(bundle.icon.some((i) => i.endsWith('.ico')));
    assert.ok(bundle.icon.some((i) => i.endsWith('.icns')));
    const ico = fs.readFileSync(fromConf(bundle.icon.find((i) => i.endsWith('.ico'))));
    assert.deepEqual([...ico.subarray(0, 4)], [0, 0, 1, 0], 'an ICO header');
    const icns = fs.readFileSync(fromConf(bundle.icon.find((i) => i.endsWith('.icns'))));
    assert.equal(icns.subarray(0, 4).toString('latin1'), 'icns');
  });
});

describe('Linux: .deb and .rpm', () => {
  const { deb, rpm } = bundle.linux;

  test('both install the CLI as /usr/bin/hublink from the release build', () => {
    for (const pkg of [deb, rpm]) assert.equal(pkg.files['/usr/bin/hublink'], '../target/release/hublink');
  });

  test('the desktop file: an unquoted absolute Exec with %u, the scheme as MimeType, an icon', () => {
    assert.equal(deb.desktopTemplate, rpm.desktopTemplate);
    const t = read(deb.desktopTemplate);
    assert.match(t, /^Exec=\/usr\/bin\/\{\{exec\}\} %u$/m);
    assert.doesNotMatch(t, /^Exec=.*"/m);
    assert.match(t, /^MimeType=\{\{mime_type\}\};$/m);
    assert.match(t, /^Icon=\{\{icon\}\}$/m);
    assert.match(t, /^Type=Application$/m);
  });

  test('maintainer scripts: /etc/hublink created, the desktop database updated, users’ data untouched', () => {
    const scripts = [deb.postInstallScript, deb.postRemoveScript, rpm.postInstallScript, rpm.postRemoveScript];
    for (const s of scripts) assert.ok(s && fs.existsSync(fromConf(s)), `${s} is missing`);
    for (const s of [deb.postInstallScript, rpm.postInstallScript]) {
      const text = read(s);
      assert.match(text, /install -d -m 0755 \/etc\/hublink/);
      assert.match(text, /update-desktop-database -q \/usr\/share\/applications/);
    }
    for (const s of scripts) {
      const text = read(s).replace(/^\s*#.*$/gm, '');
      assert.doesNotMatch(text, /HUBLINK_HOME|\$HOME|\/home|\.config|rm -r/, `${s} must not touch users' data`);
      // Only an empty /etc/hublink is removed: an administrator's files stay.
      if (/\/etc\/hublink/.test(text) && /rmdir/.test(text)) assert.match(text, /rmdir \/etc\/hublink/);
    }
    const r = run('sh', ['-n', fromConf(deb.postInstallScript)]);
    assert.equal(r.code, 0, r.stderr);
    for (const s of scripts) assert.equal(run('sh', ['-n', fromConf(s)]).code, 0, `${s}: sh -n`);
  });

  test('Tauri adds the MimeType from the deep-link schemes (bundler source)', { skip: !BUNDLER && 'tauri-bundler source not in the cargo registry' }, () => {
    const src = fs.readFileSync(path.join(BUNDLER, 'src/bundle/linux/freedesktop/mod.rs'), 'utf8');
    assert.match(src, /deep_link_protocols/);
    assert.match(src, /x-scheme-handler\/\{s\}/);
  });
});

describe('Windows: NSIS and MSI', () => {
  const { nsis, wix } = bundle.windows;
  const hooks = fs.readFileSync(fromConf(nsis.installerHooks), 'utf8');
  const fragment = fs.readFileSync(fromConf(wix.fragmentPaths[0]), 'utf8');

  test('NSIS: all-users installs possible (HKLM), hooks for the machine-wide files', () => {
    assert.ok(['both', 'perMachine'].includes(nsis.installMode));
    assert.match(hooks, /!macro NSIS_HOOK_POSTINSTALL/);
    assert.match(hooks, /HUBLINK_MACHINE_FILE "HUBSINI" "hubs\.ini"/);
    assert.match(hooks, /HUBLINK_MACHINE_FILE "HUBLINKPOLICY" "policy\.json"/);
    assert.match(hooks, /\$\{GetOptions\} \$CMDLINE "\/\$\{OPTION\}=" \$R0/);
    assert.match(hooks, /ReadEnvStr \$R1 "ProgramData"/);
    assert.match(hooks, /StrCpy \$R1 "\$R1\\Hublink"/);
    assert.match(hooks, /CopyFiles \/SILENT \/FILESONLY "\$R0" "\$R1\\\$\{FILENAME\}"/);
    // Machine-wide files only in an all-users install; a failed copy fails a silent install.
    assert.match(hooks, /\$MultiUser\.InstallMode != "AllUsers"/);
    assert.match(hooks, /SetErrorLevel 2/);
    assert.match(hooks, /icacls\.exe.*\/inheritance:r.*\*S-1-5-32-545:\(OI\)\(CI\)RX/);
  });

  test('NSIS option names do not collide with the options Tauri’s template reads by prefix', () => {
    // GetOptions matches "/X" against every "/X…" argument, case-insensitively: /P would be set by /POLICY….
    const tauriOptions = ['P', 'NS', 'UPDATE', 'R', 'ARGS', 'ALLUSERS', 'CURRENTUSER', 'D', 'S'];
    const ours = [...hooks.matchAll(/HUBLINK_MACHINE_FILE "([A-Z]+)"/g)].map((m) => m[1]);
    assert.deepEqual(ours, ['HUBSINI', 'HUBLINKPOLICY']);
    for (const o of ours) for (const t of tauriOptions) assert.ok(!o.startsWith(t), `/${o} would also set /${t}`);
  });

  test('NSIS: Tauri’s template registers the scheme under SHCTX (HKLM when all users) and includes the hooks', { skip: !BUNDLER && 'tauri-bundler source not in the cargo registry' }, () => {
    const nsi = fs.readFileSync(path.join(BUNDLER, 'src/bundle/windows/nsis/installer.nsi'), 'utf8');
    assert.match(nsi, /!include "\{\{installer_hooks\}\}"/);
    assert.match(nsi, /WriteRegStr SHCTX "Software\\Classes\\\\\{\{protocol\}\}" "URL Protocol" ""/);
    assert.match(nsi, /WriteRegStr SHCTX "Software\\Classes\\\\\{\{protocol\}\}\\shell\\open\\command"/);
    assert.match(nsi, /!insertmacro NSIS_HOOK_POSTINSTALL/);
    assert.match(nsi, /MULTIUSER_INSTALLMODE_COMMANDLINE/);
    // The options Tauri reads, as listed in the collision test above.
    for (const o of ['/P', '/NS', '/UPDATE']) assert.ok(nsi.includes(`\${GetOptions} $CMDLINE "${o}"`), o);
  });

  for (const mode of ['both', 'perMachine', 'currentUser']) {
    test(`NSIS hooks compile with makensis (installMode ${mode})`, { skip: !run('sh', ['-c', 'command -v makensis']).stdout && 'makensis is not installed (apt-get install nsis)' }, () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hublink-nsis-'));
      const nsi = path.join(dir, 'probe.nsi');
      // The parts of Tauri's template the hooks rely on: FileFunc, LogicLib, INSTALLMODE, and
      // MultiUser's $MultiUser.InstallMode in "both" mode.
      fs.writeFileSync(nsi, [
        'Unicode true',
        `OutFile "${path.join(dir, 'probe.exe')}"`,
        '!include FileFunc.nsh', '!include LogicLib.nsh',
        `!include "${fromConf(nsis.installerHooks)}"`,
        `!define INSTALLMODE "${mode}"`,
        // MultiUser.nsh declares and sets it.
        mode === 'both' ? 'Var MultiUser.InstallMode\nFunction .onInit\n  StrCpy $MultiUser.InstallMode "AllUsers"\nFunctionEnd' : '',
        'Section Install', '  !insertmacro NSIS_HOOK_POSTINSTALL', 'SectionEnd',
      ].join('\n'));
      const r = run('makensis', ['-V2', '-WX', nsi]);
      fs.rmSync(dir, { recursive: true, force: true });
      assert.equal(r.code, 0, r.stdout + r.stderr);
    });
  }

  test('MSI: the WiX fragment is wired in and declares the silent-install properties', () => {
    assert.deepEqual(wix.componentGroupRefs, ['HublinkMachineFiles']);
    assert.match(fragment, /<ComponentGroup Id="HublinkMachineFiles" Directory="HUBLINKDATADIR">/);
    for (const prop of ['HUBSINI', 'HUBLINKPOLICY']) {
      assert.match(fragment, new RegExp(`<Property Id="${prop}" Secure="yes" />`), `${prop} must be public and Secure for msiexec /qn`);
    }
    assert.match(fragment, /<Directory Id="CommonAppDataFolder">\s*<Directory Id="HUBLINKDATADIR" Name="Hublink" \/>/);
    assert.match(fragment, /<Condition>HUBSINI<\/Condition>[\s\S]*?<CopyFile Id="HublinkCopyHubsIni" SourceProperty="HUBSINI" DestinationDirectory="HUBLINKDATADIR" DestinationName="hubs\.ini" \/>/);
    assert.match(fragment, /<Condition>HUBLINKPOLICY<\/Condition>[\s\S]*?<CopyFile Id="HublinkCopyPolicy" SourceProperty="HUBLINKPOLICY" DestinationDirectory="HUBLINKDATADIR" DestinationName="policy\.json" \/>/);
    // Locked down after CreateFolders, before MoveFiles copies into it, as LocalSystem.
    assert.match(fragment, /<Custom Action="HublinkLockMachineFolder" After="CreateFolders">NOT REMOVE~="ALL"<\/Custom>/);
    assert.match(fragment, /Execute="deferred" Impersonate="no" Return="check"/);
    assert.match(fragment, /icacls\.exe&quot; &quot;\[HUBLINKDATADIR\]\.&quot; \/inheritance:r/);
    // GUIDs are fixed and distinct (component rules).
    const guids = [...fragment.matchAll(/Guid="\{([0-9A-F-]{36})\}"/g)].map((m) => m[1]);
    assert.equal(guids.length, 3);
    assert.equal(new Set(guids).size, 3);
    const xml = run('xmllint', ['--noout', fromConf(wix.fragmentPaths[0])]);
    if (xml.code !== null || !/ENOENT/.test(xml.stderr)) assert.equal(xml.code, 0, xml.stderr);
  });

  test('MSI: Tauri’s template is per-machine and registers the scheme under HKLM\\Software\\Classes', { skip: !BUNDLER && 'tauri-bundler source not in the cargo registry' }, () => {
    const wxs = fs.readFileSync(path.join(BUNDLER, 'src/bundle/windows/msi/main.wxs'), 'utf8');
    assert.match(wxs, /InstallScope="perMachine"/);
    assert.match(wxs, /<RegistryKey Root="HKLM" Key="Software\\Classes\\\\\{\{protocol\}\}">/);
    assert.match(wxs, /<RegistryValue Type="string" Name="URL Protocol" Value=""\/>/);
    assert.match(wxs, /<RegistryKey Key="shell\\open\\command">/);
    assert.match(wxs, /\{\{#each component_group_refs as \|id\| ~\}\}\s*<ComponentGroupRef Id="\{\{ id \}\}"\/>/);
    // WixQuietExec (BinaryKey WixCA) comes from WixUtilExtension, which Tauri links.
    const mod = fs.readFileSync(path.join(BUNDLER, 'src/bundle/windows/msi/mod.rs'), 'utf8');
    assert.match(mod, /WixUtilExtension\.dll/);
  });
});

describe('macOS: Info.plist', () => {
  test('CFBundleURLTypes declares hublink (installer/macos/Info.plist merged by the bundler)', () => {
    const file = fromConf(bundle.macOS.infoPlist);
    const r = run('python3', ['-c', 'import json,plistlib,sys; print(json.dumps(plistlib.load(open(sys.argv[1],"rb"))))', file]);
    assert.equal(r.code, 0, r.stderr);
    const plist = JSON.parse(r.stdout);
    assert.equal(plist.CFBundleURLTypes.length, 1);
    const [type] = plist.CFBundleURLTypes;
    assert.deepEqual(type.CFBundleURLSchemes, ['hublink']);
    assert.equal(type.CFBundleURLName, conf.identifier);
    assert.equal(type.CFBundleTypeRole, 'Viewer');
  });

  test('the bundler merges bundle.macOS.infoPlist over its generated keys (bundler source)', { skip: !BUNDLER && 'tauri-bundler source not in the cargo registry' }, () => {
    const src = fs.readFileSync(path.join(BUNDLER, 'src/bundle/macos/app.rs'), 'utf8');
    assert.match(src, /settings\.macos\(\)\.info_plist/);
    assert.match(src, /"CFBundleURLTypes"/);
  });
});

describe('installer/README.md', () => {
  test('documents the silent installs and what cannot be built here', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'installer/README.md'), 'utf8');
    assert.match(readme, /msiexec \/i \S+\.msi \/qn HUBSINI=/);
    assert.match(readme, /\/S \/ALLUSERS \/HUBSINI=/);
    assert.match(readme, /AppImage/);
    assert.match(readme, /scripts\/package\.sh/);
  });
});
