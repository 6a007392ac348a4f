#ifndef NSTRACE_OUTBUF_H
#define NSTRACE_OUTBUF_H
#include <stddef.h>

/* Text built into a caller's fixed buffer: writes past its end are cut,
 * and pos >= len afterwards says so. */
struct outbuf {
	char *buf;
	size_t len, pos;
};

void outbuf_put(struct outbuf *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
