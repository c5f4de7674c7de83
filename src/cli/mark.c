/* mark.c: placeholder until this subcommand lands. */
#include "common.h"

int cmd_mark(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_fail(AIPM_EXIT_FAIL, "'mark' is not implemented in this build yet");
}

int cmd_log(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_fail(AIPM_EXIT_FAIL, "'log' is not implemented in this build yet");
}
