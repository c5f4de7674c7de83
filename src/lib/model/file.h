/* file.h: opening the model module's input files (an .onnx model, a stored
 * model_summary.json) without ever blocking. Internal to src/lib/model/.
 * A path naming a FIFO, a device or a directory is refused with a message
 * that says what it is, instead of an open() that waits for a writer.
 */
#ifndef AIPM_MODEL_FILE_H
#define AIPM_MODEL_FILE_H

#include <stddef.h>

/* Open path read-only (O_CLOEXEC) and check it is a regular file no larger
 * than max_bytes. Returns the fd with *size set, or negative errno with the
 * message set ("PATH: not a regular file (a FIFO). ..."). */
int model_file_open(const char *path, size_t max_bytes, size_t *size);

#endif
