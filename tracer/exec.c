/*
 * exec: the one call whose path the kernel resolves itself (tracer/calls.c
 * sends execve and execveat here).
 *
 * The kernel resolves an exec's path itself, so the tracer gives it the
 * host path of the file it resolved and checked, and, at the exec event,
 * before the new program runs one instruction, checks that the kernel ran
 * exactly that file (dev, inode); if not, the process is killed. A script
 * is resolved by the tracer: its interpreter runs with the script's inside
 * path as an argument, as the kernel would arrange it. A dynamic ELF's
 * loader must be the same file inside the view as on the host.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <gelf.h>
#include "compat/layout.h"
#include "filters/decide.h"
#include "tracer/fs.h"
#include "tracer/internal.h"
#include "tracer/op.h"
#include "tracer/path.h"

#define EXEC_SCRATCH 8192	/* below the stack pointer: host path and argv */

/* The file at @fd must be a regular, executable file. @return 0 or -errno. */
static int executable(int fd, struct stat *st)
{
	char p[64];

	if (fstat(fd, st) < 0)
		return -errno;
	if (S_ISDIR(st->st_mode))
		return -EACCES;
	if (!S_ISREG(st->st_mode))
		return -EACCES;
	jt_op_proc_fd(p, sizeof(p), fd);
	return faccessat(AT_FDCWD, p, X_OK, AT_EACCESS) < 0 ? -errno : 0;
}

/* Host path of a descriptor the tracer holds. */
static int host_path(int fd, char *out, size_t len)
{
	char p[64];
	ssize_t n;

	jt_op_proc_fd(p, sizeof(p), fd);
	n = readlink(p, out, len - 1);
	if (n < 0)
		return -errno;
	out[n] = '\0';
	return out[0] == '/' ? 0 : -ENOENT;
}

/*
 * One line of /proc/PID/maps: its start, and the device and inode of the
 * file mapped there (0 and 0 for anonymous memory). @return 1 if it names
 * a file (an inode, or a path that is not "[stack]" and the like), 0 if
 * not, -1 if it cannot be parsed.
 */
static int maps_line(const char *line, unsigned long long *start, unsigned long long *dev,
		     unsigned long long *ino)
{
	unsigned long long maj, min;
	int n = 0;

	if (sscanf(line, "%llx-%*x %*s %*x %llx:%llx %llu %n", start, &maj, &min, ino, &n) != 4 || !n)
		return -1;
	*dev = maj << 32 | min;
	return *ino != 0 || (line[n] && line[n] != '\n' && line[n] != '[');
}

/*
 * How /proc/PID/maps names the file open at @fd: the tracer maps one page of
 * it and reads its own maps. (stat's device and inode are not always those
 * of the mapping: overlayfs maps the file of the layer below, btrfs shows
 * the file system's device, not the subvolume's.) @return 0 or -errno.
 */
static int map_identity(int fd, struct jt_exec_map *id)
{
	void *p = mmap(NULL, 1, PROT_READ, MAP_PRIVATE, fd, 0);
	unsigned long long start, dev, ino;
	char *line = NULL;
	size_t cap = 0;
	FILE *f;
	int r = -ENOENT;

	if (p == MAP_FAILED)
		return -errno;
	f = fopen("/proc/self/maps", "re");
	if (!f) {
		r = -errno;
		munmap(p, 1);
		return r;
	}
	while (getline(&line, &cap, f) > 0) {
		if (maps_line(line, &start, &dev, &ino) == 1 && start == (uintptr_t)p) {
			id->dev = dev;
			id->ino = ino;
			r = 0;
			break;
		}
	}
	free(line);
	fclose(f);
	munmap(p, 1);
	return r;
}

int jt_exec_maps_ok(const struct jt_task *t, char *why, size_t len)
{
	unsigned long long start, dev, ino;
	char path[64], *line = NULL;
	size_t cap = 0;
	FILE *f;
	int r = 1, k;

	snprintf(path, sizeof(path), "/proc/%d/maps", t->tid);
	if (!(f = fopen(path, "re")))
		return -errno;
	while (r == 1 && getline(&line, &cap, f) > 0) {
		if ((k = maps_line(line, &start, &dev, &ino)) < 0) {
			r = -EINVAL;
			break;
		}
		if (!k)
			continue;
		r = 0;
		for (int i = 0; i < t->n_exec_maps && i < 2; i++)
			if (t->exec_maps[i].dev == dev && t->exec_maps[i].ino == ino)
				r = 1;
		if (!r)
			snprintf(why, len, "another file mapped (device %llx:%llx, inode %llu)",
				 dev >> 32, dev & 0xffffffffULL, ino);
	}
	free(line);
	fclose(f);
	return r;
}

/* PT_INTERP of an ELF file: "" for a static one. @return 0, or -ENOEXEC. */
static int elf_interp(int fd, char *out, size_t len)
{
	Elf *e;
	size_t n;
	int r = 0;

	out[0] = '\0';
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e || elf_kind(e) != ELF_K_ELF || elf_getphdrnum(e, &n) != 0) {
		if (e)
			elf_end(e);
		return -ENOEXEC;
	}
	for (size_t i = 0; i < n && i < 256; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_INTERP)
			continue;
		if (ph.p_filesz == 0 || ph.p_filesz >= len ||
		    pread(fd, out, ph.p_filesz, (off_t)ph.p_offset) != (ssize_t)ph.p_filesz) {
			r = -ENOEXEC;
			break;
		}
		out[ph.p_filesz] = '\0';
		if (strlen(out) != ph.p_filesz - 1)
			r = -ENOEXEC;
		break;
	}
	elf_end(e);
	return r;
}

/*
 * The loader named by PT_INTERP must be in the view, and be the host's file
 * of that path; run from a writable grant it needs `exec jail` like any
 * file the program wrote (*@written is then set). When @want_id or when it
 * is written, how the maps name it is put in @id. @return 0, 1 (denied:
 * see op->v), or -errno.
 */
static int check_interp(struct jt_op *op, const char *interp, int want_id, struct jt_exec_map *id,
			int *written)
{
	struct jt_path_facts f = { .in_view = 1, .rule = -1 };
	struct jt_verdict v;
	struct jt_walk w;
	struct stat in_view, on_host;
	int r = jt_walk_ctx(&op->run->view, jt_op_ctx(op), "/", interp, 0, &w), fd, rd;
	char p[64];

	if (r < 0 && w.denied) {
		/* the loader is not in the view: a decision, as replay predicts it */
		f.in_view = 0;
		jt_decide_path(op->run->policy, JT_PATH_LOOKUP, &f, &v);
		op->v = v;
		op->ret = -v.err;
		return 1;
	}
	if (r < 0)
		return -ENOENT;
	f.writable = w.mount && (w.mount->flags & JT_MNT_RW);
	f.rule = w.mount ? w.mount->rule : -1;
	fd = w.fd >= 0 ? fcntl(w.fd, F_DUPFD_CLOEXEC, 3)
		       : w.dirfd >= 0 ? openat(w.dirfd, w.name, O_PATH | O_NOFOLLOW | O_CLOEXEC) : -1;
	jt_walk_done(&w);
	if (fd < 0)
		return -ENOENT;
	jt_decide_path(op->run->policy, JT_PATH_EXEC, &f, &v);
	if (!v.allow) {
		close(fd);
		op->v = v;
		op->ret = -v.err;
		return 1;
	}
	*written = f.writable;
	r = fstat(fd, &in_view);
	if (r < 0 || stat(interp, &on_host) < 0 || in_view.st_dev != on_host.st_dev ||
	    in_view.st_ino != on_host.st_ino) {
		close(fd);
		return -ELIBBAD;
	}
	r = 0;
	if (want_id || f.writable) {
		jt_op_proc_fd(p, sizeof(p), fd);
		rd = open(p, O_RDONLY | O_CLOEXEC);
		r = rd < 0 ? -errno : map_identity(rd, id);
		if (rd >= 0)
			close(rd);
	}
	close(fd);
	return r;
}

/* A "#!" line: interpreter and optional argument. @return 1 if a script. */
static int shebang(int fd, char *interp, size_t ilen, char *arg, size_t alen)
{
	char line[256];
	ssize_t n = pread(fd, line, sizeof(line) - 1, 0);
	char *s, *e;

	if (n < 2 || line[0] != '#' || line[1] != '!')
		return 0;
	line[n] = '\0';
	e = strchr(line, '\n');
	if (e)
		*e = '\0';
	for (s = line + 2; *s == ' ' || *s == '\t'; s++)
		;
	e = s + strcspn(s, " \t");
	snprintf(interp, ilen, "%.*s", (int)(e - s), s);
	while (*e == ' ' || *e == '\t')
		e++;
	/* the rest is one argument, trailing blanks dropped, as the kernel does */
	n = (ssize_t)strlen(e);
	while (n > 0 && (e[n - 1] == ' ' || e[n - 1] == '\t'))
		n--;
	snprintf(arg, alen, "%.*s", (int)n, e);
	return 1;
}

/* Write strings and a NULL-terminated pointer array below @top. @return the array's address. */
static uint64_t put_argv(struct jt_op *op, uint64_t *top, const char *const *strs, int n,
			 uint64_t rest, int *err)
{
	uint64_t ptrs[64 + 256 + 1];
	unsigned char out[sizeof(ptrs)];
	size_t psz = op->rq->abi->ptr_size;
	int k = 0;

	for (int i = 0; i < n; i++) {
		size_t l = strlen(strs[i]) + 1;

		*top -= l;
		if ((*err = jt_mem_write(op->run, op->t->tid, *top, strs[i], l)) < 0)
			return 0;
		ptrs[k++] = *top;
	}
	/* the original argv[1...] follow: copy their pointers (the strings stay where they are) */
	for (int i = 1; rest && k < (int)(sizeof(ptrs) / sizeof(ptrs[0])) - 1; i++) {
		unsigned char raw[8];

		if (jt_mem_read(op->run, op->t->tid, rest + (uint64_t)i * psz, raw, psz) != (ssize_t)psz) {
			*err = -EFAULT;
			return 0;
		}
		if (!(ptrs[k] = jt_layout_ptr_get(op->rq->abi, raw)))
			break;
		k++;
	}
	ptrs[k++] = 0;
	/* as an array of the program's pointers (4 bytes for an i386 one) */
	for (int i = 0; i < k; i++)
		jt_layout_ptr_put(op->rq->abi, out + (size_t)i * psz, ptrs[i]);
	*top = (*top - (uint64_t)k * psz) & ~(uint64_t)15;
	*err = jt_mem_write(op->run, op->t->tid, *top, out, (size_t)k * psz);
	return *top;
}

/* Can this kernel run a file by descriptor (execveat, 3.19)? */
static int has_execveat(void)
{
	static int known = -1;

	if (known < 0)
		known = syscall(SYS_execveat, -1, "", NULL, NULL, AT_EMPTY_PATH) < 0 && errno != ENOSYS;
	return known;
}

/*
 * Does execveat(fd, "", AT_EMPTY_PATH) run the file? Some kernels that have
 * the call answer ENOENT (Debian 11's 5.10.0-32, found booting it), where
 * execve of /proc/self/fd/N runs it. Tried once, on jailtrace's own binary
 * (`jailtrace version`, its output discarded), when first needed.
 */
static int empty_path_exec_works(void)
{
	static int known = -1;
	pid_t c;
	int fd, st;

	if (known >= 0)
		return known;
	known = 0;
	fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return known;
	c = fork();
	if (c == 0) {
		char *argv[] = { "jailtrace", "version", NULL }, *envp[] = { NULL };
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0) {
			dup2(null, 1);
			dup2(null, 2);
		}
		syscall(SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH);
		_exit(127);
	}
	while (c > 0 && waitpid(c, &st, 0) < 0 && errno == EINTR)
		;
	if (c > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0)
		known = 1;
	close(fd);
	return known;
}

/*
 * Can the program's user walk the host path @host to the exec'd file? As
 * root the program is another user than the tracer, which reaches grants by
 * descriptors: a grant below a directory only root may enter is in the view
 * but not on a path the kernel can walk for the program. Then the checked
 * file is given to it (its descriptor, close-on-exec) and run by number.
 * @return 0: the path will do; 1: give the file first; 2 + the number it was
 * given; -errno (the race of a file changed between the two stops: EACCES).
 */
static int unreachable(struct jt_op *op, const char *host, const struct stat *st)
{
	char dir[PATH_MAX], p[64];
	char *slash;
	struct stat gs;
	int given;

	if (!op->run->switch_user || host[0] != '/')
		return 0;
	snprintf(dir, sizeof(dir), "%s", host);
	slash = strrchr(dir, '/');
	slash[slash == dir] = '\0';
	jt_view_as_jail();	/* the tracer's file-system uid is the program's */
	if (faccessat(AT_FDCWD, dir, X_OK, AT_EACCESS) == 0 || errno != EACCES)
		return 0;
	given = jt_given_take(op->t, op->rq->sys, op->rq->args);
	if (given == -ENOENT)
		return has_execveat() ? 1 : -EACCES;
	if (given < 0)
		return given;
	snprintf(p, sizeof(p), "/proc/%d/fd/%d", op->t->tid, given);
	if (stat(p, &gs) < 0 || gs.st_dev != st->st_dev || gs.st_ino != st->st_ino)
		return -EACCES;
	return 2 + given;
}

/*
 * The checked file, open for reading at @fd (taken over), runs: a script's
 * interpreter is resolved and checked in turn, an ELF's loader checked, and
 * the kernel given the host path of the file to run (with the interpreter's
 * arguments for a script), or, @as_given (fexecve of an ELF), the call as
 * the program made it. @written: the file is the program's (a writable
 * grant, a memfd): it may change until the kernel reads it, so the exec
 * event checks every mapping of the new image too. @script is the path a
 * script's interpreter is given.
 */
static int exec_checked(struct jt_op *op, int fd, int written, const char *script, uint64_t argv,
			int as_given, const char *kernel_path)
{
	char interp[PATH_MAX], arg[256], host[PATH_MAX];
	struct jt_exec_map maps[2];
	struct stat st;
	int r, is_script, n_maps = 0, loader_rw = 0;

	is_script = shebang(fd, interp, sizeof(interp), arg, sizeof(arg));
	if (is_script) {
		struct jt_walk iw;
		int ifd;

		close(fd);
		if (interp[0] != '/')
			return jt_op_result(op, -ENOEXEC);
		/* the interpreter, too, must be in the view and runnable */
		r = jt_walk_ctx(&op->run->view, jt_op_ctx(op), "/", interp, 0, &iw);
		if (r < 0 && iw.denied) {
			/* the interpreter is not in the view: a decision */
			op->facts.in_view = 0;
			jt_op_decide(op, JT_PATH_LOOKUP);
			return 0;
		}
		if (r < 0)
			return jt_op_result(op, r == -ENOENT ? -ENOENT : r);
		op->facts.in_view = 1;
		op->facts.writable = iw.mount && (iw.mount->flags & JT_MNT_RW);
		op->facts.rule = iw.mount ? iw.mount->rule : -1;
		jt_walk_done(&op->w[1]);
		op->w[1] = iw;
		if (!jt_op_decide(op, JT_PATH_EXEC))
			return 0;
		/* the kernel now reads the interpreter, not the script */
		written = op->facts.writable;
		as_given = 0;
		if ((ifd = jt_op_object(op, 1, 0)) < 0)
			return jt_op_result(op, ifd);
		{
			char p[64];

			jt_op_proc_fd(p, sizeof(p), ifd);
			fd = open(p, O_RDONLY | O_CLOEXEC);
			r = executable(ifd, &st);
			close(ifd);
			if (r < 0 || fd < 0) {
				if (fd >= 0)
					close(fd);
				return jt_op_result(op, r < 0 ? r : -errno);
			}
		}
	}
	r = elf_interp(fd, host, sizeof(host));
	if (r == 0 && host[0]) {
		/* the loader's identity is wanted when anything here is the program's */
		r = check_interp(op, host, written, &maps[1], &loader_rw);
		if (r == 1) {
			close(fd);
			return 0;
		}
		n_maps = 1;
	}
	written |= loader_rw;
	if (r == 0)
		r = fstat(fd, &st) < 0 ? -errno : 0;
	if (r == 0 && !as_given && kernel_path && !is_script)
		snprintf(host, sizeof(host), "%s", kernel_path);
	else if (r == 0 && !as_given)
		r = host_path(fd, host, sizeof(host));
	if (r == 0 && written)
		r = map_identity(fd, &maps[0]);
	if (r < 0) {
		close(fd);
		return jt_op_result(op, r);
	}

	/* hand the kernel the host path; the exec event checks what ran */
	if (!as_given && (r = unreachable(op, host, &st)) != 0) {
		/* or the file itself, given to the program, where its user cannot
		 * walk that path (as root: a grant under /root): run by number */
		if (r == 1) {
			op->t->give_want = fd + 1;	/* the answer is dropped: syscall.c */
			return 0;
		}
		if (r < 0)
			goto fail;
		if (empty_path_exec_works()) {
			op->exec_fd = r - 2;
			host[0] = '\0';	/* execveat(fd, "", ..., AT_EMPTY_PATH) */
		} else {
			/* execve of the given number: the exec event checks what ran */
			snprintf(host, sizeof(host), "/proc/self/fd/%d", r - 2);
		}
	}
	if (!as_given) {
		uint64_t top, hp, newargv = argv;
		size_t hl = strlen(host) + 1;
		int err = 0;

		if ((r = jt_regs_save(op->t->tid, &op->regs)) < 0)
			goto fail;
		top = (jt_regs_sp(&op->regs) - EXEC_SCRATCH) & ~(uint64_t)15;
		top -= hl;
		hp = top;
		if ((r = jt_mem_write(op->run, op->t->tid, hp, host, hl)) < 0)
			goto fail;
		if (is_script) {
			const char *strs[3] = { interp, arg[0] ? arg : script, script };

			newargv = put_argv(op, &top, strs, arg[0] ? 3 : 2, argv, &err);
			if ((r = err) < 0)
				goto fail;
		}
		op->exec_path = hp;
		op->exec_argv = newargv;
	}
	op->t->exec_dev = st.st_dev;
	op->t->exec_ino = st.st_ino;
	op->t->flags &= ~JT_TASK_EXEC_MAPS;
	op->t->flags |= JT_TASK_EXEC_CHECK | (written ? JT_TASK_EXEC_MAPS : 0);
	if (written) {
		/* the program's file may have changed since it was read here */
		op->t->exec_maps[0] = maps[0];
		op->t->exec_maps[1] = maps[1];
		op->t->n_exec_maps = 1 + n_maps;
	}
	/* held until the exec event, so no other file can take its inode number */
	jt_task_exec_release(op->t);
	op->t->exec_hold = fd + 1;
	op->v.allow = 1;
	op->to_kernel = 1;
	return 0;
fail:
	close(fd);
	return jt_op_result(op, r);
}

/* Open the checked O_PATH descriptor @fd (closed) for reading. @return it or -errno. */
static int exec_reopen(int fd, struct stat *st)
{
	char p[64];
	int rd, r;

	jt_op_proc_fd(p, sizeof(p), fd);
	rd = open(p, O_RDONLY | O_CLOEXEC);
	r = executable(fd, st);
	close(fd);
	if (r < 0) {
		if (rd >= 0)
			close(rd);
		return r;
	}
	return rd < 0 ? -errno : rd;
}

/*
 * fexecve, execveat(fd, "", AT_EMPTY_PATH): the program's descriptor. The
 * tracer takes its own copy, and the file is read-only only if it lies in
 * a read-only grant and is still the file of its host path there; anything
 * else (a writable grant, a memfd, an unlinked file) is the program's own
 * and runs only under `exec jail`. A script runs as the kernel runs it,
 * its interpreter given /dev/fd/N.
 */
static int fexec(struct jt_op *op, int pfd, uint64_t argv)
{
	char host[PATH_MAX], inside[PATH_MAX], p[64], script[64];
	struct stat st, at_host;
	int copy = jt_op_fd_copy(op, pfd), fd, ro = 0;
	ssize_t n;

	if (copy < 0)
		return jt_op_result(op, copy == -EACCES ? -EACCES : -EBADF);
	jt_op_proc_fd(p, sizeof(p), copy);
	n = readlink(p, host, sizeof(host) - 1);
	host[n > 0 ? n : 0] = '\0';
	op->facts.in_view = 1;
	op->facts.rule = -1;
	snprintf(op->path[0], sizeof(op->path[0]), "%s", host);
	if (host[0] == '/' && fstat(copy, &st) == 0 && stat(host, &at_host) == 0 &&
	    st.st_dev == at_host.st_dev && st.st_ino == at_host.st_ino) {
		/* the longest grant holding the file says whether the program may change it */
		for (size_t i = 0, best = 0; i < op->run->view.n; i++) {
			const struct jt_mount *m = &op->run->view.m[i];
			size_t l = strlen(m->host);

			if ((m->flags & JT_MNT_LINK) || strncmp(host, m->host, l) ||
			    (host[l] && host[l] != '/' && l > 1) || l < best)
				continue;
			best = l;
			ro = !(m->flags & JT_MNT_RW);
			op->facts.rule = m->rule;
		}
		if (jt_view_inside_of(&op->run->view, host, inside, sizeof(inside)) >= 0)
			snprintf(op->path[0], sizeof(op->path[0]), "%s", inside);
	}
	op->facts.writable = !ro;
	if (!jt_op_decide(op, JT_PATH_EXEC)) {
		close(copy);
		return 0;
	}
	if ((fd = exec_reopen(copy, &st)) < 0)
		return jt_op_result(op, fd);
	snprintf(script, sizeof(script), "/dev/fd/%d", pfd);
	{
		/* the kernel cannot give a script's interpreter a descriptor closed on exec */
		char line[64], info[64];
		unsigned flags = 0;
		FILE *f;

		jt_view_as_jail();
		snprintf(info, sizeof(info), "/proc/%d/fdinfo/%d", op->t->tid, pfd);
		if ((f = fopen(info, "re"))) {
			while (fgets(line, sizeof(line), f))
				if (sscanf(line, "flags: %o", &flags) == 1)
					break;
			fclose(f);
		}
		if ((flags & O_CLOEXEC) && pread(fd, line, 2, 0) == 2 && line[0] == '#' && line[1] == '!') {
			close(fd);
			return jt_op_result(op, -ENOENT);
		}
	}
	return exec_checked(op, fd, !ro, script, argv, 1, NULL);
}

/*
 * A program run through a link in a read-only grant (`sh` -> dash, `python3`
 * -> python3.11): the host path of the link itself into @out, when it leads
 * the host's kernel to the very file checked (@st), so the process is named
 * by the link as natively (the kernel takes comm, what ps -o comm and
 * pgrep -x show, from the last component of the path it is given). The
 * exec event still checks that the file checked is what ran. @return 1 if
 * @out holds it, else 0 (give the file's own host path).
 */
static int link_path(struct jt_op *op, const struct stat *st, char *out, size_t len)
{
	const char *base = strrchr(op->path[0], '/');
	char dir[PATH_MAX];
	struct jt_walk lw;
	struct stat on_host;
	int r = 0;

	/* an absolute path whose last name is not the file's own */
	if (op->path[0][0] != '/' || !base || !base[1] || !strcmp(base + 1, op->w[0].name))
		return 0;
	if (jt_walk_ctx(&op->run->view, jt_op_ctx(op), "/", op->path[0], JT_WALK_NOFOLLOW, &lw) < 0)
		return 0;
	if (lw.is_link && lw.dirfd >= 0 && lw.mount && !(lw.mount->flags & (JT_MNT_RW | JT_MNT_PROC)) &&
	    host_path(lw.dirfd, dir, sizeof(dir)) == 0 &&
	    snprintf(out, len, "%s/%s", strcmp(dir, "/") ? dir : "", lw.name) < (int)len &&
	    stat(out, &on_host) == 0 && on_host.st_dev == st->st_dev && on_host.st_ino == st->st_ino)
		r = 1;
	jt_walk_done(&lw);
	return r;
}

int jt_exec(struct jt_op *op, int dirfd, uint64_t path, uint64_t argv, int at_flags)
{
	char via_link[PATH_MAX];
	struct stat st;
	int r, fd, proc_obj;

	if ((r = jt_op_read_path(op, 0, path)) < 0)
		return jt_op_result(op, r);
	if (!op->path[0][0] && (at_flags & AT_EMPTY_PATH))
		return fexec(op, dirfd, argv);
	if ((r = jt_op_walk(op, 0, dirfd, (at_flags & AT_SYMLINK_NOFOLLOW) ? JT_WALK_NOFOLLOW : 0)) < 0)
		return jt_op_walk_failed(op, 0, r);
	if (!jt_op_decide(op, JT_PATH_EXEC))
		return 0;
	if ((fd = jt_op_object(op, 0, 0)) < 0)
		return jt_op_result(op, fd == -ELOOP && (at_flags & AT_SYMLINK_NOFOLLOW) ? -ELOOP : fd);
	/* reopen for reading: the O_PATH descriptor cannot be read */
	if ((fd = exec_reopen(fd, &st)) < 0)
		return jt_op_result(op, fd);
	/* /proc/PID/fd/N of what has no path (a memfd): the kernel reaches it
	 * through the same link of the host's /proc; the exec event checks it */
	proc_obj = op->w[0].mount && (op->w[0].mount->flags & JT_MNT_PROC) && op->w[0].fd >= 0;
	return exec_checked(op, fd, op->facts.writable, op->w[0].inside, argv, 0,
			    proc_obj ? op->w[0].inside
			    : !op->facts.writable && link_path(op, &st, via_link, sizeof(via_link)) ? via_link
			    : NULL);
}

