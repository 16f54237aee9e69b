/* test_html_sanitize.c: study items' rich text to the allow-list (src/core/html_sanitize.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/arena.h"
#include "core/html_sanitize.h"

static const char *san(struct arena *a, const char *s)
{
	return html_sanitize(a, s, strlen(s), NULL);
}

static void test_allow_list(void **state)
{
	(void)state;
	struct arena *a = arena_new();
	assert_string_equal(san(a, "<p>学习<strong>二十大</strong>精神</p>"), "<p>学习<strong>二十大</strong>精神</p>");
	assert_string_equal(san(a, "<p onclick=\"x()\" class=a>t</p>"), "<p>t</p>");
	assert_string_equal(san(a, "<script>alert(1)</script><p>ok</p>"), "<p>ok</p>");
	assert_string_equal(san(a, "<SCRIPT src=x></SCRIPT>hi"), "hi");
	assert_string_equal(san(a, "<a href=\"javascript:alert(1)\">x</a>"), "<a rel=\"noopener noreferrer\">x</a>");
	assert_string_equal(san(a, "<a href=\"java\tscript:alert(1)\">x</a>"), "<a rel=\"noopener noreferrer\">x</a>");
	assert_string_equal(san(a, "<a href='https://www.12371.cn/'>共产党员网</a>"),
			    "<a href=\"https://www.12371.cn/\" rel=\"noopener noreferrer\">共产党员网</a>");
	assert_string_equal(san(a, "<img src=\"/api/v1/files/3/content\" alt=\"图\" onerror=\"x\">"),
			    "<img src=\"/api/v1/files/3/content\" alt=\"图\">");
	assert_string_equal(san(a, "<img src=\"//evil.example/x.png\">"), "<img>");
	assert_string_equal(san(a, "<div><p>a<em>b</p></div>"), "<p>a<em>b</em></p>");
	assert_string_equal(san(a, "<!-- c --><p>x</p><style>p{}</style>"), "<p>x</p>");
	assert_string_equal(san(a, "a < b & c &amp; d \"q\""), "a &lt; b &amp; c &amp; d &quot;q&quot;");
	assert_string_equal(san(a, "<p>unclosed <b>bold"), "<p>unclosed <b>bold</b></p>");
	assert_string_equal(san(a, "<iframe src=x>inside</iframe>after"), "after");
	assert_string_equal(san(a, "<svg><script>x</script></svg>t"), "t");
	assert_string_equal(san(a, "<a href=\"x\" title=\"\"><img src=x></a>"), "<a rel=\"noopener noreferrer\"><img></a>");
	int changed = 0;
	html_sanitize(a, "<p>plain</p>", 12, &changed);
	assert_int_equal(changed, 0);
	html_sanitize(a, "<p>x<script>1</script></p>", 27, &changed);
	assert_int_equal(changed, 1);
	arena_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_allow_list)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
