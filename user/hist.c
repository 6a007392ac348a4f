/* Log-linear histograms: 8 slots per power of two of nanoseconds.
 * Slot s < 8 holds s ns exactly; above, msb = s / 8 + 2 and the slot
 * covers [(8 + s % 8) << (msb - 3), (9 + s % 8) << (msb - 3)). */
#include <string.h>
#include "hist.h"

int hist_slot(uint64_t ns)
{
	int msb;

	if (ns < NST_HIST_SUB)
		return (int)ns;
	msb = 63 - __builtin_clzll(ns);
	if (msb > 33)
		return NST_HIST_SLOTS - 1;
	return (msb - 2) * NST_HIST_SUB + (int)((ns >> (msb - 3)) & (NST_HIST_SUB - 1));
}

uint64_t hist_slot_low(int s)
{
	int msb = s / NST_HIST_SUB + 2;

	if (s < NST_HIST_SUB)
		return (uint64_t)s;
	return (uint64_t)(NST_HIST_SUB + s % NST_HIST_SUB) << (msb - 3);
}

uint64_t hist_slot_high(int s)
{
	return s < NST_HIST_SUB ? (uint64_t)s + 1 : hist_slot_low(s) + (1ULL << (s / NST_HIST_SUB - 1));
}

void hist_add_sample(struct nst_hist *h, uint64_t ns)
{
	h->count += 1;
	h->sum_ns += ns;
	if (ns > h->max_ns)
		h->max_ns = ns;
	h->slot[hist_slot(ns)] += 1;
}

void hist_merge(struct nst_hist *into, const struct nst_hist *h)
{
	into->count += h->count;
	into->sum_ns += h->sum_ns;
	if (h->max_ns > into->max_ns)
		into->max_ns = h->max_ns;
	for (int i = 0; i < NST_HIST_SLOTS; i++)
		into->slot[i] += h->slot[i];
}

/* Nearest rank: the k-th smallest sample, k = ceil(q * n). The largest
 * is known exactly (max); one inside a slot is placed by its rank there.
 * So one sample of 196 µs reads 196 µs at every percentile, not a spread
 * the slot's width invented. */
double hist_quantile(const struct nst_hist *h, double q)
{
	uint64_t total = 0, seen = 0, k;

	for (int i = 0; i < NST_HIST_SLOTS; i++)
		total += h->slot[i];
	if (!total)
		return 0;
	k = (uint64_t)(q * (double)total + 0.999999);
	if (k < 1)
		k = 1;
	if (k >= total && h->max_ns)
		return (double)h->max_ns;
	for (int i = 0; i < NST_HIST_SLOTS; i++) {
		if (!h->slot[i])
			continue;
		if (seen + h->slot[i] >= k) {
			double lo = (double)hist_slot_low(i), hi = (double)hist_slot_high(i);
			double v = lo + (hi - lo) * ((double)(k - seen) - 0.5) / (double)h->slot[i];

			return h->max_ns && v > (double)h->max_ns ? (double)h->max_ns : v;
		}
		seen += h->slot[i];
	}
	return (double)h->max_ns;
}

uint64_t hist_count_le(const struct nst_hist *h, uint64_t le)
{
	double n = 0;

	for (int i = 0; i < NST_HIST_SLOTS; i++) {
		uint64_t lo = hist_slot_low(i), hi = hist_slot_high(i);

		if (hi <= le + 1)
			n += (double)h->slot[i];
		else if (lo <= le)   /* the slot across LE: its share, evenly spread */
			n += (double)h->slot[i] * (double)(le + 1 - lo) / (double)(hi - lo);
	}
	return (uint64_t)(n + 0.5);
}

const char *hist_fmt(double ns, char *buf, size_t len)
{
	if (ns < 1e3)
		snprintf(buf, len, "%.0fns", ns);
	else if (ns < 1e4)
		snprintf(buf, len, "%.1fµs", ns / 1e3);
	else if (ns < 1e6)
		snprintf(buf, len, "%.0fµs", ns / 1e3);
	else if (ns < 1e7)
		snprintf(buf, len, "%.1fms", ns / 1e6);
	else if (ns < 1e9)
		snprintf(buf, len, "%.0fms", ns / 1e6);
	else
		snprintf(buf, len, "%.1fs", ns / 1e9);
	return buf;
}

/* Microsecond powers of two: bucket k holds [2^k, 2^(k+1)) µs, bucket
 * -1 everything under 1 µs. */
static int us_bucket(int slot)
{
	uint64_t us = hist_slot_low(slot) / 1000;

	return us ? 63 - __builtin_clzll(us) : -1;
}

void hist_draw(FILE *o, const struct nst_hist *h, int indent, int width)
{
	uint64_t b[40] = { 0 }, top = 0;
	int lo = 40, hi = -1;

	for (int i = 0; i < NST_HIST_SLOTS; i++) {
		int k = us_bucket(i) + 1;   /* 0: under 1 µs */

		if (!h->slot[i] || k >= 40)
			continue;
		b[k] += h->slot[i];
		lo = k < lo ? k : lo;
		hi = k > hi ? k : hi;
	}
	if (hi < 0)
		return;
	for (int k = lo; k <= hi; k++)
		top = b[k] > top ? b[k] : top;
	fprintf(o, "%*s%21s : %-8s %s\n", indent, "", "usecs", "count", "distribution");
	for (int k = lo; k <= hi; k++) {
		int n = (int)(b[k] * (uint64_t)width / top);
		char bar[128];

		memset(bar, '*', n);
		bar[n] = 0;
		if (k == 0)
			fprintf(o, "%*s%10s -> %-6u : %-8llu |%-*s|\n", indent, "", "0", 0u,
				(unsigned long long)b[k], width, bar);
		else
			fprintf(o, "%*s%10llu -> %-6llu : %-8llu |%-*s|\n", indent, "",
				1ULL << (k - 1), (1ULL << k) - 1, (unsigned long long)b[k], width, bar);
	}
}
