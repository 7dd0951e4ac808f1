#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install the Debian packages the project needs (idempotent).
set -euo pipefail
pkgs=(linux-source-6.12 build-essential bc flex bison libelf-dev libssl-dev
	dwarves cpio kmod xz-utils python3 qemu-system-x86 busybox-static
	fio fuse2fs e2fsprogs sparse coccinelle ocaml-nox libaio-dev
	liburing-dev gnuplot-nox)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} = 0 ] && exit 0
echo "[setup] installing: ${missing[*]}" >&2
sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
$sudo apt-get update -q >/dev/null
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends \
	"${missing[@]}" >/dev/null
