#!/bin/sh
# Builds the mock librkllmrt.so and the layout probe for both runtime ABIs:
#
#   build/mock/v1.2.3/{librkllmrt.so,probe}
#   build/mock/v1.3.0/{librkllmrt.so,probe}
#   build/mock/rknn/{librknnrt.so,probe}             (the mock vision encoder, librknnrt.so)
#   build/mock/aarch64/v1.2.3/..., v1.3.0/..., rknn/...   (only when aarch64-linux-gnu-gcc is on PATH)
#
# Works from any directory. An artefact is rebuilt only when one of its sources (or this script)
# is newer than it, so calling this before every test run is nearly free.
# Compiler: ${CC:-cc} for the host build, aarch64-linux-gnu-gcc for the cross build.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT="$ROOT/build/mock"
HOST_CC=${CC:-cc}

LIB_SRC="$HERE/rkllm_mock.c"
PROBE_SRC="$HERE/probe.c"
HEADER="$HERE/rkllm.h"
SELF="$HERE/build.sh"
RKNN_SRC="$HERE/rknn_mock.c"
RKNN_PROBE_SRC="$HERE/rknn_probe.c"
RKNN_HEADER="$HERE/rknn_api_mock.h"

WARN="-std=c11 -O2 -Wall -Wextra -Werror"
LIB_FLAGS="-fPIC -shared -pthread -fvisibility=hidden"

# needs_build OUTPUT SOURCE... : true when OUTPUT is missing or older than any SOURCE.
needs_build() {
    target=$1
    shift
    [ -f "$target" ] || return 0
    for src in "$@"; do
        if [ "$src" -nt "$target" ]; then
            return 0
        fi
    done
    return 1
}

# require_compiler CC: stop with a hint when the compiler is not installed (checked only when
# something needs building, so an up-to-date tree needs no compiler).
require_compiler() {
    # shellcheck disable=SC2086 # CC may carry flags, e.g. CC="ccache cc"
    set -- $1
    if ! command -v "$1" >/dev/null 2>&1; then
        echo "build.sh: no C compiler: '$1' is not installed (the mock runtime is C)." >&2
        echo "  Install one (Debian/Ubuntu: sudo apt install gcc; Fedora: sudo dnf install gcc)" >&2
        echo "  or name yours with CC=<compiler> sh tests/mock/build.sh" >&2
        exit 1
    fi
}

# build_artefact CC OUTPUT KIND(lib|probe|rknn-lib|rknn-probe) ABI
build_artefact() {
    cc=$1
    target=$2
    kind=$3
    abi=$4
    rel=${target#"$ROOT"/}
    case $kind in
    lib) deps="$LIB_SRC $HEADER $SELF" ;;
    probe) deps="$PROBE_SRC $HEADER $SELF" ;;
    rknn-lib) deps="$RKNN_SRC $RKNN_HEADER $SELF" ;;
    *) deps="$RKNN_PROBE_SRC $RKNN_HEADER $SELF" ;;
    esac
    # shellcheck disable=SC2086 # deps is a list of paths without spaces in their names
    if ! needs_build "$target" $deps; then
        echo "up to date: $rel"
        return 0
    fi
    require_compiler "$cc"
    mkdir -p "$(dirname "$target")"
    tmp="$target.tmp.$$"
    # shellcheck disable=SC2086 # cc and flag lists are meant to be split into words
    case $kind in
    lib) $cc $WARN $LIB_FLAGS -DRKLLM_ABI="$abi" -o "$tmp" "$LIB_SRC" ;;
    probe) $cc $WARN -DRKLLM_ABI="$abi" -o "$tmp" "$PROBE_SRC" ;;
    rknn-lib) $cc $WARN $LIB_FLAGS -o "$tmp" "$RKNN_SRC" ;;
    *) $cc $WARN -o "$tmp" "$RKNN_PROBE_SRC" ;;
    esac
    mv -f "$tmp" "$target"
    echo "built: $rel"
}

# build_set CC DIR
build_set() {
    for pair in 123:v1.2.3 130:v1.3.0; do
        abi=${pair%%:*}
        ver=${pair#*:}
        build_artefact "$1" "$2/$ver/librkllmrt.so" lib "$abi"
        build_artefact "$1" "$2/$ver/probe" probe "$abi"
    done
    build_artefact "$1" "$2/rknn/librknnrt.so" rknn-lib -
    build_artefact "$1" "$2/rknn/probe" rknn-probe -
}

trap 'rm -f "$OUT"/*/*.tmp.$$ "$OUT"/aarch64/*/*.tmp.$$ 2>/dev/null || true' EXIT

build_set "$HOST_CC" "$OUT"

if command -v aarch64-linux-gnu-gcc >/dev/null 2>&1; then
    build_set aarch64-linux-gnu-gcc "$OUT/aarch64"
else
    echo "skipped aarch64: aarch64-linux-gnu-gcc not found on PATH"
fi
