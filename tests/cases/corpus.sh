# The everyday-task corpus (tests/corpus/*.sh): each task runs natively and
# under jailtrace with the default policy and a fresh jail, each in an empty
# working directory; stdout and the exit status must be the same.
# The bounds below are for a task that hangs: a task takes 1-25 s on a quiet
# 2-CPU machine, and several times that on a busy one (a venv, 60 s at a
# load of 15), which must not fail it.
# test-timeout: 6

CORPUS=$(cd "$(dirname "$TEST_CASE")/../corpus" 2>/dev/null && pwd)

SIGDFL='import os, signal, sys
for s in (signal.SIGINT, signal.SIGQUIT, signal.SIGPIPE, signal.SIGXFSZ):
    signal.signal(s, signal.SIG_DFL)
os.execv(sys.argv[1], sys.argv[1:])'

# corpus_task NAME [NEEDS...]: runs tests/corpus/NAME.sh both ways and
# compares. NEEDS are commands or python modules (py:NAME) the host must
# have, or the task is skipped.
corpus_task() {
	local name=$1 need
	shift
	[ -f "$CORPUS/$name.sh" ] || fail "no task $CORPUS/$name.sh"
	for need in "$@"; do
		case $need in
		py:*) /usr/bin/python3 -c "import ${need#py:}" 2>/dev/null || skip "no python module ${need#py:}" ;;
		*) command -v "$need" >/dev/null || skip "no $need on this host" ;;
		esac
	done
	GUARD_SECS=$(slow 170)
	cp "$CORPUS/$name.sh" "$T/task.sh"
	chmod a+r "$T/task.sh"
	mkdir -p "$T/native" "$T/nhome"
	# the environment the sandbox gives: PATH HOME LANG TERM and nothing else
	# and signals at their defaults, as jailtrace starts programs (the
	# suite's background jobs ignore SIGINT and SIGQUIT)
	native env -C "$T/native" -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$T/nhome" LANG=C.UTF-8 TERM=dumb \
		/usr/bin/python3 -c "$SIGDFL" /bin/bash "$T/task.sh"
	[ "$NRC" = 0 ] || [ -s "$T/nout" ] || native_fail "the task does not run natively"
	jt --quiet --timeout 150s -- /bin/bash "$T/task.sh"
	if [ "$RC" != "$NRC" ] || ! cmp -s "$T/out" "$T/nout"; then
		{
			echo "native exit $NRC, inside exit $RC; stdout diff (native, inside):"
			diff "$T/nout" "$T/out" | head -n 30
			echo "inside stderr:"
			head -n 15 "$T/err"
			echo "native stderr:"
			head -n 5 "$T/nerr"
		} >&2
		LAST_CMD=""
		fail "task $name behaves differently inside"
	fi
}

t_corpus_pandas_analysis_and_png_plot() { corpus_task pandas_plot py:pandas py:matplotlib; }
t_corpus_multiprocessing_pool_queue_shm() { corpus_task mp_pool; }
t_corpus_threaded_file_workload() { corpus_task threads_files; }
t_corpus_shell_text_pipeline() { corpus_task shell_text; }
t_corpus_archive_round_trip_tar_xz_zstd() { corpus_task archive zstd xz; }
t_corpus_git_workflow_with_merge() { corpus_task git_merge git; }
t_corpus_compile_and_link_c() { corpus_task c_build gcc; }
t_corpus_parallel_make() { corpus_task make_parallel make; }
t_corpus_sqlite_shell_and_python() { corpus_task sqlite sqlite3; }
t_corpus_node_async_io_and_child() { corpus_task node_async node; }
t_corpus_signals_and_job_control() { corpus_task signals; }
t_corpus_deep_unicode_trees() { corpus_task unicode_tree; }
t_corpus_venv() { corpus_task venv py:venv; }
t_corpus_flock_and_fcntl_locks() { corpus_task locks flock; }
t_corpus_fifos_and_unix_sockets() { corpus_task ipc; }
t_corpus_file_semantics_in_the_jail() { corpus_task files_semantics; }
