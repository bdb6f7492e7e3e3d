#!/bin/sh
# Install MCIAS on a systemd host. Run as root from a source checkout after
# `npm run build` (or point MCIAS_BIN at a release binary). Idempotent: run it again
# to upgrade the binary, unit and man pages; an existing config or env file is never
# overwritten (the new example is written beside it as *.new). It does not start or
# restart the service.
#
# Environment:
#   MCIAS_BIN   binary to install (default: bin/mcias of this checkout)
#   DESTDIR     install under this root instead of / (packaging, tests)
#   MCIAS_NO_USER=1  skip creating the mcias user and all chown calls (implied when
#               not run as root)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
bin=${MCIAS_BIN:-$top/bin/mcias}
root=${DESTDIR:-}
no_user=${MCIAS_NO_USER:-0}
[ "$(id -u)" -eq 0 ] || no_user=1

say() { printf '%s\n' "$*"; }
die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }

[ -x "$bin" ] || die "no executable at $bin (run 'npm run build' or set MCIAS_BIN)"
for f in mcias.service mcias.conf.example mcias.env.example; do
  [ -f "$here/$f" ] || die "missing $here/$f"
done

# 1. Service user: a system account with no shell and no login.
if [ "$no_user" -eq 0 ]; then
  if ! getent group mcias >/dev/null 2>&1; then
    groupadd --system mcias
  fi
  if ! getent passwd mcias >/dev/null 2>&1; then
    useradd --system --gid mcias --home-dir /srv/mcias --no-create-home \
      --shell /usr/sbin/nologin --comment "MCIAS identity server" mcias
  fi
fi

# own OWNER PATH: chown unless user handling is off.
own() {
  if [ "$no_user" -eq 0 ]; then chown "$1" "$2"; fi
}

# 2. Binary, unit, man pages, runbook (always replaced: they belong to the release).
install -d -m 0755 "$root/usr/local/bin" "$root/etc/systemd/system" \
  "$root/usr/local/share/man/man1" "$root/usr/local/share/doc/mcias" "$root/etc/sysctl.d"
install -m 0755 "$bin" "$root/usr/local/bin/mcias.tmp"
mv -f "$root/usr/local/bin/mcias.tmp" "$root/usr/local/bin/mcias"
install -m 0644 "$here/mcias.service" "$root/etc/systemd/system/mcias.service"
for page in "$top"/man/man1/*.1; do
  [ -f "$page" ] || continue
  install -m 0644 "$page" "$root/usr/local/share/man/man1/$(basename "$page")"
done
for f in mcias.conf.example mcias-dev.conf.example mcias.conf.docker.example mcias.env.example; do
  install -m 0644 "$here/$f" "$root/usr/local/share/doc/mcias/$f"
done
if [ -f "$top/docs/RUNBOOK.md" ]; then
  install -m 0644 "$top/docs/RUNBOOK.md" "$root/usr/local/share/doc/mcias/RUNBOOK.md"
fi
# Lets a SIGHUP certificate swap hand queued connections to the new listener instead
# of resetting them (Linux >= 5.14). Takes effect at boot or with `sysctl --system`.
printf '%s\n' '# MCIAS: migrate queued TCP connections between SO_REUSEPORT listeners' \
  'net.ipv4.tcp_migrate_req = 1' >"$root/etc/sysctl.d/60-mcias.conf"
chmod 0644 "$root/etc/sysctl.d/60-mcias.conf"

# 3. Data directory: only mcias (and root) may enter.
install -d -m 0750 "$root/srv/mcias"
own mcias:mcias "$root/srv/mcias"

# place SRC DEST MODE OWNER: install a config file unless one exists; then write
# DEST.new when the example differs from what is there.
place() {
  if [ ! -e "$2" ]; then
    install -m "$3" "$1" "$2"
    own "$4" "$2"
    say "installed $2"
  elif ! cmp -s "$1" "$2"; then
    install -m "$3" "$1" "$2.new"
    own "$4" "$2.new"
    say "kept $2 (the new example is $2.new)"
  fi
}
# The config holds no secret: root-owned so the service cannot rewrite it.
place "$here/mcias.conf.example" "$root/srv/mcias/mcias.toml" 0640 root:mcias
# The env file may hold the passphrase: systemd reads it as root.
place "$here/mcias.env.example" "$root/srv/mcias/env" 0600 root:root

if [ -z "$root" ] && command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
fi

cat <<NEXT

MCIAS installed ($("$root/usr/local/bin/mcias" version 2>/dev/null || echo "mcias")).
The service is NOT started. Next steps (docs: $root/usr/local/share/doc/mcias/RUNBOOK.md):
  1. Edit /srv/mcias/mcias.toml (at least tokens.issuer; see man mcias).
  2. Put the TLS certificate and key at /srv/mcias/server.crt and server.key
     (owner mcias, key mode 0600).
  3. Master key: set MCIAS_MASTER_PASSPHRASE in /srv/mcias/env, leave it unset to
     unseal by hand, or switch the config to a keyfile.
  4. Check and bootstrap (as the mcias user):
       runuser -u mcias -- mcias serve --check-config --config /srv/mcias/mcias.toml
       runuser -u mcias -- mcias db schema migrate --config /srv/mcias/mcias.toml
       runuser -u mcias -- mcias db account create --username admin --type human --config /srv/mcias/mcias.toml
       runuser -u mcias -- mcias db role grant --username admin --role admin --config /srv/mcias/mcias.toml
  5. sysctl --system && systemctl enable --now mcias && journalctl -u mcias -f
NEXT
