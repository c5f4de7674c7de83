/* stub */
#include "common.h"
int cmd_report(int argc, char **argv) { (void)argc; (void)argv; return cli_fail(1, "report: not built yet"); }
