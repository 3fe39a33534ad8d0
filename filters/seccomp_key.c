/*
 * What a compiled seccomp program depends on, as one SHA-256: the cache of
 * compiled programs (tracer/filtercache.c) is keyed by it. It must name
 * every input of jt_seccomp_build (filters/seccomp.c): a missed one would
 * let a run start with another policy's program. So it takes the binary
 * itself (its checks table and build logic), libseccomp and the kernel it
 * asks, the flags, and each policy field the build reads.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <seccomp.h>
#include <nettle/sha2.h>
#include "filters/net.h"
#include "filters/seccomp.h"

#define ADD(c, v) sha256_update(c, sizeof(v), (const uint8_t *)&(v))

int jt_seccomp_key(const struct jt_policy *p, unsigned flags, int reserved_fd, unsigned char key[32])
{
	const struct scmp_version *lib = seccomp_version();
	struct sha256_ctx c;
	struct utsname u;
	struct stat self;
	unsigned api = seccomp_api_get();
	int view = p->n_grants > 0, udp = jt_net_may_udp(p);

	if (stat("/proc/self/exe", &self) < 0 || uname(&u) < 0 || !lib)
		return -1;
	sha256_init(&c);
	sha256_update(&c, sizeof("jailtrace-bpf-1"), (const uint8_t *)"jailtrace-bpf-1");
	ADD(&c, self.st_dev);
	ADD(&c, self.st_ino);
	ADD(&c, self.st_size);
	ADD(&c, self.st_mtim);
	ADD(&c, *lib);
	ADD(&c, api);
	sha256_update(&c, strlen(u.release) + 1, (const uint8_t *)u.release);
	sha256_update(&c, strlen(u.machine) + 1, (const uint8_t *)u.machine);
	ADD(&c, flags);
	ADD(&c, reserved_fd);
	/* the policy, as filters/seccomp.c reads it */
	ADD(&c, p->action);
	ADD(&c, p->err);
	ADD(&c, view);
	ADD(&c, udp);
	ADD(&c, p->may_fork);
	ADD(&c, p->may_thread);
	ADD(&c, p->abi_refused);
	ADD(&c, p->n_ioctls);
	for (size_t i = 0; i < p->n_ioctls; i++)
		ADD(&c, p->ioctls[i].code);
	sha256_digest(&c, 32, key);
	return 0;
}
