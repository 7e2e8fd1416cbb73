#!/bin/sh
# Prepares `deno task test:arm64`: the aarch64 mock runtime (cross-compiled), the bundled
# program, and the aarch64 Deno from the npm registry (same version as the host's), run under
# qemu-user. Needs Debian's qemu-user and gcc-aarch64-linux-gnu.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

for tool in qemu-aarch64 aarch64-linux-gnu-gcc; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "missing $tool: apt-get install qemu-user gcc-aarch64-linux-gnu" >&2
    exit 1
  fi
done

sh tests/mock/build.sh
deno bundle --quiet --platform deno --output build/rkllm-api.js main.ts

version=$(deno --version | sed -n 's/^deno \([0-9.]*\).*/\1/p')
dir=.tools/arm64
if [ ! -x "$dir/deno" ] || [ "$(cat "$dir/version" 2>/dev/null)" != "$version" ]; then
  rm -rf "$dir" && mkdir -p "$dir"
  (cd "$dir" && npm pack --silent "@deno/linux-arm64-glibc@$version" >/dev/null && tar xzf ./*.tgz)
  mv "$dir/package/deno" "$dir/deno"
  rm -rf "$dir/package" "$dir"/*.tgz
  echo "$version" >"$dir/version"
fi
qemu-aarch64 -L /usr/aarch64-linux-gnu "$dir/deno" --version | head -n 1
