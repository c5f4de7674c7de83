/* test_harden_lib.c (issue 12): the recording's lower layers against a
 * full disk and against bytes that are not UTF-8. A full disk is made with
 * RLIMIT_FSIZE (writes past it are short, then fail with EFBIG, exactly as
 * ENOSPC makes them), so no tmpfs or root is needed here. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "record/outdir.h"
#include "record/writer.h"
#include "util.h"

static char root[256];

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof root, "%s/aipm-hlib.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	signal(SIGXFSZ, SIG_IGN); /* past RLIMIT_FSIZE: EFBIG, not death */
	return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	struct rlimit rl = {RLIM_INFINITY, RLIM_INFINITY};
	setrlimit(RLIMIT_FSIZE, &rl);
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static void limit(rlim_t bytes)
{
	struct rlimit rl;
	getrlimit(RLIMIT_FSIZE, &rl);
	rl.rlim_cur = bytes;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

static char *slurp(const char *name, size_t *len)
{
	char path[400];
	snprintf(path, sizeof path, "%s/%s", root, name);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	static char buf[1 << 16];
	*len = fread(buf, 1, sizeof buf - 1, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static void test_a_line_is_whole_or_absent_on_a_full_disk(void **state)
{
	(void)state;
	char path[400];
	snprintf(path, sizeof path, "%s/f", root);
	int fd = open(path, O_RDWR | O_CREAT | O_APPEND, 0644);
	assert_true(fd >= 0);
	bool torn = false;
	assert_int_equal(aipm_write_whole(fd, "first\n", 6, &torn), 0);
	limit(10); /* 4 more bytes fit: the next line would be cut */
	assert_int_equal(aipm_write_whole(fd, "second line\n", 12, &torn), -EFBIG);
	assert_false(torn);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, 6); /* the half line was cut back */
	limit(RLIM_INFINITY);
	assert_int_equal(aipm_write_whole(fd, "third\n", 6, &torn), 0);
	close(fd);
	size_t n;
	assert_string_equal(slurp("f", &n), "first\nthird\n");
}

/* Lines the disk refuses are held and written, in order, when it takes
 * them again; the END line too. */
static void test_writer_holds_lines_until_the_disk_takes_them(void **state)
{
	(void)state;
	struct aipm_outdir *d;
	assert_int_equal(aipm_outdir_open(&d, root, 0), 0);
	struct aipm_writer *w;
	bool replaced, closed;
	assert_int_equal(aipm_writer_open(&w, d, true, &replaced, &closed), 0);
	assert_false(closed);
	assert_int_equal(aipm_writer_commit(w), 0);
	struct aipm_catalog cat = {0}; /* a line with no source: time and nothing else */
	struct aipm_snapshot s;
	assert_int_equal(aipm_snapshot_init(&s, &cat), 0);
	s.real.tv_sec = 1795634401;
	assert_int_equal(aipm_writer_write(w, &s), 0);
	size_t n;
	size_t one = strlen(slurp("power_metrics.json", &n));
	limit(one + one / 2); /* room for half a line */
	for (int i = 0; i < 5; i++) {
		s.real.tv_sec++;
		assert_int_equal(aipm_writer_write(w, &s), -EFBIG);
	}
	assert_int_equal(aipm_writer_end_segment(w), -EFBIG);
	size_t held;
	uint64_t dropped;
	aipm_writer_held(w, &held, &dropped);
	assert_int_equal(held, 6);
	assert_int_equal(dropped, 0);
	assert_int_equal(strlen(slurp("power_metrics.json", &n)), one); /* no half line on disk */
	limit(RLIM_INFINITY);
	s.real.tv_sec++;
	assert_int_equal(aipm_writer_write(w, &s), 0);
	aipm_writer_held(w, &held, &dropped);
	assert_int_equal(held, 0);
	aipm_writer_close(w);
	aipm_outdir_unref(d);
	aipm_snapshot_free(&s);
	aipm_catalog_free(&cat);
	/* 1 + 5 lines, the END line, and the line that found room: in order. */
	char *text = slurp("power_metrics.json", &n);
	int lines = 0, ends = 0;
	double last = 0;
	for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n"), lines++) {
		cJSON *j = cJSON_Parse(l);
		assert_non_null(j);
		if (cJSON_IsString(j)) {
			ends++;
		} else {
			double t = cJSON_GetObjectItem(j, "timestamp")->valuedouble;
			assert_true(t > last);
			last = t;
		}
		cJSON_Delete(j);
	}
	assert_int_equal(lines, 8);
	assert_int_equal(ends, 1);
}

static void test_json_strings_are_always_utf8(void **state)
{
	(void)state;
	const char *in[] = {
		"plain",
		"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",   /* valid: kept */
		"bad \xff\xfe byte",                           /* not UTF-8 at all */
		"cut \xe2\x82",                                /* a sequence cut short */
		"overlong \xc0\xaf and \xe0\x80\xaf",          /* overlong '/' */
		"surrogate \xed\xa0\x80",                      /* U+D800 */
		"too high \xf4\x90\x80\x80",                   /* above U+10FFFF */
		"ctl \x01 \"q\" \\",
	};
	for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
		struct aipm_buf b = {0};
		aipm_buf_json_str(&b, in[i]);
		assert_true(aipm_utf8_valid(b.data));
		cJSON *j = cJSON_Parse(b.data);
		assert_non_null(j);
		assert_true(cJSON_IsString(j));
		if (i < 2)
			assert_string_equal(j->valuestring, in[i]);
		else if (i < 7)
			assert_non_null(strstr(j->valuestring, "\xef\xbf\xbd"));
		cJSON_Delete(j);
		aipm_buf_free(&b);
		aipm_buf_utf8(&b, in[i]);
		assert_true(aipm_utf8_valid(b.data));
		aipm_buf_free(&b);
	}
	assert_false(aipm_utf8_valid("\xff"));
	assert_true(aipm_utf8_valid("\xef\xbf\xbd"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_a_line_is_whole_or_absent_on_a_full_disk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_holds_lines_until_the_disk_takes_them, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_strings_are_always_utf8, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
