/*
 * Sandboxes and their commands. A sandbox is a tenant's user, a jail (the
 * user's own, DATA/jails/TENANT/USER, kept after the sandbox; or an
 * ephemeral one, DATA/ephemeral/ID, removed with it) and the options every
 * command gets. A command is a child `jailtrace run` in that jail; its
 * output is streamed as JSON lines while it runs, then its result.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <netdb.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include "filters/net.h"
#include "filters/policy.h"
#include "serve/serve.h"
#include "tracer/internal.h"

#define MAX_OPTS 256
#define MAX_PORTS 8		/* ports a process may listen on */
#define MAX_EXPOSED 8
#define MAX_PROCS 16		/* processes a sandbox keeps (the oldest ended one goes); at
				 * least --max-processes, the most running at once */
#define PROC_OUT_MAX (1024 * 1024)
#define KEEPALIVE_MS 20000	/* well under serve.c's connection timeout (60 s) */
#define CODE_MAX (128 * 1024 - 1024)	/* an argument's bound (MAX_ARG_STRLEN), less a margin */

struct box {
	struct box *next;
	char id[32];
	char tenant[32];
	char user[40];
	char name[80];		/* --user: TENANT.USER */
	char jail[PATH_MAX];
	char logs[PATH_MAX];	/* DATA/logs/TENANT/ID */
	char policy[64];	/* a name, "(text)" for policy_text, or "" for the built-in one */
	char policy_path[PATH_MAX + 80];	/* --policies DIR/NAME.policy, or DATA/run/ID.policy */
	int policy_own;		/* policy_path is this sandbox's policy_text: removed with it */
	int ephemeral;
	char **opts;		/* options every command gets (grants, network, limits) */
	size_t n_opts;
	unsigned idle_s;
	unsigned max_age_s;	/* 0: none */
	int64_t created;	/* realtime, ms */
	int64_t born;		/* monotonic, ms */
	int64_t last_used;	/* monotonic, ms */
	unsigned commands;
	int refs;
	int dead;
	int running;		/* a command runs (one at a time) */
	int cell;		/* a cell runs in the stateful interpreter */
	pid_t pid;		/* its jailtrace, while not yet reaped */
	struct proc *procs;	/* background processes, newest first (the ended ones too) */
	unsigned n_procs;
	unsigned n_live;	/* how many of them run (--max-processes at most) */
	int exposed[MAX_EXPOSED];	/* ports exposed (POST .../ports/N) */
	size_t n_exposed;
	struct kernel *kernel;	/* the stateful interpreter, or NULL */
	uint64_t mem;		/* the running command's memory limit (--tenant-memory) */
	char **secrets;		/* JT_SERVE_SECRET_N=VALUE: the proxy rules' header values, in
				 * jailtrace's environment only */
	size_t n_secrets;
};

/* The stateful interpreter of a sandbox ("stateful": true): one jailtrace
 * run of KERNEL_PY (fed a JSON line per cell on its stdin), KERNEL_BASH or
 * KERNEL_JS (fed "NONCE LENGTH\n" and the code's bytes). One language at a
 * time. */
enum { K_PYTHON, K_BASH, K_NODE };
static const char *const kernel_lang[] = { "python", "bash", "node" };

struct kernel {
	int lang;		/* K_PYTHON... */
	pid_t pid;		/* its guard */
	int fd_in, fd[2];
	char id[32];		/* its audit log */
	char result[PATH_MAX + 64];
	unsigned cells;
	int status;		/* its wait status, once reaped */
	uint64_t mem;		/* its memory limit (--tenant-memory) */
};

/* A background process (POST .../processes): a child jailtrace run in the
 * sandbox's jail whose output the server keeps (the last PROC_OUT_MAX bytes
 * of each stream) rather than streams. */
struct proc {
	struct proc *next;
	struct box *box;
	char id[32];
	char cmd[200];		/* its argv, for the listing */
	char result[PATH_MAX + 64];
	pid_t pid;		/* its guard, while not yet reaped */
	int running;
	int killed;		/* SIGKILL sent: no result will be written */
	int ports[MAX_PORTS];
	size_t n_ports;
	int fd[2];
	char *out[2];
	size_t len[2];
	unsigned long long total[2], dropped[2];
	int64_t started;	/* realtime, ms */
	char *end;		/* the result event, once it ended */
	uint64_t mem;		/* its memory limit (--tenant-memory) */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t create_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static struct box *boxes;
static int stopping;
static pthread_t reaper;

static int64_t now_ms(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void random_id(char *out, size_t len, const char *prefix)
{
	unsigned char b[10];
	size_t n;

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		abort();
	n = (size_t)snprintf(out, len, "%s", prefix);
	for (size_t i = 0; i < sizeof(b) && n + 2 < len; i++, n += 2)
		snprintf(out + n, len - n, "%02x", b[i]);
}

static void free_proc(struct proc *p)
{
	free(p->out[0]);
	free(p->out[1]);
	free(p->end);
	free(p);
}

static void free_box(struct box *b)
{
	if (b->policy_own)
		unlink(b->policy_path);
	while (b->procs) {
		struct proc *p = b->procs;

		b->procs = p->next;
		free_proc(p);
	}
	for (size_t i = 0; i < b->n_opts; i++)
		free(b->opts[i]);
	free(b->opts);
	for (size_t i = 0; i < b->n_secrets; i++) {
		explicit_bzero(b->secrets[i], strlen(b->secrets[i]));
		free(b->secrets[i]);
	}
	free(b->secrets);
	free(b);
}

void box_put(struct box *b)
{
	int last;

	pthread_mutex_lock(&lock);
	last = --b->refs == 0;
	pthread_mutex_unlock(&lock);
	if (last)
		free_box(b);
}

struct box *box_find(const char *tenant, const char *id)
{
	struct box *b;

	pthread_mutex_lock(&lock);
	for (b = boxes; b; b = b->next)
		if (!b->dead && !strcmp(b->id, id) && !strcmp(b->tenant, tenant))
			break;
	if (b)
		b->refs++;
	pthread_mutex_unlock(&lock);
	return b;
}

const char *box_jail(const struct box *b)
{
	return b->jail;
}

void box_touch(struct box *b)
{
	pthread_mutex_lock(&lock);
	b->last_used = now_ms(CLOCK_MONOTONIC);
	pthread_mutex_unlock(&lock);
}

/* Wait for @pid up to @ms; 1 when it is gone (reaped), 0 when not yet. */
static int reap_within(pid_t pid, int *status, int ms)
{
	for (int waited = 0;; waited += 20) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid || (r < 0 && errno == ECHILD))
			return 1;
		if (waited >= ms)
			return 0;
		usleep(20000);
	}
}

/* @b's interpreter stopped (SIGTERM, SIGKILL 10 s later), reaped and
 * forgotten; no cell runs. */
static void kernel_end(struct box *b)
{
	struct kernel *k;
	int st;

	pthread_mutex_lock(&lock);
	k = b->cell ? NULL : b->kernel;	/* a cell's reader ends its own */
	if (k)
		b->kernel = NULL;
	pthread_mutex_unlock(&lock);
	if (!k)
		return;
	kill(-k->pid, SIGTERM);
	if (!reap_within(k->pid, &st, 10000)) {
		kill(-k->pid, SIGKILL);
		waitpid(k->pid, &st, 0);
	}
	for (int i = 0; i < 2; i++)
		if (k->fd[i] >= 0)
			close(k->fd[i]);
	if (k->fd_in >= 0)
		close(k->fd_in);
	unlink(k->result);
	srv_log("interpreter %s of %s (%s/%s) ended after %u cells", k->id, b->id, b->tenant, b->user, k->cells);
	free(k);
}

/* @b out of the list, no new request finds it (the lock held); 0 when
 * it was already. The list's reference passes to the caller. */
static int unlist(struct box *b)
{
	struct box **pp;

	if (b->dead)
		return 0;
	b->dead = 1;
	for (pp = &boxes; *pp; pp = &(*pp)->next)
		if (*pp == b) {
			*pp = b->next;
			break;
		}
	return 1;
}

/*
 * The rest of destroying @b, unlisted: its command (if one runs) is
 * stopped (jailtrace gets SIGTERM, as at --timeout: the program gets it and
 * --grace to end, then everything of the sandbox is killed), an ephemeral
 * jail is removed. Returns when that is done.
 */
static void finish(struct box *b, const char *why)
{
	int64_t deadline;
	int killed = 0;

	pthread_mutex_lock(&lock);
	if (b->pid > 0)
		kill(-b->pid, SIGTERM);
	for (struct proc *p = b->procs; p; p = p->next)
		if (p->running && p->pid > 0)
			kill(-p->pid, SIGTERM);
	if (b->kernel)
		kill(-b->kernel->pid, SIGTERM);
	deadline = now_ms(CLOCK_MONOTONIC) + 15000;
	while (b->running || b->cell || b->n_live) {
		struct timespec ts;
		int64_t t = now_ms(CLOCK_REALTIME) + 100;

		ts.tv_sec = t / 1000;
		ts.tv_nsec = (t % 1000) * 1000000;
		pthread_cond_timedwait(&changed, &lock, &ts);
		/* past the grace: jailtrace killed, its sandbox with it (EXITKILL) */
		if (!killed && (b->running || b->cell || b->n_live) && now_ms(CLOCK_MONOTONIC) > deadline - 7000) {
			if (b->running && b->pid > 0)
				kill(-b->pid, SIGKILL);
			if (b->cell && b->kernel)
				kill(-b->kernel->pid, SIGKILL);
			for (struct proc *p = b->procs; p; p = p->next)
				if (p->running && p->pid > 0) {
					p->killed = 1;
					kill(-p->pid, SIGKILL);
				}
			killed = 1;
		}
		if (now_ms(CLOCK_MONOTONIC) > deadline)
			break;
	}
	pthread_mutex_unlock(&lock);
	/* an idle interpreter (a cell's reader ends a busy one itself) */
	kernel_end(b);
	if (b->policy_own) {
		unlink(b->policy_path);	/* no run of the sandbox is left to read it */
		b->policy_own = 0;
	}
	if (b->ephemeral)
		jt_remove_tree(b->jail);
	srv_log("destroyed sandbox %s (%s/%s): %s", b->id, b->tenant, b->user, why);
	srv_syslog("destroyed", b->tenant, b->user, b->id, why);
	box_put(b);	/* the list's reference */
}

static void destroy(struct box *b, const char *why)
{
	int mine;

	pthread_mutex_lock(&lock);
	mine = unlist(b);
	pthread_mutex_unlock(&lock);
	if (mine)
		finish(b, why);
}

struct expiry {
	struct box *b;
	const char *why;
};

static void *expire(void *arg)
{
	struct expiry *e = arg;

	finish(e->b, e->why);
	free(e);
	return NULL;
}

/* How long the reaper may sleep (the lock held): until the first idle
 * timeout or maximum age falls due, at most a second. */
static int64_t reap_sleep_ms(void)
{
	int64_t now = now_ms(CLOCK_MONOTONIC), ms = 1000;

	for (struct box *b = boxes; b; b = b->next) {
		int64_t due = b->max_age_s ? b->born + (int64_t)b->max_age_s * 1000 - now : ms;

		if (!b->running && !b->cell && b->last_used + (int64_t)b->idle_s * 1000 - now < due)
			due = b->last_used + (int64_t)b->idle_s * 1000 - now;
		if (due < ms)
			ms = due;
	}
	return ms < 1 ? 1 : ms;
}

/* The idle timeouts and maximum ages, as each falls due (and each second):
 * each sandbox past one is unlisted at once and finished in a thread of its
 * own, so that one whose command takes its grace to stop holds up no other. */
static void *reap_idle(void *arg)
{
	pthread_mutex_lock(&lock);
	while (!stopping) {
		struct timespec ts;
		int64_t t = now_ms(CLOCK_REALTIME) + reap_sleep_ms(), now;
		struct box *b, *next;

		ts.tv_sec = t / 1000;
		ts.tv_nsec = (t % 1000) * 1000000;
		pthread_cond_timedwait(&changed, &lock, &ts);
		now = now_ms(CLOCK_MONOTONIC);
		for (b = boxes; b && !stopping; b = next) {
			int old = b->max_age_s && now - b->born >= (int64_t)b->max_age_s * 1000;
			struct expiry *e;
			pthread_t th;
			pthread_attr_t at;

			next = b->next;
			if (!old && (b->running || b->cell || now - b->last_used < (int64_t)b->idle_s * 1000))
				continue;
			if (!(e = malloc(sizeof(*e))))
				continue;
			unlist(b);
			e->b = b;
			e->why = old ? "maximum age" : "idle timeout";
			pthread_attr_init(&at);
			pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
			if (pthread_create(&th, &at, expire, e) != 0) {
				/* no thread: finished here, the lock let go meanwhile */
				pthread_mutex_unlock(&lock);
				expire(e);
				pthread_mutex_lock(&lock);
				next = boxes;
			}
			pthread_attr_destroy(&at);
		}
	}
	pthread_mutex_unlock(&lock);
	return NULL;
}

void box_start(void)
{
	pthread_create(&reaper, NULL, reap_idle, NULL);
}

void box_stop_all(void)
{
	struct box *b;

	pthread_mutex_lock(&lock);
	stopping = 1;
	pthread_cond_broadcast(&changed);
	pthread_mutex_unlock(&lock);
	pthread_join(reaper, NULL);
	for (;;) {
		pthread_mutex_lock(&lock);
		if ((b = boxes))
			b->refs++;
		pthread_mutex_unlock(&lock);
		if (!b)
			break;
		destroy(b, "the server stops");
		box_put(b);
	}
}

/* Commands and processes running for @tenant (the lock held). */
static unsigned tenant_busy(const char *tenant)
{
	unsigned busy = 0;

	for (struct box *o = boxes; o; o = o->next)
		busy += (o->running + o->n_live + !!o->kernel) * !strcmp(o->tenant, tenant);
	return busy;
}

/* The memory limit a run of @b with the options @opts gets: the last
 * --memory of the sandbox's and then the command's, else jailtrace's
 * default; UINT64_MAX for none (0). */
static uint64_t mem_limit(struct box *b, char **opts, size_t n_opts)
{
	uint64_t v = jt_limit_default[JT_LIMIT_MEMORY];

	for (size_t i = 0; i + 1 < b->n_opts; i++)
		if (!strcmp(b->opts[i], "--memory") && jt_parse_size(b->opts[i + 1], &v) < 0)
			v = UINT64_MAX;
	for (size_t i = 0; i + 1 < n_opts; i++)
		if (!strcmp(opts[i], "--memory") && jt_parse_size(opts[i + 1], &v) < 0)
			v = UINT64_MAX;
	return v ? v : UINT64_MAX;
}

/* 0 when @want more bytes of memory limits fit in @tenant's
 * --tenant-memory (the lock held), else -1 with @err saying so. */
static int tenant_memory_check(const char *tenant, uint64_t want, char *err, size_t errlen)
{
	uint64_t used = 0;

	if (!srv.tenant_memory)
		return 0;
	for (struct box *o = boxes; o; o = o->next) {
		if (strcmp(o->tenant, tenant))
			continue;
		used += o->running ? o->mem : 0;
		for (struct proc *p = o->procs; p; p = p->next)
			used += p->running ? p->mem : 0;
		used += o->kernel ? o->kernel->mem : 0;
	}
	if (want == UINT64_MAX || used + want > srv.tenant_memory) {
		snprintf(err, errlen, "tenant %s may hold %llu MiB of memory limits at once (--tenant-memory): "
			 "%llu MiB are held, this asks %s%llu MiB", tenant,
			 (unsigned long long)(srv.tenant_memory >> 20), (unsigned long long)(used >> 20),
			 want == UINT64_MAX ? "no limit, not " : "", want == UINT64_MAX ? 0ULL :
			 (unsigned long long)(want >> 20));
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ JSON out */

static void put_box(struct jt_json *j, struct box *b)
{
	int64_t idle;

	pthread_mutex_lock(&lock);
	idle = now_ms(CLOCK_MONOTONIC) - b->last_used;
	jt_json_object(j);
	jt_json_key(j, "id");
	jt_json_str(j, b->id);
	jt_json_key(j, "user");
	jt_json_str(j, b->user);
	jt_json_key(j, "ephemeral");
	jt_json_bool(j, b->ephemeral);
	jt_json_key(j, "policy");
	jt_json_str(j, b->policy[0] ? b->policy : "default");
	jt_json_key(j, "idle_timeout");
	jt_json_uint(j, b->idle_s);
	jt_json_key(j, "max_age");
	if (b->max_age_s)
		jt_json_uint(j, b->max_age_s);
	else
		jt_json_null(j);
	jt_json_key(j, "idle_s");
	jt_json_uint(j, (unsigned long long)(idle / 1000));
	jt_json_key(j, "created_ms");
	jt_json_int(j, b->created);
	jt_json_key(j, "running");
	jt_json_bool(j, b->running || b->cell);
	jt_json_key(j, "commands");
	jt_json_uint(j, b->commands);
	{
		struct proc *newest = NULL;

		jt_json_key(j, "running_processes");
		jt_json_array(j);
		for (struct proc *p = b->procs; p; p = p->next)
			if (p->running) {
				newest = newest ? newest : p;
				jt_json_str(j, p->id);
			}
		jt_json_end(j);
		jt_json_key(j, "process");	/* the newest running one (kept for clients of before) */
		jt_json_str(j, newest ? newest->id : NULL);
	}
	jt_json_key(j, "stateful");
	jt_json_bool(j, b->kernel != NULL);
	jt_json_end(j);
	pthread_mutex_unlock(&lock);
}

enum MHD_Result box_info(struct MHD_Connection *c, struct box *b)
{
	char buf[2048];
	struct jt_json j;

	jt_json_init(&j, buf, sizeof(buf));
	put_box(&j, b);
	jt_json_finish(&j);
	return srv_reply(c, 200, NULL, buf, j.len);
}

enum MHD_Result box_list(struct MHD_Connection *c, const char *tenant)
{
	struct box **mine = NULL;
	size_t n = 0;
	struct jbuf out;
	enum MHD_Result r;

	pthread_mutex_lock(&lock);
	for (struct box *b = boxes; b; b = b->next)
		if (!b->dead && !strcmp(b->tenant, tenant)) {
			struct box **m = realloc(mine, (n + 1) * sizeof(*m));

			if (!m)
				abort();
			mine = m;
			mine[n++] = b;
			b->refs++;
		}
	pthread_mutex_unlock(&lock);
	jbuf_init(&out, 512 + n * 1024);	/* a box: some 300 bytes, its running processes up to 16 ids */
	jt_json_object(&out.j);
	jt_json_key(&out.j, "sandboxes");
	jt_json_array(&out.j);
	for (size_t i = 0; i < n; i++) {
		put_box(&out.j, mine[i]);
		box_put(mine[i]);
	}
	jt_json_end(&out.j);
	jt_json_finish(&out.j);
	r = srv_reply(c, 200, NULL, out.buf, out.j.len);
	jbuf_free(&out);
	free(mine);
	return r;
}

/* ------------------------------------------------------------ creating */

static int valid_name(const char *s, size_t max, const char *chars)
{
	size_t n = strlen(s);

	return n > 0 && n <= max && s[0] != '.' && s[0] != '-' && strspn(s, chars) == n;
}

static const char NAME_CHARS[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.@";
static const char ID_CHARS[] = "abcdefghijklmnopqrstuvwxyz0123456789-";

static int add_opt(char ***opts, size_t *n, const char *a, const char *b)
{
	char **o;

	if (*n + 2 > MAX_OPTS)
		return -1;
	o = realloc(*opts, (*n + 2) * sizeof(*o));
	if (!o)
		abort();
	*opts = o;
	o[(*n)++] = strdup(a);
	if (b)
		o[(*n)++] = strdup(b);
	return 0;
}

/* Does network @a/@prefix hold the address @want? */
static int net_holds(const struct jt_net_addr *a, int prefix, const unsigned char *want)
{
	for (int bit = 0; bit < prefix; bit++) {
		unsigned char m = (unsigned char)(0x80 >> (bit % 8));

		if ((a->a[bit / 8] & m) != (want[bit / 8] & m))
			return 0;
	}
	return 1;
}

/*
 * The entry read as jailtrace itself reads it (a bare IPv6 address, an
 * IPv4-mapped one, a name): does a rule it makes name the local host, or
 * a network holding 127.0.0.1, 0.0.0.0, ::1 or ::? The split below is
 * this file's own, and "::ffff:127.0.0.1" (no brackets) passed it as a
 * host it could not read, while jailtrace read it as 127.0.0.1.
 */
static int local_as_jailtrace_reads(const char *spec)
{
	static const unsigned char v4lo[16] = { 127, 0, 0, 1 }, v4any[16] = { 0 };
	static const unsigned char v6lo[16] = { [15] = 1 }, v6any[16] = { 0 };
	struct jt_policy p;
	char *text = NULL, perr[512];
	int local = 0;

	jt_policy_init(&p);
	if (asprintf(&text, "net connect %s", spec) < 0)
		return 1;
	if (jt_policy_add_rule(&p, "allow_net", text, perr, sizeof(perr)) == 0)
		for (size_t i = 0; i < p.n_net && !local; i++) {
			const struct jt_net_rule *r = &p.net[i];

			local = r->local ||
				(r->addr.family == 4 && (net_holds(&r->addr, r->prefix, v4lo) ||
							 net_holds(&r->addr, r->prefix, v4any))) ||
				(r->addr.family == 6 && (net_holds(&r->addr, r->prefix, v6lo) ||
							 net_holds(&r->addr, r->prefix, v6any)));
		}
	free(text);
	jt_policy_free(&p);
	return local;
}

/* @a @b put before the options in @opts (so that later ones win over them). */
static void prepend_opt(char ***opts, size_t *n, const char *a, const char *b)
{
	char **o = realloc(*opts, (*n + 2) * sizeof(*o));

	if (!o)
		abort();
	memmove(o + 2, o, *n * sizeof(*o));
	*opts = o;
	if (!(o[0] = strdup(a)) || !(o[1] = strdup(b)))
		abort();
	*n += 2;
}

/* Does the allow_net entry @spec (HOST[:PORT[-PORT]]) name the host's
 * loopback, where other sandboxes' ports listen? Its name is resolved
 * now (jailtrace resolves it again at each start: a name whose addresses
 * change to loopback later is not caught here). */
static int resolves_to_loopback(const char *spec)
{
	char host[256];
	const char *end;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
	int lo = 0;

	if (spec[0] == '[') {
		end = strchr(spec, ']');
		spec++;
	} else
		end = strchr(spec, strchr(spec, '/') ? '/' : ':');
	if (!end)
		end = spec + strlen(spec);
	if ((size_t)(end - spec) >= sizeof(host))
		return 1;
	memcpy(host, spec, (size_t)(end - spec));
	host[end - spec] = '\0';
	if (strchr(spec, '/') && !strchr(host, ':'))
		/* a network: 127.x/N, or one that holds 127/8 (0.0.0.0/0...) */
		return !strncmp(host, "127.", 4) || !strncmp(host, "0.", 2) || atoi(strchr(spec, '/') + 1) < 8;
	if (getaddrinfo(host, NULL, &hints, &ai) != 0)
		return 0;	/* jailtrace says what it makes of it */
	for (struct addrinfo *a = ai; a && !lo; a = a->ai_next) {
		if (a->ai_family == AF_INET) {
			uint32_t v = ntohl(((struct sockaddr_in *)a->ai_addr)->sin_addr.s_addr);

			lo = (v >> 24) == 127 || v == 0;
		} else if (a->ai_family == AF_INET6) {
			const struct in6_addr *v = &((struct sockaddr_in6 *)a->ai_addr)->sin6_addr;

			lo = IN6_IS_ADDR_LOOPBACK(v) || IN6_IS_ADDR_UNSPECIFIED(v) ||
			     (IN6_IS_ADDR_V4MAPPED(v) && (v->s6_addr[12] == 127 || !v->s6_addr32[3]));
		}
	}
	freeaddrinfo(ai);
	return lo;
}

static int loopback_host(const char *spec)
{
	return local_as_jailtrace_reads(spec) || resolves_to_loopback(spec);
}

/* A grant's host path: under one of --grant-root, resolved now. */
static int check_grant(const char *spec, int rw, char *out, size_t outlen, char *err, size_t errlen)
{
	const char *colon = strchr(spec, ':');
	char host[PATH_MAX], *real;
	size_t hn = colon ? (size_t)(colon - spec) : strlen(spec);

	if (rw && !colon) {
		snprintf(err, errlen, "\"%s\": want HOST:INSIDE", spec);
		return -1;
	}
	if (hn == 0 || hn >= sizeof(host) || spec[0] != '/') {
		snprintf(err, errlen, "\"%s\": the host path must be absolute", spec);
		return -1;
	}
	memcpy(host, spec, hn);
	host[hn] = '\0';
	if (!(real = realpath(host, NULL))) {
		snprintf(err, errlen, "\"%s\": %s", host, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < srv.n_grant_roots; i++) {
		size_t rn = strlen(srv.grant_roots[i]);

		if (!strncmp(real, srv.grant_roots[i], rn) &&
		    (real[rn] == '\0' || real[rn] == '/' || !strcmp(srv.grant_roots[i], "/"))) {
			int n = snprintf(out, outlen, "%s:%s", real, colon ? colon + 1 : host);

			free(real);
			if (n >= (int)outlen) {
				snprintf(err, errlen, "\"%s\": too long", spec);
				return -1;
			}
			return 0;
		}
	}
	snprintf(err, errlen, "\"%s\" is not under a directory the server lets sandboxes be granted "
		 "(jailtrace serve --grant-root)", host);
	free(real);
	return -1;
}

/*
 * "proxy": {"NAME": {"Header-Name": "secret value", ...}, ...}: a secrets
 * proxy rule (jailtrace run --proxy) to the upstream the server's
 * operator gave NAME (--proxy-upstream NAME=URL: a tenant never names an
 * address the host reaches), adding those headers. Each value goes to
 * jailtrace's environment alone, as JT_SERVE_SECRET_N, which the rule
 * names; it never enters the sandbox, the server's log or a reply.
 */
static int add_proxy(struct box *b, json_t *v, char *field, size_t flen, char *err, size_t errlen)
{
	const char *name, *hn;
	json_t *hdrs, *hv;

	if (!json_is_object(v)) {
		snprintf(err, errlen, "want {\"NAME\": {\"Header-Name\": \"value\", ...}}");
		return -1;
	}
	json_object_foreach(v, name, hdrs) {
		const char *url = NULL;
		char *spec;
		size_t len;
		FILE *f;

		snprintf(field, flen, "proxy.%s", name);
		for (size_t i = 0; i < srv.n_upstreams; i++)
			if (!strcmp(srv.upstreams[i].name, name))
				url = srv.upstreams[i].url;
		if (!url) {
			snprintf(err, errlen, "no upstream %s on this server (jailtrace serve --proxy-upstream "
				 "NAME=URL)", name);
			return -1;
		}
		if (!json_is_object(hdrs) || json_object_size(hdrs) > 8) {
			snprintf(err, errlen, "want an object of up to 8 header names and values");
			return -1;
		}
		if (!(f = open_memstream(&spec, &len)))
			abort();
		fprintf(f, "%s %s", name, url);
		json_object_foreach(hdrs, hn, hv) {
			const char *val = json_is_string(hv) ? json_string_value(hv) : NULL;
			char **ns;

			snprintf(field, flen, "proxy.%s.%s", name, hn);
			if (!hn[0] || strlen(hn) > 64 ||
			    strspn(hn, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-") != strlen(hn)) {
				snprintf(err, errlen, "want a header name of letters, digits and -");
				fclose(f);
				free(spec);
				return -1;
			}
			if (!val || !val[0] || json_string_length(hv) > 4096 || strpbrk(val, "\r\n") ||
			    strlen(val) != json_string_length(hv)) {
				snprintf(err, errlen, "want a value of 1 to 4096 bytes on one line");
				fclose(f);
				free(spec);
				return -1;
			}
			fprintf(f, " header \"%s: ${JT_SERVE_SECRET_%zu}\"", hn, b->n_secrets);
			if (!(ns = realloc(b->secrets, (b->n_secrets + 1) * sizeof(*ns))))
				abort();
			b->secrets = ns;
			if (asprintf(&ns[b->n_secrets], "JT_SERVE_SECRET_%zu=%s", b->n_secrets, val) < 0)
				abort();
			b->n_secrets++;
		}
		fclose(f);
		if (add_opt(&b->opts, &b->n_opts, "--proxy", spec) < 0) {
			free(spec);
			snprintf(err, errlen, "too many options");
			return -1;
		}
		free(spec);
	}
	return 0;
}

static const char *const limit_keys[] = {
	"timeout", "grace", "cpu", "memory", "vmem", "procs", "output", "fsize", "nofile", "disk", "inodes",
};

/* "limits": {"memory": "512M", "cpu": 10, ...} as jailtrace's options */
static int add_limits(json_t *lim, char ***opts, size_t *n, char *field, size_t flen, char *err,
		      size_t errlen)
{
	const char *k;
	json_t *v;

	if (!json_is_object(lim)) {
		snprintf(field, flen, "limits");
		snprintf(err, errlen, "want an object such as {\"memory\": \"512M\", \"cpu\": \"10s\"}");
		return -1;
	}
	json_object_foreach(lim, k, v) {
		char opt[32], val[32];
		size_t i;

		snprintf(field, flen, "limits.%s", k);
		for (i = 0; i < sizeof(limit_keys) / sizeof(*limit_keys); i++)
			if (!strcmp(k, limit_keys[i]))
				break;
		if (i == sizeof(limit_keys) / sizeof(*limit_keys)) {
			snprintf(err, errlen, "unknown limit (known: timeout grace cpu memory vmem procs output "
				 "fsize nofile disk inodes)");
			return -1;
		}
		if (json_is_integer(v) && json_integer_value(v) >= 0)
			snprintf(val, sizeof(val), "%lld", (long long)json_integer_value(v));
		else if (json_is_string(v) && json_string_length(v) < sizeof(val) &&
			 strspn(json_string_value(v), "0123456789") > 0 &&
			 strspn(json_string_value(v), "0123456789") + strspn(json_string_value(v) +
			 strspn(json_string_value(v), "0123456789"), "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
			 == json_string_length(v))
			snprintf(val, sizeof(val), "%s", json_string_value(v));
		else {
			snprintf(err, errlen, "want a number or a string such as \"512M\" or \"30s\"");
			return -1;
		}
		snprintf(opt, sizeof(opt), "--%s", k);
		if (add_opt(opts, n, opt, val) < 0) {
			snprintf(err, errlen, "too many options");
			return -1;
		}
	}
	return 0;
}

/*
 * The server's end of the lifeline: every command's guard holds the other
 * end, and sees it close when the server dies, however it dies.
 * (PR_SET_PDEATHSIG on jailtrace would not do: as root it changes its
 * credentials, which clears that signal.)
 */
static int lifeline[2] = { -1, -1 };

/* The guard: the process group's leader, between the server and the
 * child `jailtrace run` @j. It ignores the stop signals the server sends
 * the group (jailtrace acts on them), and ends as jailtrace ends, with its
 * status (woken by SIGCHLD through @sfd, a signalfd); when the lifeline
 * (descriptor 3) breaks it stops jailtrace itself (SIGTERM, then SIGKILL
 * after 10 s). Async-signal-safe calls only: the server has threads. */
static void guard(pid_t j, int sfd)
{
	int st = 0, lost = 0, waited = 0;

	close(0);
	close(1);
	close(2);
	for (;;) {
		struct pollfd p[2] = { { .fd = sfd, .events = POLLIN }, { .fd = 3, .events = POLLIN } };
		struct signalfd_siginfo si;
		pid_t r = waitpid(j, &st, WNOHANG);

		if (r == j || (r < 0 && errno != EINTR))
			break;
		if (poll(p, lost ? 1 : 2, lost ? 200 : -1) < 0)
			continue;
		if (p[0].revents)
			while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				;
		if (!lost && p[1].revents) {
			lost = 1;
			kill(j, SIGTERM);
		} else if (lost && !p[0].revents && (waited += 200) == 10000) {
			kill(j, SIGKILL);
		}
	}
	if (WIFSIGNALED(st))
		_exit(128 + WTERMSIG(st));
	_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 125);
}

/* Spawn `jailtrace run ARGS` with 0-2 on @in, @out, @err (or /dev/null
 * for -1), under a guard (above), which leads the process group of both:
 * the pid returned is the guard's, signals go to the group. */
static pid_t spawn_env(char *const *args, int in, int out, int err, char *const *envp);

static pid_t spawn(char *const *args, int in, int out, int err)
{
	return spawn_env(args, in, out, err, NULL);
}

/* The server's environment and @b's secrets, for its jailtrace runs (freed
 * by the caller once spawned); NULL for the server's own. */
static char **box_envp(struct box *b)
{
	extern char **environ;
	size_t n = 0, k = 0;
	char **e;

	if (!b->n_secrets)
		return NULL;
	while (environ[n])
		n++;
	if (!(e = calloc(n + b->n_secrets + 1, sizeof(*e))))
		abort();
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "JT_SERVE_SECRET_", 16))
			e[k++] = environ[i];
	for (size_t i = 0; i < b->n_secrets; i++)
		e[k++] = b->secrets[i];
	e[k] = NULL;
	return e;
}

static pid_t spawn_box(struct box *b, char *const *args, int in, int out, int err)
{
	char **envp = box_envp(b);
	pid_t pid = spawn_env(args, in, out, err, envp);

	free(envp);
	return pid;
}

static pid_t spawn_env(char *const *args, int in, int out, int err, char *const *envp)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	pid_t pid;

	if (null < 0)
		return -1;
	if (lifeline[0] < 0 && pipe2(lifeline, O_CLOEXEC) < 0) {
		close(null);
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		sigset_t none;
		pid_t j;

		sigset_t chld;
		int sfd;

		/* the stop signals ignored before they are unblocked (the
		 * server's threads block them): one sent at once is not the
		 * guard's end; SIGCHLD blocked from before jailtrace starts: its
		 * end is never missed */
		signal(SIGTERM, SIG_IGN);
		signal(SIGINT, SIG_IGN);
		signal(SIGHUP, SIG_IGN);
		signal(SIGPIPE, SIG_DFL);
		setpgid(0, 0);
		sigemptyset(&none);
		sigemptyset(&chld);
		sigaddset(&chld, SIGCHLD);
		sigprocmask(SIG_SETMASK, &chld, NULL);
		if (dup2(in >= 0 ? in : null, 0) < 0 || dup2(out >= 0 ? out : null, 1) < 0 ||
		    dup2(err >= 0 ? err : null, 2) < 0 || dup2(lifeline[0], 3) < 0)
			_exit(125);
		close_range(4, ~0U, 0);
		if ((sfd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC)) < 0)
			_exit(125);
		j = fork();
		if (j == 0) {
			close(3);
			sigprocmask(SIG_SETMASK, &none, NULL);
			signal(SIGTERM, SIG_DFL);
			signal(SIGINT, SIG_DFL);
			signal(SIGHUP, SIG_DFL);
			if (envp)
				execve(srv.jailtrace, args, envp);
			else
				execv(srv.jailtrace, args);
			_exit(125);
		}
		if (j < 0)
			_exit(125);
		guard(j, sfd);
	}
	/* the group made here too, before the pid is handed out: a stop sent to
	 * -pid at once (a destroy as the command starts) would find no group
	 * yet if only the child made it */
	if (pid > 0)
		setpgid(pid, pid);
	close(null);
	return pid;
}

/* The start of every command's argv: jailtrace run in @b's jail. */
static size_t base_args(struct box *b, char **a, const char *result, const char *log)
{
	size_t n = 0;

	a[n++] = srv.jailtrace;
	a[n++] = "run";
	a[n++] = "--quiet";
	a[n++] = "--user";
	a[n++] = b->name;
	a[n++] = "--jail";
	a[n++] = b->jail;
	a[n++] = "--share-jail";	/* a command beside the process and the interpreter */
	a[n++] = "--cwd";		/* the server's own directory means nothing here */
	a[n++] = "/work";		/* (a command's "cwd" comes later, and wins) */
	a[n++] = "--result";
	a[n++] = (char *)result;
	if (log) {
		a[n++] = "--log";
		a[n++] = (char *)log;
	}
	if (b->policy[0]) {
		a[n++] = "--policy";
		a[n++] = b->policy_path;
	}
	for (size_t i = 0; i < b->n_opts; i++)
		a[n++] = b->opts[i];
	return n;
}

/* A command's whole argv: base_args, @opts, "--", @cmdv (freed by the caller). */
static char **run_args(struct box *b, const char *result, const char *log, char **opts, size_t n_opts,
		       char **cmdv, size_t n_cmd)
{
	/* base_args' 16 at most, the sandbox's options, the command's, "--", argv, NULL */
	char **args = calloc(16 + b->n_opts + n_opts + 1 + n_cmd + 1, sizeof(*args));
	size_t n;

	if (!args)
		abort();
	n = base_args(b, args, result, log);
	for (size_t i = 0; i < n_opts; i++)
		args[n++] = opts[i];
	args[n++] = "--";
	for (size_t i = 0; i < n_cmd; i++)
		args[n++] = cmdv[i];
	args[n] = NULL;
	return args;
}

/*
 * Read @path's result JSON (jailtrace's --result), or NULL. jailtrace
 * writes bytes of a path that are not UTF-8 as \udc80-\udcff (docs/
 * audit-log.md), which jansson refuses as lone surrogates: those become
 * U+FFFD, the replacement character.
 */
static json_t *read_result(const char *path)
{
	char buf[16384];
	json_error_t e;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n <= 0 || n == (ssize_t)sizeof(buf))
		return NULL;
	for (ssize_t i = 0; i + 1 < n; i++) {
		if (buf[i] != '\\')
			continue;
		if (buf[i + 1] == 'u' && i + 5 < n && (buf[i + 2] == 'd' || buf[i + 2] == 'D') &&
		    (buf[i + 3] == 'c' || buf[i + 3] == 'C'))
			memcpy(buf + i + 2, "fffd", 4);
		i++;	/* the escaped character: a \\ is not the start of another */
	}
	return json_loadb(buf, (size_t)n, 0, &e);
}

#define POLICY_TEXT_MAX (64 * 1024)

/*
 * policy_text, before it is parsed: what a tenant's policy may not say,
 * because it would reach the host past what the server grants sandboxes.
 * Its lines are split as filters/policy.c splits them (blanks, '#').
 * @return 0, or the status with @err naming the line.
 */
static unsigned policy_text_gate(const char *text, char *err, size_t errlen)
{
	static const char *const refused[][2] = {
		{ "include", "only `include default`: a FILE is the host's" },
		{ "hosts", "a hosts FILE is the host's; name each with `host NAME ADDRESS`" },
		{ "limit", "set limits with the sandbox's limits field (--tenant-memory counts those)" },
		{ "proxy", "a proxy rule's headers read the server's environment and files; use the proxy field" },
	};
	char line[4096], *w[3];
	const char *s = text;

	for (int no = 1; *s; no++) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);
		char *q = line;
		int n = 0;

		snprintf(line, sizeof(line), "%.*s", (int)(len < sizeof(line) ? len : sizeof(line) - 1), s);
		s += len + (nl != NULL);
		while (n < 3) {
			while (*q == ' ' || *q == '\t' || *q == '\r')
				*q++ = '\0';
			if (!*q || *q == '#')
				break;
			w[n++] = q;
			while (*q && *q != ' ' && *q != '\t' && *q != '\r' && *q != '#')
				q++;
			if (*q == '#')
				*q = '\0';
		}
		if (!n)
			continue;
		for (size_t i = 0; i < sizeof(refused) / sizeof(*refused); i++)
			if (!strcmp(w[0], refused[i][0]) &&
			    !(i == 0 && n == 2 && !strcmp(w[1], "default"))) {
				snprintf(err, errlen, "policy_text:%d: `%s` is not taken from a tenant: %s", no,
					 w[0], refused[i][1]);
				return 403;
			}
		if (n >= 2 && !strcmp(w[0], "env") && !strcmp(w[1], "pass")) {
			snprintf(err, errlen, "policy_text:%d: `env pass` is not taken from a tenant: it would "
				 "pass the server's environment in; use `env set NAME=VALUE`", no);
			return 403;
		}
		if (n >= 2 && !strcmp(w[0], "net") && !strcmp(w[1], "bind")) {
			snprintf(err, errlen, "policy_text:%d: `net bind` is not taken from a tenant: a "
				 "process's ports are its \"ports\" (POST .../processes)", no);
			return 403;
		}
	}
	return 0;
}

/*
 * @text parsed as `jailtrace run --policy` parses a file; its grants held
 * to --grant-root and its connects kept off the host's loopback, as the
 * ro, rw and allow_net fields are. @return 0 or the status (@err says why,
 * naming the line).
 */
static unsigned policy_text_check(const char *text, char *err, size_t errlen)
{
	struct jt_policy p;
	char out[PATH_MAX * 2];
	unsigned st = policy_text_gate(text, err, errlen);

	if (st)
		return st;
	jt_policy_init(&p);
	if (jt_policy_parse(&p, "policy_text", text, err, errlen) < 0) {
		jt_policy_free(&p);
		return 400;
	}
	/* no more than the built-in policy allows: what it denies (ptrace,
	 * io_uring, ...) it denies to keep the program inside */
	{
		struct jt_policy dp;
		char derr[256];

		jt_policy_init(&dp);
		if (jt_policy_default(&dp, derr, sizeof(derr)) < 0) {
			snprintf(err, errlen, "the built-in policy: %s", derr);
			st = 500;
		}
		for (int nr = 0; nr < JT_SYS_COUNT && !st; nr++) {
			const char *where = jt_policy_where(&p, p.rule[nr]);

			if (p.action[nr] == JT_ALLOW && dp.action[nr] != JT_ALLOW &&
			    !strncmp(where, "policy_text:", 12)) {
				snprintf(err, errlen, "%s: `allow %s` is not taken from a tenant: the built-in "
					 "policy does not allow it (%s)", where, jt_sys_name(nr),
					 jt_policy_where(&dp, dp.rule[nr]));
				st = 403;
			}
		}
		for (size_t i = 0; i < p.n_ioctls && !st; i++) {
			const char *where = jt_policy_where(&p, p.ioctls[i].rule);

			if (!strncmp(where, "policy_text:", 12) && jt_policy_ioctl(&dp, p.ioctls[i].code) < 0) {
				snprintf(err, errlen, "%s: ioctl 0x%x is not taken from a tenant: the built-in "
					 "policy does not allow it", where, p.ioctls[i].code);
				st = 403;
			}
		}
		jt_policy_free(&dp);
	}
	for (size_t i = 0; i < p.n_grants && !st; i++) {
		const struct jt_grant *g = &p.grants[i];
		const char *where = jt_policy_where(&p, g->rule);
		char e[PATH_MAX + 160];

		if (strncmp(where, "policy_text:", 12))
			continue;	/* include default's */
		if (check_grant(g->host, 0, out, sizeof(out), e, sizeof(e)) < 0) {
			snprintf(err, errlen, "%s: %s", where, e);
			st = 403;
		}
	}
	for (size_t i = 0; i < p.n_net && !st; i++) {
		const struct jt_net_rule *r = &p.net[i];
		const char *where = jt_policy_where(&p, r->rule);

		if (strncmp(where, "policy_text:", 12))
			continue;
		if (r->local || (r->name && loopback_host(r->name))) {
			snprintf(err, errlen, "%s: the host's loopback is not granted to sandboxes (other "
				 "sandboxes' ports listen there; expose a port instead)", where);
			st = 403;
		}
	}
	jt_policy_free(&p);
	return st;
}

enum MHD_Result box_create(struct MHD_Connection *c, const char *tenant, json_t *req)
{
	const char *policy_text = NULL;
	char field[64] = "", err[PATH_MAX + 256] = "", grant[PATH_MAX * 2], path[PATH_MAX + 64];
	const char *k;
	json_t *v;
	struct box *b, *old;
	unsigned live = 0;
	int status = 400;
	char *args[MAX_OPTS + 32];
	size_t n;
	pid_t pid;
	int ws = 0;
	json_t *res;
	struct stat st;

	if (!(b = calloc(1, sizeof(*b))))
		return MHD_NO;
	b->idle_s = srv.idle_s;
	json_object_foreach(req, k, v) {
		snprintf(field, sizeof(field), "%s", k);
		if (!strcmp(k, "user")) {
			if (!json_is_string(v) || !valid_name(json_string_value(v), 32, NAME_CHARS)) {
				snprintf(err, sizeof(err), "want 1 to 32 letters, digits, _ - . @, not starting "
					 "with . or -");
				goto bad;
			}
			snprintf(b->user, sizeof(b->user), "%s", json_string_value(v));
		} else if (!strcmp(k, "idle_timeout")) {
			if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 7 * 86400) {
				snprintf(err, sizeof(err), "want seconds, 1 to 604800");
				goto bad;
			}
			b->idle_s = (unsigned)json_integer_value(v);
		} else if (!strcmp(k, "max_age")) {
			if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 30 * 86400) {
				snprintf(err, sizeof(err), "want seconds, 1 to 2592000");
				goto bad;
			}
			b->max_age_s = (unsigned)json_integer_value(v);
		} else if (!strcmp(k, "ephemeral")) {
			if (!json_is_boolean(v)) {
				snprintf(err, sizeof(err), "want true or false");
				goto bad;
			}
			b->ephemeral = json_is_true(v);
		} else if (!strcmp(k, "policy")) {
			if (!json_is_string(v) || !valid_name(json_string_value(v), 63, NAME_CHARS) ||
			    strchr(json_string_value(v), '.')) {
				snprintf(err, sizeof(err), "want a policy name (letters, digits, _ -)");
				goto bad;
			}
			if (strcmp(json_string_value(v), "default")) {
				snprintf(path, sizeof(path), "%s/%s.policy", srv.policies, json_string_value(v));
				if (!srv.policies[0] || stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
					snprintf(err, sizeof(err), "no policy \"%s\" on this server%s",
						 json_string_value(v), srv.policies[0] ? "" : " (it has no --policies)");
					goto bad;
				}
				snprintf(b->policy, sizeof(b->policy), "%s", json_string_value(v));
				snprintf(b->policy_path, sizeof(b->policy_path), "%s", path);
			}
		} else if (!strcmp(k, "ro") || !strcmp(k, "rw") || !strcmp(k, "allow_net")) {
			size_t i;
			json_t *e;

			if (!json_is_array(v)) {
				snprintf(err, sizeof(err), "want an array of strings");
				goto bad;
			}
			json_array_foreach(v, i, e) {
				const char *s = json_is_string(e) ? json_string_value(e) : NULL;

				snprintf(field, sizeof(field), "%s[%zu]", k, i);
				if (!s || !s[0] || strlen(s) >= PATH_MAX) {
					snprintf(err, sizeof(err), "want a non-empty string");
					goto bad;
				}
				if (k[0] == 'a') {
					if (strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
						   ".-:[]/") != strlen(s) || s[0] == '-') {
						snprintf(err, sizeof(err), "want HOST[:PORT[-PORT]]");
						goto bad;
					}
					if (loopback_host(s)) {
						snprintf(err, sizeof(err), "the host's loopback is not granted to sandboxes "
							 "(other sandboxes' ports listen there; expose a port instead)");
						status = 403;
						goto bad;
					}
					if (add_opt(&b->opts, &b->n_opts, "--allow-net", s) < 0)
						goto too_many;
					continue;
				}
				if (check_grant(s, k[1] == 'w', grant, sizeof(grant), err, sizeof(err)) < 0) {
					status = 403;
					goto bad;
				}
				if (add_opt(&b->opts, &b->n_opts, k[1] == 'w' ? "--rw" : "--ro", grant) < 0)
					goto too_many;
			}
		} else if (!strcmp(k, "limits")) {
			if (add_limits(v, &b->opts, &b->n_opts, field, sizeof(field), err, sizeof(err)) < 0)
				goto bad;
		} else if (!strcmp(k, "proxy")) {
			if (add_proxy(b, v, field, sizeof(field), err, sizeof(err)) < 0)
				goto bad;
		} else if (!strcmp(k, "policy_text")) {
			unsigned pst;

			if (!json_is_string(v) || json_string_length(v) > POLICY_TEXT_MAX ||
			    strlen(json_string_value(v)) != json_string_length(v)) {
				snprintf(err, sizeof(err), "want the text of a policy, up to %d bytes, no NUL",
					 POLICY_TEXT_MAX);
				goto bad;
			}
			if ((pst = policy_text_check(json_string_value(v), err, sizeof(err)))) {
				status = (int)pst;
				goto bad;
			}
			policy_text = json_string_value(v);
		} else {
			snprintf(err, sizeof(err), "unknown field");
			goto bad;
		}
	}
	if (!b->user[0]) {
		snprintf(field, sizeof(field), "user");
		snprintf(err, sizeof(err), "missing: the user this sandbox is for");
		goto bad;
	}
	if (policy_text && json_object_get(req, "policy")) {
		snprintf(field, sizeof(field), "policy_text");
		snprintf(err, sizeof(err), "want either policy (a name) or policy_text, not both");
		goto bad;
	}
	/* the user's name on the host: TENANT.USER, which no account may have
	 * (its uid would be that account's when the server runs as root) */
	snprintf(b->name, sizeof(b->name), "%s.%s", tenant, b->user);
	if (getpwnam(b->name)) {
		snprintf(field, sizeof(field), "user");
		snprintf(err, sizeof(err), "%s is an account of this host", b->name);
		goto bad;
	}
	snprintf(b->tenant, sizeof(b->tenant), "%s", tenant);

	pthread_mutex_lock(&create_lock);
	/* one user, one sandbox: asking again gives the one there is */
	pthread_mutex_lock(&lock);
	for (old = boxes; old; old = old->next) {
		if (old->dead || strcmp(old->tenant, tenant))
			continue;
		if (!strcmp(old->user, b->user))
			break;
		live++;
	}
	if (old) {
		char buf[2048];
		struct jt_json j;

		old->refs++;
		old->last_used = now_ms(CLOCK_MONOTONIC);
		pthread_mutex_unlock(&lock);
		pthread_mutex_unlock(&create_lock);
		free_box(b);
		jt_json_init(&j, buf, sizeof(buf));
		put_box(&j, old);
		jt_json_finish(&j);
		box_put(old);
		return srv_reply(c, 200, NULL, buf, j.len);
	}
	pthread_mutex_unlock(&lock);
	if (live >= srv.max_sandboxes) {
		pthread_mutex_unlock(&create_lock);
		free_box(b);
		return srv_error(c, 429, NULL, "tenant %s has %u live sandboxes, the most it may", tenant, live);
	}
	random_id(b->id, sizeof(b->id), "sb-");
	if (policy_text) {
		int fd;
		size_t len = strlen(policy_text);

		snprintf(b->policy, sizeof(b->policy), "(text)");
		snprintf(b->policy_path, sizeof(b->policy_path), "%s/run/%s.policy", srv.data, b->id);
		fd = open(b->policy_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd >= 0)
			b->policy_own = 1;
		if (fd < 0 || write(fd, policy_text, len) != (ssize_t)len) {
			int e = errno;

			if (fd >= 0)
				close(fd);
			pthread_mutex_unlock(&create_lock);
			free_box(b);
			return srv_error(c, 500, NULL, "cannot write the policy: %s", strerror(e));
		}
		close(fd);
	}
	if (b->ephemeral)
		snprintf(b->jail, sizeof(b->jail), "%s/ephemeral/%s", srv.data, b->id);
	else {
		snprintf(path, sizeof(path), "%s/jails/%s", srv.data, tenant);
		mkdir(path, 0711);
		snprintf(b->jail, sizeof(b->jail), "%s/jails/%s/%s", srv.data, tenant, b->user);
	}
	snprintf(path, sizeof(path), "%s/logs/%s", srv.data, tenant);
	mkdir(path, 0700);
	snprintf(b->logs, sizeof(b->logs), "%s/logs/%s/%s", srv.data, tenant, b->id);
	mkdir(b->logs, 0700);

	/* the jail made and the options tried: jailtrace runs /bin/true there */
	snprintf(path, sizeof(path), "%s/run/%s.json", srv.data, b->id);
	n = base_args(b, args, path, NULL);
	args[n++] = "--";
	args[n++] = "/bin/true";
	args[n] = NULL;
	pid = spawn_box(b, args, -1, -1, -1);
	if (pid < 0 || waitpid(pid, &ws, 0) < 0) {
		pthread_mutex_unlock(&create_lock);
		free_box(b);
		return srv_error(c, 500, NULL, "cannot start jailtrace: %s", strerror(errno));
	}
	res = read_result(path);
	unlink(path);
	if (!res || !strcmp(json_string_value(json_object_get(res, "status")) ?: "", "error")) {
		const char *m = res ? json_string_value(json_object_get(res, "message")) : NULL;

		pthread_mutex_unlock(&create_lock);
		if (b->ephemeral)
			jt_remove_tree(b->jail);
		rmdir(b->logs);
		free_box(b);
		if (m && (strstr(m, "busy") || strstr(m, "in use")))
			status = 409;
		else if (m)
			status = 400;
		else
			status = 500;
		json_decref(res);
		return srv_error(c, (unsigned)status, NULL, "jailtrace refused the sandbox: %s",
				 m ? m : "no result");
	}
	json_decref(res);
	b->created = now_ms(CLOCK_REALTIME);
	b->born = b->last_used = now_ms(CLOCK_MONOTONIC);
	b->refs = 1;	/* the list's */
	pthread_mutex_lock(&lock);
	b->next = boxes;
	boxes = b;
	pthread_cond_broadcast(&changed);	/* the reaper: a new deadline */
	pthread_mutex_unlock(&lock);
	pthread_mutex_unlock(&create_lock);
	srv_log("created sandbox %s for %s/%s (%s jail %s)", b->id, tenant, b->user,
		b->ephemeral ? "ephemeral" : "kept", b->jail);
	{
		char buf[2048];
		struct jt_json j;

		jt_json_init(&j, buf, sizeof(buf));
		put_box(&j, b);
		jt_json_finish(&j);
		return srv_reply(c, 201, NULL, buf, j.len);
	}
too_many:
	snprintf(err, sizeof(err), "too many options");
bad:
	free_box(b);
	return srv_error(c, (unsigned)status, field, "%s", err);
}

enum MHD_Result box_delete(struct MHD_Connection *c, struct box *b)
{
	destroy(b, "deleted");
	return srv_reply(c, 204, NULL, "", 0);
}

/* ------------------------------------------------------------ logs */

/* `jailtrace report` of a log, in @format, as the reply. */
static enum MHD_Result report(struct MHD_Connection *c, const char *log, const char *format)
{
	static const struct {
		const char *name, *opt, *type;
	} formats[] = {
		{ "text", NULL, "text/plain; charset=utf-8" },
		{ "summary", "--summary", "text/plain; charset=utf-8" },
		{ "json", "--format", "application/json" },
		{ "html", "--html", "text/html; charset=utf-8" },
	};
	char html[PATH_MAX + 64], *args[8], *buf = NULL;
	size_t i, n = 0, len = 0, cap = 0;
	int out[2], st = 0;
	enum MHD_Result r;
	pid_t pid;

	for (i = 0; i < sizeof(formats) / sizeof(*formats); i++)
		if (!strcmp(format ? format : "text", formats[i].name))
			break;
	if (i == sizeof(formats) / sizeof(*formats))
		return srv_error(c, 400, "format", "want text, summary, json or html");
	args[n++] = srv.jailtrace;
	args[n++] = "report";
	if (formats[i].opt)
		args[n++] = (char *)formats[i].opt;
	if (!strcmp(formats[i].name, "json"))
		args[n++] = "json";
	if (!strcmp(formats[i].name, "html")) {
		char id[32];

		random_id(id, sizeof(id), "report-");
		snprintf(html, sizeof(html), "%s/run/%s.html", srv.data, id);
		args[n++] = html;
	}
	args[n++] = (char *)log;
	args[n] = NULL;
	if (pipe2(out, O_CLOEXEC) < 0)
		return srv_error(c, 500, NULL, "pipe: %s", strerror(errno));
	pid = spawn(args, -1, out[1], -1);
	close(out[1]);
	for (;;) {
		ssize_t got;

		if (len + 65536 > cap) {
			char *nb = cap >= (64 << 20) ? NULL : realloc(buf, cap = cap ? cap * 2 : 131072);

			if (!nb)
				break;
			buf = nb;
		}
		got = read(out[0], buf + len, cap - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		len += (size_t)got;
	}
	close(out[0]);
	if (pid > 0)
		waitpid(pid, &st, 0);
	if (!strcmp(formats[i].name, "html")) {
		int fd = open(html, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		struct stat sb;

		len = 0;
		if (fd >= 0 && fstat(fd, &sb) == 0 && (size_t)sb.st_size <= (64u << 20)) {
			char *nb = realloc(buf, (size_t)sb.st_size + 1);

			if (nb) {
				buf = nb;
				len = (size_t)read(fd, buf, (size_t)sb.st_size);
			}
		}
		if (fd >= 0)
			close(fd);
		unlink(html);
	}
	if (pid <= 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0 || (ssize_t)len <= 0) {
		free(buf);
		return srv_error(c, 500, NULL, "jailtrace report failed (status %d)",
				 WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	}
	r = srv_reply(c, 200, formats[i].type, buf, len);
	free(buf);
	return r;
}

enum MHD_Result box_logs(struct MHD_Connection *c, struct box *b, const char *log_id, const char *format)
{
	char path[PATH_MAX + 64], idbuf[64];
	struct jbuf out;
	enum MHD_Result r;
	DIR *d;
	struct dirent *e;
	int want_report = 0;

	if (log_id) {
		const char *slash = strchr(log_id, '/');

		if (slash && !strcmp(slash, "/report") && (size_t)(slash - log_id) < sizeof(idbuf)) {
			memcpy(idbuf, log_id, (size_t)(slash - log_id));
			idbuf[slash - log_id] = '\0';
			log_id = idbuf;
			want_report = 1;
		}
	}
	if (log_id) {
		struct MHD_Response *resp;
		struct stat st;
		int fd;

		if (!log_id[0] || strlen(log_id) > 40 || strspn(log_id, ID_CHARS) != strlen(log_id))
			return srv_error(c, 404, NULL, "no log %s", log_id);
		if (snprintf(path, sizeof(path), "%s/%s.jsonl", b->logs, log_id) >= (int)sizeof(path))
			return srv_error(c, 404, NULL, "no log %s", log_id);
		if (want_report) {
			if (access(path, R_OK) < 0)
				return srv_error(c, 404, NULL, "no log %s", log_id);
			return report(c, path, format);
		}
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0) {
			if (fd >= 0)
				close(fd);
			return srv_error(c, 404, NULL, "no log %s", log_id);
		}
		resp = jt_mhd.response_from_fd((size_t)st.st_size, fd);
		if (!resp)
			return MHD_NO;
		jt_mhd.add_response_header(resp, "Content-Type", "application/x-ndjson");
		r = jt_mhd.queue_response(c, 200, resp);
		srv_log_reply(200);
		jt_mhd.destroy_response(resp);
		return r;
	}
	jbuf_init(&out, 64 * 1024);
	jt_json_object(&out.j);
	jt_json_key(&out.j, "logs");
	jt_json_array(&out.j);
	if ((d = opendir(b->logs))) {
		while ((e = readdir(d))) {
			char *dot = strrchr(e->d_name, '.');
			struct stat st;

			if (e->d_name[0] == '.' || !dot || strcmp(dot, ".jsonl"))
				continue;
			if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
				continue;
			jt_json_object(&out.j);
			jt_json_key(&out.j, "id");
			jt_json_strn(&out.j, e->d_name, (size_t)(dot - e->d_name));
			jt_json_key(&out.j, "size");
			jt_json_uint(&out.j, (unsigned long long)st.st_size);
			jt_json_key(&out.j, "mtime");
			jt_json_int(&out.j, (long long)st.st_mtime);
			jt_json_end(&out.j);
		}
		closedir(d);
	}
	jt_json_end(&out.j);
	jt_json_finish(&out.j);
	r = srv_reply(c, 200, NULL, out.buf, out.j.len);
	jbuf_free(&out);
	return r;
}

/* ------------------------------------------------------------ commands */

/* Events (JSON lines) waiting to be sent. */
struct evq {
	char *buf;
	size_t len, off, cap;
};

struct cmd {
	struct box *box;
	char id[32];
	char result[PATH_MAX + 64];
	pid_t pid;
	int reaped;
	int status;
	int fd_in, fd[2];	/* stdin (ours: the write end), stdout, stderr */
	char *in;
	size_t in_len, in_off;
	unsigned char hold[2][4];	/* an incomplete UTF-8 character at a read's end */
	size_t held[2];
	struct evq q;		/* events not yet handed to libmicrohttpd */
	int ended;
	int released;		/* the sandbox free for its next command */
	int sock;		/* the client's connection, watched for its going away */
	int hup;		/* it shut down its side: keepalives each second find out */
};

static void q_add(struct evq *q, const char *s, size_t n)
{
	if (q->off == q->len)
		q->off = q->len = 0;
	if (q->len + n > q->cap) {
		size_t cap = (q->len + n) * 2;
		char *nq = realloc(q->buf, cap);

		if (!nq)
			abort();
		q->buf = nq;
		q->cap = cap;
	}
	memcpy(q->buf + q->len, s, n);
	q->len += n;
}

/* Up to @max queued bytes into @buf: how many (0 when none is queued). */
static size_t q_take(struct evq *q, char *buf, size_t max)
{
	size_t n = q->len - q->off < max ? q->len - q->off : max;

	memcpy(buf, q->buf + q->off, n);
	q->off += n;
	return n;
}

/* How many bytes at the end of @s make an incomplete UTF-8 character. */
static size_t utf8_tail(const unsigned char *s, size_t n)
{
	for (size_t back = 1; back <= 3 && back <= n; back++) {
		unsigned char c = s[n - back];
		size_t need;

		if ((c & 0xc0) == 0x80)
			continue;
		need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
		return need > back && need <= 4 ? back : 0;
	}
	return 0;
}

static void event_output(struct evq *q, int which, const char *data, size_t n)
{
	struct jbuf b;

	jbuf_init(&b, n * 6 + 128);
	jt_json_object(&b.j);
	jt_json_key(&b.j, "stream");
	jt_json_str(&b.j, which ? "stderr" : "stdout");
	jt_json_key(&b.j, "data");
	jt_json_strn(&b.j, data, n);
	jt_json_finish(&b.j);
	q_add(q, b.buf, b.j.len);
	jbuf_free(&b);
}

static int is_limit(const char *status)
{
	static const char *const limits[] = { "timeout", "cpu_limit", "memory_limit", "output_limit",
					      "procs_limit", "disk_limit", "log_limit" };

	for (size_t i = 0; i < sizeof(limits) / sizeof(*limits); i++)
		if (status && !strcmp(status, limits[i]))
			return 1;
	return 0;
}

static void copy_int(struct jt_json *j, json_t *res, const char *key)
{
	json_t *v = json_object_get(res, key);

	jt_json_key(j, key);
	if (json_is_integer(v))
		jt_json_int(j, json_integer_value(v));
	else
		jt_json_null(j);
}

/* Its denials and a limit it hit to syslog, with tenant and user. */
static void syslog_result(struct cmd *m, json_t *res, const char *status)
{
	json_t *den = json_object_get(res, "denials"), *hints = json_object_get(res, "hints"), *h;
	struct box *b = m->box;
	struct jbuf j;
	size_t i;

	if (!srv.syslog || (!is_limit(status) && !(json_is_integer(den) && json_integer_value(den) > 0)))
		return;
	jbuf_init(&j, 8192);
	jt_json_object(&j.j);
	jt_json_key(&j.j, "type");
	jt_json_str(&j.j, "serve");
	jt_json_key(&j.j, "event");
	jt_json_str(&j.j, is_limit(status) ? "limit" : "denials");
	jt_json_key(&j.j, "tenant");
	jt_json_str(&j.j, b->tenant);
	jt_json_key(&j.j, "user");
	jt_json_str(&j.j, b->user);
	jt_json_key(&j.j, "sandbox");
	jt_json_str(&j.j, b->id);
	jt_json_key(&j.j, "log_id");
	jt_json_str(&j.j, m->id);
	jt_json_key(&j.j, "limit");
	jt_json_str(&j.j, is_limit(status) ? status : NULL);
	jt_json_key(&j.j, "message");
	jt_json_str(&j.j, is_limit(status) ? json_string_value(json_object_get(res, "message")) : NULL);
	jt_json_key(&j.j, "denials");
	jt_json_int(&j.j, json_is_integer(den) ? json_integer_value(den) : 0);
	jt_json_key(&j.j, "denied");
	jt_json_array(&j.j);
	json_array_foreach(hints, i, h)
		jt_json_str(&j.j, json_string_value(json_object_get(h, "text")));
	jt_json_end(&j.j);
	jt_json_end(&j.j);
	jt_json_finish(&j.j);
	if (!j.j.overflow)
		srv_syslog_raw(j.buf, j.j.len - 1);
	jbuf_free(&j);
}

/* The last event: how the command ended, from jailtrace's --result. */
static void event_result(struct cmd *m)
{
	json_t *res = read_result(m->result), *hints;
	const char *status = res ? json_string_value(json_object_get(res, "status")) : NULL;
	struct jbuf b;
	size_t i;
	json_t *h;
	int stopped;

	unlink(m->result);
	jbuf_init(&b, 8192);
	jt_json_object(&b.j);
	jt_json_key(&b.j, "type");
	jt_json_str(&b.j, "result");
	/* the sandbox destroyed as the command started: jailtrace got its
	 * SIGTERM before it could write a result, or while it was seizing the
	 * program (its result then says "error: cannot trace the program") */
	pthread_mutex_lock(&lock);
	stopped = m->box->dead;
	pthread_mutex_unlock(&lock);
	if (res && stopped && status && !strcmp(status, "error"))
		status = "interrupted";
	if (!res) {
		jt_json_key(&b.j, "status");
		jt_json_str(&b.j, stopped ? "interrupted" : "error");
		jt_json_key(&b.j, "exit_code");
		jt_json_int(&b.j, WIFEXITED(m->status) ? WEXITSTATUS(m->status) : 125);
		jt_json_key(&b.j, "message");
		jt_json_str(&b.j, stopped ? "the sandbox was destroyed as the command started"
				 : "jailtrace left no result");
	} else {
		jt_json_key(&b.j, "status");
		jt_json_str(&b.j, status);
		copy_int(&b.j, res, "exit_code");
		copy_int(&b.j, res, "program_exit_code");
		copy_int(&b.j, res, "signal");
		jt_json_key(&b.j, "limit");
		jt_json_str(&b.j, is_limit(status) ? status : NULL);
		jt_json_key(&b.j, "message");
		jt_json_str(&b.j, json_string_value(json_object_get(res, "message")));
		copy_int(&b.j, res, "wall_ms");
		copy_int(&b.j, res, "cpu_ms");
		copy_int(&b.j, res, "peak_memory_kb");
		copy_int(&b.j, res, "denials");
		jt_json_key(&b.j, "denied");
		jt_json_array(&b.j);
		hints = json_object_get(res, "hints");
		json_array_foreach(hints, i, h) {
			jt_json_object(&b.j);
			copy_int(&b.j, h, "count");
			jt_json_key(&b.j, "text");
			jt_json_str(&b.j, json_string_value(json_object_get(h, "text")));
			jt_json_end(&b.j);
		}
		jt_json_end(&b.j);
		copy_int(&b.j, res, "hints_more");
		syslog_result(m, res, status);
	}
	jt_json_key(&b.j, "log_id");
	jt_json_str(&b.j, m->id);
	jt_json_finish(&b.j);
	q_add(&m->q, b.buf, b.j.len);
	jbuf_free(&b);
	json_decref(res);
}

/* The command's end: the child reaped, the sandbox free for the next. A
 * child still running (the client went away) is stopped first. */
static void cmd_reap(struct cmd *m)
{
	siginfo_t si;

	if (m->reaped)
		return;
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)m->pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0) {
		kill(-m->pid, SIGTERM);
		if (!reap_within(m->pid, &m->status, 10000)) {
			kill(-m->pid, SIGKILL);
			waitpid(m->pid, &m->status, 0);
		}
		pthread_mutex_lock(&lock);
		m->box->pid = 0;
		pthread_mutex_unlock(&lock);
	} else {
		/* exited: no longer a pid to signal, then reaped */
		pthread_mutex_lock(&lock);
		m->box->pid = 0;
		pthread_mutex_unlock(&lock);
		waitpid(m->pid, &m->status, 0);
	}
	m->reaped = 1;
}

/* The child is reaped: the sandbox may run its next command. Done before
 * the result event is sent, so that a client which sends the next command
 * as soon as it has the result does not find this one still running. */
static void cmd_release(struct cmd *m)
{
	if (m->released)
		return;
	m->released = 1;
	pthread_mutex_lock(&lock);
	m->box->running = 0;
	m->box->last_used = now_ms(CLOCK_MONOTONIC);
	pthread_cond_broadcast(&changed);
	pthread_mutex_unlock(&lock);
}

static ssize_t cmd_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct cmd *m = cls;

	for (;;) {
		struct pollfd p[3];
		int np = 0;

		if (m->q.off < m->q.len)
			return (ssize_t)q_take(&m->q, buf, max);
		if (m->ended)
			return MHD_CONTENT_READER_END_OF_STREAM;
		if (m->fd[0] < 0 && m->fd[1] < 0) {
			if (m->fd_in >= 0) {
				close(m->fd_in);
				m->fd_in = -1;
			}
			/* output closed: jailtrace is ending (it kills what remains) */
			waitid(P_PID, (id_t)m->pid, &(siginfo_t){ 0 }, WEXITED | WNOWAIT);
			cmd_reap(m);
			event_result(m);
			cmd_release(m);
			m->ended = 1;
			continue;
		}
		struct pollfd p4[4];
		int waits = m->hup ? 1000 : KEEPALIVE_MS;

		for (int i = 0; i < 2; i++)
			if (m->fd[i] >= 0)
				p[np++] = (struct pollfd){ .fd = m->fd[i], .events = POLLIN };
		if (m->fd_in >= 0)
			p[np++] = (struct pollfd){ .fd = m->fd_in, .events = POLLOUT };
		memcpy(p4, p, sizeof(p));
		/* the client gone (or its side shut): a keepalive written at once
		 * fails on a closed connection, and libmicrohttpd ends the reply,
		 * which stops the command (cmd_free) */
		if (m->sock >= 0 && !m->hup)
			p4[np] = (struct pollfd){ .fd = m->sock, .events = POLLRDHUP };
		/* silence for KEEPALIVE_MS: a keepalive event, or libmicrohttpd
		 * would take the connection for idle (its timeout counts the time
		 * spent waiting here) and close it under a quiet command */
		int watch = m->sock >= 0 && !m->hup;
		int ready = poll(p4, (nfds_t)(np + watch), waits);
		static const char ka[] = "{\"type\":\"keepalive\"}\n";

		if (ready < 0) {
			if (errno == EINTR)
				continue;
			return MHD_CONTENT_READER_END_WITH_ERROR;
		}
		memcpy(p, p4, sizeof(p));
		if (watch && p4[np].revents) {
			m->hup = 1;
			q_add(&m->q, ka, sizeof(ka) - 1);
			continue;
		}
		if (ready == 0) {
			q_add(&m->q, ka, sizeof(ka) - 1);
			continue;
		}
		for (int k = 0; k < np; k++) {
			if (!p[k].revents)
				continue;
			if (p[k].fd == m->fd_in) {
				ssize_t w = write(m->fd_in, m->in + m->in_off, m->in_len - m->in_off);

				if (w > 0)
					m->in_off += (size_t)w;
				if ((w < 0 && errno != EAGAIN && errno != EINTR) || m->in_off == m->in_len) {
					close(m->fd_in);
					m->fd_in = -1;
				}
				continue;
			}
			int i = p[k].fd == m->fd[0] ? 0 : 1;
			char data[32768 + 4];
			size_t h = m->held[i], keep;
			ssize_t r;

			memcpy(data, m->hold[i], h);
			r = read(m->fd[i], data + h, 32768);
			if (r < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (r <= 0) {
				if (h)
					event_output(&m->q, i, data, h);
				m->held[i] = 0;
				close(m->fd[i]);
				m->fd[i] = -1;
				continue;
			}
			h += (size_t)r;
			keep = utf8_tail((unsigned char *)data, h);
			if (h > keep)
				event_output(&m->q, i, data, h - keep);
			memcpy(m->hold[i], data + h - keep, keep);
			m->held[i] = keep;
		}
	}
}

static void cmd_free(void *cls)
{
	struct cmd *m = cls;

	for (int i = 0; i < 2; i++)
		if (m->fd[i] >= 0)
			close(m->fd[i]);
	if (m->fd_in >= 0)
		close(m->fd_in);
	if (m->pid > 0)
		cmd_reap(m);
	unlink(m->result);
	cmd_release(m);
	if (m->pid > 0)
		srv_log("command %s in %s ended (wait status %d)", m->id, m->box->id, m->status);
	box_put(m->box);
	free(m->in);
	free(m->q.buf);
	free(m);
}

/* ------------------------------------------------------------ a run's fields */

/* "argv": a non-empty array of strings, the first not empty. 0 or -1 (@field, @err say why). */
static int take_argv(json_t *v, char *field, size_t flen, char *err, size_t errlen)
{
	size_t i;
	json_t *e;

	if (!json_is_array(v) || !json_array_size(v) || json_array_size(v) > 4096) {
		snprintf(err, errlen, "want a non-empty array of strings");
		return -1;
	}
	json_array_foreach(v, i, e)
		if (!json_is_string(e) || (i == 0 && !json_string_length(e))) {
			snprintf(field, flen, "argv[%zu]", i);
			snprintf(err, errlen, "want a string");
			return -1;
		}
	return 0;
}

/* "env": {"NAME": "VALUE"} as --env NAME=VALUE options (never a bare NAME,
 * which would pass the server's own). 0 or -1 (@field, @err say why). */
static int take_env(json_t *v, char ***opts, size_t *n_opts, char *field, size_t flen, char *err,
		    size_t errlen)
{
	const char *name;
	json_t *val;

	if (!json_is_object(v)) {
		snprintf(err, errlen, "want an object of names and string values");
		return -1;
	}
	json_object_foreach(v, name, val) {
		char *kv;
		int r;

		snprintf(field, flen, "env.%s", name);
		if (!name[0] || strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			"0123456789_") != strlen(name) || (name[0] >= '0' && name[0] <= '9')) {
			snprintf(err, errlen, "want a name of letters, digits and _");
			return -1;
		}
		if (!json_is_string(val)) {
			snprintf(err, errlen, "want a string");
			return -1;
		}
		if (asprintf(&kv, "%s=%s", name, json_string_value(val)) < 0)
			abort();
		r = add_opt(opts, n_opts, "--env", kv);
		free(kv);
		if (r < 0) {
			snprintf(err, errlen, "too many variables");
			return -1;
		}
	}
	return 0;
}

/* "cwd": an absolute inside path, as --cwd. 0 or -1 (@err says why). */
static int take_cwd(json_t *v, char ***opts, size_t *n_opts, char *err, size_t errlen)
{
	if (!json_is_string(v) || json_string_value(v)[0] != '/' || json_string_length(v) >= PATH_MAX) {
		snprintf(err, errlen, "want an absolute path inside the sandbox");
		return -1;
	}
	if (add_opt(opts, n_opts, "--cwd", json_string_value(v)) < 0) {
		snprintf(err, errlen, "too many options");
		return -1;
	}
	return 0;
}

/* The program's argv from "argv" or "cmd" (/bin/sh -c CMD), exactly one
 * given. 0 or -1 (@field, @err say why). */
static int take_cmdv(json_t *argv_j, const char *cmdline, char ***cmdv, size_t *n_cmd, char *field,
		     size_t flen, char *err, size_t errlen)
{
	size_t i;
	json_t *e;

	if (!!argv_j == !!cmdline) {
		snprintf(field, flen, "argv");
		snprintf(err, errlen, "want either argv (an array) or cmd (a shell line)");
		return -1;
	}
	if (cmdline) {
		add_opt(cmdv, n_cmd, "/bin/sh", "-c");
		add_opt(cmdv, n_cmd, cmdline, NULL);
		return 0;
	}
	if (!(*cmdv = calloc(json_array_size(argv_j), sizeof(**cmdv))))
		abort();
	json_array_foreach(argv_j, i, e)
		(*cmdv)[(*n_cmd)++] = strdup(json_string_value(e));
	return 0;
}

static const struct {
	const char *name;
	const char *argv[2];
} languages[] = {
	{ "python", { "python3", "-c" } },
	{ "bash", { "bash", "-c" } },
	{ "sh", { "sh", "-c" } },
	{ "node", { "node", "-e" } },
};

static enum MHD_Result box_code_stateful(struct MHD_Connection *c, struct box *b, json_t *req);

enum MHD_Result box_exec(struct MHD_Connection *c, struct box *b, json_t *req, int code)
{
	char field[64] = "", err[512] = "", log[PATH_MAX + 64], tbuf[32];
	char **opts = NULL, **cmdv = NULL;
	size_t n_opts = 0, n_cmd = 0;
	const char *k, *language = NULL, *text = NULL, *cmdline = NULL;
	json_t *v, *argv_j = NULL;
	struct cmd *m = NULL;
	unsigned status = 400;
	char **args = NULL;
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, er[2] = { -1, -1 };
	struct MHD_Response *resp;
	enum MHD_Result r;

	const union MHD_ConnectionInfo *ci;

	if (code && json_is_true(json_object_get(req, "stateful")))
		return box_code_stateful(c, b, req);
	if (!(m = calloc(1, sizeof(*m))))
		return MHD_NO;
	m->fd_in = m->fd[0] = m->fd[1] = -1;
	ci = jt_mhd.get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	m->sock = ci ? ci->connect_fd : -1;
	json_object_foreach(req, k, v) {
		snprintf(field, sizeof(field), "%s", k);
		if (!code && !strcmp(k, "argv")) {
			if (take_argv(v, field, sizeof(field), err, sizeof(err)) < 0)
				goto bad;
			argv_j = v;
		} else if (!code && !strcmp(k, "cmd")) {
			if (!json_is_string(v) || !json_string_length(v)) {
				snprintf(err, sizeof(err), "want a shell command line");
				goto bad;
			}
			cmdline = json_string_value(v);
		} else if (code && !strcmp(k, "language")) {
			if (!json_is_string(v)) {
				snprintf(err, sizeof(err), "want \"python\", \"bash\", \"sh\" or \"node\"");
				goto bad;
			}
			language = json_string_value(v);
		} else if (code && !strcmp(k, "code")) {
			if (!json_is_string(v)) {
				snprintf(err, sizeof(err), "want the program's text");
				goto bad;
			}
			if (json_string_length(v) > CODE_MAX) {
				snprintf(err, sizeof(err), "longer than %d bytes; put it in a file (PUT .../files/...) "
					 "and exec it", CODE_MAX);
				status = 413;
				goto bad;
			}
			text = json_string_value(v);
		} else if (code && !strcmp(k, "stateful")) {
			if (!json_is_boolean(v)) {
				snprintf(err, sizeof(err), "want true or false");
				goto bad;
			}
		} else if (!strcmp(k, "stdin")) {
			if (!json_is_string(v)) {
				snprintf(err, sizeof(err), "want a string");
				goto bad;
			}
			m->in_len = json_string_length(v);
			m->in = malloc(m->in_len + 1);
			memcpy(m->in, json_string_value(v), m->in_len);
		} else if (!strcmp(k, "env")) {
			if (take_env(v, &opts, &n_opts, field, sizeof(field), err, sizeof(err)) < 0)
				goto bad;
		} else if (!strcmp(k, "cwd")) {
			if (take_cwd(v, &opts, &n_opts, err, sizeof(err)) < 0)
				goto bad;
		} else if (!strcmp(k, "timeout")) {
			if (!json_is_number(v) || json_number_value(v) <= 0 || json_number_value(v) > 86400) {
				snprintf(err, sizeof(err), "want seconds, more than 0 and up to 86400");
				goto bad;
			}
			snprintf(tbuf, sizeof(tbuf), "%lldms", (long long)(json_number_value(v) * 1000 + 0.5));
			add_opt(&opts, &n_opts, "--timeout", tbuf);
		} else if (!strcmp(k, "limits")) {
			if (add_limits(v, &opts, &n_opts, field, sizeof(field), err, sizeof(err)) < 0)
				goto bad;
		} else {
			snprintf(err, sizeof(err), "unknown field");
			goto bad;
		}
	}
	if (code) {
		size_t i;

		for (i = 0; language && i < sizeof(languages) / sizeof(*languages); i++)
			if (!strcmp(language, languages[i].name))
				break;
		if (!language || i == sizeof(languages) / sizeof(*languages)) {
			snprintf(field, sizeof(field), "language");
			snprintf(err, sizeof(err), "%s: want \"python\", \"bash\", \"sh\" or \"node\"",
				 language ? "unknown" : "missing");
			goto bad;
		}
		if (!text) {
			snprintf(field, sizeof(field), "code");
			snprintf(err, sizeof(err), "missing");
			goto bad;
		}
		add_opt(&cmdv, &n_cmd, languages[i].argv[0], languages[i].argv[1]);
		add_opt(&cmdv, &n_cmd, text, NULL);
		/* before the request's own --env, which may set it otherwise */
		if (!strcmp(language, "python"))
			prepend_opt(&opts, &n_opts, "--env", "PYTHONUNBUFFERED=1");
	} else if (take_cmdv(argv_j, cmdline, &cmdv, &n_cmd, field, sizeof(field), err, sizeof(err)) < 0)
		goto bad;

	/* one command at a time, beside the background process and the
	 * interpreter (each a run of its own sharing the jail: --share-jail) */
	pthread_mutex_lock(&lock);
	if (b->dead) {
		pthread_mutex_unlock(&lock);
		status = 404;
		snprintf(err, sizeof(err), "no sandbox %s", b->id);
		field[0] = '\0';
		goto bad;
	}
	if (b->running) {
		pthread_mutex_unlock(&lock);
		status = 409;
		snprintf(err, sizeof(err), "a command is running in sandbox %s (one at a time)", b->id);
		field[0] = '\0';
		goto bad;
	}
	{
		unsigned busy = tenant_busy(b->tenant);

		if (busy >= srv.max_commands) {
			pthread_mutex_unlock(&lock);
			status = 429;
			snprintf(err, sizeof(err), "tenant %s runs %u commands, the most it may at once",
				 b->tenant, busy);
			field[0] = '\0';
			goto bad;
		}
		if (tenant_memory_check(b->tenant, mem_limit(b, opts, n_opts), err, sizeof(err)) < 0) {
			pthread_mutex_unlock(&lock);
			status = 429;
			snprintf(field, sizeof(field), "limits.memory");
			goto bad;
		}
	}
	b->running = 1;
	b->mem = mem_limit(b, opts, n_opts);
	b->commands++;
	b->refs++;
	pthread_mutex_unlock(&lock);
	m->box = b;

	random_id(m->id, sizeof(m->id), "cmd-");
	snprintf(m->result, sizeof(m->result), "%s/run/%s.json", srv.data, m->id);
	snprintf(log, sizeof(log), "%s/%s.jsonl", b->logs, m->id);
	args = run_args(b, m->result, log, opts, n_opts, cmdv, n_cmd);

	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(er, O_CLOEXEC) < 0) {
		status = 500;
		snprintf(err, sizeof(err), "pipe: %s", strerror(errno));
		goto fail;
	}
	m->pid = spawn_box(b, args, in[0], out[1], er[1]);
	close(in[0]);
	close(out[1]);
	close(er[1]);
	in[0] = out[1] = er[1] = -1;
	m->fd_in = in[1];
	m->fd[0] = out[0];
	m->fd[1] = er[0];
	if (m->pid < 0) {
		m->pid = 0;
		status = 500;
		snprintf(err, sizeof(err), "cannot start jailtrace: %s", strerror(errno));
		goto fail;
	}
	pthread_mutex_lock(&lock);
	b->pid = m->pid;
	if (b->dead)
		kill(-m->pid, SIGTERM);
	pthread_mutex_unlock(&lock);
	fcntl(m->fd_in, F_SETFL, O_NONBLOCK);
	if (!m->in_len) {
		close(m->fd_in);
		m->fd_in = -1;
	}
	free(args);
	srv_log("command %s in %s (%s/%s): %s%s", m->id, b->id, b->tenant, b->user, cmdv[0],
		n_cmd > 1 ? " ..." : "");
	for (size_t i = 0; i < n_opts; i++)
		free(opts[i]);
	free(opts);
	for (size_t i = 0; i < n_cmd; i++)
		free(cmdv[i]);
	free(cmdv);

	/* the reply streams; cmd_free ends the command when it is done */
	resp = jt_mhd.response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, cmd_read, m, cmd_free);
	if (!resp) {
		cmd_free(m);
		return MHD_NO;
	}
	jt_mhd.add_response_header(resp, "Content-Type", "application/x-ndjson");
	jt_mhd.add_response_header(resp, "X-Jailtrace-Log-Id", m->id);
	r = jt_mhd.queue_response(c, 200, resp);
	jt_mhd.destroy_response(resp);
	srv_log_reply(200);
	return r;

fail:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
		if (er[i] >= 0)
			close(er[i]);
	}
	m->fd_in = m->fd[0] = m->fd[1] = -1;
	cmd_free(m);
	m = NULL;
	free(args);
bad:
	for (size_t i = 0; i < n_opts; i++)
		free(opts[i]);
	free(opts);
	for (size_t i = 0; i < n_cmd; i++)
		free(cmdv[i]);
	free(cmdv);
	if (m) {
		free(m->in);
		free(m);
	}
	return srv_error(c, status, field[0] ? field : NULL, "%s", err);
}

/* ------------------------------------------------------------ processes */

/* @p's output kept: the last PROC_OUT_MAX bytes of each stream (the lock held). */
static void proc_keep(struct proc *p, int i, const char *data, size_t n)
{
	p->total[i] += n;
	if (n >= PROC_OUT_MAX) {
		p->dropped[i] += p->len[i] + n - PROC_OUT_MAX;
		data += n - PROC_OUT_MAX;
		n = PROC_OUT_MAX;
		p->len[i] = 0;
	} else if (p->len[i] + n > PROC_OUT_MAX) {
		size_t drop = p->len[i] + n - PROC_OUT_MAX;

		memmove(p->out[i], p->out[i] + drop, p->len[i] - drop);
		p->len[i] -= drop;
		p->dropped[i] += drop;
	}
	memcpy(p->out[i] + p->len[i], data, n);
	p->len[i] += n;
}

/* The result of @p's run, as the last event of a command says it. */
static char *proc_end_event(struct proc *p, int ws)
{
	struct cmd m = { .box = p->box, .status = ws };
	char *out;

	snprintf(m.id, sizeof(m.id), "%s", p->id);
	snprintf(m.result, sizeof(m.result), "%s", p->result);
	if (p->killed) {
		unlink(p->result);
		return strdup("{\"type\":\"result\",\"status\":\"killed\",\"exit_code\":137,\"limit\":null,"
			      "\"message\":\"SIGKILL: jailtrace and the program killed at once, no result\"}");
	}
	event_result(&m);
	if (!(out = malloc(m.q.len + 1)))
		abort();
	memcpy(out, m.q.buf, m.q.len);
	while (m.q.len && (m.q.buf[m.q.len - 1] == '\n'))
		m.q.len--;
	out[m.q.len] = '\0';
	free(m.q.buf);
	return out;
}

/* A process's own thread: its output kept as it comes, then its end. */
static void *proc_pump(void *arg)
{
	struct proc *p = arg;
	struct box *b = p->box;
	char buf[32768];
	int ws = 0;

	while (p->fd[0] >= 0 || p->fd[1] >= 0) {
		struct pollfd pf[2];
		int np = 0;

		for (int i = 0; i < 2; i++)
			if (p->fd[i] >= 0)
				pf[np++] = (struct pollfd){ .fd = p->fd[i], .events = POLLIN };
		if (poll(pf, (nfds_t)np, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int k = 0; k < np; k++) {
			int i = pf[k].fd == p->fd[0] ? 0 : 1;
			ssize_t r;

			if (!pf[k].revents)
				continue;
			r = read(pf[k].fd, buf, sizeof(buf));
			if (r < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (r <= 0) {
				close(p->fd[i]);
				p->fd[i] = -1;
				continue;
			}
			pthread_mutex_lock(&lock);
			proc_keep(p, i, buf, (size_t)r);
			pthread_mutex_unlock(&lock);
		}
	}
	for (int i = 0; i < 2; i++)
		if (p->fd[i] >= 0)
			close(p->fd[i]);
	while (waitpid(p->pid, &ws, 0) < 0 && errno == EINTR)
		;
	{
		char *end = proc_end_event(p, ws);

		pthread_mutex_lock(&lock);
		p->end = end;
		p->pid = 0;
		p->running = 0;
		b->n_live--;
		/* its ports exposed no longer: a later process exposes its own */
		for (size_t i = 0; i < b->n_exposed;) {
			int mine = 0;

			for (size_t k = 0; k < p->n_ports; k++)
				mine |= b->exposed[i] == p->ports[k];
			if (mine)
				b->exposed[i] = b->exposed[--b->n_exposed];
			else
				i++;
		}
		b->last_used = now_ms(CLOCK_MONOTONIC);
		pthread_cond_broadcast(&changed);
		pthread_mutex_unlock(&lock);
	}
	srv_log("process %s in %s (%s/%s) ended (wait status %d)", p->id, b->id, b->tenant, b->user, ws);
	box_put(b);
	return NULL;
}

static void put_proc(struct jt_json *j, struct proc *p, int output)
{
	static const char *const names[] = { "stdout", "stderr" };

	jt_json_object(j);
	jt_json_key(j, "id");
	jt_json_str(j, p->id);
	jt_json_key(j, "cmd");
	jt_json_str(j, p->cmd);
	jt_json_key(j, "running");
	jt_json_bool(j, p->running);
	jt_json_key(j, "started_ms");
	jt_json_int(j, p->started);
	jt_json_key(j, "ports");
	jt_json_array(j);
	for (size_t i = 0; i < p->n_ports; i++)
		jt_json_uint(j, (unsigned)p->ports[i]);
	jt_json_end(j);
	for (int i = 0; i < 2; i++) {
		char key[32];

		snprintf(key, sizeof(key), "%s_bytes", names[i]);
		jt_json_key(j, key);
		jt_json_uint(j, p->total[i]);
		snprintf(key, sizeof(key), "%s_dropped", names[i]);
		jt_json_key(j, key);
		jt_json_uint(j, p->dropped[i]);
		if (output) {
			jt_json_key(j, names[i]);
			jt_json_strn(j, p->out[i] ? p->out[i] : "", p->len[i]);
		}
	}
	jt_json_key(j, "result");
	if (p->end)
		jt_json_raw(j, p->end);
	else
		jt_json_null(j);
	jt_json_end(j);
}

static struct proc *proc_find(struct box *b, const char *id);

/* The reply with @b's process @id (found and written under the lock: an
 * ended process may be forgotten by a later start), or 404. */
static enum MHD_Result reply_proc(struct MHD_Connection *c, unsigned status, struct box *b, const char *id,
				  int output)
{
	struct jbuf out;
	enum MHD_Result r;
	struct proc *p;

	pthread_mutex_lock(&lock);
	if (!(p = proc_find(b, id))) {
		pthread_mutex_unlock(&lock);
		return srv_error(c, 404, NULL, "no process %s in sandbox %s", id, b->id);
	}
	jbuf_init(&out, 8192 + (output ? (p->len[0] + p->len[1]) * 6 : 0) + (p->end ? strlen(p->end) : 0));
	put_proc(&out.j, p, output);
	pthread_mutex_unlock(&lock);
	jt_json_finish(&out.j);
	r = srv_reply(c, status, NULL, out.buf, out.j.len);
	jbuf_free(&out);
	return r;
}

/* Is @port held by a running process of any sandbox (the lock held)? */
static int port_taken(int port)
{
	for (struct box *o = boxes; o; o = o->next)
		for (struct proc *p = o->procs; p; p = p->next)
			for (size_t i = 0; p->running && i < p->n_ports; i++)
				if (p->ports[i] == port)
					return 1;
	return 0;
}

enum MHD_Result box_proc_start(struct MHD_Connection *c, struct box *b, json_t *req)
{
	char field[64] = "", err[512] = "", log[PATH_MAX + 64], bind[32];
	char **opts = NULL, **cmdv = NULL, **args = NULL;
	size_t n_opts = 0, n_cmd = 0;
	const char *k, *cmdline = NULL;
	json_t *v, *argv_j = NULL;
	struct proc *p;
	unsigned status = 400;
	int out[2] = { -1, -1 }, er[2] = { -1, -1 }, timeout_set = 0;
	pthread_t th;
	pthread_attr_t at;

	if (!(p = calloc(1, sizeof(*p))))
		return MHD_NO;
	p->fd[0] = p->fd[1] = -1;
	json_object_foreach(req, k, v) {
		snprintf(field, sizeof(field), "%s", k);
		if (!strcmp(k, "argv")) {
			if (take_argv(v, field, sizeof(field), err, sizeof(err)) < 0)
				goto bad;
			argv_j = v;
		} else if (!strcmp(k, "cmd")) {
			if (!json_is_string(v) || !json_string_length(v) || json_string_length(v) > CODE_MAX) {
				snprintf(err, sizeof(err), "want a shell command line (up to %d bytes)", CODE_MAX);
				goto bad;
			}
			cmdline = json_string_value(v);
		} else if (!strcmp(k, "env")) {
			if (take_env(v, &opts, &n_opts, field, sizeof(field), err, sizeof(err)) < 0)
				goto bad;
		} else if (!strcmp(k, "cwd")) {
			if (take_cwd(v, &opts, &n_opts, err, sizeof(err)) < 0)
				goto bad;
		} else if (!strcmp(k, "timeout")) {
			char tbuf[32];

			if (!json_is_number(v) || json_number_value(v) <= 0 || json_number_value(v) > 30 * 86400) {
				snprintf(err, sizeof(err), "want seconds, more than 0 and up to 2592000");
				goto bad;
			}
			snprintf(tbuf, sizeof(tbuf), "%lldms", (long long)(json_number_value(v) * 1000 + 0.5));
			add_opt(&opts, &n_opts, "--timeout", tbuf);
			timeout_set = 1;
		} else if (!strcmp(k, "limits")) {
			if (add_limits(v, &opts, &n_opts, field, sizeof(field), err, sizeof(err)) < 0)
				goto bad;
		} else if (!strcmp(k, "ports")) {
			size_t i;
			json_t *e;

			if (!json_is_array(v) || json_array_size(v) > MAX_PORTS) {
				snprintf(err, sizeof(err), "want an array of up to %d ports", MAX_PORTS);
				goto bad;
			}
			json_array_foreach(v, i, e) {
				snprintf(field, sizeof(field), "ports[%zu]", i);
				if (!json_is_integer(e) || json_integer_value(e) < 1024 || json_integer_value(e) > 65535) {
					snprintf(err, sizeof(err), "want a port number, 1024 to 65535");
					goto bad;
				}
				p->ports[p->n_ports++] = (int)json_integer_value(e);
				snprintf(bind, sizeof(bind), "127.0.0.1:%d", p->ports[p->n_ports - 1]);
				add_opt(&opts, &n_opts, "--allow-bind", bind);
			}
		} else {
			snprintf(err, sizeof(err), "unknown field");
			goto bad;
		}
	}
	if (take_cmdv(argv_j, cmdline, &cmdv, &n_cmd, field, sizeof(field), err, sizeof(err)) < 0)
		goto bad;
	/* a background process lasts as long as the sandbox unless it says */
	if (!timeout_set)
		prepend_opt(&opts, &n_opts, "--timeout", "0");
	for (size_t i = 0, len = 0; i < n_cmd && len + 2 < sizeof(p->cmd); i++)
		len += (size_t)snprintf(p->cmd + len, sizeof(p->cmd) - len, "%s%s", i ? " " : "", cmdv[i]);

	field[0] = '\0';
	pthread_mutex_lock(&lock);
	if (b->dead || b->n_live >= srv.max_procs) {
		status = b->dead ? 404 : 409;
		if (b->dead)
			snprintf(err, sizeof(err), "no sandbox %s", b->id);
		else
			snprintf(err, sizeof(err), "sandbox %s runs %u background processes, the most it may at "
				 "once (--max-processes): signal one (POST .../processes/ID/signal) first", b->id,
				 b->n_live);
		pthread_mutex_unlock(&lock);
		goto bad;
	}
	if (tenant_busy(b->tenant) >= srv.max_commands) {
		pthread_mutex_unlock(&lock);
		status = 429;
		snprintf(err, sizeof(err), "tenant %s runs %u commands and processes, the most it may at once",
			 b->tenant, srv.max_commands);
		goto bad;
	}
	if (tenant_memory_check(b->tenant, mem_limit(b, opts, n_opts), err, sizeof(err)) < 0) {
		pthread_mutex_unlock(&lock);
		status = 429;
		snprintf(field, sizeof(field), "limits.memory");
		goto bad;
	}
	p->mem = mem_limit(b, opts, n_opts);
	for (size_t i = 0; i < p->n_ports; i++)
		if (port_taken(p->ports[i]) || (int)srv.port == p->ports[i]) {
			pthread_mutex_unlock(&lock);
			status = 409;
			snprintf(field, sizeof(field), "ports[%zu]", i);
			snprintf(err, sizeof(err), "port %d is taken (ports are the host's loopback ports)",
				 p->ports[i]);
			goto bad;
		}
	/* the oldest ended process forgotten past MAX_PROCS */
	if (b->n_procs >= MAX_PROCS) {
		struct proc **pp = &b->procs, **last = NULL;

		for (; *pp; pp = &(*pp)->next)
			if (!(*pp)->running)
				last = pp;
		if (last) {
			struct proc *old = *last;

			*last = old->next;
			free_proc(old);
			b->n_procs--;
		}
	}
	p->box = b;
	p->running = 1;
	p->started = now_ms(CLOCK_REALTIME);
	random_id(p->id, sizeof(p->id), "proc-");
	b->n_live++;
	p->next = b->procs;
	b->procs = p;
	b->n_procs++;
	b->refs++;	/* the pump thread's */
	pthread_mutex_unlock(&lock);

	if (!(p->out[0] = malloc(PROC_OUT_MAX)) || !(p->out[1] = malloc(PROC_OUT_MAX)))
		abort();
	snprintf(p->result, sizeof(p->result), "%s/run/%s.json", srv.data, p->id);
	snprintf(log, sizeof(log), "%s/%s.jsonl", b->logs, p->id);
	args = run_args(b, p->result, log, opts, n_opts, cmdv, n_cmd);
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(er, O_CLOEXEC) < 0 ||
	    (p->pid = spawn_box(b, args, -1, out[1], er[1])) < 0) {
		int e = errno;

		for (int i = 0; i < 2; i++) {
			if (out[i] >= 0)
				close(out[i]);
			if (er[i] >= 0)
				close(er[i]);
		}
		pthread_mutex_lock(&lock);
		p->pid = 0;
		p->running = 0;
		b->n_live--;
		p->end = strdup("{\"type\":\"result\",\"status\":\"error\",\"message\":\"cannot start jailtrace\"}");
		pthread_cond_broadcast(&changed);
		pthread_mutex_unlock(&lock);
		box_put(b);
		free(args);
		args = NULL;
		status = 500;
		snprintf(err, sizeof(err), "cannot start jailtrace: %s", strerror(e));
		p = NULL;
		goto bad;
	}
	close(out[1]);
	close(er[1]);
	p->fd[0] = out[0];
	p->fd[1] = er[0];
	pthread_mutex_lock(&lock);
	if (b->dead)
		kill(-p->pid, SIGTERM);
	pthread_mutex_unlock(&lock);
	free(args);
	srv_log("process %s in %s (%s/%s): %s", p->id, b->id, b->tenant, b->user, p->cmd);
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&th, &at, proc_pump, p) != 0) {
		/* no thread to keep its output: it is stopped, and pumped here */
		kill(-p->pid, SIGTERM);
		proc_pump(p);
	}
	pthread_attr_destroy(&at);
	for (size_t i = 0; i < n_opts; i++)
		free(opts[i]);
	free(opts);
	for (size_t i = 0; i < n_cmd; i++)
		free(cmdv[i]);
	free(cmdv);
	{
		char id[sizeof(p->id)];

		memcpy(id, p->id, sizeof(id));
		return reply_proc(c, 201, b, id, 0);
	}

bad:
	for (size_t i = 0; i < n_opts; i++)
		free(opts[i]);
	free(opts);
	for (size_t i = 0; i < n_cmd; i++)
		free(cmdv[i]);
	free(cmdv);
	if (p && !p->box)
		free_proc(p);
	return srv_error(c, status, field[0] ? field : NULL, "%s", err);
}

/* @id's process of @b, or NULL (the lock held) */
static struct proc *proc_find(struct box *b, const char *id)
{
	for (struct proc *p = b->procs; p; p = p->next)
		if (!strcmp(p->id, id))
			return p;
	return NULL;
}

enum MHD_Result box_procs(struct MHD_Connection *c, struct box *b, const char *id)
{
	struct jbuf out;
	enum MHD_Result r;
	struct proc *p;

	if (id)
		return reply_proc(c, 200, b, id, 1);
	pthread_mutex_lock(&lock);
	jbuf_init(&out, 1024 + b->n_procs * 2048);
	jt_json_object(&out.j);
	jt_json_key(&out.j, "processes");
	jt_json_array(&out.j);
	for (p = b->procs; p; p = p->next)
		put_proc(&out.j, p, 0);
	jt_json_end(&out.j);
	pthread_mutex_unlock(&lock);
	jt_json_finish(&out.j);
	r = srv_reply(c, 200, NULL, out.buf, out.j.len);
	jbuf_free(&out);
	return r;
}

enum MHD_Result box_proc_signal(struct MHD_Connection *c, struct box *b, const char *id, json_t *req)
{
	static const struct {
		const char *name;
		int sig;
	} sigs[] = { { "TERM", SIGTERM }, { "INT", SIGINT }, { "HUP", SIGHUP }, { "KILL", SIGKILL } };
	const char *k, *name = NULL;
	json_t *v;
	struct proc *p;
	size_t i;

	json_object_foreach(req, k, v) {
		if (strcmp(k, "signal"))
			return srv_error(c, 400, k, "unknown field");
		if (!json_is_string(v))
			return srv_error(c, 400, "signal", "want \"TERM\", \"INT\", \"HUP\" or \"KILL\"");
		name = json_string_value(v);
	}
	if (!name)
		name = "TERM";
	if (!strncmp(name, "SIG", 3))
		name += 3;
	for (i = 0; i < sizeof(sigs) / sizeof(*sigs); i++)
		if (!strcmp(name, sigs[i].name))
			break;
	if (i == sizeof(sigs) / sizeof(*sigs) && (!strcmp(name, "USR1") || !strcmp(name, "USR2") ||
	    !strcmp(name, "QUIT") || !strcmp(name, "STOP") || !strcmp(name, "CONT") || !strcmp(name, "ALRM") ||
	    !strcmp(name, "WINCH") || !strcmp(name, "TSTP")))
		return srv_error(c, 501, "signal", "not built: SIG%s (jailtrace run forwards TERM, INT and HUP, "
				 "and ends the run on each; KILL kills it)", name);
	if (i == sizeof(sigs) / sizeof(*sigs))
		return srv_error(c, 400, "signal", "want \"TERM\", \"INT\", \"HUP\" or \"KILL\" (jailtrace run "
				 "forwards these, and the run ends; other signals are not built)");
	pthread_mutex_lock(&lock);
	p = proc_find(b, id);
	if (p && p->running && p->pid > 0) {
		if (sigs[i].sig == SIGKILL)
			p->killed = 1;
		/* TERM, INT, HUP to jailtrace (the guard ignores them): the program
		 * gets it and --grace to end; KILL to the group, jailtrace too */
		kill(-p->pid, sigs[i].sig);
	}
	pthread_mutex_unlock(&lock);
	if (!p)
		return srv_error(c, 404, NULL, "no process %s in sandbox %s", id, b->id);
	srv_log("process %s in %s: SIG%s", id, b->id, sigs[i].name);
	return reply_proc(c, 202, b, id, 0);
}

/* Wait until @b's process @id has ended, up to @ms: for tests and clients
 * that signal it and want its result (GET .../processes/ID?wait=S). */
int box_proc_wait(struct box *b, const char *id, int ms)
{
	int64_t end = now_ms(CLOCK_REALTIME) + ms;
	struct proc *p;
	int running = 0;

	pthread_mutex_lock(&lock);
	while ((p = proc_find(b, id)) && (running = p->running)) {
		struct timespec ts = { .tv_sec = end / 1000, .tv_nsec = (end % 1000) * 1000000 };

		if (pthread_cond_timedwait(&changed, &lock, &ts) == ETIMEDOUT)
			break;
	}
	running = p && p->running;
	pthread_mutex_unlock(&lock);
	return running;
}

/* ------------------------------------------------------------ ports */

/* 2: @port is exposed and granted to a running process of @b (*@pid: its
 * guard, whose tree must hold the listener); 1: granted, not exposed; 0:
 * neither (no running process listens there by its grant). */
int box_port_state(struct box *b, int port, pid_t *pid)
{
	int r = 0;

	pthread_mutex_lock(&lock);
	for (struct proc *p = b->procs; p && !r; p = p->next)
		for (size_t i = 0; p->running && p->pid > 0 && i < p->n_ports; i++)
			if (p->ports[i] == port) {
				r = 1;
				*pid = p->pid;
			}
	for (size_t i = 0; r && i < b->n_exposed; i++)
		if (b->exposed[i] == port)
			r = 2;
	pthread_mutex_unlock(&lock);
	return r;
}

static void put_port(struct jt_json *j, struct box *b, int port)
{
	char path[128];

	snprintf(path, sizeof(path), "/v1/sandboxes/%s/ports/%d/", b->id, port);
	jt_json_object(j);
	jt_json_key(j, "port");
	jt_json_uint(j, (unsigned)port);
	jt_json_key(j, "path");
	jt_json_str(j, path);
	jt_json_key(j, "url");
	if (srv.url[0]) {
		char url[sizeof(srv.url) + 128];

		snprintf(url, sizeof(url), "%s%s", srv.url, path);
		jt_json_str(j, url);
	} else
		jt_json_null(j);
	jt_json_end(j);
}

/* GET .../ports; POST or DELETE .../ports/N */
enum MHD_Result box_ports(struct MHD_Connection *c, struct box *b, int port, const char *method)
{
	char buf[4096];
	struct jt_json j;
	pid_t pid;
	size_t i;

	jt_json_init(&j, buf, sizeof(buf));
	if (port < 0) {
		jt_json_object(&j);
		jt_json_key(&j, "ports");
		jt_json_array(&j);
		pthread_mutex_lock(&lock);
		for (i = 0; i < b->n_exposed; i++)
			put_port(&j, b, b->exposed[i]);
		pthread_mutex_unlock(&lock);
		jt_json_end(&j);
		jt_json_finish(&j);
		return srv_reply(c, 200, NULL, buf, j.len);
	}
	if (!strcmp(method, "DELETE")) {
		int found = 0;

		pthread_mutex_lock(&lock);
		for (i = 0; i < b->n_exposed; i++)
			if (b->exposed[i] == port) {
				b->exposed[i] = b->exposed[--b->n_exposed];
				found = 1;
				break;
			}
		pthread_mutex_unlock(&lock);
		if (!found)
			return srv_error(c, 404, NULL, "port %d of sandbox %s is not exposed", port, b->id);
		srv_log("port %d of %s (%s/%s) no longer exposed", port, b->id, b->tenant, b->user);
		return srv_reply(c, 204, NULL, "", 0);
	}
	if (!box_port_state(b, port, &pid))
		return srv_error(c, 409, "port", "no running process of sandbox %s may listen on %d: start one "
				 "with \"ports\": [%d] (POST .../processes)", b->id, port, port);
	pthread_mutex_lock(&lock);
	for (i = 0; i < b->n_exposed && b->exposed[i] != port; i++)
		;
	if (i == b->n_exposed) {
		if (b->n_exposed == MAX_EXPOSED) {
			pthread_mutex_unlock(&lock);
			return srv_error(c, 409, "port", "sandbox %s exposes %d ports, the most it may", b->id,
					 MAX_EXPOSED);
		}
		b->exposed[b->n_exposed++] = port;
	}
	put_port(&j, b, port);
	pthread_mutex_unlock(&lock);
	jt_json_finish(&j);
	srv_log("port %d of %s (%s/%s) exposed", port, b->id, b->tenant, b->user);
	return srv_reply(c, 201, NULL, buf, j.len);
}

const char *box_id(const struct box *b)
{
	return b->id;
}

/* ------------------------------------------------------------ stateful code */

/* The interpreter: each line on its control descriptor (its stdin, moved
 * away from 0, which becomes /dev/null) is a cell {"n": NONCE, "code":
 * CODE}, run in one namespace; after it, "\x1eJT-END NONCE STATUS\x1e\n"
 * on both stdout and stderr, so the server knows both streams are done. */
static const char KERNEL_PY[] =
"import json, os, sys, traceback\n"
"ctl = os.fdopen(os.dup(0), 'rb')\n"
"null = os.open(os.devnull, os.O_RDONLY)\n"
"os.dup2(null, 0)\n"
"os.close(null)\n"
"sys.stdin = open(os.devnull)\n"
"ns = {'__name__': '__main__', '__builtins__': __builtins__}\n"
"while True:\n"
"    line = ctl.readline()\n"
"    if not line:\n"
"        break\n"
"    req = json.loads(line)\n"
"    status = 0\n"
"    try:\n"
"        exec(compile(req['code'], '<cell>', 'exec'), ns)\n"
"    except SystemExit as e:\n"
"        status = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)\n"
"        if not isinstance(e.code, int) and e.code is not None:\n"
"            print(e.code, file=sys.stderr)\n"
"    except BaseException as e:\n"
"        status = 1\n"
"        traceback.print_exception(type(e), e, e.__traceback__.tb_next)\n"
"    for f in (sys.stdout, sys.stderr):\n"
"        try:\n"
"            f.flush()\n"
"        except Exception:\n"
"            pass\n"
"    mark = ('\\x1eJT-END %s %d\\x1e\\n' % (req['n'], status & 255)).encode()\n"
"    os.write(1, mark)\n"
"    os.write(2, mark)\n";

/* bash: each cell eval'd in the one shell, its code read as bytes (LC_ALL=C
 * for read -N); the channel and the marks' streams on descriptors 61-63, out
 * of a cell's way. */
static const char KERNEL_BASH[] =
"exec 62>&1 63>&2 61<&0 0</dev/null\n"
"while IFS=' ' read -r __jt_n __jt_len <&61; do\n"
"	__jt_code=\n"
"	[ \"$__jt_len\" -gt 0 ] && LC_ALL=C IFS= read -r -d '' -N \"$__jt_len\" __jt_code <&61\n"
"	eval \"$__jt_code\"\n"
"	__jt_st=$?\n"
"	printf '\\036JT-END %s %d\\036\\n' \"$__jt_n\" $((__jt_st & 255)) >&62\n"
"	printf '\\036JT-END %s %d\\036\\n' \"$__jt_n\" $((__jt_st & 255)) >&63\n"
"done\n";

/* node: each cell a script run in the one context (vm.runInThisContext:
 * top-level let, const, var and functions stay); a promise it gives back
 * is awaited; an exception is printed and the cell's status is 1. */
static const char KERNEL_JS[] =
"const fs = require('fs'), vm = require('vm');\n"
"const say = (e) => { try { fs.writeSync(2, ((e && e.stack) || String(e)) + '\\n'); } catch (_) {} };\n"
"process.on('uncaughtException', say);\n"
"process.on('unhandledRejection', say);\n"
"let buf = Buffer.alloc(0), busy = false, ended = false;\n"
"const mark = (n, st) => { const m = '\\x1eJT-END ' + n + ' ' + (st & 255) + '\\x1e\\n';\n"
"  fs.writeSync(1, m); fs.writeSync(2, m); };\n"
"async function pump() {\n"
"  if (busy) return;\n"
"  busy = true;\n"
"  for (;;) {\n"
"    const nl = buf.indexOf(10);\n"
"    if (nl < 0) break;\n"
"    const [n, len] = buf.subarray(0, nl).toString().split(' ');\n"
"    const end = nl + 1 + Number(len);\n"
"    if (buf.length < end) break;\n"
"    const code = buf.subarray(nl + 1, end).toString('utf8');\n"
"    buf = buf.subarray(end);\n"
"    let st = 0;\n"
"    try {\n"
"      const r = vm.runInThisContext(code, { filename: '<cell>' });\n"
"      if (r && typeof r.then === 'function') await r;\n"
"    } catch (e) { st = 1; say(e); }\n"
"    mark(n, st);\n"
"  }\n"
"  busy = false;\n"
"  if (ended) process.exit(0);\n"
"}\n"
"const ctl = fs.createReadStream(null, { fd: 3 });\n"
"ctl.on('data', (d) => { buf = Buffer.concat([buf, d]); pump(); });\n"
"ctl.on('end', () => { ended = true; if (!busy) process.exit(0); });\n";

/* An interpreter of node can run where node is installed on the host
 * (the sandbox sees /usr/bin and /usr/local/bin read-only). */
static int node_installed(void)
{
	return access("/usr/bin/node", X_OK) == 0 || access("/usr/local/bin/node", X_OK) == 0;
}

struct cell {
	struct box *box;
	struct kernel *k;
	char nonce[40];
	char mark[64];		/* "\x1eJT-END NONCE " */
	size_t mark_len;
	int done[2];		/* the stream's mark seen */
	int status;		/* the cell's, from the mark */
	int eof;		/* the interpreter's output closed: it ended */
	int timed_out;
	char hold[2][128];
	size_t held[2];
	struct evq q;		/* events not yet handed to libmicrohttpd */
	int ended;
	int sock, hup;
	int64_t start, deadline;	/* monotonic ms */
	unsigned cell_no;
};


static void cell_output(struct cell *m, int i, const char *data, size_t n)
{
	if (n)
		event_output(&m->q, i, data, n);
}

/* New bytes of stream @i: output up to the cell's mark, which ends it. */
static void cell_data(struct cell *m, int i, const char *data, size_t n)
{
	char buf[sizeof(m->hold[0]) + 32768];
	size_t len = m->held[i], out;
	char *at, *end;

	memcpy(buf, m->hold[i], len);
	memcpy(buf + len, data, n);
	len += n;
	m->held[i] = 0;
	at = memmem(buf, len, m->mark, m->mark_len);
	if (at && (end = memmem(at, len - (size_t)(at - buf), "\x1e\n", 2))) {
		cell_output(m, i, buf, (size_t)(at - buf));
		if (i == 0)
			m->status = atoi(at + m->mark_len);
		m->done[i] = 1;
		return;
	}
	/* a mark's start held back; a UTF-8 character is never split */
	out = at ? (size_t)(at - buf) : len;
	if (!at)
		for (size_t s = len > m->mark_len ? len - m->mark_len : 0; s < len; s++)
			if (buf[s] == '\x1e' && !memcmp(buf + s, m->mark, len - s < m->mark_len ? len - s : m->mark_len)) {
				out = s;
				break;
			}
	if (len - out > sizeof(m->hold[i]) - 8)
		out = len - (sizeof(m->hold[i]) - 8);
	out -= utf8_tail((unsigned char *)buf, out);
	cell_output(m, i, buf, out);
	memcpy(m->hold[i], buf + out, len - out);
	m->held[i] = len - out;
}

/* The cell's result event; the interpreter's end (its run's result) if it ended. */
static void cell_result(struct cell *m)
{
	char buf[512];
	int n;

	if (!m->eof) {
		n = snprintf(buf, sizeof(buf), "{\"type\":\"result\",\"status\":\"exited\",\"exit_code\":%d,"
			     "\"program_exit_code\":%d,\"signal\":null,\"limit\":null,\"message\":null,"
			     "\"wall_ms\":%lld,\"cpu_ms\":null,\"peak_memory_kb\":null,\"denials\":null,\"denied\":[],"
			     "\"hints_more\":0,\"log_id\":\"%s\",\"stateful\":true,\"cell\":%u}\n",
			     m->status, m->status, (long long)(now_ms(CLOCK_MONOTONIC) - m->start), m->k->id,
			     m->cell_no);
		q_add(&m->q, buf, (size_t)n);
		return;
	}
	{
		int st = 0;

		if (!reap_within(m->k->pid, &st, 10000)) {
			kill(-m->k->pid, SIGKILL);
			waitpid(m->k->pid, &st, 0);
		}
		m->k->status = st;
	}
	if (m->timed_out) {
		n = snprintf(buf, sizeof(buf), "{\"type\":\"result\",\"status\":\"timeout\",\"exit_code\":124,"
			     "\"program_exit_code\":null,\"signal\":null,\"limit\":\"timeout\",\"message\":\"the cell "
			     "ran past its timeout: the interpreter was stopped, its variables are gone\","
			     "\"wall_ms\":%lld,\"cpu_ms\":null,\"peak_memory_kb\":null,\"denials\":null,\"denied\":[],"
			     "\"hints_more\":0,\"log_id\":\"%s\",\"stateful\":true,\"cell\":%u}\n",
			     (long long)(now_ms(CLOCK_MONOTONIC) - m->start), m->k->id, m->cell_no);
		q_add(&m->q, buf, (size_t)n);
		unlink(m->k->result);
		return;
	}
	/* the interpreter ended (a limit, os._exit, a signal): its run's result */
	{
		struct cmd fake = { .box = m->box };

		fake.status = m->k->status;
		snprintf(fake.id, sizeof(fake.id), "%s", m->k->id);
		snprintf(fake.result, sizeof(fake.result), "%s", m->k->result);
		event_result(&fake);
		q_add(&m->q, fake.q.buf, fake.q.len);
		free(fake.q.buf);
	}
}

/* The cell is over: the sandbox free; an interpreter that ended forgotten. */
static void cell_release(struct cell *m)
{
	struct box *b = m->box;
	struct kernel *k = m->k;

	if (!k)
		return;
	m->k = NULL;
	pthread_mutex_lock(&lock);
	if (m->eof && b->kernel == k) {
		b->kernel = NULL;
		for (int i = 0; i < 2; i++)
			if (k->fd[i] >= 0)
				close(k->fd[i]);
		if (k->fd_in >= 0)
			close(k->fd_in);
		free(k);
	}
	b->cell = 0;
	b->last_used = now_ms(CLOCK_MONOTONIC);
	pthread_cond_broadcast(&changed);
	pthread_mutex_unlock(&lock);
}

static ssize_t cell_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct cell *m = cls;
	static const char ka[] = "{\"type\":\"keepalive\"}\n";

	for (;;) {
		struct pollfd p[3];
		int np = 0, ready, wait_ms;
		int64_t now;

		if (m->q.off < m->q.len)
			return (ssize_t)q_take(&m->q, buf, max);
		if (m->ended)
			return MHD_CONTENT_READER_END_OF_STREAM;
		if ((m->done[0] && m->done[1]) || m->eof) {
			cell_result(m);
			cell_release(m);
			m->ended = 1;
			continue;
		}
		for (int i = 0; i < 2; i++)
			if (!m->done[i])
				p[np++] = (struct pollfd){ .fd = m->k->fd[i], .events = POLLIN };
		if (m->sock >= 0 && !m->hup)
			p[np++] = (struct pollfd){ .fd = m->sock, .events = POLLRDHUP };
		now = now_ms(CLOCK_MONOTONIC);
		if (now >= m->deadline && !m->timed_out) {
			/* past its timeout: the interpreter stopped (the cell cannot be
			 * stopped alone), its output read to its end */
			m->timed_out = 1;
			kill(-m->k->pid, SIGTERM);
		}
		wait_ms = m->hup ? 1000 : KEEPALIVE_MS;
		if (!m->timed_out && m->deadline - now < wait_ms)
			wait_ms = (int)(m->deadline - now);
		ready = poll(p, (nfds_t)np, wait_ms);
		if (ready < 0) {
			if (errno == EINTR)
				continue;
			return MHD_CONTENT_READER_END_WITH_ERROR;
		}
		if (ready == 0) {
			if (now_ms(CLOCK_MONOTONIC) < m->deadline || m->timed_out)
				q_add(&m->q, ka, sizeof(ka) - 1);
			continue;
		}
		for (int k = 0; k < np; k++) {
			char data[32768];
			ssize_t r;
			int i;

			if (!p[k].revents)
				continue;
			if (p[k].fd == m->sock) {
				m->hup = 1;
				q_add(&m->q, ka, sizeof(ka) - 1);
				continue;
			}
			i = p[k].fd == m->k->fd[0] ? 0 : 1;
			r = read(p[k].fd, data, sizeof(data));
			if (r < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (r <= 0) {
				/* the interpreter is gone: what it held back, then its end */
				cell_output(m, i, m->hold[i], m->held[i]);
				m->held[i] = 0;
				m->eof = 1;
				break;
			}
			cell_data(m, i, data, (size_t)r);
		}
		if (m->eof) {
			/* the other stream to its end too */
			for (int i = 0; i < 2; i++) {
				char data[32768];
				ssize_t r;

				while (!m->done[i] && (r = read(m->k->fd[i], data, sizeof(data))) > 0)
					cell_data(m, i, data, (size_t)r);
			}
		}
	}
}

static void cell_free(void *cls)
{
	struct cell *m = cls;

	if (m->k) {
		/* the client went away mid-cell: the interpreter is stopped (a cell
		 * cannot be stopped alone) */
		m->eof = 1;
		kill(-m->k->pid, SIGTERM);
		{
			int st;

			if (!reap_within(m->k->pid, &st, 10000)) {
				kill(-m->k->pid, SIGKILL);
				waitpid(m->k->pid, &st, 0);
			}
		}
		unlink(m->k->result);
		cell_release(m);
	}
	box_put(m->box);
	free(m->q.buf);
	free(m);
}

/* A new interpreter of @lang for @b (the lock not held; b->cell set by the caller). */
static struct kernel *kernel_start(struct box *b, int lang, char *err, size_t errlen)
{
	struct kernel *k = calloc(1, sizeof(*k));
	char log[PATH_MAX + 64], **args;
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, er[2] = { -1, -1 };
	size_t n;

	if (!k)
		abort();
	random_id(k->id, sizeof(k->id), "kernel-");
	snprintf(k->result, sizeof(k->result), "%s/run/%s.json", srv.data, k->id);
	snprintf(log, sizeof(log), "%s/%s.jsonl", b->logs, k->id);
	if (!(args = calloc(24 + b->n_opts, sizeof(*args))))
		abort();
	n = base_args(b, args, k->result, log);
	args[n++] = "--timeout";
	args[n++] = "0";
	k->lang = lang;
	if (lang == K_PYTHON) {
		args[n++] = "--env";
		args[n++] = "PYTHONUNBUFFERED=1";
		args[n++] = "--";
		args[n++] = "python3";
		args[n++] = "-c";
		args[n++] = (char *)KERNEL_PY;
	} else if (lang == K_BASH) {
		args[n++] = "--";
		args[n++] = "bash";
		args[n++] = "-c";
		args[n++] = (char *)KERNEL_BASH;
	} else {
		/* the cells' channel on descriptor 3, node's stdin /dev/null */
		args[n++] = "--";
		args[n++] = "/bin/sh";
		args[n++] = "-c";
		args[n++] = "exec node -e \"$0\" 3<&0 </dev/null";
		args[n++] = (char *)KERNEL_JS;
	}
	args[n] = NULL;
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(er, O_CLOEXEC) < 0 ||
	    (k->pid = spawn_box(b, args, in[0], out[1], er[1])) < 0) {
		snprintf(err, errlen, "cannot start the interpreter: %s", strerror(errno));
		for (int i = 0; i < 2; i++) {
			if (in[i] >= 0)
				close(in[i]);
			if (out[i] >= 0)
				close(out[i]);
			if (er[i] >= 0)
				close(er[i]);
		}
		free(args);
		free(k);
		return NULL;
	}
	free(args);
	close(in[0]);
	close(out[1]);
	close(er[1]);
	k->fd_in = in[1];
	k->fd[0] = out[0];
	k->fd[1] = er[0];
	srv_log("interpreter %s in %s (%s/%s): %s", k->id, b->id, b->tenant, b->user, kernel_lang[lang]);
	return k;
}

int srv_write_all(int fd, const char *s, size_t n, int ms)
{
	while (n) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		ssize_t w;

		if (poll(&p, 1, ms) <= 0)
			return -1;
		w = write(fd, s, n);
		if (w < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (w <= 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

static enum MHD_Result box_code_stateful(struct MHD_Connection *c, struct box *b, json_t *req)
{
	const char *k, *code = NULL;
	json_t *v, *line;
	double timeout = 60;
	struct cell *m;
	char err[512], *text;
	struct MHD_Response *resp;
	const union MHD_ConnectionInfo *ci;
	enum MHD_Result r;
	int fresh = 0, lang = -1;
	size_t code_len = 0;

	json_object_foreach(req, k, v) {
		if (!strcmp(k, "stateful"))
			continue;
		if (!strcmp(k, "language")) {
			const char *l = json_is_string(v) ? json_string_value(v) : "";

			for (int i = 0; i < 3; i++)
				if (!strcmp(l, kernel_lang[i]))
					lang = i;
			if (!strcmp(l, "sh"))
				return srv_error(c, 501, "language", "not built: \"stateful\": true for sh (bash is)");
			if (lang < 0)
				return srv_error(c, 400, "language", "want \"python\", \"bash\" or \"node\" with "
						 "\"stateful\": true");
			if (lang == K_NODE && !node_installed())
				return srv_error(c, 501, "language", "node is not installed (no /usr/bin/node or "
						 "/usr/local/bin/node on this host)");
		} else if (!strcmp(k, "code")) {
			if (!json_is_string(v))
				return srv_error(c, 400, "code", "want the program's text");
			code = json_string_value(v);
			code_len = json_string_length(v);
		} else if (!strcmp(k, "timeout")) {
			if (!json_is_number(v) || json_number_value(v) <= 0 || json_number_value(v) > 86400)
				return srv_error(c, 400, "timeout", "want seconds, more than 0 and up to 86400");
			timeout = json_number_value(v);
		} else if (!strcmp(k, "stdin") || !strcmp(k, "env") || !strcmp(k, "cwd") || !strcmp(k, "limits")) {
			return srv_error(c, 400, k, "not with \"stateful\": true (the interpreter is one run: its "
					 "limits are the sandbox's; set variables and the directory in Python)");
		} else
			return srv_error(c, 400, k, "unknown field");
	}
	if (!json_object_get(req, "language"))
		return srv_error(c, 400, "language", "missing: want \"python\", \"bash\" or \"node\"");
	if (!code)
		return srv_error(c, 400, "code", "missing");
	pthread_mutex_lock(&lock);
	if (!b->dead && !b->cell && b->kernel && b->kernel->lang != lang) {
		pthread_mutex_unlock(&lock);
		return srv_error(c, 409, "language", "the stateful interpreter of sandbox %s is %s (one language "
				 "at a time): DELETE .../kernel first", b->id, kernel_lang[b->kernel->lang]);
	}
	if (b->dead || b->cell) {
		unsigned st = b->dead ? 404 : 409;

		if (b->dead)
			snprintf(err, sizeof(err), "no sandbox %s", b->id);
		else
			snprintf(err, sizeof(err), "a cell is running in sandbox %s (one at a time)", b->id);
		pthread_mutex_unlock(&lock);
		return srv_error(c, st, NULL, "%s", err);
	}
	if (!b->kernel && tenant_busy(b->tenant) >= srv.max_commands) {
		pthread_mutex_unlock(&lock);
		return srv_error(c, 429, NULL, "tenant %s runs %u commands, the most it may at once", b->tenant,
				 srv.max_commands);
	}
	if (!b->kernel && tenant_memory_check(b->tenant, mem_limit(b, NULL, 0), err, sizeof(err)) < 0) {
		pthread_mutex_unlock(&lock);
		return srv_error(c, 429, "limits.memory", "%s", err);
	}
	b->cell = 1;
	b->commands++;
	b->refs++;	/* the cell's */
	pthread_mutex_unlock(&lock);
	if (!b->kernel) {
		struct kernel *nk = kernel_start(b, lang, err, sizeof(err));

		if (!nk) {
			pthread_mutex_lock(&lock);
			b->cell = 0;
			pthread_cond_broadcast(&changed);
			pthread_mutex_unlock(&lock);
			box_put(b);
			return srv_error(c, 500, NULL, "%s", err);
		}
		pthread_mutex_lock(&lock);
		nk->mem = mem_limit(b, NULL, 0);
		b->kernel = nk;
		if (b->dead)
			kill(-nk->pid, SIGTERM);
		pthread_mutex_unlock(&lock);
		fresh = 1;
	}
	if (!(m = calloc(1, sizeof(*m))))
		abort();
	m->box = b;
	m->k = b->kernel;
	m->cell_no = ++m->k->cells;
	random_id(m->nonce, sizeof(m->nonce), "");
	m->mark_len = (size_t)snprintf(m->mark, sizeof(m->mark), "\x1eJT-END %s ", m->nonce);
	m->start = now_ms(CLOCK_MONOTONIC);
	m->deadline = m->start + (int64_t)(timeout * 1000 + 0.5);
	ci = jt_mhd.get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	m->sock = ci ? ci->connect_fd : -1;
	if (m->k->lang == K_PYTHON) {
		line = json_pack("{s:s, s:s}", "n", m->nonce, "code", code);
		text = line ? json_dumps(line, JSON_COMPACT) : NULL;
		json_decref(line);
		if (text) {
			size_t n = strlen(text);

			if (!(text = realloc(text, n + 2)))
				abort();
			memcpy(text + n, "\n", 2);	/* the line's end, and the string's */
		}
	} else if (asprintf(&text, "%s %zu\n", m->nonce, code_len) < 0)
		text = NULL;
	if (!text || srv_write_all(m->k->fd_in, text, strlen(text), 10000) < 0 ||
	    (m->k->lang != K_PYTHON && srv_write_all(m->k->fd_in, code, code_len, 10000) < 0)) {
		/* the interpreter takes no cell: it is gone, or stuck; its end is the result */
		free(text);
		m->eof = 1;
		kill(-m->k->pid, SIGTERM);
	} else
		free(text);
	srv_log("cell %u of interpreter %s in %s (%s/%s)%s", m->cell_no, m->k->id, b->id, b->tenant, b->user,
		fresh ? " (a new interpreter)" : "");
	resp = jt_mhd.response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, cell_read, m, cell_free);
	if (!resp) {
		cell_free(m);
		return MHD_NO;
	}
	jt_mhd.add_response_header(resp, "Content-Type", "application/x-ndjson");
	jt_mhd.add_response_header(resp, "X-Jailtrace-Log-Id", m->k->id);
	r = jt_mhd.queue_response(c, 200, resp);
	jt_mhd.destroy_response(resp);
	srv_log_reply(200);
	return r;
}

/* DELETE .../kernel: the interpreter stopped, its variables gone. */
enum MHD_Result box_kernel_delete(struct MHD_Connection *c, struct box *b)
{
	pthread_mutex_lock(&lock);
	if (b->kernel && b->cell) {
		pthread_mutex_unlock(&lock);
		return srv_error(c, 409, NULL, "a cell runs in sandbox %s", b->id);
	}
	if (!b->kernel) {
		pthread_mutex_unlock(&lock);
		return srv_error(c, 404, NULL, "sandbox %s has no stateful interpreter", b->id);
	}
	pthread_mutex_unlock(&lock);
	kernel_end(b);
	return srv_reply(c, 204, NULL, "", 0);
}
