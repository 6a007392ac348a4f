/* One description per record, serving text and JSON alike (the idea of
 * iproute2's json_print.h): each field is written once, saying which
 * output it belongs to, its JSON key and its text format.
 *
 *   print_uint(p, PRINT_ANY, "len", " len %u", e->len);
 *
 * JSON goes straight to the stream, one object a line. Text is built in
 * the printer's line buffer, for the caller to print or keep. */
#ifndef NST_PRINT_H
#define NST_PRINT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum print_to {
	PRINT_ANY,     /* both */
	PRINT_TEXT,    /* the text line only */
	PRINT_JSON,    /* the JSON object only */
};

#define PRINT_DEPTH 8

struct printer {
	FILE *f;                  /* JSON's stream */
	int json;
	char line[400];           /* text: the line being built */
	size_t len;
	int depth;                /* JSON: open objects and arrays */
	int members[PRINT_DEPTH]; /* JSON: members written at each depth */
};

/* A record: JSON opens {"type":TYPE (TYPE NULL: a bare {), text starts
 * an empty line. print_end closes it (JSON: "}\n" unless NL is 0). */
void print_begin(struct printer *p, FILE *f, int json, const char *type);
void print_end(struct printer *p, int nl);

void print_str(struct printer *p, enum print_to to, const char *key, const char *fmt,
	       const char *v);
void print_uint(struct printer *p, enum print_to to, const char *key, const char *fmt,
		unsigned long long v);
/* JSON writes V with JFMT ("%.6f"), text with FMT. */
void print_float(struct printer *p, enum print_to to, const char *key, const char *jfmt,
		 const char *fmt, double v);
void print_bool(struct printer *p, enum print_to to, const char *key, const char *fmt, int v);
/* Text only, no field: words around the fields ("DROP  "). */
void print_text(struct printer *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Nested JSON: "key":{ ... } and "key":[ ... ]; KEY NULL inside arrays. */
void print_open_object(struct printer *p, const char *key);
void print_close_object(struct printer *p);
void print_open_array(struct printer *p, const char *key);
void print_close_array(struct printer *p);

#endif
