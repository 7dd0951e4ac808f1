# SPDX-License-Identifier: GPL-2.0
# shellcheck disable=SC2154 # reps: run.sh's, like progress, tget, lib.sh
# The application workloads of "make bench" (sourced by run.sh; busybox
# ash): after the fio repetitions, in the same boot, on every active
# target with a filesystem (not raw), interleaved like fio's runs: for
# each repetition, every target in turn.
#
# A workload is a list of phases (the table below: NAME|DESCRIPTION).
# Around each phase hook.sh drops the page cache and samples /proc/stat
# and the server's counters into runs/PHASE/TARGET/REP.*, as for fio; the
# phase's seconds (/proc/uptime) go to apps/times.txt as "PHASE TARGET REP
# SECONDS", a failed check to apps/failures.txt (and a "not ok").
#   untar   extract a tarball of five of the kernel's fs/ directories
#           (built on the host by scripts/initramfs.sh --bench: /bench/src.tar, and
#           /bench/src.sum the checksum of its tree) and sync; then read
#           every file back and compare the tree's checksum
#   sqlite  sqlite3 in WAL mode: APP_ROWS rows in transactions of 100
#           rows (an fsync of the WAL each); then indexed lookups and a
#           full scan, whose results are checked
BENCH_APPS='
untar-extract|tar -xf of kernel source, fs/{btrfs,ext4,fuse,iomap,xfs} (542 files, 12.6 MB), then sync
untar-read|every file of it read back (md5sum of each, sorted by path), the tree sum checked
sqlite-insert|sqlite3, WAL: 20,000 rows in 200 transactions of 100 (an fsync each)
sqlite-query|sqlite3: 20,000 indexed lookups and a full scan, results checked
'
APP_ROWS=20000
APP_SRC=/bench/src.tar

# app_phase PHASE TARGET REP CMD...: CMD between hook.sh pre and post,
# its seconds in apps/times.txt; a failure is recorded and reported.
app_phase() {
	_ap=$1 _at=$2 _ar=$3
	shift 3
	_ad=$BENCH_OUT/runs/$_ap/$_at
	mkdir -p "$_ad"
	/tests/bench/hook.sh pre "$_at" "$_ad" "$_ar"
	_a0=$(cut -d' ' -f1 /proc/uptime)
	"$@"
	_arc=$?
	_a1=$(cut -d' ' -f1 /proc/uptime)
	/tests/bench/hook.sh post "$_at" "$_ad" "$_ar"
	if [ $_arc != 0 ]; then
		fail "$_ap on $_at, repetition $_ar (exit $_arc)"
		echo "$_ap $_at rep $_ar: exit $_arc" >> "$BENCH_OUT/apps/failures.txt"
		return 1
	fi
	echo "$_ap $_at $_ar $(awk "BEGIN { print $_a1 - $_a0 }")" \
		>> "$BENCH_OUT/apps/times.txt"
}

# The checksum of a tree: every file's content and path (initramfs.sh
# computes the expected one the same way).
tree_sum() { (cd "$1" && find . -type f | sort | xargs md5sum | md5sum | cut -d' ' -f1); }

untar_extract() { # DIR
	mkdir -p "$1" && tar -xf "$APP_SRC" -C "$1" && sync
}

untar_read() { # DIR
	_sum=$(tree_sum "$1")
	[ "$_sum" = "$(cat /bench/src.sum)" ] && return 0
	echo "# untar-read: tree sum $_sum, expected $(cat /bench/src.sum)"
	return 1
}

# The SQL of the sqlite workload, made once: APP_ROWS rows with k a
# permutation of them (x * 7919 mod 100003) and a 133-byte text; the
# lookups find every row through the index on k, in the order of k, the
# scan reads them all; the expected results in $BENCH_TMP/query.expected.
sqlite_sql() {
	awk -v n=$APP_ROWS -v sq="'" 'BEGIN {
		print "PRAGMA journal_mode=WAL;"
		print "CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER NOT NULL, v TEXT NOT NULL);"
		print "CREATE INDEX t_k ON t (k);"
		for (b = 0; b < n; b += 100) {
			print "BEGIN;"
			printf "INSERT INTO t SELECT x, x * 7919 %% 100003, printf(%s, x, hex(zeroblob(60))) FROM (WITH RECURSIVE c(x) AS (SELECT %d UNION ALL SELECT x + 1 FROM c WHERE x < %d) SELECT x FROM c);\n", sq "row %08d %s" sq, b + 1, b + 100
			print "COMMIT;"
		}
	}' > "$BENCH_TMP/insert.sql"
	cat > "$BENCH_TMP/query.sql" <<EOF
WITH RECURSIVE q(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM q WHERE x < $APP_ROWS)
SELECT count(*), sum(t.id), sum(length(t.v)) FROM q CROSS JOIN t ON t.k = q.x * 7919 % 100003;
SELECT count(*), sum(k), sum(length(v)) FROM t WHERE v LIKE 'row %';
EOF
	awk -v n=$APP_ROWS 'BEGIN {
		for (x = 1; x <= n; x++) { s += x * 7919 % 100003; i += x }
		printf "%d|%.0f|%d\n%d|%.0f|%d\n", n, i, 133 * n, n, s, 133 * n
	}' > "$BENCH_TMP/query.expected"
}

sqlite_insert() { # DB
	sqlite3 -bail "$1" < "$BENCH_TMP/insert.sql" > "$BENCH_TMP/insert.out"
}

sqlite_query() { # DB
	sqlite3 -bail "$1" < "$BENCH_TMP/query.sql" > "$BENCH_TMP/query.out" &&
		cmp -s "$BENCH_TMP/query.out" "$BENCH_TMP/query.expected" && return 0
	echo "# sqlite-query: got '$(cat "$BENCH_TMP/query.out")'," \
		"expected '$(cat "$BENCH_TMP/query.expected")'"
	return 1
}

# apps_one TARGET REP: both workloads on TARGET; each cleans up after
# itself, outside the measured phases.
apps_one() {
	_m=/mnt/bench/$1/app
	mkdir -p "$_m"
	if [ -r "$APP_SRC" ]; then
		progress "apps, repetition $2/$reps: untar on $1"
		app_phase untar-extract "$1" "$2" untar_extract "$_m/src" &&
			app_phase untar-read "$1" "$2" untar_read "$_m/src"
		rm -rf "$_m/src"
	fi
	if command -v sqlite3 >/dev/null; then
		progress "apps, repetition $2/$reps: sqlite on $1"
		app_phase sqlite-insert "$1" "$2" sqlite_insert "$_m/db" &&
			app_phase sqlite-query "$1" "$2" sqlite_query "$_m/db"
		rm -f "$_m/db" "$_m/db-wal" "$_m/db-shm"
	fi
	rmdir "$_m"
}

# bench_apps_run TARGET...: every workload REPS times on each TARGET
# that has a filesystem (raw's file is the block device itself).
bench_apps_run() {
	mkdir -p "$BENCH_OUT/apps"
	echo "$BENCH_APPS" | grep '|' > "$BENCH_OUT/apps/apps.txt"
	: > "$BENCH_OUT/apps/times.txt"
	[ -r "$APP_SRC" ] || fail "apps: no $APP_SRC in the initramfs"
	command -v sqlite3 >/dev/null || fail "apps: no sqlite3 in the initramfs"
	sqlite_sql
	_fs=
	for _t in "$@"; do
		[ -b "$(tget "$_t" FILE)" ] || _fs="$_fs $_t"
	done
	_n0=$T_FAILS
	_r=1
	while [ $_r -le "$reps" ]; do
		for _t in $_fs; do
			apps_one "$_t" "$_r"
		done
		_r=$((_r + 1))
	done
	[ "$_n0" = "$T_FAILS" ] &&
		pass "application workloads on$_fs, $reps repetitions: every check passed"
}
