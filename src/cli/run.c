/* stub */
#include "common.h"
int cmd_run(int argc, char **argv) { (void)argc; (void)argv; return cli_fail(1, "run: not built yet"); }
