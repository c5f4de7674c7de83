/* protobuf.h: a bounds-checked reader for the protobuf wire format, just
 * enough to walk an ONNX file (REFERENCE §5.2). It never allocates and never
 * trusts a length: every record is checked against the end of its enclosing
 * message before it is handed out. Schema knowledge (which field is what)
 * lives in onnx.c, not here.
 */
#ifndef AIPM_MODEL_PROTOBUF_H
#define AIPM_MODEL_PROTOBUF_H

#include <stddef.h>
#include <stdint.h>

enum { AIPM_PB_VARINT = 0, AIPM_PB_I64 = 1, AIPM_PB_LEN = 2, AIPM_PB_I32 = 5 };

/* A cursor over one message. `base` is the start of the whole file, kept so
 * errors can give a byte offset a user can look at with a hex dump. */
struct aipm_pb {
	const uint8_t *p, *end, *base;
};

/* One record. For VARINT/I64/I32 the value is in `u` (raw bits); for LEN,
 * `data`/`len` point inside the buffer. */
struct aipm_pb_field {
	uint32_t num;
	uint8_t wire;
	uint64_t u;
	const uint8_t *data;
	size_t len;
};

void aipm_pb_init(struct aipm_pb *r, const uint8_t *base, const uint8_t *p, size_t len);
/* Read the next record: 1 = got one, 0 = end of message, negative errno
 * (message set) for truncation, bad varints and groups. */
int aipm_pb_next(struct aipm_pb *r, struct aipm_pb_field *f);
/* A cursor over the payload of a LEN record (a sub-message). */
void aipm_pb_sub(const struct aipm_pb *r, const struct aipm_pb_field *f, struct aipm_pb *sub);
/* Decode a repeated integer field in either form: one VARINT record
 * (unpacked) or a LEN record of concatenated varints (packed). Stores up to
 * `cap` values in `out` (may be NULL) and always adds the full count to *n,
 * so a first pass with cap 0 sizes the array. */
int aipm_pb_int64s(const struct aipm_pb *r, const struct aipm_pb_field *f, int64_t *out, size_t cap, size_t *n);
/* The I32 payload reinterpreted as a float. */
float aipm_pb_float(const struct aipm_pb_field *f);

#endif
