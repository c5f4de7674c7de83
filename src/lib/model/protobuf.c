/* protobuf.c: the wire-format reader behind onnx.c (see protobuf.h).
 *
 * Protobuf is a flat sequence of (tag, payload) records; nesting happens
 * only through LEN payloads, so a reader needs no recursion and the only
 * trap is trusting a length or a varint. Every read here is checked
 * against `end`, and offsets in errors are relative to the file start.
 */
#include "protobuf.h"

#include <errno.h>
#include <string.h>

#include "error.h"

void aipm_pb_init(struct aipm_pb *r, const uint8_t *base, const uint8_t *p, size_t len)
{
	r->base = base;
	r->p = p;
	r->end = p + len;
}

static size_t off(const struct aipm_pb *r, const uint8_t *p) { return (size_t)(p - r->base); }

/* A varint is at most 10 bytes; the tenth may only carry the top bit of a
 * 64-bit value, anything more is corruption, not a big number. */
static int varint(struct aipm_pb *r, const uint8_t **pp, const uint8_t *end, uint64_t *out)
{
	const uint8_t *p = *pp;
	uint64_t v = 0;
	for (unsigned i = 0; i < 10; i++) {
		if (p >= end)
			return aipm_err(-EBADMSG, "protobuf truncated inside a varint at byte %zu", off(r, p));
		uint8_t b = *p++;
		if (i == 9 && b > 1)
			return aipm_err(-EBADMSG, "protobuf varint longer than 64 bits at byte %zu", off(r, *pp));
		v |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80)) {
			*pp = p;
			*out = v;
			return 0;
		}
	}
	return aipm_err(-EBADMSG, "protobuf varint longer than 10 bytes at byte %zu", off(r, *pp));
}

static uint64_t le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

int aipm_pb_next(struct aipm_pb *r, struct aipm_pb_field *f)
{
	if (r->p >= r->end)
		return 0;
	const uint8_t *start = r->p;
	uint64_t tag;
	int rc = varint(r, &r->p, r->end, &tag);
	if (rc < 0)
		return rc;
	uint64_t num = tag >> 3;
	if (num == 0 || num > 0x1fffffff)
		return aipm_err(-EBADMSG, "protobuf field number %llu at byte %zu is invalid (not a protobuf message)",
				(unsigned long long)num, off(r, start));
	memset(f, 0, sizeof *f);
	f->num = (uint32_t)num;
	f->wire = tag & 7;
	size_t left;
	switch (f->wire) {
	case AIPM_PB_VARINT:
		return varint(r, &r->p, r->end, &f->u) < 0 ? -EBADMSG : 1;
	case AIPM_PB_I64:
	case AIPM_PB_I32: {
		unsigned n = f->wire == AIPM_PB_I64 ? 8 : 4;
		if ((size_t)(r->end - r->p) < n)
			return aipm_err(-EBADMSG, "protobuf truncated inside a fixed-width field at byte %zu", off(r, start));
		f->u = le(r->p, n);
		r->p += n;
		return 1;
	}
	case AIPM_PB_LEN:
		if (varint(r, &r->p, r->end, &f->u) < 0)
			return -EBADMSG;
		left = (size_t)(r->end - r->p);
		if (f->u > left)
			return aipm_err(-EBADMSG, "protobuf field %u at byte %zu claims %llu bytes but only %zu remain (truncated file?)",
					f->num, off(r, start), (unsigned long long)f->u, left);
		f->data = r->p;
		f->len = (size_t)f->u;
		r->p += f->len;
		return 1;
	case 3:
	case 4:
		return aipm_err(-EBADMSG, "protobuf groups (wire type %u, field %u at byte %zu) are not supported; ONNX never uses them",
				f->wire, f->num, off(r, start));
	default:
		return aipm_err(-EBADMSG, "protobuf wire type %u at byte %zu is invalid (not a protobuf message)",
				f->wire, off(r, start));
	}
}

void aipm_pb_sub(const struct aipm_pb *r, const struct aipm_pb_field *f, struct aipm_pb *sub)
{
	aipm_pb_init(sub, r->base, f->data, f->len);
}

int aipm_pb_int64s(const struct aipm_pb *r, const struct aipm_pb_field *f, int64_t *out, size_t cap, size_t *n)
{
	if (f->wire == AIPM_PB_VARINT) {
		if (*n < cap && out)
			out[*n] = (int64_t)f->u;
		(*n)++;
		return 0;
	}
	if (f->wire != AIPM_PB_LEN)
		return aipm_err(-EBADMSG, "protobuf field %u has wire type %u where integers were expected", f->num, f->wire);
	struct aipm_pb sub;
	aipm_pb_sub(r, f, &sub);
	const uint8_t *p = sub.p;
	while (p < sub.end) {
		uint64_t v;
		int rc = varint(&sub, &p, sub.end, &v);
		if (rc < 0)
			return rc;
		if (*n < cap && out)
			out[*n] = (int64_t)v;
		(*n)++;
	}
	return 0;
}

float aipm_pb_float(const struct aipm_pb_field *f)
{
	uint32_t bits = (uint32_t)f->u;
	float v;
	memcpy(&v, &bits, sizeof v);
	return v;
}
