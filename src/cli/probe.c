/* stub */
#include "common.h"
int cmd_probe(int argc, char **argv) { (void)argc; (void)argv; return cli_fail(1, "probe: not built yet"); }
