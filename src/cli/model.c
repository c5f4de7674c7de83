/* model.c: placeholder until this subcommand lands. */
#include "common.h"

int cmd_model(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_fail(AIPM_EXIT_FAIL, "'model' is not implemented in this build yet");
}
