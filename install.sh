#!/usr/bin/env bash
# install.sh: installs rkllm-api as a systemd service on an RK3588/RK3588S board (Orange Pi 5 Plus,
# Rock 5B, ...; Armbian or Ubuntu, aarch64).
#
#   sudo ./install.sh [--yes] [--freq-fix] [--lib librkllmrt.so] ...     (all options: --help)
#
# Safe to run again and again: every step checks first, a file is rewritten only when its content
# changes, and a second run reports everything as already in place. Everything it writes is
# listed (with checksums) in /var/lib/rkllm-api/manifest; --uninstall removes exactly those files
# and folders. Files that were edited since are kept, and so are the models folder and group
# memberships.
#
# Testing off-board (tests/install/install_test.ts). The environment is read only for:
#   RKLLM_ROOT        a folder that stands for "/": every system path (/etc, /usr, /var, /sys,
#                     /proc, /dev, /home) is read and written below it, and the root check is
#                     skipped. The commands below still run as given, so override them too.
#   SYSTEMCTL UDEVADM LDCONFIG USERMOD GROUPADD GETENT ID CHOWN HOSTNAME_CMD
#                     the system commands this script runs (default: the command of that name;
#                     HOSTNAME_CMD defaults to hostname).
#   RKLLM_START_CHECK_SECONDS  seconds to wait before checking that the service stayed up (2).
#   SUDO_USER (the default service user) and NO_COLOR (plain output).
# When sourced instead of run (`source install.sh`), it only defines its functions.
set -euo pipefail

R="${RKLLM_ROOT:-}"
R="${R%/}"
SYSTEMCTL="${SYSTEMCTL:-systemctl}"
UDEVADM="${UDEVADM:-udevadm}"
LDCONFIG="${LDCONFIG:-ldconfig}"
USERMOD="${USERMOD:-usermod}"
GROUPADD="${GROUPADD:-groupadd}"
GETENT="${GETENT:-getent}"
ID="${ID:-id}"
CHOWN="${CHOWN:-chown}"
HOSTNAME_CMD="${HOSTNAME_CMD:-hostname}"
START_CHECK_SECONDS="${RKLLM_START_CHECK_SECONDS:-2}"

# What gets installed where (paths as on the board; "$R" is put in front when touching them).
BIN_PATH=/usr/local/bin/rkllm-api
LIB_NAME=librkllmrt.so
LIB_TARGET=/usr/lib/$LIB_NAME
ENV_DIR=/etc/rkllm-api
ENV_FILE=$ENV_DIR/rkllm-api.env
UNIT_NAME=rkllm-api.service
UNIT_FILE=/etc/systemd/system/$UNIT_NAME
FREQ_NAME=rkllm-freq-fix.service
FREQ_UNIT=/etc/systemd/system/$FREQ_NAME
FREQ_SCRIPT=/usr/local/sbin/rkllm-freq-fix
UDEV_RULE=/etc/udev/rules.d/99-rknpu.rules
MANIFEST_DIR=/var/lib/rkllm-api
MANIFEST=$MANIFEST_DIR/manifest
BACKUP_SUFFIX=.orig-rkllm
MIN_DRIVER=0.9.8
SERVER_RUNTIME=1.2.3

usage() {
  cat <<'EOF'
Usage: sudo ./install.sh [options]

Installs rkllm-api (an OpenAI-compatible LLM server for the RK3588 NPU) as the systemd service
rkllm-api, checks the board, the RKNPU driver and the Rockchip runtime library, and prints how to
connect Open WebUI. Safe to run again: it only changes what differs.

Options:
  --binary PATH   rkllm-api binary to install (default: ./rkllm-api next to this script, else the
                  one already in /usr/local/bin)
  --lib PATH      librkllmrt.so to install as /usr/lib/librkllmrt.so when none is found
                  (rknn-llm release v1.2.3: rkllm-runtime/Linux/librkllm_api/aarch64/)
  --user NAME     user the service runs as; its ~/models holds the models
                  (default: the user who ran sudo, else the owner of this script's folder; never root)
  --port N        TCP port of the API (default 8000)
  --freq-fix      also install rkllm-freq-fix.service: performance governors for NPU, CPUs and
                  memory at every boot (faster, draws more power)
  --no-start      install and enable the service, but do not (re)start it
  --dry-run       print every action without changing anything (no root needed)
  --uninstall     remove what this script installed (keeps models, edited files, group membership)
  --yes, -y       never ask; without it, a question is only asked when stdin is a terminal
  -h, --help      this text

Files: /usr/local/bin/rkllm-api, /etc/rkllm-api/rkllm-api.env, /etc/systemd/system/rkllm-api.service,
/etc/udev/rules.d/99-rknpu.rules, /usr/lib/librkllmrt.so (with --lib), /usr/local/sbin/rkllm-freq-fix
and /etc/systemd/system/rkllm-freq-fix.service (with --freq-fix), /var/lib/rkllm-api/manifest.
EOF
}

# ---------------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------------
WARNINGS=0
PROBLEMS=0
C_OK="" C_WARN="" C_FAIL="" C_DIM="" C_OFF=""
setup_colors() {
  if [[ -t 1 && -z ${NO_COLOR:-} ]]; then
    C_OK=$'\e[32m' C_WARN=$'\e[33m' C_FAIL=$'\e[31m' C_DIM=$'\e[2m' C_OFF=$'\e[0m'
  fi
}
# Detail lines about an action (what a dry run would do, a file kept aside) wait in PENDING and
# are printed under the next status line, which names the action.
PENDING=()
later() { PENDING+=("$@"); }
status() { # TAG COLOR MESSAGE
  local line
  printf '%s%s%s %s\n' "$2" "$1" "$C_OFF" "$3"
  for line in "${PENDING[@]}"; do printf '       %s\n' "$line"; done
  PENDING=()
}
ok() { status "[ OK ]" "$C_OK" "$*"; }
warn() {
  status "[WARN]" "$C_WARN" "$*"
  WARNINGS=$((WARNINGS + 1))
}
fail() {
  status "[FAIL]" "$C_FAIL" "$*"
  PROBLEMS=$((PROBLEMS + 1))
}
skip() { status "[SKIP]" "$C_DIM" "$*"; }
# Indented detail under a status line: the fix when not OK.
note() { printf '       %s\n' "$@"; }
# did VERB DONE: "would VERB" in a dry run, else DONE (did create created).
did() {
  if ((DRY_RUN)); then
    printf 'would %s' "$1"
  else
    printf '%s' "$2"
  fi
}
die() {
  printf '[FAIL] %s\n' "$1" >&2
  shift
  local line
  for line in "$@"; do printf '       %s\n' "$line" >&2; done
  exit 1
}

# ---------------------------------------------------------------------------------------------
# Small pure helpers (the tests source this file and call these directly)
# ---------------------------------------------------------------------------------------------

# version_cmp A B: prints -1, 0 or 1. Compares dot-separated numbers numerically, so 0.10.0 is
# newer than 0.9.8; a leading "v" and non-digits inside a part are ignored; missing parts are 0.
version_cmp() {
  local a=${1#v} b=${2#v} i x y
  local -a pa pb
  IFS=. read -r -a pa <<<"$a"
  IFS=. read -r -a pb <<<"$b"
  for ((i = 0; i < ${#pa[@]} || i < ${#pb[@]}; i++)); do
    x=${pa[i]:-0} y=${pb[i]:-0}
    x=${x//[!0-9]/} y=${y//[!0-9]/}
    x=$((10#${x:-0})) y=$((10#${y:-0}))
    if ((x < y)); then
      echo -1
      return 0
    elif ((x > y)); then
      echo 1
      return 0
    fi
  done
  echo 0
}

# git_blob_sha1 FILE: the id git gives the file's content, i.e. SHA-1 of
# "blob <decimal size>\0<bytes>" (what `git hash-object FILE` prints).
git_blob_sha1() {
  local size
  size=$(wc -c <"$1")
  size=${size//[[:space:]]/}
  { printf 'blob %s\0' "$size" && cat -- "$1"; } | sha1sum | cut -d' ' -f1
}

# runtime_for_blob SHA1: "<version> <arch>" of an official librkllmrt.so build (blob ids from
# the rknn-llm repository's releases), or status 1 when unknown.
runtime_for_blob() {
  case $1 in
    3bb8cb6172c4c06e1c622c8f8c579888378784f4) echo "1.1.4 aarch64" ;;
    d45ee9b8dcb9ef27d7dd875ce3be3d5e6dfb654d) echo "1.2.0 aarch64" ;;
    db041c01bba5e0e8f624bb2ff50d48825dde1bfc) echo "1.2.1b1 aarch64" ;;
    6b9439d59f2fe4bb8ef5ee2b09c102f1bf993da9) echo "1.2.1 aarch64" ;;
    7025f35825e04ad75d839d10392e3c02cc88e57a) echo "1.2.1 armhf" ;;
    8ed9cca16f8d5ad8f7cdd7d393de6561182b3395) echo "1.2.2 aarch64" ;;
    d5953fdad6e60521f1dc696f6d638425c93ba08d) echo "1.2.2 armhf" ;;
    0084abc34ab43359cfa9fd5d4c92ece34127dbd0) echo "1.2.3 aarch64" ;;
    fe1ca6849603a770c54f82d26b826a120c79a01a) echo "1.2.3 armhf" ;;
    34167b32f99cb7ab19e21fb579fb750d96b878f1) echo "1.3.0 aarch64" ;;
    17c9063b46168c4e7d093d6fedb097874f92d076) echo "1.3.0 armhf" ;;
    *) return 1 ;;
  esac
}

# describe_runtime "<version> <arch>": one line for the report, and status 0 only when this
# server can use that build.
describe_runtime() {
  local version=${1%% *} arch=${1##* }
  if [[ $arch != aarch64 ]]; then
    echo "librkllmrt $version for 32-bit $arch: the board needs the aarch64 build"
    return 1
  fi
  case $version in
    "$SERVER_RUNTIME") echo "librkllmrt $version" ;;
    1.3.*)
      echo "librkllmrt $version (needs a server built for ABI 1.3; this one speaks $SERVER_RUNTIME)"
      return 1
      ;;
    *)
      echo "librkllmrt $version (older than the $SERVER_RUNTIME this server is built for)"
      return 1
      ;;
  esac
}

have() { command -v "$1" >/dev/null 2>&1; }
sha256() { sha256sum -- "$1" | cut -d' ' -f1; }

# ---------------------------------------------------------------------------------------------
# Changing things: every change goes through act / ensure_dir / put_file, which --dry-run turns
# into "would ..." lines, and which record what they wrote in the manifest.
# ---------------------------------------------------------------------------------------------
DRY_RUN=0
declare -A MF_KIND=() MF_SUM=() DRY_DIRS=()

# act CMD ARGS...: run a command that changes the system, or (under --dry-run) list it under the
# next status line.
act() {
  if ((DRY_RUN)); then
    later "would run: $*"
    return 0
  fi
  "$@"
}

mf_load() {
  local kind sum path
  [[ -f $R$MANIFEST ]] || return 0
  while IFS=$'\t' read -r kind sum path; do
    [[ -n $path && $kind != \#* ]] || continue
    MF_KIND[$path]=$kind
    MF_SUM[$path]=$sum
  done <"$R$MANIFEST"
}

mf_render() {
  local path
  echo "# Written by rkllm-api's install.sh: what it installed (kind, sha256, path)."
  echo "# 'install.sh --uninstall' removes these. Do not edit."
  for path in "${!MF_KIND[@]}"; do
    printf '%s\t%s\t%s\n' "${MF_KIND[$path]}" "${MF_SUM[$path]}" "$path"
  done | LC_ALL=C sort -t $'\t' -k 3
}

# Writes the manifest when its content changed (and its folder exists yet).
mf_save() {
  local content
  ((DRY_RUN)) && return 0
  [[ -d $R$MANIFEST_DIR ]] || return 0
  content=$(mf_render)
  if [[ -f $R$MANIFEST && "$(cat -- "$R$MANIFEST")" == "$content" ]]; then
    return 0
  fi
  printf '%s\n' "$content" >"$R$MANIFEST.tmp"
  chmod 0644 "$R$MANIFEST.tmp"
  mv -f -- "$R$MANIFEST.tmp" "$R$MANIFEST"
}

mf_record() { # KIND SUM PATH
  MF_KIND[$3]=$1
  MF_SUM[$3]=$2
  mf_save
}

mf_forget() {
  unset 'MF_KIND[$1]' 'MF_SUM[$1]'
}

# ensure_dir DIR: create DIR (and missing parents), recording each folder it created.
ensure_dir() {
  local dir=$1
  [[ -d $R$dir || -n ${DRY_DIRS[$dir]:-} ]] && return 0
  ensure_dir "$(dirname -- "$dir")"
  if ((DRY_RUN)); then
    later "would create folder $dir"
    DRY_DIRS[$dir]=1
  else
    mkdir -m 0755 -- "$R$dir"
  fi
  mf_record dir - "$dir"
}

# put_file DEST MODE SRC LABEL: give DEST (a board path) SRC's content and MODE, only when they
# differ. Sets PUT to created, updated or unchanged. A file this script did not write is kept
# once as DEST.orig-rkllm (--uninstall puts it back).
PUT=unchanged
PUT_WORDS=""
put_file() {
  local dest=$1 mode=$2 src=$3 label=$4 target=$R$1 sum
  sum=$(sha256 "$src")
  if [[ -f $target ]] && cmp -s -- "$src" "$target"; then
    PUT=unchanged
    PUT_WORDS="already in place:"
    if [[ $(stat -c %a -- "$target") != "${mode#0}" ]]; then
      act chmod "$mode" -- "$target"
      PUT=updated
      PUT_WORDS="$(did "set mode $mode of" "set mode $mode of")"
    fi
    mf_record file "$sum" "$dest"
    return 0
  fi
  if [[ -e $target ]]; then
    PUT=updated
    if [[ ${MF_KIND[$dest]:-} != file ]]; then
      if [[ ! -e $target$BACKUP_SUFFIX ]]; then
        later "keeping the previous $label as $dest$BACKUP_SUFFIX (--uninstall puts it back)"
        act cp -p -- "$target" "$target$BACKUP_SUFFIX"
        mf_record backup "$(sha256 "$target")" "$dest$BACKUP_SUFFIX"
      fi
    elif [[ ${MF_SUM[$dest]} != "$(sha256 "$target")" ]]; then
      later "$dest was edited after it was installed; replacing it"
    fi
  else
    PUT=created
    ensure_dir "$(dirname -- "$dest")"
  fi
  if ((!DRY_RUN)); then
    cp -- "$src" "$target.tmp-rkllm"
    chmod "$mode" -- "$target.tmp-rkllm"
    mv -f -- "$target.tmp-rkllm" "$target"
  fi
  PUT_WORDS=$(did "${PUT%d}" "$PUT")
  mf_record file "$sum" "$dest"
}

# Question with a safe default: yes under --yes (and in a dry run), asked only on a terminal.
confirm() {
  local answer=""
  ((ASSUME_YES)) && return 0
  if ((DRY_RUN)); then
    note "(dry run: going on; a real run asks \"$1\" or needs --yes)"
    return 0
  fi
  if [[ -t 0 ]]; then
    read -r -p "       $1 [y/N] " answer || answer=""
    [[ $answer == [yY]* ]]
    return
  fi
  note "stdin is not a terminal, so nothing is asked: re-run with --yes to go on anyway"
  return 1
}

# ---------------------------------------------------------------------------------------------
# Generated files
# ---------------------------------------------------------------------------------------------
gen_env() {
  cat <<EOF
# rkllm-api settings, read by rkllm-api.service (EnvironmentFile=).
# Written by install.sh. Edit freely: a re-install never overwrites your edits (it writes
# rkllm-api.env.new beside this file instead). Apply changes: sudo systemctl restart rkllm-api
# All settings with their defaults: rkllm-api --help
RKLLM_API_HOST=0.0.0.0
RKLLM_API_PORT=$PORT
RKLLM_MODELS_DIR=$MODELS_DIR
RKLLM_API_LOG_LEVEL=info

# Optional (the values shown are the defaults):
# Path of librkllmrt.so; unset searches next to the binary, /usr/lib, /usr/local/lib, ~
#RKLLM_LIB_PATH=$LIB_TARGET
#RKLLM_DEFAULT_CONTEXT=4096
#RKLLM_MAX_NEW_TOKENS=2048
#RKLLM_QUEUE_DEPTH=64
#RKLLM_QUEUE_TIMEOUT=300
#RKLLM_IDLE_UNLOAD=300
#RKLLM_FIRST_TOKEN_TIMEOUT=120
#RKLLM_GENERATION_TIMEOUT=600
#RKLLM_KEEPALIVE_INTERVAL=5
# Most messages one chat request may hold; slow or idle clients are disconnected after these
#RKLLM_MAX_MESSAGES=1000
#RKLLM_HEADER_TIMEOUT=15
#RKLLM_BODY_TIMEOUT=60
#RKLLM_CONNECTION_IDLE_TIMEOUT=30
#RKLLM_CPU_MASK=0xF0
#RKLLM_EMBED_FLASH=true
#RKLLM_BASE_DOMAIN_ID=0
# Read by Rockchip's runtime itself: 1 prints its performance statistics to the journal.
#RKLLM_LOG_LEVEL=1
EOF
}

gen_unit() {
  local after="network-online.target"
  ((FREQ_INSTALLED)) && after+=" $FREQ_NAME"
  cat <<EOF
# rkllm-api: written by install.sh, which rewrites it on every install.
# Put local changes in a drop-in instead: sudo systemctl edit rkllm-api
# Settings: $ENV_FILE
[Unit]
Description=rkllm-api: OpenAI-compatible LLM server on the RK3588 NPU
After=$after
Wants=network-online.target
# Give up after 5 failed starts within 60 s (these two belong in [Unit]).
StartLimitIntervalSec=60
StartLimitBurst=5

[Service]
Type=simple
User=$SERVICE_USER
Group=$SERVICE_GROUP
# The NPU is /dev/rknpu (DMA-heap driver) or a DRM render node /dev/dri/renderD* (DRM driver).
SupplementaryGroups=$SUPP_GROUPS
EnvironmentFile=$ENV_FILE
ExecStart=$BIN_PATH serve
# Any non-zero exit (a crash, a runtime hung past its grace period) restarts it after 5 s;
# exit 2 is a bad setting in $ENV_FILE, which a restart cannot fix.
Restart=on-failure
RestartSec=5
RestartPreventExitStatus=2
# The server drains and exits within 5 s of SIGTERM.
KillSignal=SIGTERM
TimeoutStopSec=15
# One descriptor per client connection; at the limit new connections are shed, not fatal.
LimitNOFILE=65536

# Hardening that still lets it use the NPU: the server reads sysfs/debugfs and writes only to
# the models folder (pull and delete; "-": no error while it does not exist). No
# PrivateDevices/DeviceAllow/ProtectClock (they would close /dev to the NPU), and no
# MemoryDenyWriteExecute (the V8 JIT needs writable+executable memory).
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=read-only
ReadWritePaths=-$MODELS_DIR
PrivateTmp=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectControlGroups=yes
RestrictSUIDSGID=yes
RestrictRealtime=yes
LockPersonality=yes
DevicePolicy=auto

[Install]
WantedBy=multi-user.target
EOF
}

gen_udev() {
  cat <<'EOF'
# RK3588 NPU device access for the "render" group (written by rkllm-api's install.sh).
# The RKNPU driver exposes the NPU one of two ways, depending on how the kernel was built:
#  - DMA-heap build: a misc device /dev/rknpu
KERNEL=="rknpu*", MODE="0660", GROUP="render"
#  - DRM build (most vendor kernels): a DRM card plus render node /dev/dri/renderD* whose parent
#    is the NPU platform device, bound to the driver named "RKNPU". Only that render node is
#    matched; the GPU's render node keeps the distribution's rule.
SUBSYSTEM=="drm", KERNEL=="renderD*", DRIVERS=="RKNPU", MODE="0660", GROUP="render"
EOF
}

gen_freq_script() {
  cat <<'EOF'
#!/bin/sh
# rkllm-freq-fix: written by rkllm-api's install.sh, run at boot by rkllm-freq-fix.service.
# Sets the "performance" governor for the NPU, every CPU policy and the memory controller (DMC),
# so that prefill and decoding are not slowed by frequency ramp-up. Missing paths are skipped.
# Undo: sudo systemctl disable rkllm-freq-fix && reboot.
# (RKLLM_ROOT exists only for off-board tests.)
root="${RKLLM_ROOT:-}"

set_performance() { # LABEL PATH
  if [ ! -e "$root$2" ]; then
    echo "[SKIP] $1: $2 not present"
  elif echo performance 2>/dev/null >"$root$2"; then
    echo "[ OK ] $1: performance"
  else
    echo "[WARN] $1: could not set performance in $2"
  fi
}

set_performance NPU /sys/class/devfreq/fdab0000.npu/governor
found=0
for policy in "$root"/sys/devices/system/cpu/cpufreq/policy*; do
  [ -d "$policy" ] || continue
  found=1
  name=${policy##*/}
  set_performance "CPU $name" "/sys/devices/system/cpu/cpufreq/$name/scaling_governor"
done
[ "$found" = 1 ] || echo "[SKIP] CPU: no cpufreq policies"
set_performance DMC /sys/class/devfreq/dmc/governor
exit 0
EOF
}

gen_freq_unit() {
  cat <<EOF
# rkllm-freq-fix: written by rkllm-api's install.sh.
[Unit]
Description=Performance governors for the RK3588 NPU, CPUs and memory (rkllm-api)
# Run after the services that may set governors at boot (absent ones are ignored).
After=local-fs.target cpufrequtils.service armbian-hardware-optimize.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=$FREQ_SCRIPT

[Install]
WantedBy=multi-user.target
EOF
}

# ---------------------------------------------------------------------------------------------
# Steps
# ---------------------------------------------------------------------------------------------
step_board() {
  local file=$R/proc/device-tree/compatible compat model="" soc=""
  if [[ ! -r $file ]]; then
    warn "Board: cannot read /proc/device-tree/compatible, so this may not be an RK3588 board"
    note "rkllm-api needs the NPU of an RK3588 or RK3588S."
    confirm "Continue anyway?" || die "stopped: not an RK3588 board"
    return 0
  fi
  compat=$(tr '\0' '\n' <"$file")
  if [[ -r $R/proc/device-tree/model ]]; then
    model=$(tr -d '\0' <"$R/proc/device-tree/model")
  fi
  if [[ $'\n'$compat$'\n' == *$'\nrockchip,rk3588s\n'* ]]; then
    soc=RK3588S
  elif [[ $'\n'$compat$'\n' == *$'\nrockchip,rk3588\n'* ]]; then
    soc=RK3588
  fi
  if [[ -n $soc ]]; then
    ok "Board: $soc${model:+ ($model)}"
    return 0
  fi
  warn "Board: not an RK3588 (compatible: ${compat//$'\n'/ })"
  note "rkllm-api needs the NPU of an RK3588 or RK3588S; the service will not work here."
  confirm "Continue anyway?" || die "stopped: not an RK3588 board"
}

step_driver() {
  local path raw="" source="" version="" node=""
  for path in /sys/kernel/debug/rknpu/version /sys/module/rknpu/version; do
    if [[ -r $R$path ]]; then
      raw=$(head -c 256 -- "$R$path" | tr -d '\0')
      source=$path
      break
    fi
  done
  if [[ $raw =~ [0-9]+(\.[0-9]+)+ ]]; then
    version=${BASH_REMATCH[0]}
  fi
  if [[ -z $version ]]; then
    warn "RKNPU driver: version unknown${source:+ (unreadable: $source)}"
    note "Normal for a built-in driver when debugfs is not mounted. To see it:" \
      "sudo mount -t debugfs none /sys/kernel/debug; sudo cat /sys/kernel/debug/rknpu/version" \
      "rkllm runtime $SERVER_RUNTIME needs RKNPU driver $MIN_DRIVER or newer."
  elif [[ $(version_cmp "$version" "$MIN_DRIVER") == -1 ]]; then
    fail "RKNPU driver: v$version is older than v$MIN_DRIVER, which rkllm runtime $SERVER_RUNTIME needs"
    note "Upgrade the kernel to one with the updated RKNPU driver: a newer vendor kernel or" \
      "Armbian build (vendor 6.1 kernel), e.g. 'sudo apt update && sudo apt full-upgrade'" \
      "on Armbian, or a current Orange Pi / Radxa image; then reboot and re-run this script." \
      "Continuing, but loading a model is likely to fail until then."
  else
    ok "RKNPU driver: v$version (from $source)"
  fi

  if [[ -e $R/dev/rknpu ]]; then
    node=/dev/rknpu
  else
    for path in "$R"/sys/class/drm/renderD*; do
      [[ -e $path/device/driver ]] || continue
      if [[ $(basename -- "$(readlink -f -- "$path/device/driver")") == RKNPU ]]; then
        node=/dev/dri/${path##*/}
        break
      fi
    done
  fi
  if [[ -n $node ]]; then
    ok "NPU device: $node"
  else
    warn "NPU device: neither /dev/rknpu nor an RKNPU render node in /dev/dri"
    note "Is the driver loaded? Check 'dmesg | grep -i rknpu'; 'sudo modprobe rknpu' for a module."
  fi
}

LIB_OK=0
step_library() {
  local configured="" candidates=() path found="" hashed blob runtime text installed=""
  if [[ -f $R$ENV_FILE ]]; then
    configured=$(sed -n 's/^[[:space:]]*RKLLM_LIB_PATH=//p' "$R$ENV_FILE" | tail -n 1)
    configured=${configured//\"/}
    configured=${configured//\'/}
  fi
  if [[ -n $configured ]]; then
    candidates=("$configured")
  else
    candidates=("$(dirname -- "$BIN_PATH")/$LIB_NAME" "/usr/lib/$LIB_NAME" "/usr/local/lib/$LIB_NAME"
      "$HOME_DIR/$LIB_NAME")
  fi
  for path in "${candidates[@]}"; do
    if [[ -f $R$path ]]; then
      found=$path
      break
    fi
  done
  hashed=${found:+$R$found}

  if [[ -n $LIB_SRC && -n $configured ]]; then
    warn "Runtime library: RKLLM_LIB_PATH=$configured is set in $ENV_FILE, so --lib was not installed"
    note "The server loads the configured file; copy the library there or unset RKLLM_LIB_PATH."
  elif [[ -n $LIB_SRC ]]; then
    if [[ -z $found || ($found == "$LIB_TARGET" && ${MF_KIND[$LIB_TARGET]:-} == file) ]]; then
      put_file "$LIB_TARGET" 0644 "$LIB_SRC" "runtime library"
      if [[ $PUT != unchanged ]]; then
        SERVICE_CHANGED=1
        installed=" ($(did "be installed" installed) from $LIB_SRC)"
        if have "$LDCONFIG"; then
          act "$LDCONFIG" || later "ldconfig failed (harmless: the server opens the file by path)"
        fi
      fi
      found=$LIB_TARGET
      hashed=$LIB_SRC
    elif ! cmp -s -- "$LIB_SRC" "$R$found"; then
      warn "Runtime library: a different $LIB_NAME is already at $found; --lib was not installed"
      note "To use $LIB_SRC instead: sudo cp '$LIB_SRC' '$found', or set RKLLM_LIB_PATH in $ENV_FILE."
    fi
  fi

  if [[ -z $found ]]; then
    fail "Runtime library: $LIB_NAME not found (looked in: ${candidates[*]})"
    note "Get librkllmrt.so of rknn-llm release v$SERVER_RUNTIME" \
      "(rkllm-runtime/Linux/librkllm_api/aarch64/librkllmrt.so) and re-run:" \
      "sudo ./install.sh --lib /path/to/librkllmrt.so"
    LIB_OK=0
    return 0
  fi
  LIB_OK=1
  blob=$(git_blob_sha1 "$hashed")
  if runtime=$(runtime_for_blob "$blob"); then
    if text=$(describe_runtime "$runtime"); then
      ok "Runtime library: $found$installed = $text (git blob $blob)"
    else
      warn "Runtime library: $found$installed = $text (git blob $blob)"
      note "This server needs the aarch64 librkllmrt.so of rknn-llm release v$SERVER_RUNTIME."
    fi
  else
    warn "Runtime library: $found$installed: unknown build (git blob $blob)"
    note "Not an official rknn-llm release as far as this script knows; the server is built for" \
      "librkllmrt $SERVER_RUNTIME (aarch64) and may fail with another build."
  fi
}

step_binary() {
  local version="" bin
  put_file "$BIN_PATH" 0755 "$BIN_SRC" "rkllm-api binary"
  bin=$R$BIN_PATH
  ((DRY_RUN)) && bin=$BIN_SRC
  if have timeout; then
    version=$(timeout 10 "$bin" --version 2>/dev/null | head -n 1) || version=""
  else
    version=$("$bin" --version 2>/dev/null | head -n 1) || version=""
  fi
  ok "Binary: $PUT_WORDS $BIN_PATH${version:+ ($version)}"
  [[ $PUT == unchanged ]] || SERVICE_CHANGED=1
  if [[ -z $version ]]; then
    warn "Binary: '$BIN_PATH --version' did not run"
    note "The release binary is built for aarch64 (64-bit ARM); is this the right file?"
  fi
}

MODEL_COUNT=0
step_models() {
  local dir=$R$MODELS_DIR
  if [[ -d $dir ]]; then
    MODEL_COUNT=$(find -L "$dir" -type f -name '*.rkllm' 2>/dev/null | wc -l) || true
  else
    act mkdir -m 0755 -- "$dir"
    act "$CHOWN" "$SERVICE_USER:$SERVICE_GROUP" -- "$dir"
    ok "Models: $(did create created) $MODELS_DIR (owner $SERVICE_USER)"
    MODEL_COUNT=0
  fi
  MODEL_COUNT=${MODEL_COUNT//[[:space:]]/}
  if ((MODEL_COUNT > 0)); then
    ok "Models: $MODEL_COUNT .rkllm file(s) in $MODELS_DIR"
  else
    warn "Models: no .rkllm files in $MODELS_DIR yet"
    note "Put each model in its own folder: $MODELS_DIR/<Model-Name>/<file>.rkllm" \
      "(converted for rkllm runtime $SERVER_RUNTIME), then: sudo systemctl start rkllm-api"
  fi
}

step_devices() {
  local groups
  put_file "$UDEV_RULE" 0644 "$WORK/udev" "udev rule"
  if [[ $PUT != unchanged ]]; then
    if have "$UDEVADM"; then
      act "$UDEVADM" control --reload-rules || later "udevadm could not reload: reboot to apply it"
      act "$UDEVADM" trigger --action=change --sysname-match='rknpu*' --sysname-match='renderD*' ||
        later "udevadm trigger failed: reboot to apply the rule"
    else
      later "udevadm not found: the rule applies after a reboot"
    fi
  fi
  ok "Device access: $PUT_WORDS $UDEV_RULE (NPU device nodes: group render, mode 0660)"

  if ! "$GETENT" group render >/dev/null 2>&1; then
    if act "$GROUPADD" --system render; then
      ok "Group render: $(did create created) (system group)"
    else
      fail "Group render: could not create it (groupadd --system render)"
    fi
  fi
  groups=" $("$ID" -nG "$SERVICE_USER" 2>/dev/null || true) "
  if [[ $groups == *" render "* ]]; then
    ok "Group render: $SERVICE_USER is already a member"
  elif act "$USERMOD" -aG render "$SERVICE_USER"; then
    ok "Group render: $(did add added) $SERVICE_USER"
    note "Applies to $SERVICE_USER's shells after the next login (the service gets it right away" \
      "through SupplementaryGroups)."
  else
    fail "Group render: could not add $SERVICE_USER (usermod -aG render $SERVICE_USER)"
  fi
}

FREQ_INSTALLED=0
FREQ_CHANGED=0
step_freq() {
  if ((!FREQ_FIX)); then
    if [[ -f $R$FREQ_UNIT ]]; then
      FREQ_INSTALLED=1
      skip "Frequency fix: not requested; the one installed earlier stays (--uninstall removes it)"
    else
      skip "Frequency fix: not requested (--freq-fix sets performance governors at every boot)"
    fi
    return 0
  fi
  FREQ_INSTALLED=1
  put_file "$FREQ_SCRIPT" 0755 "$WORK/freq-script" "frequency script"
  local script=$PUT
  put_file "$FREQ_UNIT" 0644 "$WORK/freq-unit" "frequency unit"
  if [[ $script == unchanged && $PUT == unchanged ]]; then
    ok "Frequency fix: already in place: $FREQ_SCRIPT and $FREQ_NAME"
  else
    FREQ_CHANGED=1
    UNITS_CHANGED=1
    ok "Frequency fix: $(did install installed) $FREQ_SCRIPT and $FREQ_NAME (performance governors at boot)"
  fi
  if [[ -f $R/etc/systemd/system/fix-freq.service ]]; then
    note "The older fix-freq.service does the same; one of them is enough:" \
      "sudo systemctl disable fix-freq.service"
  fi
}

step_env() {
  local target=$R$ENV_FILE new=$ENV_FILE.new current
  if [[ ! -e $target ]] || cmp -s -- "$WORK/env" "$target"; then
    put_file "$ENV_FILE" 0644 "$WORK/env" "settings file"
    [[ $PUT == unchanged ]] || SERVICE_CHANGED=1
    # A .new left from an earlier run is stale once the file itself matches.
    if [[ ${MF_KIND[$new]:-} == file && -f $R$new && ${MF_SUM[$new]} == "$(sha256 "$R$new")" ]]; then
      act rm -f -- "$R$new"
      later "$(did remove removed) the stale $new"
      mf_forget "$new"
      mf_save
    fi
    ok "Settings: $PUT_WORDS $ENV_FILE"
    return 0
  fi
  current=$(sha256 "$target")
  if [[ ${MF_KIND[$ENV_FILE]:-} == file && ${MF_SUM[$ENV_FILE]} == "$current" ]]; then
    # Still exactly what this script wrote last time: the options changed, so update it.
    put_file "$ENV_FILE" 0644 "$WORK/env" "settings file"
    SERVICE_CHANGED=1
    ok "Settings: $PUT_WORDS $ENV_FILE (it still was as this script wrote it)"
    return 0
  fi
  put_file "$new" 0644 "$WORK/env" "new settings file"
  if [[ $PUT == unchanged ]]; then
    ok "Settings: kept your edited $ENV_FILE (and $new is already in place)"
  else
    warn "Settings: kept your edited $ENV_FILE; $(did write wrote) the installer's version to $new"
    note "Compare them: diff $ENV_FILE $new"
  fi
}

UNITS_CHANGED=0
SERVICE_CHANGED=0
step_unit() {
  put_file "$UNIT_FILE" 0644 "$WORK/unit" "service unit"
  if [[ $PUT != unchanged ]]; then
    UNITS_CHANGED=1
    SERVICE_CHANGED=1
  fi
  ok "Service: $PUT_WORDS $UNIT_FILE (runs as $SERVICE_USER)"
}

step_service() {
  local why=""
  if ! have "$SYSTEMCTL"; then
    warn "systemd: systemctl not found; start the server by hand: $BIN_PATH serve"
    return 0
  fi
  if ((UNITS_CHANGED)); then
    if act "$SYSTEMCTL" daemon-reload; then
      ok "systemd: $(did reload reloaded) the unit files"
    else
      warn "systemd: daemon-reload failed (is systemd running?)"
    fi
  fi
  local unit
  local units=("$UNIT_NAME")
  ((FREQ_FIX)) && units+=("$FREQ_NAME")
  for unit in "${units[@]}"; do
    if "$SYSTEMCTL" is-enabled --quiet "$unit" 2>/dev/null; then
      ok "Service: $unit already enabled"
    elif act "$SYSTEMCTL" enable --quiet "$unit"; then
      ok "Service: $(did enable enabled) $unit (starts at boot)"
    else
      fail "Service: could not enable $unit"
    fi
  done
  if ((FREQ_FIX)); then
    local verb=""
    if ((FREQ_CHANGED)); then
      verb=restart
    elif ! "$SYSTEMCTL" is-active --quiet "$FREQ_NAME" 2>/dev/null; then
      verb=start
    fi
    if [[ -z $verb ]]; then
      ok "Frequency fix: $FREQ_NAME already active"
    elif act "$SYSTEMCTL" "$verb" "$FREQ_NAME"; then
      ok "Frequency fix: $(did "$verb" "${verb}ed") $FREQ_NAME (governors set now)"
    else
      warn "Frequency fix: $FREQ_NAME failed; see journalctl -u $FREQ_NAME"
    fi
  fi

  if ((NO_START)); then
    why="--no-start"
  elif ((!LIB_OK)); then
    why="no runtime library yet"
  elif ((MODEL_COUNT == 0)); then
    why="no models yet"
  fi
  if [[ -n $why ]]; then
    skip "Start: not started ($why); start it with: sudo systemctl restart rkllm-api"
    return 0
  fi
  if ((!SERVICE_CHANGED)) && "$SYSTEMCTL" is-active --quiet "$UNIT_NAME" 2>/dev/null; then
    ok "Start: rkllm-api is running and nothing changed; not restarted"
    return 0
  fi
  if ! act "$SYSTEMCTL" restart "$UNIT_NAME"; then
    fail "Start: systemctl restart rkllm-api failed"
    note "See why: journalctl -u rkllm-api -n 50 --no-pager"
    return 0
  fi
  if ((DRY_RUN)); then
    ok "Start: would restart rkllm-api"
    return 0
  fi
  sleep "$START_CHECK_SECONDS"
  if "$SYSTEMCTL" is-active --quiet "$UNIT_NAME" 2>/dev/null; then
    ok "Start: rkllm-api is running"
  else
    fail "Start: rkllm-api did not stay up"
    note "See why: journalctl -u rkllm-api -n 50 --no-pager"
  fi
}

step_summary() {
  local ip=""
  ip=$("$HOSTNAME_CMD" -I 2>/dev/null) || ip=""
  ip=${ip%% *}
  ip=${ip//[[:space:]]/}
  [[ -n $ip ]] || ip="<board-ip>"
  echo
  echo "Connect Open WebUI: Admin Settings → Connections → OpenAI API → add a connection"
  echo "  URL:      http://$ip:$PORT/v1"
  echo "  API key:  anything (the server does not check it)"
  echo "Follow the logs:  journalctl -u rkllm-api -f"
  echo "Settings:         $ENV_FILE (then: sudo systemctl restart rkllm-api)"
  echo "Models:           $MODELS_DIR/<Model-Name>/<file>.rkllm"
  echo
  if ((DRY_RUN)); then
    echo "Dry run: nothing was changed."
  fi
  echo "Done: $WARNINGS warning(s), $PROBLEMS problem(s)."
}

# ---------------------------------------------------------------------------------------------
# Uninstall
# ---------------------------------------------------------------------------------------------
do_uninstall() {
  local path unit kind orig removed_unit=0 removed_rule=0 removed_lib=0 user=""
  local -a files=() dirs=() backups=()
  mf_load
  if ((${#MF_KIND[@]} == 0)); then
    skip "Uninstall: nothing recorded in $MANIFEST, so nothing to remove"
    for path in "$BIN_PATH" "$UNIT_FILE" "$ENV_FILE" "$UDEV_RULE" "$FREQ_UNIT" "$FREQ_SCRIPT"; do
      [[ -e $R$path ]] && note "present but not recorded (remove by hand if wanted): $path"
    done
    return 0
  fi
  if [[ -f $R$UNIT_FILE ]]; then
    user=$(sed -n 's/^User=//p' "$R$UNIT_FILE" | head -n 1)
  fi
  for path in "${!MF_KIND[@]}"; do
    case ${MF_KIND[$path]} in
      file) files+=("$path") ;;
      dir) dirs+=("$path") ;;
      backup) backups+=("$path") ;;
    esac
  done

  if have "$SYSTEMCTL"; then
    for unit in "$UNIT_NAME" "$FREQ_NAME"; do
      if [[ -n ${MF_KIND[/etc/systemd/system/$unit]:-} && -f $R/etc/systemd/system/$unit ]]; then
        if act "$SYSTEMCTL" disable --now --quiet "$unit"; then
          ok "Uninstall: $(did "stop and disable" "stopped and disabled") $unit"
        else
          warn "Uninstall: could not stop and disable $unit"
        fi
      fi
    done
  else
    warn "Uninstall: systemctl not found, so no service was stopped"
  fi

  for path in "${files[@]}"; do
    [[ $path == "$MANIFEST" ]] && continue
    if [[ ! -e $R$path ]]; then
      skip "Uninstall: already gone: $path"
    elif [[ $(sha256 "$R$path") == "${MF_SUM[$path]}" ]]; then
      act rm -f -- "$R$path"
      ok "Uninstall: $(did remove removed) $path"
      case $path in
        "$UNIT_FILE" | "$FREQ_UNIT") removed_unit=1 ;;
        "$UDEV_RULE") removed_rule=1 ;;
        "$LIB_TARGET") removed_lib=1 ;;
      esac
    else
      warn "Uninstall: kept $path: changed since it was installed (remove it by hand if unneeded)"
    fi
  done
  for path in "${backups[@]}"; do
    orig=${path%"$BACKUP_SUFFIX"}
    if [[ -e $R$path && ! -e $R$orig ]]; then
      act mv -- "$R$path" "$R$orig"
      ok "Uninstall: $(did "put back" "put back") the previous $orig (not enabled)"
      [[ $orig == "$UNIT_FILE" ]] && removed_unit=1
    elif [[ -e $R$path ]]; then
      warn "Uninstall: kept $path: $orig exists, so the saved original was not put back"
    fi
  done

  if ((removed_unit)) && have "$SYSTEMCTL"; then
    act "$SYSTEMCTL" daemon-reload || later "systemctl daemon-reload failed"
  fi
  if ((removed_rule)) && have "$UDEVADM"; then
    act "$UDEVADM" control --reload-rules || later "udevadm could not reload the rules"
  fi
  if ((removed_lib)) && have "$LDCONFIG"; then
    act "$LDCONFIG" || true
  fi
  act rm -f -- "$R$MANIFEST"
  ok "Uninstall: $(did remove removed) $MANIFEST"

  # Folders this script created, deepest first, when they are empty now.
  while IFS= read -r path; do
    [[ -n $path && -d $R$path ]] || continue
    if ((DRY_RUN)); then
      note "would remove folder $path when empty"
    elif [[ -z $(ls -A -- "$R$path") ]]; then
      rmdir -- "$R$path"
      ok "Uninstall: removed folder $path"
    else
      note "kept folder $path: not empty"
    fi
  done < <(for path in "${dirs[@]}"; do
    kind=${path//[!\/]/}
    printf '%d\t%s\n' "${#kind}" "$path"
  done | LC_ALL=C sort -t $'\t' -k 1,1nr -k 2 | cut -f 2-)
  ok "Uninstall: done"
  note "Kept: the models folder${user:+ (~$user/models)}, group memberships (render) and the render" \
    "group itself${user:+; to leave the group: sudo gpasswd -d $user render}."
  if [[ -n ${MF_KIND[$FREQ_UNIT]:-} ]]; then
    note "Governors set by the frequency fix stay until the next reboot."
  fi
  if ((DRY_RUN)); then
    echo "Dry run: nothing was changed."
  fi
}

# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------
BIN_SRC="" LIB_SRC="" SERVICE_USER="" PORT=8000 FREQ_FIX=0 NO_START=0 UNINSTALL=0 ASSUME_YES=0
SERVICE_GROUP="" HOME_DIR="" MODELS_DIR="" SUPP_GROUPS="" WORK=""

parse_args() {
  while (($#)); do
    case $1 in
      --binary | --lib | --user | --port)
        (($# >= 2)) || {
          echo "install.sh: $1 needs a value (see --help)" >&2
          exit 2
        }
        case $1 in
          --binary) BIN_SRC=$2 ;;
          --lib) LIB_SRC=$2 ;;
          --user) SERVICE_USER=$2 ;;
          --port) PORT=$2 ;;
        esac
        shift 2
        continue
        ;;
      --binary=* | --lib=* | --user=* | --port=*)
        set -- "${1%%=*}" "${1#*=}" "${@:2}"
        continue
        ;;
      --freq-fix) FREQ_FIX=1 ;;
      --no-start) NO_START=1 ;;
      --dry-run) DRY_RUN=1 ;;
      --uninstall) UNINSTALL=1 ;;
      --yes | -y) ASSUME_YES=1 ;;
      -h | --help)
        usage
        exit 0
        ;;
      *)
        echo "install.sh: unknown option '$1' (see --help)" >&2
        exit 2
        ;;
    esac
    shift
  done
}

check_root() {
  [[ -n $R ]] && return 0
  ((DRY_RUN)) && return 0
  ((EUID == 0)) && return 0
  local cmd
  cmd=$(printf ' %q' "$SCRIPT_PATH" "${ORIG_ARGS[@]}")
  die "install.sh changes system files and must run as root." \
    "Run it again with sudo:  sudo bash$cmd" \
    "(or preview every change without root: bash$cmd --dry-run)"
}

resolve_user() {
  local entry uid
  if [[ -z $SERVICE_USER ]]; then
    SERVICE_USER=${SUDO_USER:-}
    if [[ -z $SERVICE_USER || $SERVICE_USER == root ]]; then
      SERVICE_USER=$(stat -c %U -- "$SCRIPT_DIR" 2>/dev/null || true)
    fi
  fi
  if [[ -z $SERVICE_USER || $SERVICE_USER == root ]]; then
    die "no service user: the service must not run as root." \
      "Name the user whose ~/models holds the models: sudo ./install.sh --user NAME"
  fi
  entry=$("$GETENT" passwd "$SERVICE_USER" 2>/dev/null) ||
    die "user '$SERVICE_USER' does not exist" "Pass an existing login user: --user NAME"
  uid=$(cut -d: -f3 <<<"$entry")
  if [[ $uid == 0 ]]; then
    die "user '$SERVICE_USER' is root (uid 0); the service must not run as root." \
      "Pass a normal user: --user NAME"
  fi
  HOME_DIR=$(cut -d: -f6 <<<"$entry")
  [[ -n $HOME_DIR && -d $R$HOME_DIR ]] ||
    die "home folder '$HOME_DIR' of user '$SERVICE_USER' does not exist" \
      "Pass a user with a home folder: --user NAME"
  SERVICE_GROUP=$("$ID" -gn "$SERVICE_USER" 2>/dev/null) ||
    die "cannot find the primary group of '$SERVICE_USER' (id -gn failed)"
  MODELS_DIR=${HOME_DIR%/}/models
}

resolve_inputs() {
  if [[ ! $PORT =~ ^[0-9]{1,5}$ ]] || ((10#$PORT < 1 || 10#$PORT > 65535)); then
    echo "install.sh: --port needs a number from 1 to 65535, not '$PORT'" >&2
    exit 2
  fi
  PORT=$((10#$PORT))
  if [[ -z $BIN_SRC ]]; then
    if [[ -f $SCRIPT_DIR/rkllm-api ]]; then
      BIN_SRC=$SCRIPT_DIR/rkllm-api
    elif [[ -f $R$BIN_PATH ]]; then
      BIN_SRC=$R$BIN_PATH
    else
      die "no rkllm-api binary to install" \
        "Put the release binary 'rkllm-api' next to install.sh, or pass --binary PATH."
    fi
  fi
  [[ -f $BIN_SRC ]] || die "--binary: '$BIN_SRC' is not a file"
  BIN_SRC=$(absolute "$BIN_SRC")
  if [[ -n $LIB_SRC ]]; then
    [[ -f $LIB_SRC ]] || die "--lib: '$LIB_SRC' is not a file"
    LIB_SRC=$(absolute "$LIB_SRC")
  fi
  SUPP_GROUPS=render
  if "$GETENT" group video >/dev/null 2>&1; then
    SUPP_GROUPS+=" video"
  fi
}

absolute() {
  printf '%s/%s' "$(cd -- "$(dirname -- "$1")" && pwd)" "$(basename -- "$1")"
}

cleanup() {
  if [[ -n $WORK && -d $WORK ]]; then rm -rf -- "$WORK"; fi
}

main() {
  ORIG_ARGS=("$@")
  SCRIPT_PATH=${BASH_SOURCE[0]}
  SCRIPT_DIR=$(cd -- "$(dirname -- "$SCRIPT_PATH")" && pwd)
  parse_args "$@"
  setup_colors
  check_root

  if ((UNINSTALL)); then
    echo "rkllm-api uninstaller$( ((DRY_RUN)) && echo " (dry run: nothing is changed)")"
    do_uninstall
    return 0
  fi

  resolve_inputs
  resolve_user
  WORK=$(mktemp -d)
  trap cleanup EXIT
  echo "rkllm-api installer$( ((DRY_RUN)) && echo " (dry run: nothing is changed)")"
  echo "  service user: $SERVICE_USER (group $SERVICE_GROUP), models: $MODELS_DIR, port: $PORT"
  echo "  binary: $BIN_SRC${LIB_SRC:+, runtime library: $LIB_SRC}${R:+, root: $R}"
  echo

  # Read-only checks first: stopping at the board question leaves nothing behind.
  step_board
  step_driver
  mf_load
  if [[ ! -d $R$MANIFEST_DIR ]]; then
    ensure_dir "$MANIFEST_DIR"
    ok "Record: $(did create created) $MANIFEST_DIR (lists what is installed, for --uninstall)"
  fi
  mf_save
  step_library
  step_binary
  step_models
  gen_udev >"$WORK/udev"
  step_devices
  gen_freq_script >"$WORK/freq-script"
  gen_freq_unit >"$WORK/freq-unit"
  step_freq
  gen_env >"$WORK/env"
  step_env
  gen_unit >"$WORK/unit"
  step_unit
  step_service
  step_summary
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  main "$@"
fi
