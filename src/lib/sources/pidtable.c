/* pidtable.c: see pidtable.h. */
#include "pidtable.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static size_t hash_pid(pid_t p, size_t cap) { return ((uint32_t)p * 2654435761u) & (cap - 1); }

struct pidslot *pidtable_find(struct pidtable *t, pid_t pid)
{
	if (!t->cap || pid <= 0) /* pid 0 marks an empty slot */
		return NULL;
	for (size_t i = hash_pid(pid, t->cap);; i = (i + 1) & (t->cap - 1)) {
		if (t->slots[i].pid == pid)
			return &t->slots[i];
		if (!t->slots[i].pid)
			return NULL;
	}
}

static void put_raw(struct pidtable *t, pid_t pid, int member)
{
	size_t i = hash_pid(pid, t->cap);
	while (t->slots[i].pid && t->slots[i].pid != pid)
		i = (i + 1) & (t->cap - 1);
	if (!t->slots[i].pid)
		t->used++;
	t->slots[i].pid = pid;
	t->slots[i].member = member;
}

int pidtable_reset(struct pidtable *t, size_t cap)
{
	if (t->cap != cap) {
		struct pidslot *n = calloc(cap, sizeof *n);
		if (!n)
			return -ENOMEM;
		free(t->slots);
		t->slots = n;
		t->cap = cap;
	} else {
		memset(t->slots, 0, cap * sizeof *t->slots);
	}
	t->used = 0;
	return 0;
}

int pidtable_put(struct pidtable *t, pid_t pid, int member)
{
	if ((t->used + 1) * 2 > t->cap) {
		struct pidtable bigger = {0};
		if (pidtable_reset(&bigger, t->cap ? t->cap * 2 : 1024) < 0)
			return -ENOMEM;
		for (size_t i = 0; i < t->cap; i++)
			if (t->slots[i].pid)
				put_raw(&bigger, t->slots[i].pid, t->slots[i].member);
		free(t->slots);
		*t = bigger;
	}
	put_raw(t, pid, member);
	return 0;
}

void pidtable_free(struct pidtable *t)
{
	free(t->slots);
	memset(t, 0, sizeof *t);
}
