#!/bin/sh
# Porta container entrypoint (spec 50 §2, §12). POSIX sh: runs under busybox ash
# in the image and under dash/bash elsewhere.
#
#   1. <NAME>_FILE -> <NAME> for every server variable (Docker/Swarm secrets,
#      Vault agent, CSI). _FILE wins over a plain value. One trailing \n or
#      \r\n is removed. Missing, unreadable or empty file -> exit 1.
#   2. Wait for Redis (REDIS_URL), then PostgreSQL (DATABASE_URL), to accept
#      TCP connections, up to PORTA_WAIT_TIMEOUT seconds each (default 60;
#      0 = do not wait). Timeout -> exit 1.
#   3. PORTA_AUTO_MIGRATE=true -> `porta migrate up` (failure -> exit 1).
#   4. exec the command (default: node dist/main.js), so it replaces this shell
#      and receives signals from tini directly.
#
# Messages go to stderr and name variables and file paths, never values.
set -eu

log() { printf 'porta-entrypoint: %s\n' "$*" >&2; }
die() { printf 'porta-entrypoint: error: %s\n' "$*" >&2; exit 1; }

# Spec 50 §1 (same list as src/config/env-files.ts).
PORTA_ENTRYPOINT_VARIABLES='NODE_ENV PORT HOST DATABASE_URL REDIS_URL REDIS_KEY_PREFIX ISSUER_BASE_URL
COOKIE_KEYS TWO_FACTOR_ENCRYPTION_KEY SMTP_HOST SMTP_PORT SMTP_USER SMTP_PASS SMTP_FROM
SMTP_SECURE SMTP_STARTTLS SMTP_TLS_REJECT_UNAUTHORIZED
LOG_LEVEL TRUST_PROXY METRICS_ENABLED ADMIN_CORS_ORIGINS PORTA_AUTO_MIGRATE PORTA_APP_ROLE
PASSWORD_HASH_MEMORY_KIB PASSWORD_HASH_TIME_COST PASSWORD_HASH_PARALLELISM
PORTA_WORKERS PORTA_WAIT_TIMEOUT PORTA_SKIP_PROD_SAFETY PORTA_DATA_DIR PORTA_BOOTSTRAP_ADMIN_EMAIL
PORTA_BOOTSTRAP_ADMIN_PASSWORD SIGNING_KEY_ENCRYPTION_KEY'

_pe_nl='
'
_pe_cr=$(printf '\r')

# --- 1. _FILE secrets ---------------------------------------------------------
resolve_file_variables() {
  for _pe_name in $PORTA_ENTRYPOINT_VARIABLES; do
    # The names come from the fixed list above, so eval only ever sees
    # identifiers; values are never part of the evaluated text.
    eval "_pe_file=\${${_pe_name}_FILE-}"
    if [ -z "$_pe_file" ]; then
      unset "${_pe_name}_FILE"
      continue
    fi
    if [ -d "$_pe_file" ]; then
      die "${_pe_name}_FILE: $_pe_file is a directory, not a file (cannot set $_pe_name)"
    fi
    if [ ! -e "$_pe_file" ]; then
      die "${_pe_name}_FILE: $_pe_file does not exist (cannot set $_pe_name)"
    fi
    # The trailing x keeps $(...) from stripping every trailing newline;
    # exactly one \n or \r\n is removed below.
    if ! _pe_value=$(cat -- "$_pe_file" 2>/dev/null && printf x); then
      die "${_pe_name}_FILE: cannot read $_pe_file (cannot set $_pe_name)"
    fi
    _pe_value=${_pe_value%x}
    case $_pe_value in
      *"$_pe_nl")
        _pe_value=${_pe_value%"$_pe_nl"}
        case $_pe_value in *"$_pe_cr") _pe_value=${_pe_value%"$_pe_cr"} ;; esac
        ;;
    esac
    if [ -z "$_pe_value" ]; then
      die "${_pe_name}_FILE: $_pe_file is empty (cannot set $_pe_name)"
    fi
    eval "_pe_current=\${${_pe_name}-}"
    if [ -n "$_pe_current" ]; then
      log "warning: both $_pe_name and ${_pe_name}_FILE are set; using ${_pe_name}_FILE"
    fi
    eval "$_pe_name=\$_pe_value"
    export "${_pe_name?}"
    unset "${_pe_name}_FILE"
  done
  unset _pe_name _pe_file _pe_value _pe_current
}

# --- 2. wait for TCP ----------------------------------------------------------
# Runs in node (always present in the image): WHATWG URL parsing handles
# user:pass@, percent-encoding, [IPv6], ports, rediss:// and query strings.
# The URL is read from the environment by name, so it never appears in argv
# (visible in ps) or in any message.
# argv: label, variable name, default port, timeout seconds.
PORTA_WAIT_JS='
const net = require("node:net");
const [label, varName, defaultPort, timeoutArg] = process.argv.slice(1);
const say = (msg) => process.stderr.write("porta-entrypoint: " + msg + "\n");
const fail = (msg) => { say("error: " + msg); process.exit(1); };
const timeout = Number(timeoutArg);
const raw = process.env[varName] || "";
// scheme://[user info@]authority: host lists (redis+sentinel://h1:26379,h2/name)
// are reduced to their first host.
const AUTHORITY = /^([a-z][a-z0-9+.-]*:\/\/)(?:.*@)?([^/?#]*)/i;
const authority = (AUTHORITY.exec(raw) || [])[2] || "";
let url;
try {
  if (authority.includes(",")) throw new Error("host list");
  url = new URL(raw);
} catch {
  // Second chance without the user info and with the first host only: host
  // lists, "user@/db?host=/socket", and passwords with an unencoded "#", "/"
  // or "?". Only host and port matter here.
  try {
    url = new URL(raw.replace(AUTHORITY, (_, scheme) => scheme + authority.split(",")[0]));
  } catch {
    fail(varName + " is not a valid URL (value not shown); cannot wait for " + label);
  }
}
let host = url.hostname;
let port = url.port;
if (varName === "DATABASE_URL") {
  // libpq style: postgresql://user@/db?host=/run/postgresql or ?host=db&port=5433
  if (url.searchParams.get("host")) host = url.searchParams.get("host");
  if (url.searchParams.get("port")) port = url.searchParams.get("port");
}
try { host = decodeURIComponent(host); } catch { /* keep as is */ }
if (url.protocol === "unix:" || host.startsWith("/")) {
  say(label + " is reached through a unix socket; not waiting");
  process.exit(0);
}
if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
if (host === "") host = "localhost";
const portNumber = Number(port || (/^redis\+sentinel:/i.test(raw) ? 26379 : defaultPort));
if (!Number.isInteger(portNumber) || portNumber < 1 || portNumber > 65535) {
  fail(varName + " has an invalid port (value not shown); cannot wait for " + label);
}
const where = (host.includes(":") ? "[" + host + "]" : host) + ":" + portNumber;
const started = Date.now();
const deadline = started + timeout * 1000;
let attempt = 0;
const tryOnce = () => {
  attempt += 1;
  const budget = Math.max(100, Math.min(1000, deadline - Date.now()));
  const socket = net.connect({ host, port: portNumber });
  let settled = false;
  const settle = (ok, reason) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    socket.destroy();
    if (ok) {
      say(label + " at " + where + " is accepting connections" + (attempt > 1 ? " (attempt " + attempt + ")" : ""));
      process.exit(0);
    }
    const now = Date.now();
    if (now >= deadline) {
      fail(label + " at " + where + " did not accept TCP connections within " + timeout +
        " s (PORTA_WAIT_TIMEOUT); last error: " + reason);
    }
    const elapsed = Math.floor((now - started) / 1000);
    say("waiting for " + label + " at " + where + " (attempt " + attempt + ", " + elapsed + "/" + timeout + " s): " + reason);
    const next = Math.min(started + attempt * 1000, deadline);
    setTimeout(tryOnce, Math.max(0, next - now));
  };
  const timer = setTimeout(() => settle(false, "no answer within " + budget + " ms"), budget);
  socket.once("connect", () => settle(true));
  socket.once("error", (err) => settle(false, err.code || err.message));
};
tryOnce();
'

wait_for() {
  # $1 label, $2 variable holding the URL, $3 default port
  eval "_pe_url=\${$2-}"
  if [ -z "$_pe_url" ]; then
    unset _pe_url
    return 0
  fi
  unset _pe_url
  if [ "$PORTA_WAIT_TIMEOUT_SECONDS" -eq 0 ]; then
    log "PORTA_WAIT_TIMEOUT=0: not waiting for $1"
    return 0
  fi
  command -v node >/dev/null 2>&1 || die "node is not on PATH; cannot wait for $1"
  node -e "$PORTA_WAIT_JS" "$1" "$2" "$3" "$PORTA_WAIT_TIMEOUT_SECONDS" || exit 1
}

# --- 3. migrations ------------------------------------------------------------
auto_migrate() {
  case ${PORTA_AUTO_MIGRATE:-false} in
    true | 1 | yes) ;; # the values the server accepts as true (src/config/schema.ts)
    *) return 0 ;;
  esac
  command -v porta >/dev/null 2>&1 || die "PORTA_AUTO_MIGRATE=true but the porta CLI is not on PATH"
  log "PORTA_AUTO_MIGRATE=true: running porta migrate up"
  if porta migrate up; then
    log "migrations are up to date"
  else
    die "porta migrate up failed (exit $?); not starting"
  fi
}

resolve_file_variables

PORTA_WAIT_TIMEOUT_SECONDS=${PORTA_WAIT_TIMEOUT:-60}
case $PORTA_WAIT_TIMEOUT_SECONDS in
  '' | *[!0-9]*) die "PORTA_WAIT_TIMEOUT must be a whole number of seconds (got '$PORTA_WAIT_TIMEOUT_SECONDS')" ;;
esac

wait_for redis REDIS_URL 6379
wait_for postgres DATABASE_URL 5432
unset PORTA_WAIT_TIMEOUT_SECONDS PORTA_WAIT_JS PORTA_ENTRYPOINT_VARIABLES _pe_nl _pe_cr

auto_migrate

if [ "$#" -eq 0 ]; then
  set -- node dist/main.js
fi
exec "$@"
