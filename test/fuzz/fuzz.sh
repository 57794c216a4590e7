#!/bin/bash
# Licensed under the Apache License, Version 2.0 (the "License"); you may not
# use this file except in compliance with the License.  You may obtain a copy
# of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
#
# fuzz.sh: build the fuzz targets with clang and libFuzzer
# (-fsanitize=fuzzer,address,undefined) and run each of them for a while
# (doc/attacks.md F6).  `make fuzz` runs it; it is not part of `make check`,
# which replays the seed corpora with gcc instead.  See README.md here.
#
#   test/fuzz/fuzz.sh [--build-only | --coverage] [TARGET...]
#
# TARGET is jws, jwe, jwk or b64 (default: all four).
#   --build-only   build the libFuzzer binaries, do not run them
#   --coverage     build with clang source-based coverage instead, replay
#                  the seed corpus and what earlier runs found, and print
#                  llvm-cov's report for src/
# Environment:
#   FUZZ_SECONDS   seconds per target (default 60)
#   FUZZ_JOBS      targets run at the same time (default 1)
#   FUZZ_OUT       binaries, work corpora, crashes, logs (default
#                  ./test/fuzz/out under the current directory)
#   FUZZ_ARGS      more libFuzzer options, e.g. "-workers=2 -jobs=2"
#   CLANG          the compiler (default clang-14, else clang)
# New inputs go to $FUZZ_OUT/corpus/TARGET, crashes to
# $FUZZ_OUT/artifacts/TARGET/; the seed corpus in the source tree is only
# read.  Exit status 1 when any target crashed, leaked or hit a property.
set -uo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=${FUZZ_OUT:-$PWD/test/fuzz/out}
SECONDS_EACH=${FUZZ_SECONDS:-60}
JOBS=${FUZZ_JOBS:-1}
MODE=run
TARGETS=()
for a in "$@"; do
    case "$a" in
        --build-only) MODE=build ;;
        --coverage) MODE=coverage ;;
        jws|jwe|jwk|b64) TARGETS+=("$a") ;;
        -h|--help) sed -n '10,30p' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) echo "fuzz.sh: unknown argument $a (see --help)" >&2; exit 2 ;;
    esac
done
[ "${#TARGETS[@]}" -gt 0 ] || TARGETS=(jws jwe jwk b64)

CC=${CLANG:-$(command -v clang-14 || command -v clang || true)}
if [ -z "$CC" ]; then
    echo "fuzz.sh: clang not found: apt-get install clang libclang-rt-14-dev" \
         "(scripts/deps.sh installs both)" >&2
    exit 2
fi
LLVM_SUFFIX=$("$CC" --version | sed -n 's/.*clang version \([0-9]*\).*/-\1/p')

mkdir -p "$OUT" && OUT=$(cd "$OUT" && pwd)
# libcurl: the core fetches remote key sets (src/jwks_fetch.c)
PKG="apr-1 apr-util-1 jansson openssl libcurl"
CFLAGS=(-std=c11 -g -O1 -fno-omit-frame-pointer -Wall -Wextra
        -I"$SRC/include" -I"$SRC/test/fuzz" $(pkg-config --cflags $PKG)
        -DFUZZ_KEYS_DIR="\"$SRC/test/unit/keys\""
        -DFUZZ_VECTORS_DIR="\"$SRC/test/vectors\"")
LIBS=($(pkg-config --libs $PKG) -lm)
if [ "$MODE" = coverage ]; then
    SAN_COMPILE=(-fprofile-instr-generate -fcoverage-mapping)
    SAN_LINK=(-fsanitize=fuzzer "${SAN_COMPILE[@]}")
    SAN_COMPILE+=(-fsanitize=fuzzer-no-link)
    BIN=$OUT/cov
else
    SAN_COMPILE=(-fsanitize=fuzzer-no-link,address,undefined
                 -fno-sanitize-recover=all)
    SAN_LINK=(-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all)
    BIN=$OUT/bin
fi

# ---------------------------------------------------------------- build --

build() {
    local obj=$BIN/obj f o
    mkdir -p "$obj"
    # every core source (src/), instrumented like the targets
    for f in "$SRC"/src/*.c "$SRC/test/fuzz/fuzz_common.c" \
             "$SRC/test/fuzz/fuzz_palloc.c"; do
        o=$obj/$(basename "$f" .c).o
        if [ ! -e "$o" ] || [ "$f" -nt "$o" ] \
           || [ -n "$(find "$SRC/include" "$SRC/test/fuzz" -name '*.h' \
                      -newer "$o" 2>/dev/null)" ]; then
            "$CC" "${CFLAGS[@]}" "${SAN_COMPILE[@]}" -c "$f" -o "$o" \
                || return 1
        fi
    done
    for t in "${TARGETS[@]}"; do
        "$CC" "${CFLAGS[@]}" "${SAN_COMPILE[@]}" \
            -c "$SRC/test/fuzz/fuzz_$t.c" -o "$obj/fuzz_$t.o" || return 1
        "$CC" "${SAN_LINK[@]}" -o "$BIN/fuzz_$t" "$obj/fuzz_$t.o" \
            "$obj/fuzz_common.o" "$obj/fuzz_palloc.o" \
            $(for f in "$SRC"/src/*.c; do
                  echo "$obj/$(basename "$f" .c).o"; done) \
            "${LIBS[@]}" || return 1
        echo "fuzz.sh: built $BIN/fuzz_$t"
    done
}

if ! build; then
    echo "fuzz.sh: build failed (clang and libclang-rt-14-dev installed?)" >&2
    exit 2
fi
[ "$MODE" = build ] && exit 0

export KEYS_DIR=${KEYS_DIR:-$SRC/test/unit/keys}
export VECTORS_DIR=${VECTORS_DIR:-$SRC/test/vectors}

max_len() {
    case "$1" in
        jwk) echo 16384 ;;      # RSA private JWKs, sets of keys
        b64) echo 4096 ;;
        *) echo 9000 ;;         # just past JWT_DEFAULT_MAX_SIZE
    esac
}

# ------------------------------------------------------------- coverage --

if [ "$MODE" = coverage ]; then
    PROFDATA=$(command -v "llvm-profdata$LLVM_SUFFIX" \
               || command -v llvm-profdata)
    LLVMCOV=$(command -v "llvm-cov$LLVM_SUFFIX" || command -v llvm-cov)
    if [ -z "$PROFDATA" ] || [ -z "$LLVMCOV" ]; then
        echo "fuzz.sh: --coverage needs llvm-profdata and llvm-cov" \
             "(apt-get install llvm-14)" >&2
        exit 2
    fi
    mkdir -p "$OUT/coverage"
    rm -f "$OUT"/coverage/*.profraw
    objs=()
    for t in "${TARGETS[@]}"; do
        dirs=("$SRC/test/fuzz/corpus/$t")
        [ -d "$OUT/corpus/$t" ] && dirs+=("$OUT/corpus/$t")
        LLVM_PROFILE_FILE=$OUT/coverage/$t.profraw \
            "$BIN/fuzz_$t" -runs=0 "${dirs[@]}" \
            >"$OUT/coverage/$t.log" 2>&1
        objs+=(-object "$BIN/fuzz_$t")
    done
    "$PROFDATA" merge -sparse "$OUT"/coverage/*.profraw \
        -o "$OUT/coverage/all.profdata" || exit 1
    "$LLVMCOV" report "${objs[@]:1}" \
        -instr-profile="$OUT/coverage/all.profdata" "$SRC"/src/*.c
    echo "fuzz.sh: line-by-line: $LLVMCOV show ${objs[*]:1}" \
         "-instr-profile=$OUT/coverage/all.profdata $SRC/src/FILE.c"
    exit 0
fi

# ------------------------------------------------------------------ run --

run() {
    local t=$1 log=$OUT/logs/$1.log
    mkdir -p "$OUT/corpus/$t" "$OUT/artifacts/$t" "$OUT/logs"
    echo "fuzz.sh: $t for ${SECONDS_EACH}s (log $log)"
    # shellcheck disable=SC2086
    nice -n 10 "$BIN/fuzz_$t" -max_total_time="$SECONDS_EACH" \
        -timeout=30 -rss_limit_mb=2048 -max_len="$(max_len "$t")" \
        -dict="$SRC/test/fuzz/jose.dict" -print_final_stats=1 \
        -artifact_prefix="$OUT/artifacts/$t/" ${FUZZ_ARGS:-} \
        "$OUT/corpus/$t" "$SRC/test/fuzz/corpus/$t" >"$log" 2>&1
    local rc=$?
    grep -E '^stat::(number_of_executed_units|average_exec_per_sec)' \
        "$log" | sed "s/^/  $t /"
    grep -E '^stat::(new_units_added|peak_rss_mb)' "$log" \
        | sed "s/^/  $t /"
    grep -E '^#[0-9]+.*(DONE|cov:)' "$log" | tail -1 | sed "s/^/  $t /"
    if [ "$rc" -ne 0 ]; then
        echo "fuzz.sh: $t FAILED (exit $rc): see $log" >&2
        ls "$OUT/artifacts/$t" >&2
    fi
    return "$rc"
}

failed=0
running=0
for t in "${TARGETS[@]}"; do
    if [ "$running" -ge "$JOBS" ]; then
        wait -n || failed=1
        running=$((running - 1))
    fi
    run "$t" &
    running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
    wait -n || failed=1
    running=$((running - 1))
done
if [ "$failed" -ne 0 ]; then
    echo "fuzz.sh: a target failed; reproduce with" \
         "$BIN/fuzz_TARGET ARTIFACT (or test/fuzz/replay_TARGET ARTIFACT)" >&2
    exit 1
fi
echo "fuzz.sh: no finding"
