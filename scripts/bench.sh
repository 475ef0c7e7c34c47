#!/usr/bin/env bash
# Times `wacheck probe` against nginx on loopback, side by side with the tools
# users would otherwise run (sslscan, testssl.sh) and with one bare
# `openssl s_client` handshake as the floor, directly and through a delay
# proxy that adds 25 ms in each direction. Prints a Markdown table, then one of
# wacheck's enumeration alone (its time and connections, from its own report)
# at both round trips; docs/performance.md records the figures.
#
# Two nginx endpoints, certificates made here with openssl:
#   healthy  TLS 1.2/1.3, ECDHE-GCM, ECDSA P-256 leaf, full chain, OCSP staple, h2
#   legacy   TLS 1.0 to 1.3, ssl_ciphers ALL:@SECLEVEL=0 and ssl_dhparam (RFC 7919
#            ffdhe2048): 91 suites with OpenSSL 3.0; RSA 2048 leaf, full chain, staple
#
# Everything listens on and connects to 127.0.0.1 only; testssl runs with
# --nodns none and without --phone-out, so nothing leaves the machine.
#
# Environment:
#   RUNS=10        runs of wacheck and openssl s_client per cell
#   SLOW_RUNS=3    runs of sslscan and testssl -S per cell
#   FULL_RUNS=1    runs of the full testssl scan per cell
#   DELAY=25ms     the delay proxy's delay, each way
#   TOOLS="..."    a subset of: wacheck wacheck-quick openssl sslscan testssl-S testssl
#   PORT=18443     first port tried for nginx
#   KEEP=1         keep the working directory (configs, logs, tool output)
#   WACHECK_BIN=   time this wacheck binary instead of building the tree's (to
#                  compare two versions: build the other from `git archive`)
#
# Needs: go, nginx, openssl, sslscan, testssl (make integration-deps bench-deps).
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-10}
SLOW_RUNS=${SLOW_RUNS:-3}
FULL_RUNS=${FULL_RUNS:-1}
DELAY=${DELAY:-25ms}
TOOLS=${TOOLS:-"wacheck wacheck-quick openssl sslscan testssl-S testssl"}
PORT=${PORT:-18443}
GO=${GO:-go}

die() { echo "bench: $*" >&2; exit 1; }
[ "${BASH_VERSINFO[0]}" -ge 5 ] || die "bash 5 or later is needed (EPOCHREALTIME), this is $BASH_VERSION"

find_bin() {
	command -v "$1" 2>/dev/null && return
	for d in /usr/sbin /sbin /usr/local/sbin; do
		[ -x "$d/$1" ] && { echo "$d/$1"; return; }
	done
	return 1
}

NGINX=$(find_bin nginx) || die "nginx not found: make integration-deps"
OPENSSL=$(find_bin openssl) || die "openssl not found: make integration-deps"
for t in $TOOLS; do
	case $t in
	sslscan) SSLSCAN=$(find_bin sslscan) || die "sslscan not found: make bench-deps" ;;
	testssl | testssl-S) TESTSSL=$(find_bin testssl || find_bin testssl.sh) || die "testssl not found: make bench-deps" ;;
	wacheck | wacheck-quick | openssl) ;;
	*) die "unknown tool $t (want: wacheck wacheck-quick openssl sslscan testssl-S testssl)" ;;
	esac
done

work=$(mktemp -d "${TMPDIR:-/tmp}/wacheck-bench.XXXXXX")
pids=()
cleanup() {
	for pid in "${pids[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${pids[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	if [ "${KEEP:-}" = 1 ]; then
		echo "bench: kept $work" >&2
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- binaries --------------------------------------------------------------
mkdir -p "$work/bin" "$work/pki" "$work/nginx" "$work/out"
VERSION=$(git describe --tags --always --dirty 2>/dev/null || echo dev)
if [ -n "${WACHECK_BIN:-}" ]; then
	cp "$WACHECK_BIN" "$work/bin/wacheck"
	VERSION="$VERSION (WACHECK_BIN=$WACHECK_BIN)"
else
	$GO build -trimpath -ldflags "-X github.com/wacheck/wacheck/pkg/cli.Version=$VERSION" \
		-o "$work/bin/wacheck" ./cmd/wacheck
fi
$GO build -o "$work/bin/delayproxy" ./scripts/delayproxy
WACHECK=$work/bin/wacheck

# --- PKI: root -> intermediate -> leaves, and their OCSP staples ----------
pki=$work/pki
ossl() { "$OPENSSL" "$@" >>"$work/pki/openssl.log" 2>&1 || die "openssl $* failed: see $work/pki/openssl.log (KEEP=1)"; }
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
	-keyout "$pki/root.key" -out "$pki/root.pem" -subj "/O=wacheck bench/CN=wacheck bench root CA" \
	-addext "basicConstraints=critical,CA:true" -addext "keyUsage=critical,keyCertSign,cRLSign"
ossl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$pki/int.key" -out "$pki/int.csr" -subj "/O=wacheck bench/CN=wacheck bench intermediate CA"
printf 'basicConstraints=critical,CA:true,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign,digitalSignature\n' >"$pki/int.ext"
ossl x509 -req -in "$pki/int.csr" -CA "$pki/root.pem" -CAkey "$pki/root.key" -CAcreateserial \
	-days 3650 -extfile "$pki/int.ext" -out "$pki/int.pem"
# The leaves name an OCSP responder (never contacted) so that stapling matters.
leafext() { # keyUsage
	printf '%s\n' 'basicConstraints=critical,CA:false' "keyUsage=critical,$1" \
		'extendedKeyUsage=serverAuth' 'subjectAltName=DNS:localhost' \
		'authorityInfoAccess=OCSP;URI:http://127.0.0.1:1/ocsp,caIssuers;URI:http://127.0.0.1:1/ca.crt'
}
leafext digitalSignature >"$pki/ec.ext"
leafext digitalSignature,keyEncipherment >"$pki/rsa.ext" # RSA key exchange
: >"$pki/index.txt"
echo "unique_subject = no" >"$pki/index.txt.attr"
leaf() { # name, extensions file, then the key options of openssl req
	local name=$1 ext=$2
	shift 2
	ossl req -newkey "$@" -nodes -keyout "$pki/$name.key" -out "$pki/$name.csr" -subj "/CN=localhost"
	ossl x509 -req -in "$pki/$name.csr" -CA "$pki/int.pem" -CAkey "$pki/int.key" -CAcreateserial \
		-days 90 -extfile "$ext" -out "$pki/$name.pem"
	cat "$pki/$name.pem" "$pki/int.pem" >"$pki/$name.fullchain.pem"
	local serial enddate
	serial=$("$OPENSSL" x509 -in "$pki/$name.pem" -noout -serial | cut -d= -f2)
	enddate=$(date -u -d "$("$OPENSSL" x509 -in "$pki/$name.pem" -noout -enddate | cut -d= -f2)" +%y%m%d%H%M%SZ)
	printf 'V\t%s\t\t%s\tunknown\t/CN=localhost\n' "$enddate" "$serial" >>"$pki/index.txt"
	ossl ocsp -index "$pki/index.txt" -CA "$pki/int.pem" -rsigner "$pki/int.pem" -rkey "$pki/int.key" \
		-issuer "$pki/int.pem" -cert "$pki/$name.pem" -no_nonce -resp_no_certs -ndays 1 \
		-respout "$pki/$name.ocsp.der"
}
leaf healthy "$pki/ec.ext" ec -pkeyopt ec_paramgen_curve:P-256
leaf legacy "$pki/rsa.ext" rsa:2048
# RFC 7919's ffdhe2048, as an operator makes the file for ssl_dhparam: with it
# nginx offers finite-field DHE too.
ossl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe2048 -out "$pki/ffdhe2048.pem"

# --- nginx -----------------------------------------------------------------
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
next_port() {
	local p=$1
	while ! port_free "$p"; do p=$((p + 1)); done
	echo "$p"
}
healthy_port=$(next_port "$PORT")
legacy_port=$(next_port $((healthy_port + 1)))

conf=$work/nginx/nginx.conf
cat >"$conf" <<EOF
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 256; }
http {
    access_log off;
    default_type text/plain;
    client_body_temp_path $work/nginx/client_body;
    proxy_temp_path $work/nginx/proxy;
    fastcgi_temp_path $work/nginx/fastcgi;
    uwsgi_temp_path $work/nginx/uwsgi;
    scgi_temp_path $work/nginx/scgi;
    ssl_session_cache shared:SSL:10m;
    ssl_prefer_server_ciphers off;

    # healthy: what users copy
    server {
        listen 127.0.0.1:$healthy_port ssl http2;
        server_name localhost;
        ssl_certificate     $pki/healthy.fullchain.pem;
        ssl_certificate_key $pki/healthy.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384;
        ssl_stapling on;
        ssl_stapling_file $pki/healthy.ocsp.der;
        location / { return 200 "ok\n"; }
    }

    # legacy: every protocol and cipher OpenSSL still has
    server {
        listen 127.0.0.1:$legacy_port ssl http2;
        server_name localhost;
        ssl_certificate     $pki/legacy.fullchain.pem;
        ssl_certificate_key $pki/legacy.key;
        ssl_dhparam         $pki/ffdhe2048.pem;
        ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3;
        ssl_ciphers ALL:@SECLEVEL=0;
        ssl_stapling on;
        ssl_stapling_file $pki/legacy.ocsp.der;
        location / { return 200 "ok\n"; }
    }
}
EOF
"$NGINX" -p "$work/nginx" -c "$conf" -e "$work/nginx/error.log" -g 'daemon off;' 2>>"$work/nginx/error.log" &
pids+=($!)

wait_port() {
	for _ in $(seq 200); do
		port_free "$1" || return 0
		sleep 0.05
	done
	die "nothing listens on 127.0.0.1:$1 (nginx log: $work/nginx/error.log, KEEP=1)"
}
wait_port "$healthy_port"
wait_port "$legacy_port"

# --- delay proxies -----------------------------------------------------------
start_proxy() { # upstream port; the proxy writes its address to $work/proxy.PORT
	"$work/bin/delayproxy" -upstream "127.0.0.1:$1" -delay "$DELAY" >"$work/proxy.$1" 2>>"$work/proxy.log" &
	pids+=($!)
}
proxy_port() { # upstream port -> the proxy's port
	for _ in $(seq 200); do
		[ -s "$work/proxy.$1" ] && { sed 's/.*://' "$work/proxy.$1"; return; }
		sleep 0.05
	done
	die "the delay proxy did not start: see $work/proxy.log (KEEP=1)"
}
start_proxy "$healthy_port"
start_proxy "$legacy_port"
healthy_slow=$(proxy_port "$healthy_port")
legacy_slow=$(proxy_port "$legacy_port")

# --- the tools -----------------------------------------------------------------
# run TOOL PORT OUTFILE: one run of a tool against localhost:PORT (127.0.0.1).
run() {
	local tool=$1 port=$2 out=$3
	case $tool in
	wacheck)
		"$WACHECK" probe "localhost:$port" --resolve "localhost:$port:127.0.0.1" \
			--ca-file "$pki/root.pem" --format json --fail-on never >"$out" 2>&1
		;;
	wacheck-quick) # without the protocol and cipher enumeration
		"$WACHECK" probe "localhost:$port" --resolve "localhost:$port:127.0.0.1" \
			--ca-file "$pki/root.pem" --format json --fail-on never --enumerate=false >"$out" 2>&1
		;;
	openssl)
		"$OPENSSL" s_client -connect "127.0.0.1:$port" -servername localhost -status \
			-CAfile "$pki/root.pem" </dev/null >"$out" 2>&1
		;;
	sslscan)
		"$SSLSCAN" --no-colour --sni-name=localhost "127.0.0.1:$port" >"$out" 2>&1
		;;
	testssl-S)
		"$TESTSSL" --quiet --color 0 --warnings off --nodns none --ip 127.0.0.1 \
			--add-ca "$pki/root.pem" -S "localhost:$port" >"$out" 2>&1 || true
		;;
	testssl)
		"$TESTSSL" --quiet --color 0 --warnings off --nodns none --ip 127.0.0.1 \
			--add-ca "$pki/root.pem" "localhost:$port" >"$out" 2>&1 || true
		;;
	esac
}

runs_for() {
	case $1 in
	wacheck | wacheck-quick | openssl) echo "$RUNS" ;;
	testssl) echo "$FULL_RUNS" ;;
	*) echo "$SLOW_RUNS" ;;
	esac
}

# time_tool TOOL PORT LABEL: prints "median min max runs", times in milliseconds.
# The clock is read by bash itself, in microseconds (EPOCHREALTIME, without its
# decimal point, which may be a comma): a `date +%s%N` on each side of a run
# put two process spawns, about 9.5 ms here, into every figure (a Go hello
# world took 19 ms with date, 9.5 ms without).
time_tool() {
	local tool=$1 port=$2 label=$3 n i start end
	n=$(runs_for "$tool")
	local times=()
	for ((i = 1; i <= n; i++)); do
		start=${EPOCHREALTIME//[!0-9]/}
		run "$tool" "$port" "$work/out/$tool.$label.$i.txt" ||
			echo "bench: $tool against $label exited $? (output: $work/out/$tool.$label.$i.txt, KEEP=1)" >&2
		end=${EPOCHREALTIME//[!0-9]/}
		times+=($((end - start)))
	done
	printf '%s\n' "${times[@]}" | sort -n | awk '
		{ t[NR] = $1 }
		END {
			med = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
			printf "%.0f %.0f %.0f %d\n", med / 1000, t[1] / 1000, t[NR] / 1000, NR
		}'
}

# A run that does not work is no benchmark: check the endpoints first.
"$WACHECK" probe "localhost:$healthy_port" --resolve "localhost:$healthy_port:127.0.0.1" \
	--ca-file "$pki/root.pem" --format json --fail-on never >"$work/out/check.json" ||
	die "wacheck failed against the healthy endpoint"
grep -q '"stapled": true' "$work/out/check.json" || die "the healthy endpoint staples nothing: see $work/out/check.json (KEEP=1)"
"$OPENSSL" s_client -connect "127.0.0.1:$legacy_port" -servername localhost -tls1 \
	-cipher 'AES128-SHA:@SECLEVEL=0' </dev/null >"$work/out/check-legacy.txt" 2>&1 ||
	die "the legacy endpoint does not speak TLS 1.0: see $work/out/check-legacy.txt (KEEP=1)"

strip() { sed 's/\x1b\[[0-9;]*m//g'; }
tool_versions() {
	printf 'wacheck %s, %s' "$VERSION" "$($GO version | cut -d' ' -f3)"
	printf ', nginx %s' "$("$NGINX" -v 2>&1 | sed 's|.*nginx/||')"
	printf ', %s' "$("$OPENSSL" version | cut -d' ' -f1-2)"
	[ -n "${SSLSCAN:-}" ] && printf ', sslscan %s' "$("$SSLSCAN" --version | strip | grep -om1 '[0-9][0-9.]*')"
	[ -n "${TESTSSL:-}" ] && printf ', testssl.sh %s' "$("$TESTSSL" --version 2>&1 | strip | sed -n 's/.*testssl *\([0-9][0-9.]*\).*/\1/p' | head -1)"
	echo
}
echo "# scripts/bench.sh, $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "- machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')), $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM, $(uname -sr)"
echo "- versions: $(tool_versions)"
echo "- delay proxy: $DELAY each way; cells: median (min–max) wall-clock ms of one run, over the runs given"
echo
printf '| tool | endpoint | loopback, ms | +%s each way, ms | runs |\n' "$DELAY"
printf '|------|----------|-------------:|-----------------:|-----:|\n'
for tool in $TOOLS; do
	for ep in healthy legacy; do
		if [ "$ep" = healthy ]; then fast=$healthy_port slow=$healthy_slow; else fast=$legacy_port slow=$legacy_slow; fi
		read -r med lo hi n < <(time_tool "$tool" "$fast" "$ep")
		read -r smed slo shi _ < <(time_tool "$tool" "$slow" "$ep-delayed")
		printf '| %s | %s | %s (%s–%s) | %s (%s–%s) | %s |\n' "$tool" "$ep" \
			"$med" "$lo" "$hi" "$smed" "$slo" "$shi" "$n"
	done
done

# wacheck's enumeration alone, from its own reports of the runs above: its
# duration and the connections it opened, median (min–max).
stat() { # values on stdin -> "median (min–max)"
	sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) { print "–"; exit }
		med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.0f (%.0f–%.0f)\n", med, v[1], v[NR] }'
}
enum_field() { # label field -> the enumeration's field in wacheck's outputs for label
	for f in "$work"/out/wacheck."$1".*.txt; do
		grep -A3 '"enumeration": {' "$f" | grep -o "\"$2\": [0-9.]*" | head -1 | grep -o '[0-9.]*$'
	done
}
case " $TOOLS " in
*" wacheck "*)
	echo
	printf '| wacheck enumeration | loopback, ms | connections | +%s each way, ms | connections |\n' "$DELAY"
	printf '|---------------------|-------------:|------------:|-----------------:|------------:|\n'
	for ep in healthy legacy; do
		printf '| %s | %s | %s | %s | %s |\n' "$ep" \
			"$(enum_field "$ep" duration_ms | stat)" "$(enum_field "$ep" connections | stat)" \
			"$(enum_field "$ep-delayed" duration_ms | stat)" "$(enum_field "$ep-delayed" connections | stat)"
	done
	echo
	echo "- at most 8 connections at a time, the probe's own handshakes included; durations are the enumeration's own (enumeration.duration_ms in the JSON, which starts with the strict handshake), the full probe's are above"
	echo "- connections are the enumeration's (enumeration.connections); the probe opens 3–5 more (the strict handshake, whose connection is the resumption's first, the one without SNI, one per key type, the other key type's left out when the enumeration shows none of its suites, and the resumed one): BenchmarkProbe's conns/op counts them all"
	;;
esac
