/* libFuzzer: the rtnetlink messages discovery reads (links, addresses,
 * routes), as a dump would hand them over. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "discover.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct live_topo lt = { 0 };
	void *buf = malloc(size ? size : 1);   /* aligned, as a socket read is */

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	lt.ns = calloc(1, sizeof(*lt.ns));
	if (lt.ns) {
		lt.nns = 1;
		discover_parse(&lt.ns[0], buf, size);
		live_free(&lt);
	}
	free(buf);
	return 0;
}
