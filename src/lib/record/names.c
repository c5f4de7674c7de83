/* names.c: see names.h (FNV-1a, linear probing, at most half full). */
#include "names.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static bool rehash(struct aipm_names *s, size_t nslots)
{
	size_t *slots = calloc(nslots, sizeof *slots);
	if (!slots)
		return false;
	for (size_t i = 0; i < s->n; i++) {
		size_t j = hash(s->names[i]) & (nslots - 1);
		while (slots[j])
			j = (j + 1) & (nslots - 1);
		slots[j] = i + 1;
	}
	free(s->slots);
	s->slots = slots;
	s->nslots = nslots;
	return true;
}

long aipm_names_find(struct aipm_names *s, const char *name, bool add)
{
	if (s->nslots) {
		size_t j = hash(name) & (s->nslots - 1);
		while (s->slots[j]) {
			if (!strcmp(s->names[s->slots[j] - 1], name))
				return (long)(s->slots[j] - 1);
			j = (j + 1) & (s->nslots - 1);
		}
	}
	if (!add)
		return -1;
	if ((s->n + 1) * 2 > s->nslots && !rehash(s, s->nslots ? s->nslots * 2 : 64))
		return -1;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 32;
		char **v = realloc(s->names, cap * sizeof *v);
		if (!v)
			return -1;
		s->names = v;
		s->cap = cap;
	}
	char *copy = strdup(name);
	if (!copy)
		return -1;
	s->names[s->n] = copy;
	size_t j = hash(name) & (s->nslots - 1);
	while (s->slots[j])
		j = (j + 1) & (s->nslots - 1);
	s->slots[j] = ++s->n;
	return (long)(s->n - 1);
}

void aipm_names_free(struct aipm_names *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->names[i]);
	free(s->names);
	free(s->slots);
	memset(s, 0, sizeof *s);
}
