/*
 * A job's report: many runs' logs (the tasks of a Slurm step, one log
 * each) read side by side. Per task how it ended; the denials by rule
 * across the tasks, and in how many of them; what one task alone tried,
 * which in a job of identical tasks is what a person looks at first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/report.h"

#define KEYS_MAX 10000		/* distinct denials kept across the job (a linear search each); more are counted */

struct key {
	char *text;		/* "openat ENOENT under builtin:not-in-view", "open /etc/shadow" */
	size_t task;		/* the first task that had it */
	size_t tasks;		/* how many tasks had it */
	unsigned long count;	/* how often, across the tasks */
};

struct keys {
	struct key *k;
	size_t n, cap;
	unsigned long dropped;
};

/* The task's name: the log's file name without its directory and .jsonl. */
static const char *task_name(const char *path, char *buf, size_t len)
{
	const char *b = strrchr(path, '/');
	size_t n;

	b = b ? b + 1 : path;
	n = strlen(b);
	if (n > 6 && !strcmp(b + n - 6, ".jsonl"))
		n -= 6;
	snprintf(buf, len, "%.*s", (int)n, b);
	return buf;
}

/* A denial's text, counted across the tasks; @task: the first to have it. */
static void add_key(struct keys *ks, const char *text, size_t task, unsigned long count)
{
	for (size_t i = 0; i < ks->n; i++) {
		if (strcmp(ks->k[i].text, text))
			continue;
		ks->k[i].count += count;
		return;
	}
	if (ks->n == KEYS_MAX) {
		ks->dropped++;
		return;
	}
	if (ks->n == ks->cap) {
		size_t cap = ks->cap ? ks->cap * 2 : 64;
		void *v = realloc(ks->k, cap * sizeof(*ks->k));

		if (!v) {
			ks->dropped++;
			return;
		}
		ks->k = v;
		ks->cap = cap;
	}
	ks->k[ks->n] = (struct key){ strdup(text), task, 0, count };
	if (ks->k[ks->n].text)
		ks->n++;
	else
		ks->dropped++;
}

/* Each task's keys once: @mark holds, per key, the last task that counted it. */
static void count_task(struct keys *ks, size_t *mark, size_t task, const char *text)
{
	for (size_t i = 0; i < ks->n; i++) {
		if (strcmp(ks->k[i].text, text))
			continue;
		if (mark[i] != task + 1) {
			mark[i] = task + 1;
			ks->k[i].tasks++;
		}
		return;
	}
}

/* What a task's denials are, one text each, for fn(text, count). */
static void each_denial(const struct jt_report *rep, void (*fn)(void *, const char *, unsigned long), void *arg)
{
	char text[1024];

	for (size_t r = 0; r < rep->n_rules; r++)
		for (size_t c = 0; c < rep->rules[r].n_calls; c++) {
			const struct jt_rp_denied *d = &rep->rules[r].calls[c];

			snprintf(text, sizeof(text), "%s %s under %s", d->name ? d->name : "?", d->err ? d->err : "-",
				 rep->rules[r].rule ? rep->rules[r].rule : "?");
			fn(arg, text, d->first.count);
		}
	for (int net = 0; net < 2; net++) {
		const struct jt_rp_access *a = net ? rep->net : rep->files;
		size_t n = net ? rep->n_net : rep->n_files;

		for (size_t i = 0; i < n; i++) {
			if (!a[i].decision || strcmp(a[i].decision, "deny"))
				continue;
			snprintf(text, sizeof(text), "%s %s", a[i].what ? a[i].what : "?",
				 a[i].example ? a[i].example : "?");
			fn(arg, text, a[i].first.count);
		}
	}
}

struct pass { struct keys *ks; size_t *mark; size_t task; };

static void pass_add(void *arg, const char *text, unsigned long count)
{
	struct pass *p = arg;

	add_key(p->ks, text, p->task, count);
}

static void pass_count(void *arg, const char *text, unsigned long count)
{
	struct pass *p = arg;

	count_task(p->ks, p->mark, p->task, text);
}

static int by_count(const void *a, const void *b)
{
	const struct key *x = a, *y = b;

	if (x->tasks != y->tasks)
		return x->tasks < y->tasks ? 1 : -1;
	return x->count < y->count ? 1 : x->count > y->count ? -1 : strcmp(x->text, y->text);
}

int jt_report_job(const struct jt_report *reps, size_t n, FILE *out)
{
	struct keys ks = { 0 };
	size_t *mark, alone = 0;
	char name[256], how[512];
	unsigned long denied = 0;
	int ended = 0;

	for (size_t t = 0; t < n; t++) {
		struct pass p = { &ks, NULL, t };

		each_denial(&reps[t], pass_add, &p);
	}
	mark = calloc(ks.n ? ks.n : 1, sizeof(*mark));
	if (!mark)
		return -1;
	for (size_t t = 0; t < n; t++) {
		struct pass p = { &ks, mark, t };

		each_denial(&reps[t], pass_count, &p);
	}
	free(mark);

	fprintf(out, "jailtrace report of a job: %zu task%s\n\n", n, n == 1 ? "" : "s");
	fprintf(out, "  %-20s %-44s %s\n", "task", "how it ended", "denials");
	for (size_t t = 0; t < n; t++) {
		denied += reps[t].denied;
		ended += reps[t].end != NULL;
		fprintf(out, "  %-20s %-44s %lu\n", task_name(reps[t].path, name, sizeof(name)),
			jt_report_outcome(&reps[t], how, sizeof(how)), reps[t].denied);
	}
	fprintf(out, "\n  %lu denials in all; %d of %zu logs have their end record\n", denied, ended, n);

	qsort(ks.k, ks.n, sizeof(*ks.k), by_count);
	fprintf(out, "\ndenied, across the tasks (in how many tasks, how often)\n");
	if (!ks.n)
		fprintf(out, "  nothing\n");
	for (size_t i = 0; i < ks.n; i++)
		fprintf(out, "  %4zu/%zu tasks %7lux  %s\n", ks.k[i].tasks, n, ks.k[i].count, ks.k[i].text);

	fprintf(out, "\ntried by one task alone\n");
	for (size_t i = 0; n > 1 && i < ks.n; i++) {
		if (ks.k[i].tasks != 1)
			continue;
		alone++;
		fprintf(out, "  %-20s %s (%lux)\n", task_name(reps[ks.k[i].task].path, name, sizeof(name)),
			ks.k[i].text, ks.k[i].count);
	}
	if (!alone)
		fprintf(out, "  %s\n", n > 1 ? "nothing: every denial was shared by at least two tasks" : "(one task)");
	if (ks.dropped)
		fprintf(out, "\n  (%lu more distinct denials not shown: the report keeps %d)\n", ks.dropped, KEYS_MAX);
	for (size_t i = 0; i < ks.n; i++)
		free(ks.k[i].text);
	free(ks.k);
	return ferror(out) ? -1 : 0;
}
