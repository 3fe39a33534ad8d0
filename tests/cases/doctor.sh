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
	# (syscall_info and user_notif are probed by calling them: tests below)
	for f in pidfd_getfd:5.6 openat2:5.6 close_range:5.9 skip_at_seccomp:4.8; do
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
	jq -r .features.pidfd_getfd.effect "$T/d.json" | grep -q 'two more stops' || fail "no cost named: $(jq -r .features.pidfd_getfd.effect "$T/d.json")"
}

# "used" means a run uses the mechanism here: the run's own header says
# which it took; openat2 (path resolution) is used wherever the kernel has
# it and it is not disabled; user notification is no run's mechanism.
t_doctor_says_used_only_for_what_a_run_uses() {
	local o2
	"$JT" doctor --json >"$T/d.json"
	jt -- /bin/true
	expect_rc 0
	head -n 1 "$T/log.jsonl" | jq -c .mechanism >"$T/mech.json"
	case ",${JAILTRACE_DISABLE:-}," in
	*,openat2,*) o2=false ;;
	*) o2=$(jq -r .features.openat2.kernel_has "$T/d.json") ;;
	esac
	jq -n --argjson o2 "$o2" --slurpfile d "$T/d.json" --slurpfile m "$T/mech.json" '$d[0].features as $f | $m[0] as $m |
		[($f.seccomp.used == ($m.stops == "seccomp")),
		 ($f.syscall_info.used == ($m.syscall_info == "ptrace_get_syscall_info")),
		 ($f.vm_readv.used == ($m.memory == "process_vm_readv")),
		 ($f.skip_at_seccomp.used == ($m.deny_at == "seccomp_stop")),
		 ($f.landlock.used == ($m.isolation == "landlock")),
		 ($f.openat2.used == $o2),
		 ($f.user_notif.used == ($m.transport == "user_notif"))] | all' | grep -qx true ||
		fail "doctor's used disagrees with the run: $(jq -c .features "$T/d.json") run: $(cat "$T/mech.json")"
	if [ "$o2" = true ]; then o2='in one call'; else o2='in turn'; fi
	jq -r .features.openat2.effect "$T/d.json" | grep -q "$o2" || fail "openat2 text: $(jq -r .features.openat2.effect "$T/d.json")"
	if [ "$(jq -r .transport "$T/mech.json")" = user_notif ]; then o2='reach the tracer as notifications'
	else o2='every decided call arrives at a ptrace stop'; fi
	jq -r .features.user_notif.effect "$T/d.json" | grep -q "$o2" || fail "user_notif text: $(jq -r .features.user_notif.effect "$T/d.json")"
}

# syscall_info is asked of a traced child, not read off the version: where
# the call fails (a filter standing in for a kernel before 5.3), doctor says
# so although the version promises it.
t_doctor_probes_syscall_info_by_calling_it() {
	unset JAILTRACE_DISABLE	# the host's answer, not a forced fallback
	"$JT" doctor --json >"$T/d.json"
	[ "$(jq -r .features.syscall_info.probe "$T/d.json")" = call ] || fail "not probed: $(jq -c .features.syscall_info "$T/d.json")"
	# a run that works on PTRACE_GET_SYSCALL_INFO shows the call works here
	jt -- /bin/true
	expect_rc 0
	m=$(head -n 1 "$T/log.jsonl" | jq -r .mechanism.syscall_info)
	[ "$m" = ptrace_get_syscall_info ] && want=true || want=false
	[ "$(jq -r .features.syscall_info.kernel_has "$T/d.json")" = "$want" ] ||
		fail "doctor says $(jq -r .features.syscall_info.kernel_has "$T/d.json"), a run used $m"
	[ "$want" = true ] || return 0
	"$PROGS/hostfilter" nosyscallinfo "$JT" doctor --json >"$T/f.json"
	jq -e '.features.syscall_info | .kernel_has == false and .used == false and (.note | contains("call fails"))' \
		"$T/f.json" >/dev/null || fail "with the call failing doctor says: $(jq -c .features.syscall_info "$T/f.json")"
}

# user notification with ADDFD: doctor's claim agrees with the kernel's list
# of seccomp actions and with a probe of its own (Python, ctypes), and
# follows the call where it fails.
t_doctor_probes_user_notif_by_calling_it() {
	cat >"$T/addfd.py" <<'PY'
import ctypes, os, struct
libc = ctypes.CDLL(None, use_errno=True)
pid = os.fork()
if pid == 0:
    libc.prctl(38, 1, 0, 0, 0)                      # PR_SET_NO_NEW_PRIVS
    filt = ctypes.create_string_buffer(struct.pack("HBBI", 0x06, 0, 0, 0x7fff0000))  # RET ALLOW
    prog = ctypes.create_string_buffer(struct.pack("HxxxxxxP", 1, ctypes.addressof(filt)))
    fd = libc.syscall(317, 1, 8, prog)              # seccomp(SET_MODE_FILTER, NEW_LISTENER)
    if fd < 0:
        os._exit(1)
    addfd = ctypes.create_string_buffer(24)
    r = libc.ioctl(fd, ctypes.c_ulong(0x40182103), addfd)  # SECCOMP_IOCTL_NOTIF_ADDFD
    os._exit(0 if r == 0 or ctypes.get_errno() == 2 else 1)  # ENOENT: no such request
_, st = os.waitpid(pid, 0)
print("true" if os.WEXITSTATUS(st) == 0 else "false")
PY
	unset JAILTRACE_DISABLE
	"$JT" doctor --json >"$T/d.json"
	[ "$(jq -r .features.user_notif.probe "$T/d.json")" = call ] || fail "not probed: $(jq -c .features.user_notif "$T/d.json")"
	own=$(/usr/bin/python3 "$T/addfd.py")
	[ "$(jq -r .features.user_notif.kernel_has "$T/d.json")" = "$own" ] ||
		fail "doctor says $(jq -r .features.user_notif.kernel_has "$T/d.json"), the probe $own"
	if [ -r /proc/sys/kernel/seccomp/actions_avail ] && ! grep -qw user_notif /proc/sys/kernel/seccomp/actions_avail; then
		[ "$own" = false ] || fail "ADDFD works but the kernel lists no user_notif action"
	fi
	[ "$own" = true ] || return 0
	"$PROGS/hostfilter" noaddfd /usr/bin/python3 "$T/addfd.py" >"$T/nout"
	[ "$(cat "$T/nout")" = false ] || native_fail "the filter does not make ADDFD fail"
	"$PROGS/hostfilter" noaddfd "$JT" doctor --json >"$T/f.json"
	jq -e '.features.user_notif | .kernel_has == false and .used == false' "$T/f.json" >/dev/null ||
		fail "with ADDFD failing doctor says: $(jq -c .features.user_notif "$T/f.json")"
}

# A host where ptrace is forbidden (a container profile that refuses it),
# stood in for by a seccomp filter that makes ptrace fail with EPERM: strace
# fails there, and jailtrace refuses with one line rather than run the
# program unconfined. (LeakSanitizer needs ptrace at exit: off for these.)
t_run_refuses_with_125_where_ptrace_is_forbidden() {
	command -v strace >/dev/null || skip "no strace for the native control"
	native strace -o /dev/null /bin/true
	[ "$NRC" = 0 ] || native_fail "strace does not work here at all"
	native "$PROGS/hostfilter" noptrace strace -o /dev/null /bin/true
	[ "$NRC" != 0 ] || native_fail "strace works under the filter: ptrace is not forbidden"
	LAST_CMD="hostfilter noptrace jailtrace run ..."
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 run_guarded "$T/out" "$T/err" \
		"$PROGS/hostfilter" noptrace "$JT" run --result "$T/result.json" "${JT_VIEW[@]}" -- \
		/bin/sh -c 'echo ran >"$0/ran"' "$T"
	check_sanitizers "$T/err"
	expect_rc 125
	[ ! -e "$T/ran" ] || fail "the program ran"
	[ "$(wc -l <"$T/err")" = 1 ] || fail "expected one line on stderr"
	grep -q 'ptrace' "$T/err" || fail "the message does not name ptrace"
	expect_result status error
}

t_doctor_says_it_cannot_contain_where_ptrace_is_forbidden() {
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		"$PROGS/hostfilter" noptrace "$JT" doctor --json >"$T/d.json"
	[ $? = 1 ] || fail "doctor did not exit 1"
	expect_jq "$T/d.json" '.ptrace == false' '.can_contain == false' '.ptrace_detail | contains("not permitted")'
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

t_doctor_says_whether_this_kernel_runs_i386_code_as_a_native_run_shows() {
	[ "$(uname -m)" = x86_64 ] || skip "i386 code is x86_64's"
	[ -x "$PROGS/hello32" ] || skip "no 32-bit test programs (gcc-multilib)" # the native probe
	local programs=false int80=false
	[ "$("$PROGS/hello32" 2>/dev/null)" = "hello from i386" ] && programs=true # the native probe
	"$PROGS/int80" 2>/dev/null </dev/null | grep -x 'int80 getpid: ok' >/dev/null && int80=true # the native probe
	[ "$(doctor_json .i386_programs)" = "$programs" ] ||
		fail "doctor says i386 programs: $(doctor_json .i386_programs); natively a 32-bit hello ran: $programs"
	[ "$(doctor_json .int80)" = "$int80" ] ||
		fail "doctor says int 0x80: $(doctor_json .int80); natively it ran: $int80"
	"$JT" doctor >"$T/text"
	grep -Eq "^  i386 programs +$([ $programs = true ] && echo yes || echo no) " "$T/text" ||
		fail "no i386 programs line that agrees: $(grep i386 "$T/text")"
	# as on a kernel that runs none, with the reason named
	JAILTRACE_DISABLE=i386 "$JT" doctor >"$T/text"
	grep -q "^  i386 programs    no   this kernel runs no 32-bit programs" "$T/text" ||
		fail "pretending no i386: $(grep -A1 i386 "$T/text")"
	grep -q "^  int 0x80         no   this kernel runs no i386 calls" "$T/text" ||
		fail "pretending no i386: $(grep -A1 int "$T/text")"
	[ "$(JAILTRACE_DISABLE=i386 "$JT" doctor --json | jq -c '[.i386_programs, .int80]')" = "[false,false]" ] ||
		fail "--json does not say no"
}
