/*
 * Path resolution in the view (tracer/path.c), on a tree made per test:
 *   R/ro/        granted read-only at /usr: f, d/, ld -> d, abs -> /etc/passwd,
 *                toj -> /jail/x, loop -> loop
 *   R/jail/      granted writable at /jail: x, sub/, up -> ../../../../..
 *   R/single     one file granted at /data/input.csv
 *   R/lnk        a link -> usr, granted at /lib (shown as the link)
 *   R/outside/x  a file the view does not hold
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "tracer/path.h"
#include "tests/unit/harness.h"

static char R[64];
static struct jt_view view;
static struct jt_policy pol;

static void mk(const char *rel, int dir)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", R, rel);
	if (dir)
		ASSERT_EQ(mkdir(p, 0755), 0);
	else
		ASSERT_TRUE(close(open(p, O_CREAT | O_WRONLY, 0644)) == 0);
}

static void ln(const char *target, const char *rel)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", R, rel);
	ASSERT_EQ(symlink(target, p), 0);
}

static void grant(const char *host, const char *inside, int rw)
{
	char h[PATH_MAX];

	snprintf(h, sizeof(h), "%s/%s", R, host);
	pol.grants = realloc(pol.grants, (pol.n_grants + 1) * sizeof(*pol.grants));
	pol.grants[pol.n_grants++] = (struct jt_grant){ strdup(h), strdup(inside), rw, -1, 0 };
}

static void setup(void)
{
	char err[256];

	strcpy(R, "/tmp/jt-path-XXXXXX");
	ASSERT_TRUE(mkdtemp(R) != NULL);
	mk("ro", 1), mk("ro/f", 0), mk("ro/d", 1);
	ln("d", "ro/ld"), ln("/etc/passwd", "ro/abs"), ln("/jail/x", "ro/toj"), ln("loop", "ro/loop");
	mk("jail", 1), mk("jail/x", 0), mk("jail/sub", 1), mk("jail/sub/x", 0);
	ln("../../../../..", "jail/up");
	mk("single", 0), mk("outside", 1), mk("outside/x", 0);
	ln("usr", "lnk");
	jt_policy_init(&pol);
	grant("ro", "/usr", 0);
	grant("jail", "/jail", 1);
	grant("single", "/data/input.csv", 0);
	grant("lnk", "/lib", 0);
	ASSERT_EQ(jt_view_build(&view, &pol, 0, err, sizeof(err)), 0);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)f;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static void teardown(void)
{
	jt_view_free(&view);
	jt_policy_free(&pol);
	if (nftw(R, rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
		fprintf(stderr, "cannot remove %s\n", R);
}

/* Resolve and check the inside path (NULL: expect error @err). */
static void expect(const char *base, const char *path, unsigned flags, int err, const char *inside)
{
	struct jt_walk w;
	int r = jt_walk(&view, base, path, flags, &w);

	if (r != -err || (inside && (r < 0 || strcmp(w.inside, inside)))) {
		fprintf(stderr, "  %s (base %s): got %d %s, expected %d %s\n", path, base, r,
			r == 0 ? w.inside : "", -err, inside ? inside : "");
		jt_test_failed = 1;
	}
	if (r == 0)
		jt_walk_done(&w);
}

TEST(absolute_paths_in_grants_resolve_to_their_inside_path)
{
	setup();
	expect("/", "/usr/f", 0, 0, "/usr/f");
	expect("/", "/usr//d/./", 0, 0, "/usr/d");
	expect("/", "/jail/sub/x", 0, 0, "/jail/sub/x");
	teardown();
}

TEST(paths_outside_every_grant_do_not_exist)
{
	setup();
	expect("/", "/etc/passwd", 0, ENOENT, NULL);
	expect("/", "/outside/x", 0, ENOENT, NULL);
	expect("/", "/usrx", 0, ENOENT, NULL);
	teardown();
}

TEST(ancestors_of_grants_are_synthetic_directories)
{
	struct jt_walk w;

	setup();
	ASSERT_EQ(jt_walk(&view, "/", "/data", 0, &w), 0);
	EXPECT_TRUE(w.mount == NULL && w.is_dir && w.dirfd < 0);
	jt_walk_done(&w);
	expect("/", "/", 0, 0, "/");
	expect("/", "/data/input.csv", 0, 0, "/data/input.csv");
	expect("/", "/data/input.csv/x", 0, ENOTDIR, NULL);
	teardown();
}

TEST(absolute_link_targets_are_read_inside_the_view)
{
	setup();
	/* /etc/passwd exists on the host, not in the view */
	expect("/", "/usr/abs", 0, ENOENT, NULL);
	expect("/", "/usr/abs", JT_WALK_NOFOLLOW, 0, "/usr/abs");
	expect("/", "/usr/toj", 0, 0, "/jail/x");
	teardown();
}

TEST(dotdot_never_climbs_above_the_view_root)
{
	setup();
	expect("/", "/../../../usr/f", 0, 0, "/usr/f");
	expect("/", "/jail/up/usr/f", 0, 0, "/usr/f");
	expect("/", "/jail/..", 0, 0, "/");
	teardown();
}

TEST(dotdot_after_a_link_goes_to_the_targets_parent)
{
	setup();
	/* ld -> d: "ld/.." is the parent of d, /usr, as in the kernel */
	expect("/", "/usr/ld/..", 0, 0, "/usr");
	expect("/", "/usr/ld/../f", 0, 0, "/usr/f");
	teardown();
}

TEST(link_loops_end_with_ELOOP)
{
	setup();
	expect("/", "/usr/loop", 0, ELOOP, NULL);
	teardown();
}

TEST(relative_paths_resolve_against_the_base)
{
	setup();
	expect("/jail/sub", "x", 0, 0, "/jail/sub/x");
	expect("/jail/sub", "../x", 0, 0, "/jail/x");
	expect("/jail/sub", "../../../usr/f", 0, 0, "/usr/f");
	teardown();
}

TEST(a_granted_link_is_shown_as_the_link)
{
	setup();
	expect("/", "/lib/f", 0, 0, "/usr/f");
	expect("/", "/lib", JT_WALK_NOFOLLOW, 0, "/lib");
	teardown();
}

TEST(create_gives_the_parent_of_a_missing_name)
{
	struct jt_walk w;

	setup();
	ASSERT_EQ(jt_walk(&view, "/", "/jail/new", JT_WALK_CREATE, &w), 0);
	EXPECT_EQ(w.exists, 0);
	EXPECT_TRUE(w.dirfd >= 0 && w.mount && (w.mount->flags & JT_MNT_RW));
	EXPECT_STREQ(w.name, "new");
	jt_walk_done(&w);
	ASSERT_EQ(jt_walk(&view, "/", "/newtop", JT_WALK_CREATE, &w), 0);
	EXPECT_TRUE(w.mount == NULL && !w.exists);
	jt_walk_done(&w);
	expect("/", "/jail/new", 0, ENOENT, NULL);
	teardown();
}

TEST(a_trailing_slash_needs_a_directory)
{
	setup();
	expect("/", "/usr/f/", 0, ENOTDIR, NULL);
	expect("/", "/usr/ld/", JT_WALK_NOFOLLOW, 0, "/usr/d");
	teardown();
}

TEST(long_names_and_deep_trees)
{
	char name[NAME_MAX + 2], *deep;
	char p[PATH_MAX];
	int dfd;

	setup();
	memset(name, 'n', NAME_MAX + 1);
	name[NAME_MAX + 1] = '\0';
	snprintf(p, sizeof(p), "/jail/%s", name);
	expect("/", p, 0, ENAMETOOLONG, NULL);
	/* 300 levels of 20 characters: an inside path longer than PATH_MAX */
	snprintf(p, sizeof(p), "%s/jail", R);
	dfd = open(p, O_PATH | O_DIRECTORY);
	deep = malloc(300 * 21 + 16);
	strcpy(deep, "/jail");
	for (int i = 0; i < 300; i++) {
		ASSERT_EQ(mkdirat(dfd, "aaaaaaaaaaaaaaaaaaaa", 0755), 0);
		int n = openat(dfd, "aaaaaaaaaaaaaaaaaaaa", O_PATH | O_DIRECTORY);
		close(dfd);
		dfd = n;
		strcat(deep, "/aaaaaaaaaaaaaaaaaaaa");
	}
	close(dfd);
	expect("/", deep, 0, 0, deep);
	free(deep);
	/* deeper than PATH_MAX: removed by descriptors, from the bottom up */
	{
		int fds[301];

		snprintf(p, sizeof(p), "%s/jail", R);
		fds[0] = open(p, O_PATH | O_DIRECTORY);
		for (int i = 1; i <= 300; i++)
			fds[i] = openat(fds[i - 1], "aaaaaaaaaaaaaaaaaaaa", O_PATH | O_DIRECTORY);
		for (int i = 300; i >= 1; i--) {
			close(fds[i]);
			unlinkat(fds[i - 1], "aaaaaaaaaaaaaaaaaaaa", AT_REMOVEDIR);
		}
		close(fds[0]);
	}
	teardown();
}

/* ---- the race: a directory swapped for a link while paths resolve ---- */

static volatile int stop;

static void *swapper(void *arg)
{
	char sub[PATH_MAX], tmp[PATH_MAX], link[PATH_MAX];
	(void)arg;

	snprintf(sub, sizeof(sub), "%s/jail/sub", R);
	snprintf(tmp, sizeof(tmp), "%s/jail/sub.real", R);
	snprintf(link, sizeof(link), "%s/outside", R);	/* a host path: what a kernel would follow */
	while (!stop) {
		rename(sub, tmp);
		symlink(link, sub);
		unlink(sub);
		rename(tmp, sub);
		/* a moment as a real directory, so some walks get through */
		usleep(20);
	}
	return NULL;
}

/* Does the descriptor name something under R/outside? */
static int outside(int fd)
{
	char p[64], real[PATH_MAX], want[PATH_MAX];
	ssize_t n;

	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	n = readlink(p, real, sizeof(real) - 1);
	if (n < 0)
		return 0;
	real[n] = '\0';
	snprintf(want, sizeof(want), "%s/outside", R);
	return strncmp(real, want, strlen(want)) == 0;
}

TEST(a_swapped_directory_never_leads_out_of_the_view_though_the_kernel_is_led)
{
	pthread_t t;
	char p[PATH_MAX];
	int native_out = 0, walk_out = 0, walk_ok = 0;

	setup();
	stop = 0;
	pthread_create(&t, NULL, swapper, NULL);
	/* control: the kernel, resolving the host path itself, is led outside */
	snprintf(p, sizeof(p), "%s/jail/sub/x", R);
	for (int i = 0; i < 200000 && native_out == 0; i++) {
		int fd = open(p, O_RDONLY);

		if (fd >= 0) {
			native_out += outside(fd);
			close(fd);
		}
	}
	for (int i = 0; i < 20000 || (walk_ok == 0 && i < 200000); i++) {
		struct jt_walk w;

		if (jt_walk(&view, "/", "/jail/sub/x", 0, &w) == 0) {
			int fd = openat(w.dirfd, w.name, O_RDONLY | O_NOFOLLOW);

			walk_ok++;
			walk_out += outside(w.dirfd) || (fd >= 0 && outside(fd));
			if (fd >= 0)
				close(fd);
			jt_walk_done(&w);
		}
	}
	stop = 1;
	pthread_join(t, NULL);
	if (native_out == 0)
		fprintf(stderr, "  native control never raced: the test cannot judge\n");
	EXPECT_TRUE(native_out > 0);
	EXPECT_EQ(walk_out, 0);
	EXPECT_TRUE(walk_ok > 0);
	teardown();
}
