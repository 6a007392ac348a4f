/* libFuzzer: the topology file parser (and, for what parses, the nft
 * commands its firewall statements become). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include "firewall.h"
#include "topo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char script[TOPO_MAX_RULES * (TOPO_NFT_MAX + 256)];
	char err[512];
	/* The first byte picks a prefix, as --prefix would. */
	const char *prefix = size && data[0] & 1 ? "nf00-" : NULL;
	struct topo *t = topo_parse_text("fuzz.topo", (const char *)data, size, prefix, err, sizeof(err));

	if (t) {
		for (int i = 0; i < t->nns; i++)
			firewall_script(t, t->ns[i].name, script, sizeof(script), NULL, 0);
		topo_free(t);
	}
	return 0;
}
