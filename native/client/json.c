/* json.c — just enough JSON for the client to read status.json's names (state.c): skip any value,
 * find an object's member, walk an array, copy a string without escapes. Any text it does not
 * understand (an escape in a string it copies, a cut file) is a failure: the Node CLI then decides. */
#include <string.h>

#include "client.h"

static const char *ws(const char *p) {
  while (p != NULL && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
  return p;
}

static const char *skip_string(const char *p) {
  for (p++; *p != '\0'; p++) {
    if (*p == '\\') {
      if (p[1] == '\0') return NULL;
      p++;
    } else if (*p == '"') {
      return p + 1;
    }
  }
  return NULL;
}

/* After the value at p (leading white space allowed), or NULL. */
const char *json_skip(const char *p) {
  int depth = 0;
  p = ws(p);
  if (p == NULL) return NULL;
  do {
    p = ws(p);
    switch (*p) {
      case '\0':
        return NULL;
      case '"':
        p = skip_string(p);
        if (p == NULL) return NULL;
        break;
      case '{':
      case '[':
        depth++;
        p++;
        break;
      case '}':
      case ']':
        if (--depth < 0) return NULL;
        p++;
        break;
      case ',':
      case ':':
        if (depth == 0) return NULL;
        p++;
        break;
      default:
        /* a number, true, false or null */
        if (strchr("-0123456789tfn", *p) == NULL) return NULL;
        while (*p != '\0' && strchr(",:]} \t\r\n", *p) == NULL) p++;
        break;
    }
  } while (depth > 0);
  return p;
}

/* The value of `key` in the object at p, or NULL (not an object, no such key, an escaped key). */
const char *json_member(const char *p, const char *key) {
  size_t len = strlen(key);
  p = ws(p);
  if (p == NULL || *p != '{') return NULL;
  p = ws(p + 1);
  if (*p == '}') return NULL;
  for (;;) {
    const char *end;
    int match;
    if (*p != '"') return NULL;
    end = skip_string(p);
    if (end == NULL) return NULL;
    match = (size_t)(end - p) == len + 2 && strncmp(p + 1, key, len) == 0;
    p = ws(end);
    if (*p != ':') return NULL;
    p = ws(p + 1);
    if (match) return p;
    p = ws(json_skip(p));
    if (p == NULL || *p != ',') return NULL;
    p = ws(p + 1);
  }
}

/* The first element of the array at p, or NULL (empty, or not an array). */
const char *json_first(const char *p) {
  p = ws(p);
  if (p == NULL || *p != '[') return NULL;
  p = ws(p + 1);
  return *p == ']' || *p == '\0' ? NULL : p;
}

/* The element after the one at p, or NULL at the end. */
const char *json_next(const char *p) {
  p = ws(json_skip(p));
  if (p == NULL || *p != ',') return NULL;
  return ws(p + 1);
}

/* Copies the string at p into out: 0, or -1 (not a string, an escape, too long). */
int json_string(const char *p, char *out, size_t size) {
  size_t n = 0;
  p = ws(p);
  if (p == NULL || *p != '"') return -1;
  for (p++; *p != '"'; p++) {
    if (*p == '\0' || *p == '\\' || n + 1 >= size) return -1;
    out[n++] = *p;
  }
  out[n] = '\0';
  return 0;
}
