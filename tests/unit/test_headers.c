/* test_headers.c: each public or shared header compiles on its own
 * (libgit2's headertest): the includes below come first in their own
 * translation units via the HEADER_* checks in meson, and here together. */
#include "aipm.h"
#include "attrib.h"
#include "sampler.h"
#include "snapshot.h"
#include "source.h"
#include "record/writer.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

static void test_public_header_declares_version_and_error(void **state)
{
	(void)state;
	assert_string_equal(aipm_version(), AIPM_VERSION_STRING);
	assert_non_null(aipm_error_last());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_public_header_declares_version_and_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
