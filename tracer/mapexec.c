/*
 * "Like a noexec mount": without `exec jail`, no file from a writable
 * grant (what the program wrote) may be mapped executable, so the loader
 * run by hand (`ld.so ./prog`) and dlopen/ctypes of a written library
 * fail as they do on a noexec mount, while anonymous executable memory
 * (JITs) keeps working. The seccomp filter stops only mmap with PROT_EXEC
 * of a descriptor and mprotect/pkey_mprotect with PROT_EXEC; this says
 * whether the memory they would make executable is such a file.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include "tracer/fs.h"
#include "tracer/internal.h"
#include "tracer/path.h"

/*
 * Is the host path @host (as /proc shows it, " (deleted)" and all) in a
 * writable grant? The grant that holds it is the longest that names it,
 * as in jt_view_inside_of: `--ro DIR/lib.so` inside `--rw DIR` is read-only.
 */
static int in_writable_grant(const struct jt_view *v, const char *host)
{
	static const char deleted[] = " (deleted)";
	const struct jt_mount *best = NULL;
	char path[PATH_MAX];
	size_t n = strlen(host), dl = sizeof(deleted) - 1, best_len = 0;

	if (n >= sizeof(path))
		return 1;	/* too long to name: not ours to let run */
	memcpy(path, host, n + 1);
	if (n > dl && !strcmp(path + n - dl, deleted))
		path[n - dl] = '\0';	/* a file unlinked since: where it was */
	for (size_t i = 0; i < v->n; i++) {
		const struct jt_mount *m = &v->m[i];
		size_t hl = strlen(m->host);

		if (m->flags & JT_MNT_LINK)
			continue;
		if (hl == 1 && m->host[0] == '/')
			hl = 0;	/* a grant of "/" itself */
		if (strncmp(path, m->host, hl) || (path[hl] != '\0' && path[hl] != '/'))
			continue;
		if (!(m->flags & JT_MNT_DIR) && path[hl] != '\0')
			continue;
		if (!best || hl >= best_len)
			best = m, best_len = hl;
	}
	return best && (best->flags & JT_MNT_RW);
}

/* mmap(addr, len, prot, flags, fd, off) of a descriptor with PROT_EXEC */
static int mmap_written(struct jt_run *run, struct jt_task *t, const struct jt_request *rq)
{
	char text[PATH_MAX];
	int fd = (int)rq->args[4];
	ssize_t n;

	if (!(rq->args[2] & PROT_EXEC) || (rq->args[3] & MAP_ANONYMOUS) || fd < 0)
		return 0;
	n = jt_fs_fd_link(run, t, fd, text, sizeof(text));
	if (n < 0)	/* no such descriptor: the kernel says EBADF; unreadable: refused */
		return n != -EBADF;
	/* a memfd, a pipe, an anon inode are not files of the view */
	if (text[0] != '/' || !strncmp(text, "/memfd:", 7))
		return 0;
	return in_writable_grant(&run->view, text);
}

/* mprotect(addr, len, PROT_EXEC...): any file-backed mapping in the range */
static int mprotect_written(const struct jt_run *run, const struct jt_task *t,
			    const struct jt_request *rq)
{
	unsigned long long lo, hi, start = rq->args[0], end = rq->args[0] + rq->args[1];
	char path[64], *line = NULL;
	size_t cap = 0;
	int found = 0;
	FILE *f;

	if (!(rq->args[2] & PROT_EXEC))
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/maps", t->tid);
	f = fopen(path, "re");
	if (!f)
		return 1;	/* cannot tell: refused, as a noexec mount would be */
	while (!found && getline(&line, &cap, f) > 0) {
		char *name;
		int k = 0;

		if (sscanf(line, "%llx-%llx %*s %*x %*x:%*x %*u %n", &lo, &hi, &k) != 2 || !k)
			continue;
		if (hi <= start || lo >= end)
			continue;
		name = line + k;
		name[strcspn(name, "\n")] = '\0';
		found = name[0] == '/' && in_writable_grant(&run->view, name);
	}
	free(line);
	fclose(f);
	return found;
}

int jt_map_exec_written(struct jt_run *run, struct jt_task *t, const struct jt_request *rq)
{
	if (!run->use_view)
		return 0;
	if (rq->sys == JT_SYS_mmap || rq->sys == JT_SYS_mmap2)
		return mmap_written(run, t, rq);
	return mprotect_written(run, t, rq);
}
