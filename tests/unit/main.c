#include <stdio.h>
#include "unit.h"

int unit_failed_checks;

static void run(const struct unit_test *t, int *pass, int *fail)
{
	for (; t->name; t++) {
		int before = unit_failed_checks;

		t->fn();
		if (unit_failed_checks == before) {
			printf("PASS unit/%s\n", t->name);
			(*pass)++;
		} else {
			printf("FAIL unit/%s\n", t->name);
			(*fail)++;
		}
		fflush(stdout);
	}
}

int main(void)
{
	int pass = 0, fail = 0;

	run(parse_tests, &pass, &fail);
	run(names_tests, &pass, &fail);
	run(render_tests, &pass, &fail);
	run(plan_tests, &pass, &fail);
	run(latency_tests, &pass, &fail);
	run(netlink_tests, &pass, &fail);
	run(reasons_tests, &pass, &fail);
	run(container_tests, &pass, &fail);
	run(icmp_tests, &pass, &fail);
	run(nftrace_tests, &pass, &fail);
	return fail ? 1 : 0;
}
