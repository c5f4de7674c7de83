/* sidelines.c: phases.json and results_exp.json as streams (sidefiles.h).
 *
 * Both grow with the experiment (one line per phase boundary or logged
 * point, 100,000 of them are not rare), so both are read one record at a
 * time through the same line splitter as the samples (lines.h), in memory
 * that does not grow with the file. Each record is small and parsed with
 * cJSON; every tree is freed before the next.
 */
#include "sidefiles.h"

#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "record/line.h"
#include "record/lines.h"
#include "record/names.h"
#include "util.h"

static const cJSON *get(const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k); }

/* Open DIR/file for streaming: the fd, or -ENOENT saying how such a file
 * is made. */
static int open_side(const char *dir, const char *file, const char *made_by)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/%s", dir, file);
	int fd = aipm_open_regular(path);
	if (fd == -ENOENT)
		return aipm_err(-ENOENT, "%s has no %s: %s", dir, file, made_by);
	return fd;
}

/* ---- phases.json ---- */

struct aipm_phase_file {
	int fd;
	struct aipm_lines ls;
	long long skipped;
};

static int phase_file_new(struct aipm_phase_file **out, int fd)
{
	struct aipm_phase_file *f = calloc(1, sizeof *f);
	if (!f || aipm_lines_init(&f->ls, fd, 0, 1ll << 62, true) < 0) {
		free(f);
		close(fd);
		return aipm_err(-ENOMEM, "out of memory");
	}
	f->fd = fd;
	*out = f;
	return 0;
}

int aipm_phase_file_open(const char *dir, struct aipm_phase_file **out)
{
	int fd = open_side(dir, AIPM_FILE_PHASES,
			   "nothing was marked. Use `aipm mark` inside `aipm run`, or the library's "
			   "aipm_meter_phase_begin");
	return fd < 0 ? fd : phase_file_new(out, fd);
}

int aipm_phase_file_open_path(const char *path, struct aipm_phase_file **out)
{
	int fd = aipm_open_regular(path);
	return fd < 0 ? fd : phase_file_new(out, fd);
}

static bool event_of(const cJSON *j, struct aipm_phase_event *ev)
{
	const cJSON *ts = get(j, AIPM_KEY_TIMESTAMP), *n = get(j, AIPM_KEY_NAME), *e = get(j, AIPM_KEY_EVENT);
	if (!cJSON_IsNumber(ts) || !isfinite(ts->valuedouble) || !cJSON_IsString(n) || !cJSON_IsString(e))
		return false;
	size_t len = strlen(n->valuestring);
	if (!aipm_format_name_ok(n->valuestring, len, false))
		return false;
	if (strcmp(e->valuestring, AIPM_EVENT_BEGIN) && strcmp(e->valuestring, AIPM_EVENT_END))
		return false;
	ev->ts = ts->valuedouble;
	memcpy(ev->name, n->valuestring, len + 1);
	ev->begin = !strcmp(e->valuestring, AIPM_EVENT_BEGIN);
	return true;
}

static bool blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

/* The next non-blank line that is one JSON object: 1 (*out, to free), 0 at
 * the end, -errno. Lines that are none are counted in *skipped. */
static int next_object(struct aipm_lines *ls, long long *skipped, cJSON **out)
{
	const char *text;
	size_t len;
	bool unterminated;
	long long off;
	int e;
	while ((e = aipm_lines_next(ls, &text, &len, &unterminated, &off)) > 0) {
		if (text && blank(text, len))
			continue;
		cJSON *j = text ? aipm_line_json(text, len) : NULL;
		if (cJSON_IsObject(j)) {
			*out = j;
			return 1;
		}
		cJSON_Delete(j);
		++*skipped;
	}
	return e;
}

int aipm_phase_file_next(struct aipm_phase_file *f, struct aipm_phase_event *ev)
{
	cJSON *j;
	int e;
	while ((e = next_object(&f->ls, &f->skipped, &j)) > 0) {
		bool ok = event_of(j, ev);
		cJSON_Delete(j);
		if (ok)
			return 1;
		f->skipped++;
	}
	return e < 0 ? aipm_err(e, "reading %s: %s", AIPM_FILE_PHASES, strerror(-e)) : 0;
}

long long aipm_phase_file_skipped(const struct aipm_phase_file *f) { return f->skipped; }

void aipm_phase_file_close(struct aipm_phase_file *f)
{
	if (!f)
		return;
	aipm_lines_free(&f->ls);
	close(f->fd);
	free(f);
}

/* ---- the pairing rule ---- */

struct name_state {
	int count;      /* phases of this name opened so far */
	bool open;
	size_t open_id; /* when open */
	double open_ts;
};

struct aipm_phase_pairing {
	struct aipm_names names; /* phases of one name never nest: state per name */
	struct name_state *st;
	size_t cap, next_id;
	long long refused;
};

int aipm_phase_pairing_new(struct aipm_phase_pairing **out)
{
	*out = calloc(1, sizeof **out);
	return *out ? 0 : aipm_err(-ENOMEM, "out of memory");
}

int aipm_phase_pair(struct aipm_phase_pairing *p, const struct aipm_phase_event *ev, struct aipm_phase_step *st)
{
	long i = aipm_names_find(&p->names, ev->name, ev->begin);
	if (ev->begin && i < 0)
		return aipm_err(-ENOMEM, "out of memory");
	if (i >= 0 && (size_t)i >= p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct name_state *v = realloc(p->st, cap * sizeof *v);
		if (!v)
			return aipm_err(-ENOMEM, "out of memory");
		memset(v + p->cap, 0, (cap - p->cap) * sizeof *v);
		p->st = v;
		p->cap = cap;
	}
	struct name_state *n = i >= 0 ? &p->st[i] : NULL;
	if (ev->begin && !n->open) {
		*n = (struct name_state){n->count + 1, true, p->next_id++, ev->ts};
		*st = (struct aipm_phase_step){AIPM_PHASE_OPENED, n->open_id, n->count, ev->ts};
	} else if (!ev->begin && n && n->open && ev->ts >= n->open_ts) {
		n->open = false;
		*st = (struct aipm_phase_step){AIPM_PHASE_CLOSED, n->open_id, n->count, n->open_ts};
	} else {
		p->refused++;
		*st = (struct aipm_phase_step){AIPM_PHASE_REFUSED, 0, 0, NAN};
	}
	return 0;
}

long long aipm_phase_pairing_refused(const struct aipm_phase_pairing *p) { return p->refused; }

const char *aipm_phase_pairing_open_name(const struct aipm_phase_pairing *p, size_t *i)
{
	for (; *i < p->names.n; ++*i)
		if (p->st[*i].open)
			return p->names.names[(*i)++];
	return NULL;
}

void aipm_phase_pairing_free(struct aipm_phase_pairing *p)
{
	if (!p)
		return;
	aipm_names_free(&p->names);
	free(p->st);
	free(p);
}

/* ---- results_exp.json ---- */

/* How the file holds its records, decided by its first bytes: JSON lines
 * (aipm's own, crash-safe append), or a stream of values to cut into
 * objects (a JSON array, pretty-printed or not, closed or cut short by a
 * kill; or AIPowerMeter's object whose values are the records). */
enum layout { LAYOUT_UNKNOWN, LAYOUT_LINES, LAYOUT_STREAM };

struct aipm_results_file {
	int fd;
	struct aipm_lines ls;
	enum layout layout;
	long long skipped;
	/* stream: the object being cut out, and where the cutter is */
	struct aipm_buf obj;
	int depth, record_depth;
	bool in_str, esc, oversize;
	const char *rest; /* unread bytes of the current line */
	size_t nrest;
	/* AIPowerMeter's object of records, handed out member by member */
	cJSON *dict;
	const cJSON *dict_next;
	char *out; /* the last record's metrics JSON */
};

static int results_file_new(struct aipm_results_file **out, int fd)
{
	struct aipm_results_file *f = calloc(1, sizeof *f);
	if (!f || aipm_lines_init(&f->ls, fd, 0, 1ll << 62, true) < 0) {
		free(f);
		close(fd);
		return aipm_err(-ENOMEM, "out of memory");
	}
	f->fd = fd;
	*out = f;
	return 0;
}

int aipm_results_open(const char *dir, struct aipm_results_file **out)
{
	int fd = open_side(dir, AIPM_FILE_RESULTS,
			   "nothing was logged. Use `aipm log` inside `aipm run`, or the library's aipm_meter_log");
	return fd < 0 ? fd : results_file_new(out, fd);
}

int aipm_results_open_path(const char *path, struct aipm_results_file **out)
{
	int fd = aipm_open_regular(path);
	return fd < 0 ? fd : results_file_new(out, fd);
}

long long aipm_results_skipped(const struct aipm_results_file *f) { return f->skipped; }

void aipm_results_close(struct aipm_results_file *f)
{
	if (!f)
		return;
	aipm_lines_free(&f->ls);
	close(f->fd);
	aipm_buf_free(&f->obj);
	cJSON_Delete(f->dict);
	free(f->out);
	free(f);
}

static bool time_key(const char *k)
{
	return !strcmp(k, AIPM_KEY_TIMESTAMP) || !strcmp(k, AIPM_KEY_DATE) || !strcmp(k, AIPM_KEY_END_EPOCH);
}

/* A record's time: the Unix timestamp, else the ISO date AIPowerMeter
 * writes (end_training_epoch) or aipm's local date. */
static double record_ts(const cJSON *o)
{
	const cJSON *t = get(o, AIPM_KEY_TIMESTAMP);
	if (cJSON_IsNumber(t) && isfinite(t->valuedouble))
		return t->valuedouble;
	const char *keys[] = {AIPM_KEY_END_EPOCH, AIPM_KEY_DATE};
	for (size_t i = 0; i < AIPM_ARRAY_SIZE(keys); i++) {
		double ts;
		const cJSON *d = get(o, keys[i]);
		if (cJSON_IsString(d) && aipm_format_date_parse(d->valuestring, NULL, &ts))
			return ts;
	}
	return NAN;
}

/* The record's metrics as one compact JSON object in f->out: its
 * "metrics" object (aipm), else its other members (AIPowerMeter). */
static bool take(struct aipm_results_file *f, const cJSON *o, struct aipm_result *r)
{
	r->ts = cJSON_IsObject(o) ? record_ts(o) : NAN;
	if (isnan(r->ts))
		return false;
	const cJSON *m = get(o, AIPM_KEY_METRICS);
	cJSON *built = NULL;
	if (!cJSON_IsObject(m)) {
		built = cJSON_CreateObject();
		for (const cJSON *c = o->child; built && c; c = c->next)
			if (c->string && !time_key(c->string))
				cJSON_AddItemToObject(built, c->string, cJSON_Duplicate(c, 1));
		m = built;
	}
	char *text = m && m->child ? cJSON_PrintUnformatted(m) : NULL;
	cJSON_Delete(built);
	if (!text)
		return false;
	free(f->out);
	f->out = strdup(text);
	cJSON_free(text); /* the host's allocator may be cJSON's */
	r->metrics_json = f->out;
	return f->out != NULL;
}

/* Whether o is AIPowerMeter's object of records rather than a record. */
static bool is_dict(const cJSON *o)
{
	if (!isnan(record_ts(o)) || get(o, AIPM_KEY_METRICS) || !o->child)
		return false;
	for (const cJSON *c = o->child; c; c = c->next)
		if (!cJSON_IsObject(c))
			return false;
	return true;
}

static enum layout detect(struct aipm_results_file *f)
{
	char head[4096];
	ssize_t n = pread(f->fd, head, sizeof head - 1, 0);
	size_t i = 0;
	while (n > 0 && (size_t)i < (size_t)n && strchr(" \t\r\n", head[i]))
		i++;
	if (n <= 0 || (size_t)i >= (size_t)n)
		return LAYOUT_LINES;
	if (head[i] == '[') {
		f->record_depth = 1;
		return LAYOUT_STREAM;
	}
	if (head[i] != '{')
		return LAYOUT_LINES;
	/* A first line that is a whole object: JSON lines. */
	const char *nl = memchr(head + i, '\n', (size_t)n - i);
	cJSON *j = nl ? aipm_line_json(head + i, (size_t)(nl - head - i)) : NULL;
	bool lines = cJSON_IsObject(j) && !is_dict(j);
	cJSON_Delete(j);
	f->record_depth = 0;
	return lines ? LAYOUT_LINES : LAYOUT_STREAM;
}

/* Cut the next complete object at record depth out of the stream into
 * f->obj: 1, 0 at the end (a cut-off object is counted), -errno. */
static int cut(struct aipm_results_file *f)
{
	aipm_buf_reset(&f->obj);
	f->oversize = false;
	bool collecting = false;
	for (;;) {
		while (f->nrest) {
			char c = *f->rest++;
			f->nrest--;
			if (!collecting && f->depth == f->record_depth && c == '{')
				collecting = true;
			if (collecting && !f->oversize) {
				if ((long long)f->obj.len >= AIPM_FORMAT_SIDE_MAX)
					f->oversize = true;
				else
					aipm_buf_put(&f->obj, &c, 1);
			}
			if (f->in_str) {
				if (f->esc)
					f->esc = false;
				else if (c == '\\')
					f->esc = true;
				else if (c == '"')
					f->in_str = false;
				continue;
			}
			if (c == '"') {
				f->in_str = true;
			} else if (c == '{' || c == '[') {
				f->depth++;
			} else if ((c == '}' || c == ']') && f->depth > 0) {
				if (--f->depth == f->record_depth && collecting) {
					if (!f->oversize && !f->obj.oom)
						return 1;
					f->skipped++;
					aipm_buf_reset(&f->obj);
					collecting = f->oversize = false;
				}
			}
		}
		const char *text;
		size_t len;
		bool unterminated;
		long long off;
		int e = aipm_lines_next(&f->ls, &text, &len, &unterminated, &off);
		if (e <= 0) {
			if (e == 0 && collecting)
				f->skipped++; /* an object cut short: the writer was killed */
			return e;
		}
		if (!text) {
			f->skipped++;
			continue;
		}
		if (collecting)
			aipm_buf_put(&f->obj, "\n", 1);
		f->rest = text;
		f->nrest = len;
	}
}

int aipm_results_next(struct aipm_results_file *f, struct aipm_result *r)
{
	if (f->layout == LAYOUT_UNKNOWN)
		f->layout = detect(f);
	for (;;) {
		if (f->dict) {
			while (f->dict_next) {
				const cJSON *rec = f->dict_next;
				f->dict_next = rec->next;
				if (take(f, rec, r))
					return 1;
				f->skipped++;
			}
			cJSON_Delete(f->dict);
			f->dict = NULL;
		}
		cJSON *j = NULL;
		int e;
		if (f->layout == LAYOUT_LINES) {
			e = next_object(&f->ls, &f->skipped, &j);
		} else {
			e = cut(f);
			if (e > 0 && !(j = aipm_line_json(f->obj.data, f->obj.len))) {
				f->skipped++;
				continue;
			}
		}
		if (e < 0)
			return aipm_err(e, "reading %s: %s", AIPM_FILE_RESULTS, strerror(-e));
		if (e == 0)
			return 0;
		if (f->layout == LAYOUT_STREAM && f->record_depth == 0 && is_dict(j)) {
			f->dict = j;
			f->dict_next = j->child;
			continue;
		}
		bool ok = take(f, j, r);
		cJSON_Delete(j);
		if (ok)
			return 1;
		f->skipped++;
	}
}
