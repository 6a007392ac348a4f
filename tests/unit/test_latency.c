/* The latency histogram's arithmetic (the kernel's slot function mirrored
 * in hist.c) and the journey's bystander rule, without root. */
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include "fold.h"
#include "hist.h"
#include "journey.h"
#include "unit.h"

/* Every value falls inside the slot it is put in; slots tile the line. */
static void slots_tile(void)
{
	uint64_t v[] = { 0, 1, 7, 8, 9, 15, 16, 100, 1000, 4095, 4096, 123456, 999999999,
			 (1ULL << 33) + 5 };

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		int s = hist_slot(v[i]);

		CHECK(s >= 0 && s < NST_HIST_SLOTS, "slot %d for %llu", s, (unsigned long long)v[i]);
		CHECK(hist_slot_low(s) <= v[i] && v[i] < hist_slot_high(s), "%llu not in [%llu, %llu)",
		      (unsigned long long)v[i], (unsigned long long)hist_slot_low(s),
		      (unsigned long long)hist_slot_high(s));
	}
	for (int s = 0; s < 8 * 33; s++)
		if (!CHECK(hist_slot_high(s) == hist_slot_low(s + 1), "gap after slot %d", s))
			break;
}

/* Percentiles of known samples come back within the 6 % the slots allow. */
static void quantiles(void)
{
	struct nst_hist *h = calloc(1, sizeof(*h));
	char buf[16];

	if (!CHECK(h, "calloc"))
		return;
	for (uint64_t us = 1; us <= 1000; us++) {   /* 1 .. 1000 µs, uniform */
		h->slot[hist_slot(us * 1000)]++;
		h->count++;
		h->max_ns = us * 1000;
	}
	for (double q = 0.1; q < 1.0; q += 0.2) {
		double got = hist_quantile(h, q), want = q * 1e6;

		CHECK(got > want * 0.94 && got < want * 1.06, "q%.1f: %.0f, want %.0f", q, got, want);
	}
	CHECK(hist_quantile(h, 1.0) <= 1e6, "p100 above the max");
	CHECK(hist_count_le(h, 512 * 1000) >= 511 && hist_count_le(h, 512 * 1000) <= 512, "le 512 µs: %llu",
	      (unsigned long long)hist_count_le(h, 512 * 1000));
	CHECK_STR_HAS(hist_fmt(32477100, buf, sizeof(buf)), "32ms");
	CHECK_STR_HAS(hist_fmt(6100, buf, sizeof(buf)), "6.1µs");
	memset(h, 0, sizeof(*h));
	CHECK(hist_quantile(h, 0.5) == 0, "empty histogram");
	/* One sample: every percentile is that sample, not a spread over its slot. */
	h->slot[hist_slot(196000)] = 1;
	h->count = 1;
	h->max_ns = 196000;
	CHECK(hist_quantile(h, 0.5) == 196000 && hist_quantile(h, 0.9) == 196000,
	      "one sample of 196 µs: p50 %.0f, p90 %.0f", hist_quantile(h, 0.5), hist_quantile(h, 0.9));
	free(h);
}

/* red -> root (bridge) -> green, where green is not the destination: a
 * bystander; root forwarded, red sent, blue (the owner) is not one. */
static void bystanders(void)
{
	struct journey j = { 0 };
	uint32_t by[4];
	const struct jhop path[] = {
		{ 1, 100, 2, NST_EGRESS }, { 2, 1, 5, NST_INGRESS }, { 3, 1, 7, NST_EGRESS },
		{ 4, 300, 2, NST_INGRESS }, { 5, 1, 6, NST_EGRESS }, { 6, 200, 2, NST_INGRESS },
	};

	memcpy(j.hop, path, sizeof(path));
	j.nhops = 6;
	CHECK(journey_bystanders(&j, 200, by, 4) == 1 && by[0] == 300, "green (300) is the bystander");
	j.nhops = 4;
	CHECK(journey_bystanders(&j, 300, by, 4) == 0, "the owner is never a bystander");
}

/* Samples the kernel sent apart (no histogram could be made in softirq)
 * land in their row: a new row, then a row read from the map since. */
static void samples_apart(void)
{
	struct lat_row *rows = NULL;
	struct nst_pair_key k = { .src_netns = 7, .dst_netns = 9, .kind = NST_LAT_ECHO };
	const struct nst_hist *h;
	struct nst_hist *read = calloc(1, sizeof(*read));
	int n = 0;

	if (!CHECK(read, "calloc"))
		return;
	CHECK(!fold_lat_sample(-1, sizeof(k), &rows, &n, offsetof(struct lat_row, pair), &k, 20000),
	      "first sample");
	CHECK(!fold_lat_sample(-1, sizeof(k), &rows, &n, offsetof(struct lat_row, pair), &k, 30000),
	      "second sample");
	h = n == 1 ? stats_hist(&rows[0]) : NULL;
	CHECK(h && h->count == 2 && h->sum_ns == 50000 && h->max_ns == 30000 &&
	      h->slot[hist_slot(20000)] == 1 && h->slot[hist_slot(30000)] == 1,
	      "one row with both samples (%d rows)", n);
	/* Then the key's own histogram read with them (as stats_read packs
	 * it: the map's 40 µs and the 2 apart), and one more apart. */
	hist_add_sample(read, 40000);
	lat_unpack(rows[0].apart, read);
	rows[0].all = lat_pack_fill(lat_pack_room(), read);
	rows[0].count = 3;
	fold_lat_sample(-1, sizeof(k), &rows, &n, offsetof(struct lat_row, pair), &k, 1000);
	h = stats_hist(&rows[0]);
	CHECK(n == 1 && rows[0].count == 4 && h->count == 4 && h->sum_ns == 91000 &&
	      h->max_ns == 40000, "%d rows, count %llu, histogram %llu, sum %llu", n,
	      (unsigned long long)rows[0].count, (unsigned long long)h->count,
	      (unsigned long long)h->sum_ns);
	free(rows[0].all);
	free(rows[0].apart);
	free(rows);
	free(read);
}

const struct unit_test latency_tests[] = {
	{ "hist_slots_tile", slots_tile },
	{ "hist_quantiles", quantiles },
	{ "journey_bystanders", bystanders },
	{ "latency_samples_apart", samples_apart },
	{ NULL, NULL },
};
