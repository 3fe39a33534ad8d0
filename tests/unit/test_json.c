/* The JSON writer: valid output whatever the bytes, and cut records that still parse. */
#include <errno.h>
#include <string.h>
#include "reports/json.h"
#include "tests/unit/harness.h"

static char buf[256];
static struct jt_json j;

static const char *one_string(const char *s, size_t n)
{
	jt_json_init(&j, buf, sizeof(buf));
	jt_json_strn(&j, s, n);
	buf[j.len] = '\0';
	return buf;
}

TEST(plain_ascii_is_copied)
{
	EXPECT_STREQ(one_string("abc", 3), "\"abc\"");
}

TEST(quotes_backslashes_and_controls_are_escaped)
{
	EXPECT_STREQ(one_string("a\"b\\c\n\t\x01", 8), "\"a\\\"b\\\\c\\n\\t\\u0001\"");
}

TEST(valid_utf8_is_kept)
{
	EXPECT_STREQ(one_string("\xc3\xa9\xe2\x82\xac", 5), "\"\xc3\xa9\xe2\x82\xac\"");
}

TEST(invalid_bytes_become_surrogate_escapes)
{
	EXPECT_STREQ(one_string("a\xff\xc3(", 4), "\"a\\udcff\\udcc3(\"");
}

TEST(embedded_nul_is_escaped)
{
	EXPECT_STREQ(one_string("a\0b", 3), "\"a\\u0000b\"");
}

TEST(objects_and_arrays_get_commas)
{
	jt_json_init(&j, buf, sizeof(buf));
	jt_json_object(&j);
	jt_json_key(&j, "a");
	jt_json_int(&j, -1);
	jt_json_key(&j, "b");
	jt_json_array(&j);
	jt_json_uint(&j, 2);
	jt_json_null(&j);
	jt_json_str(&j, "x");
	jt_json_end(&j);
	jt_json_key(&j, "c");
	jt_json_bool(&j, 1);
	jt_json_end(&j);
	EXPECT_EQ(jt_json_finish(&j), 0);
	buf[j.len] = '\0';
	EXPECT_STREQ(buf, "{\"a\":-1,\"b\":[2,null,\"x\"],\"c\":true}\n");
}

TEST(overflow_cuts_but_closes_everything)
{
	char small[48];
	char big[200];

	memset(big, 'x', sizeof(big));
	jt_json_init(&j, small, sizeof(small));
	jt_json_object(&j);
	jt_json_key(&j, "k");
	jt_json_array(&j);
	jt_json_strn(&j, big, sizeof(big));
	jt_json_int(&j, 5);
	EXPECT_EQ(jt_json_finish(&j), -ENOBUFS);
	ASSERT_TRUE(j.len <= sizeof(small));
	small[j.len - 1] = '\0';
	/* a cut string, closed, then the array and object */
	EXPECT_TRUE(small[0] == '{');
	EXPECT_TRUE(strcmp(small + strlen(small) - 3, "\"]}") == 0);
}

TEST(dangling_key_gets_null)
{
	jt_json_init(&j, buf, sizeof(buf));
	jt_json_object(&j);
	jt_json_key(&j, "a");
	jt_json_finish(&j);
	buf[j.len] = '\0';
	EXPECT_STREQ(buf, "{\"a\":null}\n");
}

TEST(seconds_have_six_decimals)
{
	jt_json_init(&j, buf, sizeof(buf));
	jt_json_seconds(&j, 1234567);
	buf[j.len] = '\0';
	EXPECT_STREQ(buf, "1.234567");
}
