/*
 * A logged decision back into the request jt_decide saw. The record holds
 * the raw register arguments and the facts the tracer looked up, so the
 * same function can decide it again; nothing here decides.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "compat/names.h"
#include "reports/replay.h"

int jt_request_from_rec(const struct jt_rec_syscall *s, struct jt_request *rq, char *why, size_t len)
{
	const struct jt_abi *abi = jt_abi_by_name(s->abi);

	memset(rq, 0, sizeof(*rq));
	if (s->nraw < 0) {
		snprintf(why, len, "a %s record without \"raw\" arguments cannot be decided again",
			 s->name ? s->name : "syscall");
		return -EINVAL;
	}
	/* as the tracer does: the native ABI and i386 are handled; x32 is
	 * refused by name (builtin:abi-not-handled) */
	rq->abi = jt_abi_handled(abi) ? abi : NULL;
	rq->audit_arch = abi ? abi->audit_arch : 0;
	rq->nr = (long)s->nr;
	rq->sys = -1;
	if (s->name) {
		rq->sys = jt_sys_by_name(s->name);
		if (rq->sys < 0) {
			snprintf(why, len, "syscall \"%s\" is unknown to this jailtrace", s->name);
			return -EINVAL;
		}
	}
	for (int i = 0; i < s->nraw && i < 6; i++)
		rq->args[i] = s->raw[i];
	rq->target = s->has_target ? s->target : JT_TARGET_NONE;
	rq->first_exec = s->first_exec;
	return 0;
}

int jt_rec_errno(const char *name)
{
	char *end;
	long v;

	if (!name)
		return -1;
	if (name[0] == 'E')
		return jt_errno_by_name(name) < 0 ? -1 : jt_errno_by_name(name);
	v = strtol(name, &end, 10);
	return *end || v <= 0 || v > 4095 ? -1 : (int)v;
}

int jt_rec_by_transport(const struct jt_rec_syscall *s)
{
	/* the built-in checks of jt_decide; any other builtin is the transport's */
	static const char *const decide[] = {
		"target-outside", "no-such-process", "clone-flags", "forbidden-flags", "network-family",
		"network-udp", "network-raw", "network-protocol", "unix-datagram",
		"ioctl-not-allowed", "abi-not-handled", "fcntl-setown-ex", "unknown-check",
	};

	if (s->path)
		return 1;
	if (strncmp(s->rule, "builtin:", 8))
		return 0;
	for (size_t i = 0; i < sizeof(decide) / sizeof(decide[0]); i++)
		if (!strcmp(s->rule + 8, decide[i]))
			return 0;
	return 1;
}

int jt_verdict_matches(const struct jt_rec_syscall *s, const struct jt_verdict *v)
{
	if (s->allow || v->allow)
		return s->allow == v->allow;
	return jt_rec_errno(s->err) == v->err;
}

/* /proc/PID, /proc/self, /proc/thread-self: the run's own processes, not a grant. */
int jt_is_proc_of_run(const char *path)
{
	const char *r = path + 6;

	if (strncmp(path, "/proc/", 6))
		return 0;
	if (!strncmp(r, "self", 4) && (r[4] == '/' || !r[4]))
		return 1;
	if (!strncmp(r, "thread-self", 11) && (r[11] == '/' || !r[11]))
		return 1;
	if (*r < '1' || *r > '9')
		return 0;
	while (*r >= '0' && *r <= '9')
		r++;
	return *r == '/' || !*r;
}

int jt_redecide_path(const struct jt_policy *p, const struct jt_rec_syscall *s,
		     const struct jt_request *rq, struct jt_verdict *v)
{
	struct jt_path_facts f;
	enum jt_path_access a;

	if (!s->path || s->addr || rq->sys < 0 || !rq->abi)
		return 0;
	if (s->rule && !strcmp(s->rule, "builtin:handover-descriptor"))
		return 0;
	/* a grant given on the command line (--ro, --rw) is not in the log: the
	 * path stays as it was decided, as under the same command line */
	if (s->rule && s->rule[0] == '-')
		return 0;
	if (jt_path_access_of(rq->sys, rq->args, s->allow ? 0 : jt_rec_errno(s->err), &a) < 0)
		return 0;
	/* a path outside the view is logged as asked: relative to a cwd the
	 * record does not hold, it cannot be placed */
	if (s->path[0] != '/')
		return 0;
	if (jt_is_proc_of_run(s->path)) {
		/* the walk reaches the run's processes through the view's /proc, a
		 * directory only while some grant lies under it: without one the
		 * path is not there; with one it goes as it went */
		if (jt_view_dir_facts(p, "/proc", &f) || jt_grant_of(p, "/proc") >= 0)
			return 0;
		f.in_view = 0;
	} else {
		jt_path_facts_of(p, s->path, &f);
	}
	jt_decide_path(p, a, &f, v);
	return 1;
}

const char *jt_rec_asked_path(const struct jt_rec_syscall *s, int sys)
{
	const struct jt_sysinfo *si;

	if (sys < 0 || sys >= JT_SYS_COUNT || !s->args)
		return NULL;
	si = &jt_sysinfo[sys];
	for (int i = 0; i < si->nargs; i++)
		if (si->arg[i] == JT_ARG_PATH) {
			json_t *a = json_array_get(s->args, (size_t)i);

			return json_is_string(a) ? json_string_value(a) : NULL;
		}
	return NULL;
}

/*
 * One place the walk of @path passes: in the view under @run, not under
 * @p, is a denial. @return 1 denied (@v set), 0 go on, -1 stop (the place
 * is not the host's path, or @run alone does not hold it: a command-line
 * grant, /proc of the run; the record stays as it was).
 */
static int place(const struct jt_policy *run, const struct jt_policy *p, const char *path,
		 struct jt_verdict *v)
{
	struct jt_path_facts fr, fp;
	int gi;

	jt_path_facts_of(run, path, &fr);
	/* not the policy's, or the jail's and jailtrace's own files (a
	 * directory of every view, /etc or /dev, is the host's: go on) */
	if (!fr.in_view || (fr.part && strcmp(fr.part, "view-dir")))
		return -1;
	jt_path_facts_of(p, path, &fp);
	if (!fp.in_view) {
		jt_decide_path(p, JT_PATH_LOOKUP, &fp, v);
		return 1;
	}
	gi = jt_grant_of(run, path);
	if (gi >= 0 && strcmp(run->grants[gi].host, run->grants[gi].inside))
		return -1;	/* HOST:INSIDE: the host's links are another path's */
	return 0;
}

int jt_redecide_links(const struct jt_policy *run, const struct jt_policy *p, const char *asked,
		      struct jt_verdict *v)
{
	char cur[PATH_MAX], next[PATH_MAX], link[PATH_MAX];
	int hops = 0, r;

	/* lexically only without "..": after a link it means another place */
	if (!run || !asked || asked[0] != '/' || strstr(asked, "/..") ||
	    snprintf(cur, sizeof(cur), "%s", asked) >= (int)sizeof(cur) || jt_path_normalize(cur) < 0)
		return 0;
	for (size_t i = 1; cur[i - 1]; i++) {
		struct stat st;
		ssize_t n;
		char save;

		if (cur[i] != '/' && cur[i] != '\0')
			continue;
		save = cur[i];
		cur[i] = '\0';
		if ((r = place(run, p, cur, v)) != 0)
			return r > 0;
		if (lstat(cur, &st) < 0)
			return 0;	/* the host lacks it: the walk ended there */
		if (!S_ISLNK(st.st_mode)) {
			cur[i] = save;
			if (save == '\0')
				break;
			continue;
		}
		n = readlink(cur, link, sizeof(link) - 1);
		if (n <= 0 || ++hops > 40)
			return 0;
		link[n] = '\0';
		if (link[0] == '/')
			r = snprintf(next, sizeof(next), "%s%s%s", link, save ? "/" : "", save ? cur + i + 1 : "");
		else {
			*strrchr(cur, '/') = '\0';
			r = snprintf(next, sizeof(next), "%s/%s%s%s", cur, link, save ? "/" : "",
				     save ? cur + i + 1 : "");
		}
		if (r >= (int)sizeof(next) || strstr(next, "/..") || jt_path_normalize(next) < 0)
			return 0;
		memcpy(cur, next, strlen(next) + 1);
		i = 0;
	}
	return 0;
}

/*
 * The interpreter an exec of the host file @host walks besides the
 * program: a script's `#!` line, an ELF file's PT_INTERP (the dynamic
 * loader). The log does not show that walk: it is read from the file.
 * @return 1 with @interp set (absolute), 0 none.
 */
int jt_exec_interp(const char *host, char *interp, size_t len)
{
	unsigned char b[256];
	int fd = open(host, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = pread(fd, b, sizeof(b) - 1, 0);
	interp[0] = '\0';
	if (n > 2 && b[0] == '#' && b[1] == '!') {
		char *p = (char *)b + 2, *e;

		b[n] = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		for (e = p; *e && *e != ' ' && *e != '\t' && *e != '\n'; e++)
			;
		snprintf(interp, len, "%.*s", (int)(e - p), p);
	} else if (n >= (ssize_t)sizeof(Elf64_Ehdr) && !memcmp(b, ELFMAG, SELFMAG)) {
		int is64 = b[EI_CLASS] == ELFCLASS64;
		uint64_t phoff = is64 ? ((Elf64_Ehdr *)b)->e_phoff : ((Elf32_Ehdr *)b)->e_phoff;
		unsigned phnum = is64 ? ((Elf64_Ehdr *)b)->e_phnum : ((Elf32_Ehdr *)b)->e_phnum;

		for (unsigned i = 0; i < phnum && i < 64; i++) {
			Elf64_Phdr p64;
			Elf32_Phdr p32;
			uint64_t off, sz;

			if (is64 ? pread(fd, &p64, sizeof(p64), (off_t)(phoff + i * sizeof(p64))) != sizeof(p64)
				 : pread(fd, &p32, sizeof(p32), (off_t)(phoff + i * sizeof(p32))) != sizeof(p32))
				break;
			if ((is64 ? p64.p_type : p32.p_type) != PT_INTERP)
				continue;
			off = is64 ? p64.p_offset : p32.p_offset;
			sz = is64 ? p64.p_filesz : p32.p_filesz;
			if (sz == 0 || sz >= len ||
			    pread(fd, interp, (size_t)sz, (off_t)off) != (ssize_t)sz)
				interp[0] = '\0';
			else
				interp[sz] = '\0';
			break;
		}
	}
	close(fd);
	return interp[0] == '/';
}

int jt_redecide_interp(const struct jt_policy *run, const struct jt_policy *p, const char *prog,
		       struct jt_verdict *v)
{
	char cur[PATH_MAX], interp[PATH_MAX];
	struct jt_path_facts f;

	if (!run || !prog || snprintf(cur, sizeof(cur), "%s", prog) >= (int)sizeof(cur))
		return 0;
	/* a script's interpreter, and the loader of that: a few levels at most */
	for (int level = 0; level < 3; level++) {
		int gi = jt_grant_of(run, cur);

		jt_path_facts_of(run, cur, &f);
		/* read where the host has it: a grant of the host's own path */
		if (!f.in_view || f.part || gi < 0 || strcmp(run->grants[gi].host, run->grants[gi].inside) ||
		    !jt_exec_interp(cur, interp, sizeof(interp)))
			return 0;
		if (jt_redecide_links(run, p, interp, v))
			return 1;
		memcpy(cur, interp, strlen(interp) + 1);
	}
	return 0;
}
