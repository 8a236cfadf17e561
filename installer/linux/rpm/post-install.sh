# Hublink .rpm %post (run by /bin/sh): the machine-wide folder for an administrator's hubs.ini
# and policy.json, and the desktop database so the hublink: scheme reaches Hublink at once.
install -d -m 0755 /etc/hublink
if command -v update-desktop-database >/dev/null 2>&1; then
  update-desktop-database -q /usr/share/applications || :
fi
if command -v gtk-update-icon-cache >/dev/null 2>&1; then
  gtk-update-icon-cache -q -t -f /usr/share/icons/hicolor || :
fi
exit 0
