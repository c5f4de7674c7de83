/* stub */
#include "common.h"
int cmd_attach(int argc, char **argv) { (void)argc; (void)argv; return cli_fail(1, "attach: not built yet"); }
