#!/bin/sh
# A "browser" that only writes down the URL it was asked to open (for tests that drive the
# sign-in page themselves).
printf '%s\n' "$1" >> "$HUBLINK_TEST_URL_FILE"
