/* A tiny assertion kit: each CHECK prints what failed and returns a bool,
 * each test prints one PASS or FAIL line that tests/run.sh counts. */
#ifndef NST_UNIT_H
#define NST_UNIT_H

#include <stdio.h>
#include <string.h>

extern int unit_failed_checks;

#define CHECK(cond, ...) ({                                               \
	int __ok = !!(cond);                                              \
	if (!__ok) {                                                      \
		fprintf(stderr, "  %s:%d: check failed: %s: ", __FILE__,  \
			__LINE__, #cond);                                 \
		fprintf(stderr, __VA_ARGS__);                             \
		fputc('\n', stderr);                                      \
		unit_failed_checks++;                                     \
	}                                                                 \
	__ok;                                                             \
})

#define CHECK_STR_HAS(hay, needle) \
	CHECK(unit_has((hay), (needle)), "'%s' not in '%s'", (needle), unit_or_null(hay))

static inline int unit_has(const char *hay, const char *needle)
{
	return hay && strstr(hay, needle);
}

static inline const char *unit_or_null(const char *s)
{
	return s ? s : "(null)";
}

struct unit_test {
	const char *name;
	void (*fn)(void);
};

/* Each test file lists its tests; main.c runs them all. */
extern const struct unit_test parse_tests[], names_tests[], render_tests[], plan_tests[],
	latency_tests[], netlink_tests[], reasons_tests[], icmp_tests[],
	nftrace_tests[], container_tests[];

#endif
