# SPDX-License-Identifier: GPL-2.0
# fuse-iomap: out-of-tree FUSE with iomap and famfs for Linux 6.12.
#
#   make            fuse.ko and cuse.ko (builds the dev kernel if needed)
#   make kernel     the dev kernel (cached outside the clone)
#   make kunit      KUnit suites in UML
#   make vmtest     the VM test suite
#   make run        the demo: boot, mount a disk with fusetd, do I/O
#   make bench      fio against raw disk, ext4, fuse2fs and fusetd in one VM
#   make check      every check and test; ends with "N passed, N failed"
#   make series     the patch series against 6.12, whole, with its cover
#                   letter: build/series/out (fs/fuse/patches keeps it
#                   without the files it creates; scripts/series.sh)
#   make series-check  each patch of the series builds (W=1) and passes
#                   checkpatch (part of make check)
#   make soak       long fsx and fio --verify runs (not in check)
#   make fuzz       the hostile server, HOSTILE_MESSAGES per seed (not in check)
#   make coverage   line coverage of our kernel files by KUnit and the VM
#                   suite (gcov, lcov): build/coverage/html (not in check)
#
# fuseiomap.ko, the coexisting variant for kernels that build FUSE in
# (Debian's): /dev/fuse-iomap, filesystem types fuseiomap and fuseiomapblk.
#   make coexist       build it against Debian's stock kernel headers of
#                      our source version (or KDIR=...)
#   make vmtest-stock  boot Debian's stock kernel in the VM, load it beside
#                      the built-in FUSE, run the VM tests of STOCK_TESTS
#   make dkms          as root: install it with DKMS for the running kernel
#                      (DKMS_KERNELS="kver ..." for others); then
#                      "modprobe fuseiomap"; make dkms-remove undoes it
#
# KDIR=/path/to/kernel/build builds against another kernel instead.
# SAN=1 selects the sanitizer variant of the dev kernel (KASAN, UBSAN and
# KFENCE on top of the debug options) for kernel, modules, vmtest, run,
# soak, fuzz and bench; make check uses it for its VM runs.

TOP	:= $(CURDIR)
BUILD	?= $(TOP)/build
export BUILD

ifeq ($(SAN),1)
export FI_KERNEL := san
endif

ifeq ($(origin KDIR), undefined)
KDIR_DEFAULT := 1
endif

.PHONY: all modules setup kernel assemble kunit tests vmtest run check \
	soak fuzz bench clean distclean coexist vmtest-stock dkms dkms-remove \
	coverage series series-check

all: modules

setup:
	@scripts/setup.sh

kernel: setup
	@scripts/kernel.sh >/dev/null

assemble: setup
	@scripts/assemble.sh

modules: assemble $(if $(KDIR_DEFAULT),kernel)
	$(eval KDIR ?= $(shell FI_KERNEL=$(or $(FI_KERNEL),dev) scripts/lib-print.sh devkernel_dir))
	@if grep -qs '^CONFIG_FUSE_FS=y' $(KDIR)/.config; then \
		echo "error: $(KDIR) has FUSE built in (CONFIG_FUSE_FS=y):" \
		     "its vmlinux already provides every fuse symbol, the" \
		     "'fuse' filesystem and /dev/fuse, so this module could" \
		     "never load there. Use the dev kernel ('make kernel')." >&2; \
		exit 1; \
	fi
	$(MAKE) -C $(KDIR) M=$(TOP) W=$(W) C=$(C) modules

tests: assemble
	@$(MAKE) -s -C tests O=$(BUILD)/tests STATIC=1 \
		UAPI_INC=$(BUILD)/tree/include/uapi

kunit: assemble
	@scripts/kunit.sh

vmtest: modules tests
	@scripts/vm.sh

run: modules tests
	@scripts/vm.sh --tests demo --timeout 600

bench: modules tests
	@scripts/bench.sh

check: setup
	@scripts/check.sh

series: setup
	@scripts/series.sh format

series-check: kernel
	@scripts/series.sh check

coexist: setup
	@scripts/coexist.sh build $(if $(KDIR_DEFAULT),,$(KDIR))

STOCK_TESTS ?= $(shell scripts/lib-print.sh print_stock_tests)
vmtest-stock: coexist tests
	@scripts/vm.sh --stock --tests $(STOCK_TESTS) \
		$(shell scripts/lib-print.sh print_stock_env)

# Not after setup: a user installing the module needs only linux-source-6.12,
# dkms and the kernel's headers (README), not the test harness's packages.
dkms:
	@scripts/dkms.sh install $(DKMS_KERNELS)

dkms-remove:
	@scripts/dkms.sh remove

# Long runs that CI does not do: fsx over iomap files (36-iomap-fsx, one
# file per seed) and over famfs files (42-famfs-fsx, a simple and an
# interleaved file per seed), FSX_OPS per file and seed, FSX_JOBS seeds
# at once; fio --verify (45-fio-verify), FIO_LOOPS passes over files of
# FIO_MB MiB.  SOAK_TESTS picks some of the three.
# Documentation/dev/testing.rst has the numbers for 1,000,000 operations.
FSX_OPS ?= 17000
FSX_SEEDS ?= 1,2,3,4,5,6
FSX_JOBS ?= 1
FIO_MB ?= 32
FIO_LOOPS ?= 16
SOAK_TESTS ?= 36-iomap-fsx,42-famfs-fsx,45-fio-verify
SOAK_TIMEOUT ?= 14400
soak: modules tests
	@scripts/vm.sh --tests $(SOAK_TESTS) --env FSX_OPS=$(FSX_OPS) \
		--env FSX_SEEDS=$(FSX_SEEDS) --env FSX_JOBS=$(FSX_JOBS) \
		--env FIO_MB=$(FIO_MB) --env FIO_LOOPS=$(FIO_LOOPS) \
		--timeout $(SOAK_TIMEOUT)

# The hostile server (tests/hostile) against real I/O: HOSTILE_MESSAGES
# mutated replies and notifications for each of HOSTILE_SEEDS.
HOSTILE_MESSAGES ?= 40000
HOSTILE_SEEDS ?= 1,2,3
fuzz: modules tests
	@scripts/vm.sh --tests 70-hostile-server \
		--env HOSTILE_MESSAGES=$(HOSTILE_MESSAGES) \
		--env HOSTILE_SEEDS=$(HOSTILE_SEEDS) \
		--env HOSTILE_LIMIT=3600 --timeout 14400

# gcov line coverage of fs/fuse/*.[ch] (ours) by the KUnit suites in UML
# and by the VM suite on a fuse.ko built with GCOV_PROFILE=y, merged by
# lcov: an HTML report in build/coverage/html, lines hit per file in
# build/coverage/summary.txt (Documentation/dev/testing.rst, "Coverage").
# COVERAGE_TESTS=NAME,... runs only those VM tests, COVERAGE_PARTS="kunit
# vm" selects parts.  The plain UML build and fuse.ko are left alone.
coverage: kernel tests
	@scripts/coverage.sh

clean:
	rm -rf $(BUILD) Module.symvers modules.order .*.cmd

distclean: clean
	@echo "the kernel cache is in $${FUSE_IOMAP_CACHE:-/var/cache/fuse-iomap}"
