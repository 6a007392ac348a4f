/* Minimal JSON writing helpers: strings escaped, nothing else hidden. */
#ifndef NST_JSON_H
#define NST_JSON_H

#include <stdio.h>

void json_str(FILE *f, const char *s);

#endif
