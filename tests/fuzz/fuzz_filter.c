/* libFuzzer: the filter expression parser (--filter) and its printer. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "filter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), why[160], back[160];
	struct filter f = { 0 };

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	if (!filter_expr(&f, s, why, sizeof(why))) {
		struct filter g = { 0 };

		/* What it prints must parse back to the same filter. */
		filter_str(&f, back, sizeof(back));
		if (back[0] && (filter_expr(&g, back, why, sizeof(why)) || memcmp(&f, &g, sizeof(f))))
			abort();
	}
	free(s);
	return 0;
}
