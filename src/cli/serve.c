/* serve.c: placeholder until this subcommand lands. */
#include "common.h"

int cmd_serve(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_fail(AIPM_EXIT_FAIL, "'serve' is not implemented in this build yet");
}
