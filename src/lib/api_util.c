/* api_util.c: see api_util.h. */
#include "api_util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aipm.h"
#include "error.h"

int aipm_api_opts_init(void *opts, size_t size, unsigned version, unsigned known, const char *fn)
{
	if (!opts)
		return aipm_err(-EINVAL, "%s: opts is NULL", fn);
	if (version == 0 || version > known)
		return aipm_err(-EINVAL, "%s: options version %u is unknown to this libaipm %s (it knows 1 to %u). "
					 "Build against this library's aipm.h, or link the newer libaipm the program "
					 "was built for",
				fn, version, AIPM_VERSION_STRING, known);
	memset(opts, 0, size);
	memcpy(opts, &version, sizeof version); /* the first member of every options struct */
	return 0;
}

int aipm_api_opts_check(unsigned version, unsigned known, const char *fn, const char *kind)
{
	char upper[32];
	size_t i = 0;
	for (; kind[i] && i + 1 < sizeof upper; i++)
		upper[i] = (char)toupper((unsigned char)kind[i]);
	upper[i] = '\0';
	if (version == 0)
		return aipm_err(-EINVAL, "%s: the options were never initialised (their version is 0). Fill them "
					 "with aipm_%s_options_init(&opts, AIPM_%s_OPTIONS_VERSION) or "
					 "AIPM_%s_OPTIONS_INIT first",
				fn, kind, upper, upper);
	if (version > known)
		return aipm_err(-EINVAL, "%s: options version %u is newer than this libaipm %s knows (up to %u): "
					 "the program was built against a newer aipm.h. Link it with that newer libaipm",
				fn, version, AIPM_VERSION_STRING, known);
	return 0;
}

int aipm_api_give(struct aipm_buf *b, char **out)
{
	if (b->oom || !b->data) {
		aipm_buf_free(b);
		return aipm_err(-ENOMEM, "out of memory");
	}
	*out = b->data;
	return 0;
}

int aipm_api_check_out(const char *dir, const void *out, const char *fn, const char *what)
{
	if (!dir || !*dir)
		return aipm_err(-EINVAL, "%s: no recording directory given", fn);
	if (!out)
		return aipm_err(-EINVAL, "%s: %s is NULL", fn, what);
	return 0;
}

int aipm_api_to_string(char **out, int (*write)(FILE *f, void *ctx), void *ctx)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return aipm_err(-ENOMEM, "out of memory");
	int e = write(f, ctx);
	if (fclose(f) != 0 && e == 0)
		e = aipm_err(-ENOMEM, "out of memory");
	if (e < 0) {
		free(text);
		return e;
	}
	*out = text;
	return 0;
}
