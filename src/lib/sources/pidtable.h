/* pidtable.h: an open-addressing hash table from pid to an int (a member
 * index, or PIDTABLE_NONMEMBER), rebuilt every sample by the process
 * source's mark-and-sweep scan (htop's Table.c does the same). Small and
 * allocation-free once sized; pid 0 marks an empty slot.
 */
#ifndef AIPM_PIDTABLE_H
#define AIPM_PIDTABLE_H

#include <stddef.h>
#include <sys/types.h>

enum { PIDTABLE_NONMEMBER = -1 };

struct pidslot {
	pid_t pid;  /* 0 = empty */
	int member; /* index into the members, or PIDTABLE_NONMEMBER */
};

struct pidtable {
	struct pidslot *slots;
	size_t cap; /* power of two */
	size_t used;
};

struct pidslot *pidtable_find(struct pidtable *t, pid_t pid);
/* Empty the table, sized for cap slots (a power of two); -ENOMEM. */
int pidtable_reset(struct pidtable *t, size_t cap);
/* Insert or update, doubling at half load; -ENOMEM. */
int pidtable_put(struct pidtable *t, pid_t pid, int member);
void pidtable_free(struct pidtable *t);

#endif
