/* meter.c: the public API's version call; the measuring API lands with the
 * library issue. */
#include "aipm.h"

AIPM_API const char *aipm_version(void) { return AIPM_VERSION; }
