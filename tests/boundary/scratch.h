/* scratch.h: the scratch directory of a boundary test, and JSON files read
 * from it. Header-only, each test one executable (cmocka before it). */
#ifndef AIPM_TEST_SCRATCH_H
#define AIPM_TEST_SCRATCH_H

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

/* root: $TMPDIR/aipm-TAG.XXXXXX; dir: root/rec (the recording, not made);
 * empty: root/empty, a sysfs root with nothing in it. */
static char root[256], dir[300], empty[300];

static int scratch_make(const char *tag)
{
	snprintf(root, sizeof root, "%s/aipm-%s.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", tag);
	if (!mkdtemp(root))
		return -1;
	snprintf(dir, sizeof dir, "%s/rec", root);
	snprintf(empty, sizeof empty, "%s/empty", root);
	return mkdir(empty, 0755);
}

static int scratch_remove(void)
{
	char cmd[400];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	root[0] = '\0';
	return system(cmd) == 0 ? 0 : -1;
}

/* dir/name parsed, or a failed test. */
static cJSON *scratch_json(const char *name)
{
	char path[400];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s", path);
	static char text[1 << 16];
	size_t n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = '\0';
	cJSON *j = cJSON_Parse(text);
	if (!j)
		fail_msg("%s is not JSON", path);
	return j;
}

#endif
