/* summary.c: a model summary as JSON (model_summary.json) and as the text
 * table of `aipm model` and `aipm report`, and back from JSON. It reads no
 * ONNX itself: the numbers come from analyze.c or from a stored file, so
 * the report of a recording shows what was measured then. Numbers are
 * integers or formatted by hand, so no locale can change them.
 */
#include "model.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "file.h"

static void json_io(struct aipm_buf *b, const struct aipm_model_io *io, size_t n)
{
	aipm_buf_puts(b, "[");
	for (size_t i = 0; i < n; i++) {
		aipm_buf_puts(b, i ? ",{\"name\":" : "{\"name\":");
		aipm_buf_json_str(b, io[i].name);
		aipm_buf_puts(b, ",\"shape\":");
		if (io[i].rank < 0)
			aipm_buf_puts(b, "null");
		else {
			aipm_buf_puts(b, "[");
			for (int d = 0; d < io[i].rank; d++)
				aipm_buf_printf(b, "%s%lld", d ? "," : "", (long long)io[i].dims[d]);
			aipm_buf_puts(b, "]");
		}
		aipm_buf_puts(b, "}");
	}
	aipm_buf_puts(b, "]");
}

void aipm_model_summary_json(const struct aipm_model_summary *s, struct aipm_buf *b)
{
	aipm_buf_puts(b, "{\"file\":");
	aipm_buf_json_str(b, s->file ? s->file : "");
	aipm_buf_puts(b, ",\"producer\":");
	aipm_buf_json_str(b, s->producer ? s->producer : "");
	aipm_buf_printf(b, ",\"opset\":%lld,\"nodes\":%llu,\"inputs\":", (long long)s->opset,
			(unsigned long long)s->nodes);
	json_io(b, s->inputs, s->n_inputs);
	aipm_buf_puts(b, ",\"outputs\":");
	json_io(b, s->outputs, s->n_outputs);
	aipm_buf_printf(b, ",\"params_total\":%llu,\"params_trainable\":%llu,\"params_buffers\":%llu,"
			"\"int_constants\":%llu,\"macs\":%llu",
			(unsigned long long)s->params_total, (unsigned long long)s->params_trainable,
			(unsigned long long)s->params_buffers, (unsigned long long)s->int_constants,
			(unsigned long long)s->macs);
	aipm_buf_puts(b, s->macs_overflow ? ",\"macs_overflow\":true" : ",\"macs_overflow\":false");
	aipm_buf_puts(b, ",\"by_op\":{");
	for (size_t i = 0; i < s->n_ops; i++) {
		if (i)
			aipm_buf_puts(b, ",");
		aipm_buf_json_str(b, s->ops[i].op_type);
		aipm_buf_printf(b, ":{\"nodes\":%llu,\"macs\":%llu,\"params\":%llu}", (unsigned long long)s->ops[i].nodes,
				(unsigned long long)s->ops[i].macs, (unsigned long long)s->ops[i].params);
	}
	aipm_buf_puts(b, "},\"unsized_ops\":[");
	for (size_t i = 0; i < s->n_unsized; i++) {
		aipm_buf_puts(b, i ? ",{\"op_type\":" : "{\"op_type\":");
		aipm_buf_json_str(b, s->unsized[i].op_type);
		aipm_buf_puts(b, ",\"node\":");
		aipm_buf_json_str(b, s->unsized[i].node);
		aipm_buf_puts(b, ",\"reason\":");
		aipm_buf_json_str(b, s->unsized[i].reason);
		aipm_buf_puts(b, "}");
	}
	aipm_buf_puts(b, "]}\n");
}

/* 1234567 -> "1,234,567" */
static void put_grouped(struct aipm_buf *b, uint64_t v)
{
	char digits[32], out[48];
	int n = snprintf(digits, sizeof digits, "%llu", (unsigned long long)v), j = 0;
	for (int i = 0; i < n; i++) {
		if (i && (n - i) % 3 == 0)
			out[j++] = ',';
		out[j++] = digits[i];
	}
	out[j] = '\0';
	aipm_buf_puts(b, out);
}

/* 1814073344 -> "1.814 G", with integer arithmetic (locale-proof). */
static void put_scaled(struct aipm_buf *b, uint64_t v)
{
	static const char units[] = " KMGTPE";
	int u = 0;
	uint64_t div = 1;
	while (u < 6 && v / div >= 1000)
		div *= 1000, u++;
	if (!u) {
		aipm_buf_printf(b, "%llu", (unsigned long long)v);
		return;
	}
	uint64_t milli = (uint64_t)(((unsigned __int128)v * 1000 + div / 2) / div);
	aipm_buf_printf(b, "%llu.%03llu %c", (unsigned long long)(milli / 1000), (unsigned long long)(milli % 1000),
			units[u]);
}

static void text_io(struct aipm_buf *b, const char *label, const struct aipm_model_io *io, size_t n)
{
	aipm_buf_printf(b, "%-12s", label);
	for (size_t i = 0; i < n; i++) {
		aipm_buf_printf(b, "%s%s ", i ? ", " : "", io[i].name);
		if (io[i].rank < 0)
			aipm_buf_puts(b, "(unknown shape)");
		for (int d = 0; d < io[i].rank; d++)
			aipm_buf_printf(b, "%s%lld", d ? "x" : "", (long long)io[i].dims[d]);
		if (io[i].rank == 0)
			aipm_buf_puts(b, "(scalar)");
	}
	aipm_buf_puts(b, n ? "\n" : "none\n");
}

void aipm_model_summary_text(const struct aipm_model_summary *s, struct aipm_buf *b)
{
	aipm_buf_printf(b, "%-12s%s", "model", s->file ? s->file : "");
	if (s->producer && *s->producer)
		aipm_buf_printf(b, " (%s, opset %lld)", s->producer, (long long)s->opset);
	aipm_buf_puts(b, "\n");
	text_io(b, "inputs", s->inputs, s->n_inputs);
	text_io(b, "outputs", s->outputs, s->n_outputs);
	aipm_buf_printf(b, "%-12s", "parameters");
	put_grouped(b, s->params_total);
	aipm_buf_puts(b, " (");
	put_scaled(b, s->params_total);
	aipm_buf_puts(b, "), trainable ");
	put_grouped(b, s->params_trainable);
	if (s->params_buffers) {
		aipm_buf_puts(b, "; ");
		put_grouped(b, s->params_buffers);
		aipm_buf_puts(b, " BatchNorm buffer elements not counted");
	}
	if (s->int_constants) {
		aipm_buf_puts(b, "; ");
		put_grouped(b, s->int_constants);
		aipm_buf_puts(b, " integer constant elements (shapes, indices) not counted");
	}
	aipm_buf_printf(b, "\n%-12s", "MACs");
	if (s->macs_overflow)
		aipm_buf_puts(b, "more than ");
	put_grouped(b, s->macs);
	aipm_buf_puts(b, " (");
	put_scaled(b, s->macs);
	aipm_buf_puts(b, s->n_unsized ? ") for one forward pass, WITHOUT the unsized nodes below\n"
				      : ") for one forward pass\n");
	if (s->macs_overflow)
		aipm_buf_puts(b, "            the count passed 2^64 and stopped there (absurd dimensions?): a lower bound\n");
	aipm_buf_puts(b, "\n");
	aipm_buf_printf(b, "%-24s %7s %20s %14s\n", "op type", "nodes", "MACs", "params");
	for (size_t i = 0; i < s->n_ops; i++) {
		struct aipm_buf m = {0}, p = {0};
		put_grouped(&m, s->ops[i].macs);
		put_grouped(&p, s->ops[i].params);
		aipm_buf_printf(b, "%-24s %7llu %20s %14s\n", s->ops[i].op_type, (unsigned long long)s->ops[i].nodes,
				m.data ? m.data : "", p.data ? p.data : "");
		aipm_buf_free(&m);
		aipm_buf_free(&p);
	}
	if (!s->n_unsized) {
		aipm_buf_puts(b, "\nevery node was sized\n");
		return;
	}
	aipm_buf_printf(b, "\nunsized: %zu node(s) whose MACs are unknown (not counted as zero):\n", s->n_unsized);
	for (size_t i = 0; i < s->n_unsized; i++)
		aipm_buf_printf(b, "  %s %s: %s\n", s->unsized[i].op_type, s->unsized[i].node, s->unsized[i].reason);
}

/* Stored numbers are counts: negative, fractional garbage, NaN and values
 * past 2^64 must not reach a float-to-integer cast (undefined behaviour);
 * they read as 0, or as UINT64_MAX when too large (a saturated count). */
static uint64_t num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	if (!cJSON_IsNumber(v) || !(v->valuedouble > 0))
		return 0;
	return v->valuedouble >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)v->valuedouble;
}

static char *str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return strdup(cJSON_IsString(v) ? v->valuestring : "");
}

/* Only an array's elements are entries: an object or a string in its place
 * (a hand-edited or hostile file) gives none. */
static size_t array_len(const cJSON *a) { return cJSON_IsArray(a) ? (size_t)cJSON_GetArraySize(a) : 0; }

static void read_io(const cJSON *arr, struct aipm_model_io **out, size_t *n)
{
	size_t len = array_len(arr);
	*out = calloc(len + 1, sizeof **out);
	if (!*out || !len)
		return;
	const cJSON *e;
	cJSON_ArrayForEach(e, arr) {
		if (*n == len)
			break;
		struct aipm_model_io *io = &(*out)[(*n)++];
		io->name = str(e, "name");
		const cJSON *sh = cJSON_GetObjectItemCaseSensitive(e, "shape"), *d;
		io->rank = cJSON_IsArray(sh) ? 0 : -1;
		if (io->rank < 0)
			continue;
		cJSON_ArrayForEach(d, sh) {
			/* a dimension is a count up to 2^48, like every ONNX shape aipm accepts */
			if (io->rank == AIPM_MODEL_MAX_RANK || !cJSON_IsNumber(d) || !(d->valuedouble >= 0) ||
			    d->valuedouble > 281474976710656.0) {
				io->rank = -1;
				break;
			}
			io->dims[io->rank++] = (int64_t)d->valuedouble;
		}
	}
}

static int parse_json(const char *text, const char *path, struct aipm_model_summary *s)
{
	cJSON *root = cJSON_Parse(text);
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return aipm_err(-EBADMSG, "%s: not a model summary (invalid JSON)", path);
	}
	memset(s, 0, sizeof *s);
	s->file = str(root, "file");
	s->producer = str(root, "producer");
	const cJSON *opset = cJSON_GetObjectItemCaseSensitive(root, "opset");
	s->opset = cJSON_IsNumber(opset) && opset->valuedouble > 0 && opset->valuedouble < 1e9 ? (int64_t)opset->valuedouble : 0;
	s->nodes = num(root, "nodes");
	s->params_total = num(root, "params_total");
	s->params_trainable = num(root, "params_trainable");
	s->params_buffers = num(root, "params_buffers");
	s->int_constants = num(root, "int_constants");
	s->macs = num(root, "macs");
	s->macs_overflow = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "macs_overflow"));
	read_io(cJSON_GetObjectItemCaseSensitive(root, "inputs"), &s->inputs, &s->n_inputs);
	read_io(cJSON_GetObjectItemCaseSensitive(root, "outputs"), &s->outputs, &s->n_outputs);
	const cJSON *ops = cJSON_GetObjectItemCaseSensitive(root, "by_op"), *e;
	size_t n_ops = cJSON_IsObject(ops) ? (size_t)cJSON_GetArraySize(ops) : 0;
	s->ops = calloc(n_ops + 1, sizeof *s->ops);
	if (n_ops && s->ops)
		cJSON_ArrayForEach(e, ops) if (s->n_ops < n_ops && e->string) s->ops[s->n_ops++] = (struct aipm_model_op){
			strdup(e->string), num(e, "nodes"), num(e, "macs"), num(e, "params")};
	const cJSON *un = cJSON_GetObjectItemCaseSensitive(root, "unsized_ops");
	size_t n_un = array_len(un);
	s->unsized = calloc(n_un + 1, sizeof *s->unsized);
	if (n_un && s->unsized)
		cJSON_ArrayForEach(e, un) if (s->n_unsized < n_un) s->unsized[s->n_unsized++] = (struct aipm_model_unsized){
			str(e, "op_type"), str(e, "node"), str(e, "reason")};
	cJSON_Delete(root);
	return 0;
}

/* model_summary.json files aipm writes are a few kilobytes; 16 MiB leaves
 * room for any real model and bounds what a planted file can cost. */
#define SUMMARY_MAX_BYTES (16u << 20)

int aipm_model_summary_read(const char *json_path, struct aipm_model_summary *out)
{
	size_t size;
	int fd = model_file_open(json_path, SUMMARY_MAX_BYTES, &size);
	if (fd < 0)
		return fd;
	char *text = malloc(size + 1);
	size_t got = 0;
	int err = 0;
	while (text && got < size) {
		ssize_t r = read(fd, text + got, size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			err = errno;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (!text)
		return aipm_err(-ENOMEM, "out of memory reading %s", json_path);
	if (got < size) {
		free(text);
		return aipm_err(err ? -err : -EIO, "%s: cannot read: %s", json_path,
				err ? strerror(err) : "the file shrank while it was read");
	}
	text[got] = '\0';
	int rc = parse_json(text, json_path, out);
	free(text);
	return rc;
}

int aipm_model_summary_text_file(const char *json_path, struct aipm_buf *out)
{
	struct aipm_model_summary s;
	int rc = aipm_model_summary_read(json_path, &s);
	if (rc < 0)
		return rc;
	aipm_model_summary_text(&s, out);
	aipm_model_summary_free(&s);
	return 0;
}
