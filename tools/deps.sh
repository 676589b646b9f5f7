#!/bin/sh
# deps.sh: install the Debian packages lotus-pilot needs to build, test
# and run its demo.  Run as root (or through sudo) on Debian 12 or later.
set -eu

PKGS="build-essential autoconf automake pkg-config
libuv1-dev libcurl4-openssl-dev uuid-dev libinih-dev libjsmn-dev
libsystemd-dev mandoc socat valgrind python3 shellcheck curl passwd
util-linux ansible-core musl-tools"

if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
else
	SUDO=
fi
missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q 'install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "deps.sh: installing$missing"
	$SUDO apt-get update -q
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q \
	    --no-install-recommends $missing
fi
