/* internal.h: helpers shared by the files of src/lib/scope/, not part of
 * its API (callers include cgroup.h and names.h). */
#ifndef AIPM_SCOPE_INTERNAL_H
#define AIPM_SCOPE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "scope/cgroup.h"
#include "scope/names.h"

/* The path of a hierarchy path relative to the mount's dirfd ("." for the
 * mount itself); -EXDEV when outside what the mount shows. */
int scope_rel(const struct aipm_cgroup_fs *fs, const char *path, char *rel, size_t n);

/* Read a whole file at dirfd/path into a new NUL-terminated buffer (files
 * of unknown size read at open, never in the sampling path). */
int scope_slurp(int dirfd, const char *path, char **out, size_t *len);

/* Write a short string to an fd in one write(2). */
int scope_write_str(int fd, const char *s);

/* Subdirectory names of dirfd, sorted, strdup'ed into a growing array;
 * the caller frees with scope_names_free. Files (every cgroup directory is
 * full of them) are skipped by d_type. */
struct scope_names {
	char **v;
	size_t n, cap;
};
int scope_subdirs(int dirfd, struct scope_names *out);
void scope_names_free(struct scope_names *n);
/* Append a copy of name (unsorted). -ENOMEM. */
int scope_names_add(struct scope_names *n, const char *name);

/* path + "/" + name into out; false when it does not fit. */
bool scope_join(char *out, size_t n, const char *path, const char *name);

/* A Slurm SLUID as sluid2str writes it: 's' + 13 Crockford base32 digits. */
bool scope_is_sluid(const char *s, size_t n);

/* Append a copy of s to l, or count it in left_out once max are listed.
 * -ENOMEM. */
int scope_list_add(struct aipm_scope_list *l, size_t max, const struct aipm_scope *s);

/* slurm.c: every job (steps false) or step of every slurmstepd scope. */
int scope_slurm_enumerate(const struct aipm_cgroup_fs *fs, bool steps, size_t max, struct aipm_scope_list *out);

#endif
