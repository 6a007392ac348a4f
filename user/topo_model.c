/* Lookups in the topology model. */
#include <stdio.h>
#include <string.h>
#include "topo.h"

int topo_find_ns(const struct topo *t, const char *name)
{
	for (int i = 0; i < t->nns; i++)
		if (!strcmp(t->ns[i].name, name))
			return i;
	return -1;
}

int topo_find_link(const struct topo *t, const char *ns, const char *name)
{
	for (int i = 0; i < t->nlinks; i++)
		if (!strcmp(t->links[i].ns, ns) && !strcmp(t->links[i].name, name))
			return i;
	return -1;
}

const char *topo_link_str(const struct topo_link *l, char *buf, size_t len)
{
	if (l->ns[0])
		snprintf(buf, len, "%s:%s", l->ns, l->name);
	else
		snprintf(buf, len, "%s", l->name);
	return buf;
}
