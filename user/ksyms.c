#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ksyms.h"

struct ksym {
	uint64_t addr;
	char *name;
};

static struct ksym *syms;
static size_t nsyms;
static int loaded;

static int cmp(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static void load(void)
{
	char line[512], name[256], type;
	unsigned long long addr;
	size_t cap = 0;
	FILE *f;

	loaded = 1;
	f = fopen("/proc/kallsyms", "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %255s", &addr, &type, name) != 3)
			continue;
		if ((type != 't' && type != 'T') || !addr)
			continue;
		if (nsyms == cap) {
			struct ksym *n = realloc(syms, (cap = cap ? cap * 2 : 65536) * sizeof(*n));

			if (!n)
				break;
			syms = n;
		}
		syms[nsyms].addr = addr;
		syms[nsyms].name = strdup(name);
		if (syms[nsyms].name)
			nsyms++;
	}
	fclose(f);
	qsort(syms, nsyms, sizeof(*syms), cmp);
}

const char *ksym_name(uint64_t addr)
{
	size_t lo = 0, hi;

	if (!loaded)
		load();
	if (!nsyms || addr < syms[0].addr)
		return NULL;
	hi = nsyms;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (syms[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	return syms[lo].name;
}

void ksyms_free(void)
{
	for (size_t i = 0; i < nsyms; i++)
		free(syms[i].name);
	free(syms);
	syms = NULL;
	nsyms = 0;
	loaded = 0;
}
