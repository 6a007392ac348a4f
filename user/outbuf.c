/* Text built into a caller's fixed buffer (see outbuf.h). */
#include <stdarg.h>
#include <stdio.h>

#include "outbuf.h"

void outbuf_put(struct outbuf *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->pos >= o->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->pos, o->len - o->pos, fmt, ap);
	va_end(ap);
	o->pos += n > 0 ? (size_t)n : 0;
}
