/* file.c: see file.h. The open uses O_NONBLOCK so a FIFO returns at once
 * (reading a FIFO with no writer would wait forever, and a recording's
 * model_summary.json lives in a directory its user controls); the flag is
 * harmless for regular files, which are all this accepts.
 */
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"

static const char *kind(mode_t m)
{
	return S_ISFIFO(m) ? "a FIFO" : S_ISDIR(m) ? "a directory" : S_ISCHR(m) ? "a character device"
	       : S_ISBLK(m) ? "a block device" : S_ISSOCK(m) ? "a socket" : "not a plain file";
}

int model_file_open(const char *path, size_t max_bytes, size_t *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return aipm_err(-errno, "%s: cannot open: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return aipm_err(-e, "%s: cannot stat: %s", path, strerror(e));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return aipm_err(-EINVAL, "%s: not a regular file (%s). Give the path of the file itself", path,
				kind(st.st_mode));
	}
	if ((unsigned long long)st.st_size > max_bytes) {
		close(fd);
		return aipm_err(-EFBIG, "%s: %lld bytes, more than the %zu this reader accepts", path,
				(long long)st.st_size, max_bytes);
	}
	*size = (size_t)st.st_size;
	return fd;
}
