/*
 * jailtrace serve: sandboxes per user behind an HTTP API (docs/api.md).
 * The server traces nothing itself: each command is a child
 * `jailtrace run --user NAME --jail DIR --result FILE --log FILE ... --`.
 *
 *   serve.c  the command: options, the listening socket, authentication,
 *            routing, the HTTP replies (libmicrohttpd, loaded by mhd.c)
 *   box.c    sandboxes (create, look up, destroy, the idle reaper) and
 *            their commands (the child jailtrace, the streamed events)
 *   files.c  files inside a sandbox's jail, never through a link
 *   proxy.c  exposed ports: a request forwarded to a sandbox's listener
 */
#ifndef JT_SERVE_SERVE_H
#define JT_SERVE_SERVE_H

#include <limits.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>
#include "reports/json.h"

int jt_cmd_serve(int argc, char **argv);

/* libmicrohttpd, loaded when `jailtrace serve` starts (mhd.c): linked, its
 * TLS libraries would cost every `jailtrace run` start-up. */
struct jt_mhd {
	struct MHD_Daemon *(*start_daemon)(unsigned int, uint16_t, MHD_AcceptPolicyCallback, void *,
					   MHD_AccessHandlerCallback, void *, ...);
	void (*stop_daemon)(struct MHD_Daemon *);
	struct MHD_Response *(*response_from_buffer)(size_t, void *, enum MHD_ResponseMemoryMode);
	struct MHD_Response *(*response_from_callback)(uint64_t, size_t, MHD_ContentReaderCallback, void *,
						       MHD_ContentReaderFreeCallback);
	struct MHD_Response *(*response_from_fd)(size_t, int);
	enum MHD_Result (*queue_response)(struct MHD_Connection *, unsigned int, struct MHD_Response *);
	void (*destroy_response)(struct MHD_Response *);
	enum MHD_Result (*add_response_header)(struct MHD_Response *, const char *, const char *);
	const char *(*lookup_connection_value)(struct MHD_Connection *, enum MHD_ValueKind, const char *);
	const union MHD_ConnectionInfo *(*get_connection_info)(struct MHD_Connection *,
							      enum MHD_ConnectionInfoType, ...);
	int (*get_connection_values)(struct MHD_Connection *, enum MHD_ValueKind, MHD_KeyValueIterator, void *);
};
extern struct jt_mhd jt_mhd;
int jt_mhd_load(char *err, size_t errlen);

struct srv_upstream {
	char *name, *url;	/* --proxy-upstream NAME=URL */
};

struct srv_token {
	char *token, *tenant;
	uid_t *uids;		/* uid=N,M: only from a unix socket peer of these uids */
	size_t n_uids;
};

/* The server's configuration, set once at start. */
struct srv_conf {
	char data[PATH_MAX - 64];	/* jails/, ephemeral/, logs/, run/ */
	char jailtrace[PATH_MAX];	/* this binary, for the children */
	char policies[PATH_MAX];	/* NAME.policy files, or "" */
	char **grant_roots;		/* host directories ro/rw grants may name */
	size_t n_grant_roots;
	struct srv_token *tokens;
	size_t n_tokens;
	unsigned idle_s;		/* default idle timeout */
	unsigned max_sandboxes;		/* per tenant */
	unsigned max_commands;		/* running at once, per tenant */
	unsigned max_procs;		/* background processes running at once, per sandbox */
	size_t max_body;		/* a JSON body */
	size_t max_file;		/* a file PUT */
	unsigned port;			/* the TCP port listened on, or 0 */
	uint64_t tenant_memory;		/* memory limits a tenant's runs may hold at once, or 0 */
	struct srv_upstream *upstreams;	/* what sandboxes' proxy rules may name */
	size_t n_upstreams;
	int syslog;			/* each command's denials and limit, and destroys, to syslog */
	char url[160];			/* http://ADDRESS:PORT listened on, or "" (a unix socket) */
};
extern struct srv_conf srv;

/* A growable JSON text built with reports/json.c's writer. */
struct jbuf {
	char *buf;
	size_t cap;
	struct jt_json j;
};
void jbuf_init(struct jbuf *b, size_t cap);
void jbuf_free(struct jbuf *b);

/* A reply: status, body (JSON unless @type says), sent at once. */
enum MHD_Result srv_reply(struct MHD_Connection *c, unsigned status, const char *type,
			  const char *body, size_t len);
enum MHD_Result srv_error(struct MHD_Connection *c, unsigned status, const char *field,
			  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void srv_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void srv_log_reply(unsigned status);	/* for replies not made by srv_reply */
/* A record of the server's to syslog: {"type":"serve","event":EVENT,"tenant","user","sandbox","why"} */
void srv_syslog(const char *event, const char *tenant, const char *user, const char *sandbox, const char *why);
void srv_syslog_raw(const char *json, size_t len);	/* a record built by the caller */

/* box.c */
struct box;
/* All of @s written to @fd (a pipe or a socket: SIGPIPE is ignored), each
 * wait for room at most @ms: 0, or -1 when it cannot be. */
int srv_write_all(int fd, const char *s, size_t n, int ms);
void box_start(void);
void box_stop_all(void);
struct box *box_find(const char *tenant, const char *id);	/* a reference, or NULL */
void box_put(struct box *b);
const char *box_jail(const struct box *b);
void box_touch(struct box *b);
enum MHD_Result box_create(struct MHD_Connection *c, const char *tenant, json_t *req);
enum MHD_Result box_info(struct MHD_Connection *c, struct box *b);
enum MHD_Result box_list(struct MHD_Connection *c, const char *tenant);
enum MHD_Result box_delete(struct MHD_Connection *c, struct box *b);
enum MHD_Result box_exec(struct MHD_Connection *c, struct box *b, json_t *req, int code);
/* GET .../logs, .../logs/ID, .../logs/ID/report?format=text|summary|json|html */
/* background processes and their ports */
enum MHD_Result box_proc_start(struct MHD_Connection *c, struct box *b, json_t *req);
enum MHD_Result box_procs(struct MHD_Connection *c, struct box *b, const char *id);
enum MHD_Result box_proc_signal(struct MHD_Connection *c, struct box *b, const char *id, json_t *req);
int box_proc_wait(struct box *b, const char *id, int ms);
int box_port_state(struct box *b, int port, pid_t *pid);
enum MHD_Result box_ports(struct MHD_Connection *c, struct box *b, int port, const char *method);
const char *box_id(const struct box *b);
enum MHD_Result box_kernel_delete(struct MHD_Connection *c, struct box *b);	/* DELETE .../kernel */
/* proxy.c: a request to an exposed port, forwarded */
enum MHD_Result proxy_forward(struct MHD_Connection *c, struct box *b, int port, const char *path,
			      const char *method, const char *body, size_t len);
enum MHD_Result box_logs(struct MHD_Connection *c, struct box *b, const char *log_id, const char *format);

/* files.c: an upload in progress (PUT .../files/PATH) */
struct upload;
struct upload *files_upload_begin(struct box *b, const char *path, unsigned *status, char *err,
				  size_t errlen);
int files_upload_write(struct upload *u, const char *data, size_t len);	/* -EFBIG over the bound */
enum MHD_Result files_upload_end(struct MHD_Connection *c, struct upload *u);
void files_upload_abort(struct upload *u);
enum MHD_Result files_get(struct MHD_Connection *c, struct box *b, const char *path);
enum MHD_Result files_delete(struct MHD_Connection *c, struct box *b, const char *path);

#endif
