/* version.c: aipm_version(), the version of the loaded library.
 *
 * Its own file, a leaf that needs nothing: metadata.json records it and
 * the public API returns it, and neither should pull in the other. The
 * string comes from aipm_version.h, which meson generates from the
 * project's version.
 */
#include "aipm.h"

AIPM_API const char *aipm_version(void) { return AIPM_VERSION_STRING; }
