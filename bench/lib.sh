# bench/lib.sh -- shared by the benchmarks under bench/ (sourced; they set
# WORK, a scratch directory, first).

# --- installing what is missing -------------------------------------------

# need_packages LABEL PACKAGE...: succeeds when every package is installed,
# installing the missing ones as root; otherwise says what to run.
need_packages() {
	local label=$1 p missing=()
	shift
	for p in "$@"; do
		[ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" = installed ] || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "bench: skipping $label: install as root: apt-get install --no-install-recommends ${missing[*]}" >&2
		return 1
	fi
	echo "bench: installing ${missing[*]} for $label" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q --no-install-recommends "${missing[@]}" >"$WORK/apt.log" 2>&1 ||
		{ apt-get update -q >>"$WORK/apt.log" 2>&1 &&
			apt-get install -y -q --no-install-recommends "${missing[@]}" >>"$WORK/apt.log" 2>&1; } ||
		{ echo "bench: skipping $label: apt-get install ${missing[*]} failed:" >&2; tail -3 "$WORK/apt.log" >&2; return 1; }
}

# --- checking the settings -------------------------------------------------

# positive_settings NAME...: each variable NAME (set from BENCH_NAME) holds
# a positive whole number; otherwise says which does not and fails.
positive_settings() {
	local v
	for v in "$@"; do
		case ${!v} in '' | *[!0-9]* | 0)
			echo "bench: BENCH_$v='${!v}' is not a positive number" >&2
			return 1 ;;
		esac
	done
}

# present_files TARGET FILE...: every FILE exists; otherwise names the
# missing one and the make target that builds it, and fails.
present_files() {
	local target=$1 f
	shift
	for f in "$@"; do
		[ -e "$f" ] || { echo "bench: $f is missing; run 'make $target' (it builds it)" >&2; return 1; }
	done
}

# --- timing the console ---------------------------------------------------

# stamp [PID]: copies stdin to stdout, each line prefixed with the host time
# ($EPOCHREALTIME) at which it arrived, CRs removed.  No forks per line, so
# the reader keeps up with a fast boot.
# With PID, reads with a timeout, stops once PID is gone, and kills PID
# after BENCH-END (for Bochs, which restarts the guest rather than exiting).
stamp() {
	local pid=${1:-} line= part
	while :; do
		if [ -z "$pid" ]; then
			IFS= read -r line || break
		else
			part=
			if ! IFS= read -r -t 2 part; then
				line+=$part
				kill -0 "$pid" 2>/dev/null || break
				continue
			fi
			line+=$part
		fi
		line=${line//$'\r'/}
		printf '%s %s\n' "$EPOCHREALTIME" "$line"
		[ -n "$pid" ] && [ "$line" = BENCH-END ] && kill "$pid" 2>/dev/null
		line=
	done
}

# time_of LOG LINE START: when the first console line equal to LINE arrived,
# in seconds since START.
time_of() {
	awk -v want="$2" -v t0="$3" '{ t = $1; sub(/^[^ ]* /, "") } $0 == want { printf "%.3f\n", t - t0; exit }' "$1"
}

