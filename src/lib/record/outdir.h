/* outdir.h: the recording directory, opened once, and every file of a
 * recording created relative to it.
 *
 * aipm is run as root (RAPL needs it) into directories users own, so a
 * name in DIR is never trusted: the directory is opened once with
 * O_DIRECTORY|O_NOFOLLOW (DIR itself may not be a symbolic link) and kept
 * as a descriptor, every file is opened with openat(O_NOFOLLOW), new files
 * with O_EXCL (temporary names are random), and only regular files are
 * opened at all: a FIFO would block the writer forever, a device may act
 * on open. As root an existing file must also have one link and belong to
 * the writer, so a hard link to /etc/shadow planted as metadata.json is
 * neither read nor appended to.
 *
 * As root, a directory that belongs to another user is refused, unless
 * AIPM_OUTDIR_AS_OWNER is given (`--as-owner`): the recording is then
 * written as that user, with the thread's filesystem ids switched to the
 * owner's (setfsuid/setfsgid) around each create, rename and remove. The
 * kernel then checks every access as the owner's, so whatever the owner
 * plants can only lead aipm where the owner could write anyway, and the
 * files are the owner's (their quota, their permission to remove). fsuid
 * is per thread, so the sampler and the control thread are unaffected
 * between calls.
 *
 * What this module does not guard: the parents of DIR are resolved by the
 * kernel as for any path; a user who owns a parent can move DIR, but aipm
 * keeps writing into the directory it opened.
 */
#ifndef AIPM_RECORD_OUTDIR_H
#define AIPM_RECORD_OUTDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct aipm_outdir;

enum {
	/* As root: accept a directory of another user and write as that user. */
	AIPM_OUTDIR_AS_OWNER = 1,
};

/* Open path (creating it and its missing parents). -errno with a message
 * naming path on failure. The handle is reference counted. */
int aipm_outdir_open(struct aipm_outdir **out, const char *path, unsigned flags);
struct aipm_outdir *aipm_outdir_ref(struct aipm_outdir *d);
void aipm_outdir_unref(struct aipm_outdir *d);
/* The path as given, for messages. */
const char *aipm_outdir_path(const struct aipm_outdir *d);

/* Check that name is absent or a file this module would open (regular, and
 * as root one link, the writer's). *exists tells which. */
int aipm_outdir_check(struct aipm_outdir *d, const char *name, bool *exists);
/* Open name for appending (O_RDWR|O_APPEND), creating it when absent.
 * Returns the descriptor; *existed tells whether it was there. */
int aipm_outdir_append(struct aipm_outdir *d, const char *name, bool *existed);
/* Open an existing name read-only; -ENOENT (no message) when absent. */
int aipm_outdir_read_fd(struct aipm_outdir *d, const char *name);
/* Read all of name (a regular file of at most max bytes), NUL-terminated,
 * malloc'd into *data. -ENOENT (no message) when absent. */
int aipm_outdir_read(struct aipm_outdir *d, const char *name, size_t max, char **data, size_t *len);
/* Create a new file named "<name>.tmp.<random>" (O_EXCL), its name in tmp.
 * Returns the descriptor (O_WRONLY|O_APPEND). */
int aipm_outdir_create_temp(struct aipm_outdir *d, const char *name, char *tmp, size_t tmp_size);
/* An unnamed file in the directory (O_TMPFILE): a process killed before
 * naming it leaves nothing behind. -errno where the filesystem has none. */
int aipm_outdir_create_unnamed(struct aipm_outdir *d);
/* Give the unnamed file fd the name, replacing what is there atomically. */
int aipm_outdir_name(struct aipm_outdir *d, int fd, const char *name);
int aipm_outdir_rename(struct aipm_outdir *d, const char *from, const char *to);
/* Remove name when present (a regular file or a link, never a directory). */
int aipm_outdir_remove(struct aipm_outdir *d, const char *name);
/* Replace name atomically with the n bytes of data: a temporary file,
 * written in full, renamed over name. */
int aipm_outdir_replace(struct aipm_outdir *d, const char *name, const char *data, size_t n);

/* Append n bytes at the end of fd (O_APPEND) whole or not at all: a short
 * write followed by an error (a full disk) is cut back with ftruncate, so
 * the next line never glues onto half a line. Sets *torn when the cut
 * failed and a partial line remains (the caller then starts the next write
 * with a newline). Returns 0 or -errno; sets no message. */
int aipm_write_whole(int fd, const char *data, size_t n, bool *torn);

#endif
