/* stub */
#include "writer.h"
