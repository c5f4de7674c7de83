/* stub */
#include "attrib.h"
