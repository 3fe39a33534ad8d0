/*
 * libmicrohttpd, loaded by `jailtrace serve` alone. Linked into the
 * command it would add its TLS libraries (gnutls, nettle, gmp, p11-kit,
 * ...) to the start-up of every `jailtrace run`, as libcurl would
 * (tracer/proxy.c loads that one the same way).
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "serve/serve.h"

struct jt_mhd jt_mhd;

/* dlsym's void * into a function pointer (POSIX allows it; C does not say) */
static int sym(void *h, const char *name, void *fn, size_t size, char *err, size_t errlen)
{
	void *p = dlsym(h, name);

	if (!p) {
		snprintf(err, errlen, "serve: libmicrohttpd lacks %s", name);
		return -ENOENT;
	}
	memcpy(fn, &p, size);
	return 0;
}

int jt_mhd_load(char *err, size_t errlen)
{
	void *h;

	if (jt_mhd.start_daemon)
		return 0;
	h = dlopen("libmicrohttpd.so.12", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(err, errlen, "serve: cannot load libmicrohttpd (Debian: libmicrohttpd12): %s",
			 dlerror());
		return -ENOENT;
	}
#define SYM(field, name) sym(h, name, &jt_mhd.field, sizeof(jt_mhd.field), err, errlen)
	if (SYM(stop_daemon, "MHD_stop_daemon") ||
	    SYM(response_from_buffer, "MHD_create_response_from_buffer") ||
	    SYM(response_from_callback, "MHD_create_response_from_callback") ||
	    SYM(response_from_fd, "MHD_create_response_from_fd") ||
	    SYM(queue_response, "MHD_queue_response") ||
	    SYM(destroy_response, "MHD_destroy_response") ||
	    SYM(add_response_header, "MHD_add_response_header") ||
	    SYM(lookup_connection_value, "MHD_lookup_connection_value") ||
	    SYM(get_connection_info, "MHD_get_connection_info") ||
	    SYM(get_connection_values, "MHD_get_connection_values") ||
	    SYM(start_daemon, "MHD_start_daemon"))
		return -ENOENT;
#undef SYM
	return 0;
}
