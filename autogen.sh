#!/bin/sh
# Licensed under the Apache License, Version 2.0; see LICENSE.
#
# autogen.sh: generate configure and Makefile.in from configure.ac and
# Makefile.am (autoconf, automake, libtool, pkg-config must be installed;
# scripts/deps.sh installs them).  Then: ./configure && make.
set -e
cd "$(dirname "$0")"
mkdir -p m4
autoreconf -fi
echo "autogen.sh: done; now run ./configure [--with-apxs=/usr/bin/apxs2]"
