/*
 * User names without NSS: a static jailtrace has no NSS modules, and the
 * passwd file is all a log header needs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
