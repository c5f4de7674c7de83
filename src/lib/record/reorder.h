/* reorder.h: a small min-heap that puts records back in time order.
 *
 * Side files are written in time order but not quite: two threads logging
 * at once may swap two lines, and a paired phase's end is written long
 * after later phases began. Records go in as read and come out by time
 * (file order breaks ties); the caller keeps it a few dozen deep, so memory
 * does not grow with the file.
 */
#ifndef AIPM_RECORD_REORDER_H
#define AIPM_RECORD_REORDER_H

#include <stddef.h>

struct aipm_reorder {
	unsigned char *v;
	size_t n, cap, size; /* size: bytes of one slot */
	long long seq;
};

/* Records of `payload` bytes each. */
void aipm_reorder_init(struct aipm_reorder *r, size_t payload);
/* 0 or -ENOMEM (message set). */
int aipm_reorder_push(struct aipm_reorder *r, double ts, const void *payload);
/* The earliest record into payload (n > 0); returns its time. */
double aipm_reorder_pop(struct aipm_reorder *r, void *payload);
void aipm_reorder_free(struct aipm_reorder *r);

#endif
