# SPDX-License-Identifier: GPL-2.0
# famfs across hosts: what the writing and the reading host share.
#
# scripts/famfs-share.sh boots the dev kernel twice on one guest memory
# file (vm.sh --share-ram): the emulated pmem of both boots is the same
# memory, as two hosts on one CXL or NVDIMM device see it.  fusetd famfs
# lays the files out as a pure function of the specs, so the second host
# finds them where the first wrote them.
. /tests/vm/lib.sh

SPECS="-F doc:6291456:simple:2M -F ilv:8388608:ilv:1:2M -F tail:3000000:simple:2M"
# seeds the writing host writes with, per file
SEED_DOC=101 SEED_ILV=102 SEED_TAIL=103
FAMFS_DEVS="-d /dev/pmem0"

# share_check NAME SIZE SEED: the file's bytes on the device, by the layout
share_check() {
	# shellcheck disable=SC2086
	"$FUSETD" famfs --check "$1" --seed "$3" $FAMFS_DEVS $SPECS >/dev/null
}
