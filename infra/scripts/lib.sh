#!/usr/bin/env bash
# shellcheck shell=bash
#
# Shared helpers for infra/scripts/*.sh and .ci/run. Source it:
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# or run one helper directly: `bash infra/scripts/lib.sh ensure_nats`.
# Everything is safe under `set -euo pipefail`, idempotent, and silent when there is nothing to do.
#
# Environment read (all optional):
#   PG_ADMIN_URL        superuser URL (default postgres://postgres@127.0.0.1:5432/postgres); exported
#   VIGIL_PG_PORT       port of the private cluster in .vigil/pg (default 54329)
#   NATS_PORT           client port of NATS (default 4222); NATS_MONITOR_PORT (default 8222)
#   NATS_SERVER_BIN     nats-server binary to use
#   VIGIL_VERBOSE=1     say what is already fine, too
#
# State lives in <repo>/.vigil (git-ignored): logs/, pids/, nats/, pg/, bin/.

VIGIL_PNPM_VERSION="10.34.8"
VIGIL_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VIGIL_STATE="$VIGIL_ROOT/.vigil"
VIGIL_LOG_DIR="$VIGIL_STATE/logs"
VIGIL_PID_DIR="$VIGIL_STATE/pids"
VIGIL_DEFAULT_PG_ADMIN_URL="postgres://postgres@127.0.0.1:5432/postgres"

# Turbo must not phone home (telemetry, update checks): this repo talks to loopback only.
export TURBO_TELEMETRY_DISABLED=1 TURBO_NO_UPDATE_NOTIFIER=1 DO_NOT_TRACK=1

# A private PATH entry for shims (the npx fallback of pnpm) and PostgreSQL's bindir.
case ":$PATH:" in *":$VIGIL_STATE/bin:"*) ;; *) [[ -d "$VIGIL_STATE/bin" ]] && PATH="$VIGIL_STATE/bin:$PATH" ;; esac
export PATH

# ---------------------------------------------------------------------------------------------
# logging

log() { printf '[vigil] %s\n' "$*" >&2; }
vlog() { if [[ "${VIGIL_VERBOSE:-}" == 1 ]]; then log "$@"; fi; return 0; }
warn() { printf '[vigil] warning: %s\n' "$*" >&2; }
die() { printf '[vigil] error: %s\n' "$*" >&2; exit 1; }

# Last lines of a log file, indented, to stderr.
vigil_tail_log() { # file [lines]
  local file="$1" n="${2:-30}"
  if [[ -r "$file" ]]; then
    printf '[vigil] --- last %s lines of %s ---\n' "$n" "${file#"$VIGIL_ROOT"/}" >&2
    tail -n "$n" "$file" | sed 's/^/    /' >&2
  fi
}

# A URL with its password replaced by ***.
vigil_redact_url() { printf '%s\n' "$1" | sed -E 's#(://[^:/@]*):[^@/]*@#\1:***@#'; }

vigil_is_root() { [[ "$(id -u)" -eq 0 ]]; }

vigil_state_dirs() { mkdir -p "$VIGIL_LOG_DIR" "$VIGIL_PID_DIR"; }

# ---------------------------------------------------------------------------------------------
# processes

# True when something accepts TCP connections on host:port.
vigil_port_open() { # host port
  if command -v timeout >/dev/null 2>&1; then
    timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null
  else
    bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null
  fi
}

# Waits until host:port accepts connections; fails after `seconds`, or early if `pid` dies.
vigil_wait_port() { # host port seconds [pid]
  local host="$1" port="$2" seconds="$3" pid="${4:-}" i
  for ((i = 0; i < seconds * 10; i++)); do
    vigil_port_open "$host" "$port" && return 0
    if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    sleep 0.1
  done
  return 1
}

# The pid named by a pid file, if that process is alive (and its command line contains `pattern`,
# which guards against a recycled pid). Prints the pid.
vigil_pidfile_alive() { # pidfile [pattern]
  local pidfile="$1" pattern="${2:-}" pid
  [[ -s "$pidfile" ]] || return 1
  pid="$(tr -dc '0-9' <"$pidfile")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  if [[ -n "$pattern" && -r "/proc/$pid/cmdline" ]]; then
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$pattern" || return 1
  fi
  printf '%s\n' "$pid"
}

# Starts `cmd...` in the background, in its own session (a Ctrl-C in the terminal does not reach
# it; the scripts stop it by pid), stdin from /dev/null, stdout+stderr appended to `logfile`.
# The child writes its own pid (the exec keeps it) to <pid dir>/<name>.pid. Prints the pid.
vigil_spawn() { # name logfile cmd...
  local name="$1" logfile="$2" pidfile i pid
  shift 2
  vigil_state_dirs
  pidfile="$VIGIL_PID_DIR/$name.pid"
  rm -f "$pidfile" "$pidfile.tmp"
  printf '=== %s: starting %s ===\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >>"$logfile"
  local runner=()
  if command -v setsid >/dev/null 2>&1; then runner=(setsid); fi
  # shellcheck disable=SC2016
  "${runner[@]}" bash -c 'echo $$ >"$0.tmp" && mv -f "$0.tmp" "$0" && exec "$@"' "$pidfile" "$@" \
    </dev/null >>"$logfile" 2>&1 &
  for ((i = 0; i < 100; i++)); do
    if [[ -s "$pidfile" ]]; then
      pid="$(tr -dc '0-9' <"$pidfile")"
      [[ -n "$pid" ]] && { printf '%s\n' "$pid"; return 0; }
    fi
    sleep 0.05
  done
  die "could not start $name (no pid file after 5 s); see ${logfile#"$VIGIL_ROOT"/}"
}

# SIGTERM, up to `grace` seconds, then SIGKILL. Only the given pid.
vigil_stop_pid() { # pid label [grace]
  local pid="$1" label="$2" grace="${3:-15}" i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || { log "stopped $label (pid $pid)"; return 0; }
    sleep 0.1
  done
  warn "$label (pid $pid) ignored SIGTERM for ${grace}s; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
}

# Stops the process a pid file names (if alive and matching `pattern`) and removes the file.
vigil_stop_pidfile() { # pidfile label [pattern] [grace]
  local pidfile="$1" label="$2" pattern="${3:-}" grace="${4:-15}" pid
  if pid="$(vigil_pidfile_alive "$pidfile" "$pattern")"; then
    vigil_stop_pid "$pid" "$label" "$grace"
  fi
  rm -f "$pidfile"
}

# ---------------------------------------------------------------------------------------------
# apt (Debian/Ubuntu), used only when something is missing

vigil_apt_install() { # package...
  if ! command -v apt-get >/dev/null 2>&1; then
    log "$* is not installed and this is not a Debian/Ubuntu machine; install it with your package manager."
    return 1
  fi
  if ! vigil_is_root; then
    log "$* is not installed. Install it with:"
    printf 'sudo apt-get install -y %s\n' "$*" >&2
    return 1
  fi
  if [[ -z "${_VIGIL_APT_UPDATED:-}" ]]; then
    log "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 || return 1
    export _VIGIL_APT_UPDATED=1
  fi
  log "apt-get install -y $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >&2
}

# ---------------------------------------------------------------------------------------------
# pnpm, dependencies, build

_vigil_pnpm_ok() { [[ "$(pnpm --version 2>/dev/null)" == "$VIGIL_PNPM_VERSION" ]]; }

# pnpm $VIGIL_PNPM_VERSION on PATH: already there, or `npm i -g`, or (when a global install is
# not permitted) a shim in .vigil/bin that runs `npx -y pnpm@<version>`.
ensure_pnpm() {
  if [[ -n "${_VIGIL_PNPM_READY:-}" ]] && command -v pnpm >/dev/null 2>&1; then return 0; fi
  if ! _vigil_pnpm_ok; then
    command -v npm >/dev/null 2>&1 || die "npm is not on PATH; install Node.js 20 (with npm) first"
    # npm's global bin may simply be missing from PATH (e.g. a custom prefix).
    local gbin
    gbin="$(npm prefix -g 2>/dev/null)/bin"
    case ":$PATH:" in *":$gbin:"*) ;; *) [[ -x "$gbin/pnpm" ]] && export PATH="$PATH:$gbin" ;; esac
  fi
  if ! _vigil_pnpm_ok; then
    log "installing pnpm@$VIGIL_PNPM_VERSION (npm i -g pnpm@$VIGIL_PNPM_VERSION)"
    local out
    if out="$(npm i -g "pnpm@$VIGIL_PNPM_VERSION" --no-fund --no-audit --loglevel=error 2>&1)"; then
      hash -r
      case ":$PATH:" in *":$gbin:"*) ;; *) export PATH="$gbin:$PATH" ;; esac
    else
      log "global install not permitted ($(printf '%s' "$out" | grep -m1 -E 'EACCES|EPERM|ERR' || echo 'npm i -g failed'))"
    fi
  fi
  if ! _vigil_pnpm_ok; then
    log "using npx -y pnpm@$VIGIL_PNPM_VERSION instead (shim in .vigil/bin/pnpm)"
    mkdir -p "$VIGIL_STATE/bin"
    cat >"$VIGIL_STATE/bin/pnpm" <<EOF
#!/usr/bin/env bash
exec npx -y --loglevel=error "pnpm@$VIGIL_PNPM_VERSION" "\$@"
EOF
    chmod +x "$VIGIL_STATE/bin/pnpm"
    case ":$PATH:" in *":$VIGIL_STATE/bin:"*) ;; *) export PATH="$VIGIL_STATE/bin:$PATH" ;; esac
    hash -r
    _vigil_pnpm_ok || die "could not run pnpm@$VIGIL_PNPM_VERSION (npm i -g and npx both failed)"
  fi
  export _VIGIL_PNPM_READY=1
}

vigil_lock_hash() {
  local lock="$VIGIL_ROOT/pnpm-lock.yaml"
  [[ -f "$lock" ]] || die "pnpm-lock.yaml is missing in $VIGIL_ROOT"
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$lock" | cut -d' ' -f1
  else
    node -e 'const c=require("crypto"),f=require("fs");console.log(c.createHash("sha256").update(f.readFileSync(process.argv[1])).digest("hex"))' "$lock"
  fi
}

# Unconditional `pnpm install --frozen-lockfile`; records the lockfile hash afterwards.
install_deps() {
  ensure_pnpm
  local hash
  hash="$(vigil_lock_hash)"
  log "installing dependencies (pnpm install --frozen-lockfile)"
  # confirmModulesPurge=false: never stop to ask (no TTY in CI) when node_modules must be rebuilt.
  (cd "$VIGIL_ROOT" && pnpm install --frozen-lockfile --config.confirmModulesPurge=false)
  printf '%s\n' "$hash" >"$VIGIL_ROOT/node_modules/.vigil-lock-hash"
}

# `pnpm install --frozen-lockfile` when node_modules is missing or was installed from another
# pnpm-lock.yaml (hash kept in node_modules/.vigil-lock-hash).
ensure_deps() {
  local want have=""
  want="$(vigil_lock_hash)"
  [[ -r "$VIGIL_ROOT/node_modules/.vigil-lock-hash" ]] && have="$(cat "$VIGIL_ROOT/node_modules/.vigil-lock-hash")"
  if [[ -d "$VIGIL_ROOT/node_modules" && "$want" == "$have" ]]; then
    vlog "dependencies up to date"
    return 0
  fi
  install_deps
}

build_all() {
  ensure_pnpm
  local logs=errors-only
  [[ "${VIGIL_VERBOSE:-}" == 1 ]] && logs=new-only
  log "building (pnpm exec turbo run build)"
  (cd "$VIGIL_ROOT" && pnpm exec turbo run build --ui=stream --output-logs="$logs") ||
    die "build failed (pnpm exec turbo run build)"
}

# ---------------------------------------------------------------------------------------------
# NATS

# Sets and exports NATS_SERVER_BIN; installs nats-server from Debian when missing (root only).
ensure_nats_binary() {
  if [[ -n "${NATS_SERVER_BIN:-}" ]]; then
    [[ -x "$NATS_SERVER_BIN" ]] || die "NATS_SERVER_BIN=$NATS_SERVER_BIN is not an executable file"
    return 0
  fi
  local bin=""
  bin="$(command -v nats-server 2>/dev/null || true)"
  [[ -z "$bin" && -x /usr/sbin/nats-server ]] && bin=/usr/sbin/nats-server
  if [[ -z "$bin" ]]; then
    vigil_apt_install nats-server || die "nats-server is required (the stack and the tests run it)"
    bin="$(command -v nats-server 2>/dev/null || true)"
    [[ -z "$bin" && -x /usr/sbin/nats-server ]] && bin=/usr/sbin/nats-server
    [[ -n "$bin" ]] || die "apt-get installed nats-server but no nats-server binary was found"
  fi
  export NATS_SERVER_BIN="$bin"
}

# Something answers on 127.0.0.1:$NATS_PORT, or a nats-server with JetStream is started there
# (state in .vigil/nats, log .vigil/logs/nats.log, pid .vigil/pids/nats.pid). Sets
# VIGIL_STARTED_NATS to the pid when this call started it.
ensure_nats() {
  local port="${NATS_PORT:-4222}" mport="${NATS_MONITOR_PORT:-8222}" name="nats" pid
  if vigil_port_open 127.0.0.1 "$port"; then
    vlog "NATS answers on 127.0.0.1:$port"
    return 0
  fi
  ensure_nats_binary
  # The default port keeps the plain names; another port gets its own store and pid file.
  [[ "$port" == 4222 ]] || name="nats-$port"
  vigil_state_dirs
  mkdir -p "$VIGIL_STATE/$name"
  local args=(-a 127.0.0.1 -p "$port")
  if vigil_port_open 127.0.0.1 "$mport"; then
    warn "port $mport is taken; starting NATS without its monitoring endpoint"
  else
    args+=(-m "$mport")
  fi
  args+=(-js -sd "$VIGIL_STATE/$name")
  log "starting nats-server on 127.0.0.1:$port (JetStream store .vigil/$name)"
  pid="$(vigil_spawn "$name" "$VIGIL_LOG_DIR/$name.log" "$NATS_SERVER_BIN" "${args[@]}")"
  if ! vigil_wait_port 127.0.0.1 "$port" 15 "$pid"; then
    vigil_tail_log "$VIGIL_LOG_DIR/$name.log" 20
    kill -0 "$pid" 2>/dev/null && vigil_stop_pid "$pid" "nats-server"
    rm -f "$VIGIL_PID_DIR/$name.pid"
    die "nats-server did not start on 127.0.0.1:$port"
  fi
  export VIGIL_STARTED_NATS="$pid"
}

stop_nats() { # stops every nats-server named by .vigil/pids/nats*.pid
  local f
  for f in "$VIGIL_PID_DIR"/nats.pid "$VIGIL_PID_DIR"/nats-*.pid; do
    [[ -e "$f" ]] || continue
    vigil_stop_pidfile "$f" "nats-server" "nats-server"
  done
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL

# The newest PostgreSQL server bindir (initdb, pg_ctl, postgres), or fail.
vigil_pg_bindir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -V -r); do
    [[ -x "$d/initdb" && -x "$d/pg_ctl" ]] && { printf '%s\n' "$d"; return 0; }
  done
  if command -v initdb >/dev/null 2>&1; then
    d="$(dirname "$(readlink -f "$(command -v initdb)")")"
    [[ -x "$d/pg_ctl" ]] && { printf '%s\n' "$d"; return 0; }
  fi
  if command -v pg_config >/dev/null 2>&1; then
    d="$(pg_config --bindir 2>/dev/null || true)"
    [[ -n "$d" && -x "$d/initdb" ]] && { printf '%s\n' "$d"; return 0; }
  fi
  return 1
}

_vigil_pg_path() { # puts the server bindir on PATH (psql, pg_isready live there too)
  local d
  if d="$(vigil_pg_bindir)"; then
    case ":$PATH:" in *":$d:"*) ;; *) export PATH="$PATH:$d" ;; esac
  fi
}

# True when `url` connects as a superuser. psql when installed, else node + pg from the workspace.
vigil_pg_superuser_ok() { # url
  local url="$1" out
  if command -v psql >/dev/null 2>&1; then
    out="$(PGCONNECT_TIMEOUT=5 psql -w -X -A -t -q -d "$url" \
      -c 'select rolsuper from pg_roles where rolname = current_user' 2>/dev/null </dev/null)" || return 1
    [[ "$out" == t ]]
  else
    (cd "$VIGIL_ROOT" && node -e '
      let pg; try { pg = require(require.resolve("pg", { paths: ["packages/db"] })); } catch { process.exit(1); }
      const c = new pg.Client({ connectionString: process.argv[1], connectionTimeoutMillis: 5000 });
      c.on("error", () => {});
      c.connect().then(() => c.query("select rolsuper from pg_roles where rolname = current_user"))
        .then((r) => { process.exitCode = r.rows[0] && r.rows[0].rolsuper ? 0 : 1; }, () => { process.exitCode = 1; })
        .finally(() => c.end().catch(() => {}));' "$url") >/dev/null 2>&1
  fi
}

# Runs a command as the cluster owner: `postgres` when we are root, else ourselves.
# From / so that a cwd the postgres user may not read does not matter.
vigil_as_pg_owner() {
  if vigil_is_root; then
    getent passwd postgres >/dev/null || die "no 'postgres' user on this machine (PostgreSQL refuses to run as root)"
    if command -v runuser >/dev/null 2>&1; then
      (cd / && runuser -u postgres -- "$@")
    else
      (cd / && su -s /bin/sh postgres -c "$(printf '%q ' "$@")")
    fi
  else
    (cd / && "$@")
  fi
}

# Data directory of the private cluster: .vigil/pg, unless (as root) the postgres user cannot
# reach the repository (e.g. under /root); then /var/lib/postgresql/vigil-<hash>, remembered in
# .vigil/pg.datadir.
vigil_private_pg_datadir() {
  local d="$VIGIL_STATE/pg"
  if [[ -s "$VIGIL_STATE/pg.datadir" ]]; then cat "$VIGIL_STATE/pg.datadir"; return 0; fi
  mkdir -p "$VIGIL_STATE"
  if vigil_is_root && getent passwd postgres >/dev/null && ! vigil_as_pg_owner test -x "$VIGIL_STATE"; then
    d="$(getent passwd postgres | cut -d: -f6)/vigil-$(printf '%s' "$VIGIL_ROOT" | cksum | cut -d' ' -f1)"
    printf '%s\n' "$d" >"$VIGIL_STATE/pg.datadir"
  fi
  printf '%s\n' "$d"
}

# Initialises (once) and starts the private cluster; exports PG_ADMIN_URL for it.
vigil_private_pg_start() {
  local bindir datadir port url
  bindir="$(vigil_pg_bindir)" || die "PostgreSQL server binaries (initdb, pg_ctl) not found"
  port="${VIGIL_PG_PORT:-54329}"
  url="postgres://postgres@127.0.0.1:$port/postgres"
  datadir="$(vigil_private_pg_datadir)"
  if [[ ! -s "$datadir/PG_VERSION" ]]; then
    log "creating a private PostgreSQL cluster in $datadir (port $port, trust auth on 127.0.0.1)"
    mkdir -p "$datadir"
    if vigil_is_root; then chown postgres:postgres "$datadir"; fi
    chmod 700 "$datadir"
    vigil_as_pg_owner "$bindir/initdb" -D "$datadir" -U postgres --auth=trust --no-locale -E UTF8 \
      >"$VIGIL_STATE/initdb.log" 2>&1 || { vigil_tail_log "$VIGIL_STATE/initdb.log" 20; die "initdb failed"; }
    # TCP on loopback only, no unix socket (its path may be too long or not writable).
    printf "\n# added by infra/scripts/lib.sh\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\n" \
      >>"$datadir/postgresql.conf"
  fi
  mkdir -p "$VIGIL_LOG_DIR"
  ln -sfn "$datadir/server.log" "$VIGIL_LOG_DIR/postgres.log"
  if ! vigil_as_pg_owner "$bindir/pg_ctl" -D "$datadir" status >/dev/null 2>&1; then
    if vigil_port_open 127.0.0.1 "$port"; then
      die "port $port is used by another program; set VIGIL_PG_PORT to a free port"
    fi
    log "starting the private PostgreSQL cluster on 127.0.0.1:$port"
    vigil_as_pg_owner "$bindir/pg_ctl" -D "$datadir" -l "$datadir/server.log" -o "-p $port" -w -t 60 start \
      >/dev/null 2>&1 || { vigil_tail_log "$VIGIL_LOG_DIR/postgres.log" 30; die "the private PostgreSQL cluster did not start"; }
    export VIGIL_STARTED_PG="$datadir"
  fi
  local i
  for ((i = 0; i < 60; i++)); do
    "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -t 1 && break
    sleep 0.5
  done
  vigil_pg_superuser_ok "$url" || die "the private PostgreSQL cluster on port $port refuses $url"
  export PG_ADMIN_URL="$url"
}

stop_private_postgres() {
  local datadir bindir
  datadir="$(vigil_private_pg_datadir)"
  [[ -s "$datadir/postmaster.pid" ]] || return 0
  bindir="$(vigil_pg_bindir)" || return 0
  if vigil_as_pg_owner "$bindir/pg_ctl" -D "$datadir" status >/dev/null 2>&1; then
    vigil_as_pg_owner "$bindir/pg_ctl" -D "$datadir" -m fast -w -t 60 stop >/dev/null &&
      log "stopped the private PostgreSQL cluster ($datadir)"
  fi
}

_vigil_url_port() { node -e 'try { console.log(new URL(process.argv[1]).port || 5432) } catch { console.log(5432) }' "$1"; }

# A superuser connection for PG_ADMIN_URL (exported), in this order: the URL as given; the
# private cluster if one was created before; install PostgreSQL (root, Debian) if missing; start
# the system cluster if it is down; a new private cluster in .vigil/pg on 127.0.0.1:54329.
ensure_postgres() {
  local url="${PG_ADMIN_URL:-$VIGIL_DEFAULT_PG_ADMIN_URL}"
  _vigil_pg_path
  if vigil_pg_superuser_ok "$url"; then
    export PG_ADMIN_URL="$url"
    vlog "PostgreSQL superuser connection ok"
    return 0
  fi
  # A private cluster from an earlier run.
  local datadir
  datadir="$(vigil_private_pg_datadir)"
  if [[ -s "$datadir/PG_VERSION" ]]; then
    vlog "no superuser connection at $(vigil_redact_url "$url"); using the private cluster in $datadir"
    vigil_private_pg_start
    return 0
  fi
  log "no superuser connection to PostgreSQL at $(vigil_redact_url "$url")"
  if ! vigil_pg_bindir >/dev/null || ! command -v psql >/dev/null 2>&1; then
    vigil_apt_install postgresql || die "PostgreSQL 15 is required (the stack and the tests use it)"
    _vigil_pg_path
  fi
  if command -v pg_lsclusters >/dev/null 2>&1; then
    local want_port started=0 ver name cport status
    want_port="$(_vigil_url_port "$url")"
    while read -r ver name cport status _; do
      [[ "$name" == main && "$status" == down* && "$cport" == "$want_port" ]] || continue
      log "starting the system PostgreSQL cluster $ver/main (pg_ctlcluster)"
      if pg_ctlcluster --skip-systemctl-redirect "$ver" main start >&2; then started=1; else warn "pg_ctlcluster $ver main start failed"; fi
    done < <(pg_lsclusters --no-header 2>/dev/null || true)
    if [[ "$started" == 1 ]]; then
      local i
      for ((i = 0; i < 30; i++)); do
        vigil_pg_superuser_ok "$url" && break
        sleep 0.5
      done
    fi
    if vigil_pg_superuser_ok "$url"; then
      export PG_ADMIN_URL="$url"
      return 0
    fi
  fi
  log "no superuser access over TCP with $(vigil_redact_url "$url"); using a private cluster instead"
  vigil_private_pg_start
}

# Stops what ensure_nats / ensure_postgres started in this shell (VIGIL_STARTED_*).
stop_started_infra() {
  if [[ -n "${VIGIL_STARTED_NATS:-}" ]]; then
    vigil_stop_pid "$VIGIL_STARTED_NATS" "nats-server"
    local f
    for f in "$VIGIL_PID_DIR"/nats.pid "$VIGIL_PID_DIR"/nats-*.pid; do
      [[ -e "$f" && "$(tr -dc '0-9' <"$f")" == "$VIGIL_STARTED_NATS" ]] && rm -f "$f"
    done
    unset VIGIL_STARTED_NATS
  fi
  if [[ -n "${VIGIL_STARTED_PG:-}" ]]; then
    stop_private_postgres
    unset VIGIL_STARTED_PG
  fi
  return 0
}

# ---------------------------------------------------------------------------------------------
# `bash infra/scripts/lib.sh <function>` runs one helper (for checks by hand).
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  case "${1:-}" in
    ensure_pnpm | ensure_deps | install_deps | build_all | ensure_nats | ensure_nats_binary | ensure_postgres | stop_nats | stop_private_postgres)
      "$1"
      case "$1" in
        ensure_postgres) printf 'PG_ADMIN_URL=%s\n' "$PG_ADMIN_URL" ;;
        ensure_nats | ensure_nats_binary)
          printf 'NATS_SERVER_BIN=%s\n' "${NATS_SERVER_BIN:-}"
          if [[ -n "${VIGIL_STARTED_NATS:-}" ]]; then printf 'started nats-server pid %s\n' "$VIGIL_STARTED_NATS"; fi
          ;;
      esac
      ;;
    *)
      echo "usage: bash infra/scripts/lib.sh {ensure_pnpm|ensure_deps|install_deps|build_all|ensure_nats|ensure_nats_binary|ensure_postgres|stop_nats|stop_private_postgres}" >&2
      exit 2
      ;;
  esac
fi
