#!/bin/sh
# ci.sh: the test command: install what is needed, build with warnings
# as errors, run every test (plain build with valgrind, then an
# AddressSanitizer build), run distcheck, build and test the Debian
# package, and end with one summary line.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
"$top/tools/deps.sh" || exit 1

fail=0
# step NAME CMD...: run a step, remember a failure.
step() {
	name=$1
	shift
	echo "=== $name"
	if ! "$@"; then
		echo "=== $name FAILED"
		fail=1
	fi
}

# count: sum the TAP results of every .trs file under the build trees.
count() {
	{ find build build-asan -name '*.trs' 2>/dev/null |
	    xargs cat 2>/dev/null
	  sed -n 's/^ok .*/:test-result: PASS/p
	    s/^not ok .*/:test-result: FAIL/p' build/deb-test.tap 2>/dev/null
	} | awk '
		/^:test-result: (PASS|XFAIL|SKIP)/ { p++ }
		/^:test-result: (FAIL|XPASS|ERROR)/ { f++ }
		END { printf "%d passed, %d failed\n", p, f }'
}

step autoreconf autoreconf -fi
rm -rf build build-asan
mkdir -p build build-asan
step configure sh -c 'cd build && ../configure --enable-werror'
step make sh -c 'cd build && make -j2'
step check sh -c 'cd build && make -j2 check || { cat test-suite.log; exit 1; }'
step distcheck sh -c 'cd build && make -j2 distcheck \
    DISTCHECK_CONFIGURE_FLAGS=--enable-werror'
step configure-asan sh -c 'cd build-asan && ../configure --enable-werror \
    --enable-asan'
step check-asan sh -c 'cd build-asan && make -j2 check ||
    { cat test-suite.log; exit 1; }'
step deb-test sh -c 'sh tools/deb-test.sh >build/deb-test.tap 2>&1;
    rc=$?; cat build/deb-test.tap; exit $rc'
# The failures, named, above the summary line.
{ find build build-asan -name '*.log' -path '*/t/*' 2>/dev/null |
    xargs grep -h '^FAIL:\|^ERROR:' 2>/dev/null
  grep '^not ok' build/deb-test.tap 2>/dev/null; } | sed 's/^/=== /'
summary=$(count)
echo "$summary"
case $summary in
"0 passed"*) fail=1 ;;
esac
exit $fail
