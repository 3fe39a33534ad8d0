/*
 * User names without NSS: a static jailtrace has no NSS modules, and the
 * passwd file is all a log header needs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <stdint.h>
#include "tracer/internal.h"

void jt_user_name(uid_t uid, char *buf, size_t len)
{
	FILE *f = fopen("/etc/passwd", "re");
	char line[1024];

	snprintf(buf, len, "%u", (unsigned)uid);
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *name = line, *pw, *id;

		if (!(pw = strchr(name, ':')))
			continue;
		*pw++ = '\0';
		if (!(id = strchr(pw, ':')))
			continue;
		if ((uid_t)strtoul(id + 1, NULL, 10) == uid && id[1] >= '0' && id[1] <= '9') {
			snprintf(buf, len, "%s", name);
			break;
		}
	}
	fclose(f);
}

/*
 * The uid and gid a sandbox user runs as, PAM-free: a user of the passwd
 * file keeps its own; any other name gets a stable id in the sandbox range
 * (JT_SANDBOX_UID_BASE + a hash of the name), so a user's jail keeps its
 * owner from run to run without an account on the host.
 */
int jt_user_ids(const char *name, uid_t *uid, gid_t *gid)
{
	FILE *f = fopen("/etc/passwd", "re");
	char line[1024];
	uint32_t h = 2166136261u;

	if (!name[0] || strlen(name) > 64 || strchr(name, '/') || strchr(name, ':') ||
	    !strcmp(name, ".") || !strcmp(name, ".."))
		return -EINVAL;
	while (f && fgets(line, sizeof(line), f)) {
		char *fields[7], *s = line;
		int n = 0;

		while (n < 7 && (fields[n] = strsep(&s, ":")))
			n++;
		if (n >= 4 && !strcmp(fields[0], name)) {
			*uid = (uid_t)strtoul(fields[2], NULL, 10);
			*gid = (gid_t)strtoul(fields[3], NULL, 10);
			fclose(f);
			return 0;
		}
	}
	if (f)
		fclose(f);
	for (const char *p = name; *p; p++)	/* FNV-1a */
		h = (h ^ (unsigned char)*p) * 16777619u;
	*uid = *gid = JT_SANDBOX_UID_BASE + h % JT_SANDBOX_UID_RANGE;
	return 0;
}
