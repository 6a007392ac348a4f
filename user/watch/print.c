/* The printer: text lines and JSON objects from one description. */
#include <stdarg.h>
#include <string.h>
#include "json.h"
#include "print.h"

static int wants(const struct printer *p, enum print_to to)
{
	return to == PRINT_ANY || (to == PRINT_JSON) == !!p->json;
}

static void vtext(struct printer *p, const char *fmt, va_list ap)
{
	size_t room = sizeof(p->line) - p->len;
	int n = vsnprintf(p->line + p->len, room, fmt, ap);

	if (n > 0)
		p->len += (size_t)n < room ? (size_t)n : room - 1;
}

void print_text(struct printer *p, const char *fmt, ...)
{
	va_list ap;

	if (p->json)
		return;
	va_start(ap, fmt);
	vtext(p, fmt, ap);
	va_end(ap);
}

/* Text with a format of one argument, through the va_list path. */
static void text1(struct printer *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vtext(p, fmt, ap);
	va_end(ap);
}

/* The comma and the key of the next member. */
static void key(struct printer *p, const char *k)
{
	if (p->members[p->depth]++)
		fputc(',', p->f);
	if (k)
		fprintf(p->f, "\"%s\":", k);
}

void print_begin(struct printer *p, FILE *f, int json, const char *type)
{
	p->f = f;
	p->json = json;
	p->len = 0;
	p->line[0] = 0;
	p->depth = 0;
	p->members[0] = 0;
	if (!json)
		return;
	fputc('{', f);
	if (type) {
		key(p, "type");
		json_str(f, type);
	}
}

void print_end(struct printer *p, int nl)
{
	if (p->json)
		fputs(nl ? "}\n" : "}", p->f);
}

void print_str(struct printer *p, enum print_to to, const char *k, const char *fmt,
	       const char *v)
{
	if (!wants(p, to))
		return;
	if (!p->json) {
		text1(p, fmt, v);
		return;
	}
	key(p, k);
	json_str(p->f, v);
}

void print_uint(struct printer *p, enum print_to to, const char *k, const char *fmt,
		unsigned long long v)
{
	if (!wants(p, to))
		return;
	if (!p->json) {
		text1(p, fmt, v);
		return;
	}
	key(p, k);
	fprintf(p->f, "%llu", v);
}

void print_float(struct printer *p, enum print_to to, const char *k, const char *jfmt,
		 const char *fmt, double v)
{
	if (!wants(p, to))
		return;
	if (!p->json) {
		text1(p, fmt, v);
		return;
	}
	key(p, k);
	fprintf(p->f, jfmt, v);
}

void print_bool(struct printer *p, enum print_to to, const char *k, const char *fmt, int v)
{
	if (!wants(p, to))
		return;
	if (!p->json) {
		text1(p, fmt, v ? "true" : "false");
		return;
	}
	key(p, k);
	fputs(v ? "true" : "false", p->f);
}

static void open_nested(struct printer *p, const char *k, char c)
{
	if (!p->json)
		return;
	key(p, k);
	fputc(c, p->f);
	if (p->depth + 1 < PRINT_DEPTH)
		p->depth++;
	p->members[p->depth] = 0;
}

static void close_nested(struct printer *p, char c)
{
	if (!p->json)
		return;
	fputc(c, p->f);
	if (p->depth)
		p->depth--;
}

void print_open_object(struct printer *p, const char *k)
{
	open_nested(p, k, '{');
}

void print_close_object(struct printer *p)
{
	close_nested(p, '}');
}

void print_open_array(struct printer *p, const char *k)
{
	open_nested(p, k, '[');
}

void print_close_array(struct printer *p)
{
	close_nested(p, ']');
}
