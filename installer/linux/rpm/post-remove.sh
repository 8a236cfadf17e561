# Hublink .rpm %postun (run by /bin/sh; $1 is 0 on erase, 1 on upgrade). Users' data is never
# touched; /etc/hublink goes only while empty: an administrator's hubs.ini and policy.json stay.
if [ "$1" = 0 ]; then
  rmdir /etc/hublink 2>/dev/null || :
fi
if command -v update-desktop-database >/dev/null 2>&1; then
  update-desktop-database -q /usr/share/applications || :
fi
exit 0
