/*
 * libFuzzer target: the log reader, the report model and its three
 * writers, and replay under the default policy, on arbitrary bytes.
 * `make fuzz` builds it with clang (ASan+UBSan) and runs it for a while.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "filters/policy.h"
#include "reports/logread.h"
#include "reports/replay.h"
#include "reports/report.h"

static FILE *null_out;
static struct jt_policy policy;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jt_logread rd;
	struct jt_report rep;
	struct jt_replay rp;
	FILE *f;

	if (!null_out) {
		char err[256];

		null_out = fopen("/dev/null", "w");
		jt_policy_init(&policy);
		if (!null_out || jt_policy_default(&policy, err, sizeof(err)) < 0)
			abort();
	}
	if (size == 0)
		return 0;
	f = fmemopen((void *)data, size, "r");
	if (!f)
		return 0;
	jt_logread_file(&rd, "fuzz.jsonl", f);
	if (jt_report_read(&rep, &rd) == 0) {
		jt_report_text(&rep, null_out);
		jt_report_json(&rep, null_out);
		jt_report_html(&rep, null_out);
	}
	jt_report_free(&rep);
	jt_logread_close(&rd);

	rewind(f);
	jt_logread_file(&rd, "fuzz.jsonl", f);
	if (jt_replay_read(&rp, &rd, &policy) == 0)
		jt_replay_text(&rp, "fuzz.jsonl", "default", null_out);
	jt_replay_free(&rp);
	jt_logread_close(&rd);
	fclose(f);
	return 0;
}
