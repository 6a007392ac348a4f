/* libFuzzer: the ring-buffer event decoder, whatever the kernel side
 * hands over: counted, told (as lines or JSON), written as pcapng, put
 * into journeys. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "watch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct watch *w = calloc(1, sizeof(*w));
	size_t esz = sizeof(struct nst_event);

	if (!w)
		return 0;
	w->rep.out = fopen("/dev/null", "we");
	if (!w->rep.out) {
		free(w);
		return 0;
	}
	w->o.mode = size && data[0] & 1 ? REPORT_JSON : REPORT_LINES;
	w->o.journey = size && data[0] & 2;
	w->o.show_benign = 1;
	/* The view over an empty model: every label falls back to numbers. */
	w->s.names.nl = &w->s.nl;
	w->s.names.lt = &w->s.lt;
	w->view.o = &w->o;
	w->view.names = &w->s.names;
	w->view.lt = &w->s.lt;
	w->view.plan = &w->s.plan;
	w->view.st = &w->st;
	pcap_open(&w->pcap, "/dev/null", 0);
	/* The input is a run of events; a short tail is one too (it must be
	 * refused, as the ring buffer reader refuses it). */
	for (size_t off = size ? 1 : 0; off < size; off += esz) {
		size_t n = size - off < esz ? size - off : esz;
		struct nst_event *e = malloc(n);

		if (!e)
			break;
		memcpy(e, data + off, n);
		watch_handle_event(w, e, n);
		free(e);
	}
	journey_flush(&w->journeys, &w->rep, &w->view, 0, 0);
	journeys_free(&w->journeys);
	pcap_close(&w->pcap);
	stats_free(&w->st);
	fclose(w->rep.out);
	free(w);
	return 0;
}
