/* /proc/kallsyms, read once: 120,000 lines on a 6.18 kernel, ~45 ms of
 * the kernel's and (with sscanf and a strdup a name) as much of ours. A
 * watch starts reading it in a thread (ksyms_prefetch) so that its first
 * story does not wait for it; the names live in one block. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ksyms.h"

struct ksym {
	uint64_t addr;
	size_t name;          /* offset in names */
};

static struct ksym *syms;
static size_t nsyms;
static char *names;
static int loaded;
static pthread_t loader;
static int loading;       /* the thread runs: join it before reading */

static int cmp(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* One line "ADDR TYPE NAME[\t[module]]": the text symbols kept. 0, or
 * -1 when out of memory. */
static int add_line(const char *p, const char *end, size_t *cap, size_t *ncap, size_t *nlen)
{
	char *e;
	unsigned long long addr = strtoull(p, &e, 16);
	const char *name;
	size_t len;

	if (e == p || end - e < 4 || e[0] != ' ' || (e[1] != 't' && e[1] != 'T') || e[2] != ' ' ||
	    !addr)
		return 0;
	name = e + 3;
	for (len = 0; name + len < end && name[len] != '\t' && name[len] != ' '; len++)
		;
	if (nsyms == *cap) {
		struct ksym *n = realloc(syms, (*cap = *cap ? *cap * 2 : 65536) * sizeof(*n));

		if (!n)
			return -1;
		syms = n;
	}
	if (*nlen + len + 1 > *ncap) {
		char *n = realloc(names, *ncap = (*ncap + len + 1) * 2);

		if (!n)
			return -1;
		names = n;
	}
	memcpy(names + *nlen, name, len);
	names[*nlen + len] = 0;
	syms[nsyms].addr = addr;
	syms[nsyms++].name = *nlen;
	*nlen += len + 1;
	return 0;
}

static void load(void)
{
	size_t cap = 0, ncap = 0, nlen = 0, have = 0;
	char buf[1 << 16];
	FILE *f = fopen("/proc/kallsyms", "re");

	if (!f)
		return;
	for (;;) {
		size_t got = fread(buf + have, 1, sizeof(buf) - have, f);
		char *p = buf, *end = buf + have + got, *nl;

		if (!got && !have)
			break;
		while ((nl = memchr(p, '\n', end - p)) || (!got && p < end && (nl = end))) {
			if (add_line(p, nl, &cap, &ncap, &nlen))
				goto out;
			p = nl + 1;
			if (p > end)
				p = end;
		}
		have = end - p;
		memmove(buf, p, have);
		if (!got)
			break;
	}
out:
	fclose(f);
	qsort(syms, nsyms, sizeof(*syms), cmp);
}

static void *load_thread(void *arg)
{
	(void)arg;
	load();
	return NULL;
}

void ksyms_prefetch(void)
{
	if (loaded || loading)
		return;
	loaded = 1;
	loading = !pthread_create(&loader, NULL, load_thread, NULL);
	if (!loading)
		load();
}

static void wait_loaded(void)
{
	if (loading) {
		pthread_join(loader, NULL);
		loading = 0;
	}
	if (!loaded) {
		loaded = 1;
		load();
	}
}

const char *ksym_name(uint64_t addr)
{
	size_t lo = 0, hi;

	wait_loaded();
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
	return names + syms[lo].name;
}

void ksyms_free(void)
{
	if (loading) {
		pthread_join(loader, NULL);
		loading = 0;
	}
	free(syms);
	free(names);
	syms = NULL;
	names = NULL;
	nsyms = 0;
	loaded = 0;
}
