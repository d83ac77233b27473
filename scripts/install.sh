#!/usr/bin/env bash
# Installs Argus Edge on a Raspberry Pi (64-bit Raspberry Pi OS / Debian, arm64) or any Debian x86-64 machine:
#   /usr/local/bin/argus-edge                      the single executable for this machine's architecture
#   /etc/argus-edge/config.yaml                    the documented defaults, written only when absent
#   /etc/systemd/system/argus-edge.service         the unit, enabled and (re)started
#   /usr/local/share/doc/argus-edge/README.md      the unit's Documentation=
# and the system user argus-edge the service runs as. Running it again upgrades the executable and the unit
# and leaves the configuration alone.
#
# Files are taken from beside this script (a release directory: argus-edge-linux-ARCH, config.yaml,
# argus-edge.service, README.md) or from a source checkout (dist/, config.yaml, systemd/, README.md).
#
#   sudo ./install.sh                  install or upgrade, enable and start
#   sudo ./install.sh --uninstall      stop and disable the service, remove the firewall rules it added,
#                                      remove the executable and the unit (configuration and state stay)
#   sudo ./install.sh --uninstall --purge   also /etc/argus-edge, its state, cache and logs, and the user
#
# Options:
#   --root DIR      install into DIR as if it were / (image building, tests): user and group go to DIR/etc,
#                   the unit is enabled with systemctl --root, and nothing is started, stopped or run
#   --binary FILE   the executable to install (default: argus-edge-linux-ARCH as described above)
#   --no-start      install and enable, but do not start (or restart) the service
set -euo pipefail

NAME=argus-edge
ROOT=/
BINARY=
UNINSTALL=0
PURGE=0
START=1

say() { printf '%s: %s\n' "$NAME install" "$*"; }
die() { printf '%s: error: %s\n' "$NAME install" "$*" >&2; exit 1; }

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case "$1" in
    --root) [ $# -ge 2 ] || die "--root needs a directory"; ROOT=$2; shift 2 ;;
    --root=*) ROOT=${1#--root=}; shift ;;
    --binary) [ $# -ge 2 ] || die "--binary needs a file"; BINARY=$2; shift 2 ;;
    --binary=*) BINARY=${1#--binary=}; shift ;;
    --uninstall) UNINSTALL=1; shift ;;
    --purge) PURGE=1; shift ;;
    --no-start) START=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
[ "$PURGE" -eq 0 ] || [ "$UNINSTALL" -eq 1 ] || die "--purge goes with --uninstall"

# ROOT without a trailing slash ("" for /), so "$R/etc" is always a clean path
R=${ROOT%/}
if [ -n "$R" ]; then
  [ -d "$R" ] || die "--root $ROOT is not a directory"
  R=$(cd "$R" && pwd)
fi
LIVE=0
[ -z "$R" ] && LIVE=1
if [ "$LIVE" -eq 1 ] && [ "$(id -u)" -ne 0 ]; then
  die "installing needs root: run 'sudo $0 $*'"
fi

BIN_PATH=/usr/local/bin/$NAME
UNIT_PATH=/etc/systemd/system/$NAME.service
CONF_DIR=/etc/$NAME
DOC_DIR=/usr/local/share/doc/$NAME
HERE=$(cd "$(dirname "$0")" && pwd)

# systemd is running (not a container or chroot without it): start/stop/reload make sense
systemd_up() { [ "$LIVE" -eq 1 ] && [ -d /run/systemd/system ]; }

# a user/group database lookup that reads DIR/etc/* under --root
has_user() {
  if [ "$LIVE" -eq 1 ]; then getent passwd "$NAME" >/dev/null; else grep -q "^$NAME:" "$R/etc/passwd" 2>/dev/null; fi
}
group_id() {
  if [ "$LIVE" -eq 1 ]; then getent group "$NAME" | cut -d: -f3; else awk -F: -v n="$NAME" '$1 == n { print $3 }' "$R/etc/group"; fi
}

# root:argus-edge ownership (skipped when an unprivileged user fills a --root tree)
own() { if [ "$(id -u)" -eq 0 ]; then chown "0:$1" "$2"; fi; }

first_file() {
  for f in "$@"; do
    if [ -f "$f" ]; then printf '%s\n' "$f"; return 0; fi
  done
  return 1
}

machine_arch() {
  case "$(uname -m)" in
    x86_64|amd64) echo x64 ;;
    aarch64|arm64) echo arm64 ;;
    armv6l|armv7l|armhf) die "this is 32-bit ARM ($(uname -m)); Argus Edge needs the 64-bit Raspberry Pi OS (a Pi 3, 4 or 5)" ;;
    *) die "unsupported architecture $(uname -m) (x86_64 and aarch64 are built)" ;;
  esac
}

uninstall() {
  if systemd_up && systemctl is-active --quiet "$NAME.service"; then
    say "stopping $NAME.service"
    systemctl stop "$NAME.service"
  fi
  if [ -f "$R$UNIT_PATH" ]; then
    say "disabling $NAME.service"
    if [ "$LIVE" -eq 1 ]; then systemctl disable --quiet "$NAME.service" 2>/dev/null || true
    else systemctl --root="$R" disable --quiet "$NAME.service" 2>/dev/null || rm -f "$R/etc/systemd/system/multi-user.target.wants/$NAME.service"; fi
  fi
  if [ -x "$R$BIN_PATH" ]; then
    if [ "$LIVE" -eq 1 ]; then
      # quarantine rules must not outlive the appliance that manages them
      say "removing the firewall rules Argus Edge added"
      "$BIN_PATH" firewall --remove || say "warning: 'argus-edge firewall --remove' failed; check 'iptables -S' and 'ipset list' for argus-edge entries"
    else
      say "--root: not running 'argus-edge firewall --remove' (the firewall is this machine's, not the image's)"
    fi
  fi
  rm -f "$R$BIN_PATH" "$R$UNIT_PATH"
  rm -rf "$R$DOC_DIR"
  if systemd_up; then systemctl daemon-reload; fi
  say "removed $BIN_PATH and $UNIT_PATH"
  if [ "$PURGE" -eq 1 ]; then
    rm -rf "$R$CONF_DIR" "$R/var/lib/$NAME" "$R/var/cache/$NAME" "$R/var/log/$NAME"
    if has_user; then
      if [ "$LIVE" -eq 1 ]; then userdel "$NAME"; else userdel --prefix "$R" "$NAME"; fi
      say "removed the user $NAME"
    fi
    say "purged $CONF_DIR and the state in /var/lib/$NAME, /var/cache/$NAME, /var/log/$NAME"
  else
    say "kept $CONF_DIR and /var/lib/$NAME (--uninstall --purge removes them)"
  fi
}

install_all() {
  local arch bin unit conf readme tmp gid
  arch=$(machine_arch)
  if [ -n "$BINARY" ]; then
    bin=$BINARY
    [ -f "$bin" ] || die "--binary $bin does not exist"
  else
    bin=$(first_file "$HERE/$NAME-linux-$arch" "$HERE/../dist/$NAME-linux-$arch") ||
      die "no $NAME-linux-$arch beside this script or in ../dist (build it with 'npm run build:sea', or pass --binary)"
  fi
  unit=$(first_file "$HERE/$NAME.service" "$HERE/../systemd/$NAME.service") || die "$NAME.service not found beside this script or in ../systemd"
  conf=$(first_file "$HERE/config.yaml" "$HERE/../config.yaml") || die "config.yaml not found beside this script or in .."
  [ -s "$conf" ] || die "$conf is empty"
  readme=$(first_file "$HERE/README.md" "$HERE/../README.md") || readme=
  grep -q "^ExecStart=$BIN_PATH " "$unit" || die "$unit does not start $BIN_PATH"

  # a wrong-architecture or damaged download must not replace a working install
  if [ "$LIVE" -eq 1 ]; then
    tmp=$(mktemp -d)
    if ! XDG_CACHE_HOME=$tmp CACHE_DIRECTORY= "$bin" --version >"$tmp/version" 2>&1; then
      cat "$tmp/version" >&2; rm -rf "$tmp"
      die "$bin does not run on this machine"
    fi
    say "installing $(head -n1 "$tmp/version") ($arch)"
    rm -rf "$tmp"
  else
    say "installing $bin into $R"
  fi

  if has_user; then
    say "user $NAME exists"
  else
    # a system user without a login or home of its own; systemd creates /var/lib/argus-edge (StateDirectory=)
    local args=(--system --user-group --no-create-home --home-dir "/var/lib/$NAME" --shell /usr/sbin/nologin --comment "Argus Edge appliance")
    if [ "$LIVE" -eq 1 ]; then useradd "${args[@]}" "$NAME"; else useradd --prefix "$R" "${args[@]}" "$NAME"; fi
    say "created the system user $NAME"
  fi
  gid=$(group_id)
  [ -n "$gid" ] || die "the group $NAME does not exist"

  mkdir -p "$R/usr/local/bin" "$R/etc/systemd/system"
  # copy then rename: a running service keeps its old executable until restarted
  install -m 0755 "$bin" "$R$BIN_PATH.new"
  mv -f "$R$BIN_PATH.new" "$R$BIN_PATH"
  say "installed $BIN_PATH"

  install -d -m 0750 "$R$CONF_DIR"
  own "$gid" "$R$CONF_DIR"
  if [ -e "$R$CONF_DIR/config.yaml" ]; then
    say "kept the existing $CONF_DIR/config.yaml (the shipped defaults are in $CONF_DIR/config.yaml.default)"
  else
    install -m 0640 "$conf" "$R$CONF_DIR/config.yaml"
    own "$gid" "$R$CONF_DIR/config.yaml"
    say "wrote $CONF_DIR/config.yaml with the documented defaults"
  fi
  install -m 0644 "$conf" "$R$CONF_DIR/config.yaml.default"

  if [ -n "$readme" ]; then
    install -d -m 0755 "$R$DOC_DIR"
    install -m 0644 "$readme" "$R$DOC_DIR/README.md"
  fi

  install -m 0644 "$unit" "$R$UNIT_PATH"
  if [ "$LIVE" -eq 1 ]; then
    if systemd_up; then systemctl daemon-reload; fi
    systemctl enable --quiet "$NAME.service"
  else
    systemctl --root="$R" enable --quiet "$NAME.service"
  fi
  say "installed and enabled $NAME.service"

  if [ "$START" -eq 0 ] || [ "$LIVE" -eq 0 ]; then
    say "not starting the service (--no-start or --root)"
  elif ! systemd_up; then
    say "systemd is not running here; the service starts at the next boot"
  else
    systemctl restart "$NAME.service"
    say "started $NAME.service: 'systemctl status $NAME' and 'journalctl -u $NAME -f' show how it runs"
  fi
  say "done. Edit $CONF_DIR/config.yaml (interfaces, mode), then 'sudo systemctl restart $NAME'"
}

if [ "$UNINSTALL" -eq 1 ]; then uninstall; else install_all; fi
