#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Print the value of one lib.sh function, for the Makefile.
. "$(dirname "$0")/lib.sh"
"$1"
