/* The live terminal view: redrawn whole at each refresh, the most
 * important first, so a small terminal cuts the least important. */
#include <stdlib.h>
#include "latency.h"
#include "report.h"
#include "tables.h"

static int use_color(void)
{
	const char *nc = getenv("NO_COLOR");

	return !(nc && *nc);
}

void report_tty_begin(struct report *r)
{
	/* Alternate screen, no cursor; report_tty_end puts both back. */
	fprintf(r->out, "\033[?1049h\033[?25l");
	fflush(r->out);
}

void report_tty_end(struct report *r)
{
	fprintf(r->out, "\033[?25h\033[?1049l");
	fflush(r->out);
}

/* Everything above the recent stories, into O. */
static void tables(const struct watch_view *v, FILE *o, int cols, int rows)
{
	const char *b = use_color() ? "\033[1m" : "", *n = use_color() ? "\033[0m" : "";
	double up = watch_now() - v->start;
	char line[512];

	snprintf(line, sizeof(line), "nstrace watch  %d ns, %d ports (%s)  up %02d:%02d  "
		 "not shown: %llu  %.0f stories/s",
		 v->plan->nns, v->plan->nports, attach_kind(v->att),
		 (int)up / 60, (int)up % 60, (unsigned long long)v->st->rb_full, v->st->story_rate);
	fprintf(o, "%s%.*s%s\n", b, cols, line, n);
	findings_text(v, o, cols);
	fprintf(o, "%s%.*s%s\n", b, cols, "PORTS                               RX PACKETS  TX PACKETS     DROPS", n);
	ports_table(v, o, rows / 4, cols);
	fprintf(o, "%s%.*s%s\n", b, cols, "DROPS (exact counts)       REASON                 COUNT     RATE", n);
	drops_table(v, o, rows / 8 > 1 ? rows / 8 : 1, cols, 1);
	if (v->st->nresets) {
		fprintf(o, "%s%.*s%s\n", b, cols, "TCP RESETS", n);
		resets_table(v, o, cols);
	}
	latency_text(v, o, cols, rows / 10 > 1 ? rows / 10 : 1, 0);
	fprintf(o, "%s%.*s%s\n", b, cols, "RECENT", n);
}

void report_live(struct report *r, const struct watch_view *v)
{
	int cols = r->cols > 20 ? r->cols : 80, rows = r->rows > 10 ? r->rows : 24;
	int lines = 0, nrecent;
	char *buf = NULL;
	size_t len = 0;
	FILE *o = open_memstream(&buf, &len);

	if (!o)
		return;
	tables(v, o, cols, rows);
	fclose(o);
	/* What does not fit goes, from the bottom: the header stays on screen. */
	for (size_t i = 0; i < len; i++)
		if (buf[i] == '\n' && ++lines == rows - 1) {
			buf[i + 1] = 0;
			break;
		}
	/* Clear and redraw in one write, so the screen does not flicker. */
	fprintf(r->out, "\033[H\033[2J%s", buf);
	free(buf);
	nrecent = rows - lines - 1;
	if (nrecent > r->nstories)
		nrecent = r->nstories;
	if (nrecent > REPORT_STORIES)
		nrecent = REPORT_STORIES;
	for (int i = r->nstories - (nrecent > 0 ? nrecent : 0); i < r->nstories; i++)
		fprintf(r->out, "%.*s\n", cols, r->stories[i % REPORT_STORIES]);
	fflush(r->out);
}
