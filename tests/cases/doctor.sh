# jailtrace doctor: what it says about this host agrees with what /proc,
# /sys and /boot say, and a forced fallback shows as such.

# doctor_json FILTER: jq FILTER over `jailtrace doctor --json`
doctor_json() {
	"$JT" doctor --json | jq -r "$1"
}

# version_ge A B: kernel version A (uname -r) is at least B (major.minor)
version_ge() {
	local a=${1%%[!0-9.]*} IFS=.
	set -- $a $2
	[ "$1" -gt "$3" ] || { [ "$1" = "$3" ] && [ "$2" -ge "$4" ]; }
}

t_doctor_names_this_kernel_and_machine() {
	[ "$(doctor_json .kernel)" = "$(uname -r)" ] || fail "kernel: $(doctor_json .kernel), uname -r: $(uname -r)"
	[ "$(doctor_json .machine)" = "$(uname -m)" ] || fail "machine: $(doctor_json .machine), uname -m: $(uname -m)"
}

t_doctor_reports_yama_and_a_tracer_as_proc_does() {
	local yama=-1
	[ -r /proc/sys/kernel/yama/ptrace_scope ] && yama=$(cat /proc/sys/kernel/yama/ptrace_scope)
	[ "$(doctor_json .yama_ptrace_scope)" = "$yama" ] || fail "yama: doctor $(doctor_json .yama_ptrace_scope), /proc $yama"
	[ "$(doctor_json .tracer_pid)" = 0 ] || fail "doctor sees a tracer: $(doctor_json .tracer_pid)"
	# under strace, doctor must see its tracer (and say it cannot contain)
	command -v strace >/dev/null || skip "no strace"
	strace -f -o /dev/null "$JT" doctor --json >"$T/traced.json" 2>/dev/null
	[ "$(jq -r .tracer_pid "$T/traced.json")" != 0 ] || fail "doctor under strace sees no tracer: $(cat "$T/traced.json")"
}

t_doctor_feature_claims_agree_with_the_kernel() {
	local rel k
	rel=$(uname -r)
	grep -q '^Seccomp:' /proc/self/status || k=false
	[ "$(doctor_json .features.seccomp.kernel_has)" = "${k:-true}" ] || fail "seccomp claim disagrees with /proc/self/status"
	if [ -r /proc/sys/kernel/seccomp/actions_avail ]; then
		grep -qw trace /proc/sys/kernel/seccomp/actions_avail && k=true || k=false
		[ "$(doctor_json .features.seccomp.kernel_has)" = "$k" ] || fail "seccomp claim disagrees with actions_avail"
	fi
	# what the kernel version promises (a distribution may backport more, never less)
	for f in syscall_info:5.3 pidfd_getfd:5.6 openat2:5.6 close_range:5.9 skip_at_seccomp:4.8; do
		if version_ge "$rel" "${f#*:}"; then
			[ "$(doctor_json ".features.${f%%:*}.kernel_has")" = true ] ||
				fail "${f%%:*} is in Linux ${f#*:} but doctor says this $rel lacks it"
		fi
	done
	if [ -r /sys/kernel/security/lsm ]; then
		grep -qw landlock /sys/kernel/security/lsm && k=true || k=false
		[ "$(doctor_json .features.landlock.kernel_has)" = "$k" ] || fail "landlock claim disagrees with the LSM list"
	fi
	if [ -r "/boot/config-$rel" ]; then
		grep -q '^CONFIG_SECCOMP_FILTER=y' "/boot/config-$rel" && k=true || k=false
		[ "$(doctor_json .features.seccomp.kernel_has)" = "$k" ] || fail "seccomp claim disagrees with /boot/config-$rel"
	fi
}

t_doctor_shows_a_forced_fallback_as_unused_with_its_cost() {
	JAILTRACE_DISABLE=seccomp,pidfd_getfd "$JT" doctor --json >"$T/d.json"
	[ "$(jq -r .features.seccomp.used "$T/d.json")" = false ] || fail "seccomp still used"
	jq -r .features.seccomp.effect "$T/d.json" | grep -q 'every call stops' || fail "no cost named: $(jq -r .features.seccomp.effect "$T/d.json")"
	[ "$(jq -r .features.pidfd_getfd.used "$T/d.json")" = false ] || fail "pidfd_getfd still used"
	jq -r .features.pidfd_getfd.effect "$T/d.json" | grep -q 'network grants are refused' || fail "no consequence named"
}

t_doctor_shows_a_forced_exitkill_fallback_and_what_it_takes() {
	JAILTRACE_DISABLE=exitkill JAILTRACE_WATCHDOG= "$JT" doctor --json >"$T/d.json"
	[ "$(jq -r .features.exitkill.kernel_has "$T/d.json")" = true ] || skip "this kernel has no PTRACE_O_EXITKILL"
	[ "$(jq -r .features.exitkill.used "$T/d.json")" = false ] || fail "exitkill still used"
	jq -r .features.exitkill.effect "$T/d.json" | grep -q 'refused.*undecided.*JAILTRACE_WATCHDOG=1.*watchdog process' ||
		fail "the effect does not name the refusal, why, and the watchdog: $(jq -r .features.exitkill.effect "$T/d.json")"
	[ "$(jq -r .can_contain "$T/d.json")" = false ] || fail "doctor says it can contain without exitkill nor the watchdog"
	JAILTRACE_DISABLE=exitkill JAILTRACE_WATCHDOG=1 "$JT" doctor --json >"$T/w.json"
	[ "$(jq -r .can_contain "$T/w.json")" = true ] || fail "doctor says it cannot contain with the watchdog"
	JAILTRACE_DISABLE=exitkill JAILTRACE_WATCHDOG= "$JT" doctor >"$T/d.txt"
	grep -qE '^  exitkill +off +no PTRACE_O_EXITKILL: refused' "$T/d.txt" || fail "text line: $(grep exitkill "$T/d.txt")"
}
