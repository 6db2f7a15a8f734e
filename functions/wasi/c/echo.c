/*
 * echo: a WASI preview1 command (runtime `wasi`) that turns a JSON event into a JSON answer.
 *
 * Build (npm run build:wasi, or by hand):
 *   clang --target=wasm32-wasi -O2 -s -o functions/build/wasi-c-echo.wasm functions/wasi/c/echo.c
 *   (Debian: apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32)
 *
 * stdin:  the event, e.g. {"name":"ada","items":[1,2,3]}
 *         name  - a string, "world" when absent
 *         items - an array of safe integers (|n| <= 2^53 - 1, as JavaScript reads them), [] when absent
 *         other keys are ignored; when a key repeats, the last one counts (as in JSON.parse)
 * stdout: {"greeting":"Hello, ada!","count":3,"sum":6,"env":<GREETING as a string, or null>}
 *         (no trailing newline; strings escaped the way JSON.stringify escapes them)
 * stderr: one log line per call: "echo: <n> bytes", or "echo: <n> bytes, error: <reason>"
 *         for an event that is not UTF-8, not JSON, not an object, or has a bad name or items
 *         (nothing on stdout then, exit status 1)
 * env:    GREETING (set it with UpdateFunctionConfiguration)
 *
 * functions/wasi/rust/echo.rs answers byte for byte the same.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A growable byte buffer; exits on out-of-memory (at the function's memory cap). */
typedef struct {
  unsigned char *data;
  size_t len, cap;
} Buf;

static void oom(void) {
  fputs("echo: out of memory\n", stderr);
  exit(1);
}

static void reserve(Buf *b, size_t extra) {
  if (b->cap - b->len >= extra) return;
  size_t cap = b->cap ? b->cap : 256;
  while (cap - b->len < extra) cap *= 2;
  unsigned char *data = realloc(b->data, cap);
  if (!data) oom();
  b->data = data;
  b->cap = cap;
}

static void put(Buf *b, const void *bytes, size_t n) {
  reserve(b, n);
  memcpy(b->data + b->len, bytes, n);
  b->len += n;
}

static void putc_(Buf *b, unsigned char c) { put(b, &c, 1); }
static void puts_(Buf *b, const char *s) { put(b, s, strlen(s)); }

/* True if s[0..n) is well-formed UTF-8 (no overlongs, no surrogates, nothing past U+10FFFF). */
static int utf8_valid(const unsigned char *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    unsigned char c = s[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t len;
    unsigned char lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) len = 2;
    else if (c >= 0xe0 && c <= 0xef) {
      len = 3;
      if (c == 0xe0) lo = 0xa0;
      if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4;
      if (c == 0xf0) lo = 0x90;
      if (c == 0xf4) hi = 0x8f;
    } else return 0;
    if (n - i < len) return 0;
    if (s[i + 1] < lo || s[i + 1] > hi) return 0;
    for (size_t k = 2; k < len; k++)
      if (s[i + k] < 0x80 || s[i + k] > 0xbf) return 0;
    i += len;
  }
  return 1;
}

/* The parser: `s` is the whole event followed by a NUL byte, `p` the position. */
typedef struct {
  const unsigned char *s;
  size_t n, p;
} Parser;

static void ws(Parser *ps) {
  while (ps->p < ps->n) {
    unsigned char c = ps->s[ps->p];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
    ps->p++;
  }
}

static int peek(Parser *ps) { return ps->p < ps->n ? ps->s[ps->p] : -1; }

static int hex4(Parser *ps, unsigned *out) {
  unsigned v = 0;
  if (ps->n - ps->p < 4) return 0;
  for (int k = 0; k < 4; k++) {
    unsigned char c = ps->s[ps->p++];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= c - '0';
    else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
    else return 0;
  }
  *out = v;
  return 1;
}

/* Appends code point cp as UTF-8; a lone surrogate becomes its 3-byte form (WTF-8). */
static void put_cp(Buf *b, unsigned cp) {
  if (cp < 0x80) putc_(b, cp);
  else if (cp < 0x800) {
    putc_(b, 0xc0 | (cp >> 6));
    putc_(b, 0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    putc_(b, 0xe0 | (cp >> 12));
    putc_(b, 0x80 | ((cp >> 6) & 0x3f));
    putc_(b, 0x80 | (cp & 0x3f));
  } else {
    putc_(b, 0xf0 | (cp >> 18));
    putc_(b, 0x80 | ((cp >> 12) & 0x3f));
    putc_(b, 0x80 | ((cp >> 6) & 0x3f));
    putc_(b, 0x80 | (cp & 0x3f));
  }
}

/* Reads a string at `"`; decodes it into `out` unless out is NULL. */
static int string(Parser *ps, Buf *out) {
  ps->p++;
  for (;;) {
    if (ps->p >= ps->n) return 0;
    unsigned char c = ps->s[ps->p++];
    if (c == '"') return 1;
    if (c < 0x20) return 0;
    if (c != '\\') {
      if (out) putc_(out, c);
      continue;
    }
    if (ps->p >= ps->n) return 0;
    unsigned char e = ps->s[ps->p++];
    unsigned cp;
    switch (e) {
    case '"': cp = '"'; break;
    case '\\': cp = '\\'; break;
    case '/': cp = '/'; break;
    case 'b': cp = '\b'; break;
    case 'f': cp = '\f'; break;
    case 'n': cp = '\n'; break;
    case 'r': cp = '\r'; break;
    case 't': cp = '\t'; break;
    case 'u':
      if (!hex4(ps, &cp)) return 0;
      /* A high surrogate escape followed by a low one is one code point. */
      if (cp >= 0xd800 && cp <= 0xdbff && ps->n - ps->p >= 6 && ps->s[ps->p] == '\\' &&
          ps->s[ps->p + 1] == 'u') {
        Parser look = *ps;
        unsigned lo;
        look.p += 2;
        if (hex4(&look, &lo) && lo >= 0xdc00 && lo <= 0xdfff) {
          cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
          ps->p = look.p;
        }
      }
      break;
    default: return 0;
    }
    if (out) put_cp(out, cp);
  }
}

static int digits(Parser *ps) {
  size_t start = ps->p;
  while (ps->p < ps->n && ps->s[ps->p] >= '0' && ps->s[ps->p] <= '9') ps->p++;
  return ps->p > start;
}

/* Reads a number (JSON's grammar); its value, rounded to a double as JavaScript does, in *value. */
static int number(Parser *ps, double *value) {
  size_t start = ps->p;
  if (peek(ps) == '-') ps->p++;
  if (peek(ps) == '0') ps->p++;
  else if (!digits(ps)) return 0;
  if (peek(ps) == '.') {
    ps->p++;
    if (!digits(ps)) return 0;
  }
  if (peek(ps) == 'e' || peek(ps) == 'E') {
    ps->p++;
    if (peek(ps) == '+' || peek(ps) == '-') ps->p++;
    if (!digits(ps)) return 0;
  }
  /* strtod reads exactly this token: a JSON number is a decimal float it accepts whole, and
     what follows it is not part of one (the event is NUL-terminated). */
  if (value) *value = strtod((const char *)ps->s + start, NULL);
  return 1;
}

static int literal(Parser *ps, const char *word) {
  size_t len = strlen(word);
  if (ps->n - ps->p < len || memcmp(ps->s + ps->p, word, len) != 0) return 0;
  ps->p += len;
  return 1;
}

/* Skips any value (with leading whitespace), checking its syntax; iterative, so any depth. */
static int value(Parser *ps) {
  Buf stack = {0}; /* one byte per open container: '[' or '{' */
  int ok = 0;
  for (;;) {
    /* A value. */
    ws(ps);
    int c = peek(ps);
    if (c == '[' || c == '{') {
      ps->p++;
      ws(ps);
      if (peek(ps) == (c == '[' ? ']' : '}')) ps->p++;
      else {
        putc_(&stack, c);
        if (c == '[') continue;
        goto key;
      }
    } else if (c == '"') {
      if (!string(ps, NULL)) goto done;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      if (!number(ps, NULL)) goto done;
    } else if (!literal(ps, "true") && !literal(ps, "false") && !literal(ps, "null")) goto done;
    /* After a value: close containers, or go on to the next element or member. */
    for (;;) {
      if (stack.len == 0) {
        ok = 1;
        goto done;
      }
      unsigned char open = stack.data[stack.len - 1];
      ws(ps);
      c = peek(ps);
      if (c == ',') {
        ps->p++;
        if (open == '[') break;
        goto key;
      }
      if (c != (open == '[' ? ']' : '}')) goto done;
      ps->p++;
      stack.len--;
    }
    continue;
  key:
    ws(ps);
    if (peek(ps) != '"' || !string(ps, NULL)) goto done;
    ws(ps);
    if (peek(ps) != ':') goto done;
    ps->p++;
  }
done:
  free(stack.data);
  return ok;
}

enum { ABSENT, GOOD, BAD };

/* The parts of the event the answer needs. */
typedef struct {
  int name_state, items_state;
  Buf name;
  size_t count;
  __int128 sum;
} Event;

/* Reads the value of "items": an array of safe integers is GOOD. */
static int items(Parser *ps, Event *ev) {
  ws(ps);
  ev->count = 0;
  ev->sum = 0;
  ev->items_state = BAD;
  if (peek(ps) != '[') return value(ps);
  ps->p++;
  ws(ps);
  int good = 1;
  if (peek(ps) == ']') ps->p++;
  else
    for (;;) {
      ws(ps);
      int c = peek(ps);
      if (c == '-' || (c >= '0' && c <= '9')) {
        double v;
        if (!number(ps, &v)) return 0;
        /* An integer JavaScript holds exactly (Number.isSafeInteger). */
        if (v >= -9007199254740991.0 && v <= 9007199254740991.0 && v == (double)(int64_t)v) {
          ev->sum += (int64_t)v;
          ev->count++;
        } else good = 0;
      } else {
        if (!value(ps)) return 0;
        good = 0;
      }
      ws(ps);
      c = peek(ps);
      ps->p++;
      if (c == ']') break;
      if (c != ',') return 0;
    }
  if (good) ev->items_state = GOOD;
  return 1;
}

/* Reads the event: an object, whose "name" and "items" are kept. */
static const char *event(Parser *ps, Event *ev) {
  Buf key = {0};
  ws(ps);
  int c = peek(ps);
  if (c != '{') {
    /* Valid JSON but not an object, or not JSON. */
    if (!value(ps)) return "event is not JSON";
    ws(ps);
    return ps->p == ps->n ? "event is not an object" : "event is not JSON";
  }
  ps->p++;
  ws(ps);
  if (peek(ps) == '}') ps->p++;
  else
    for (;;) {
      ws(ps);
      key.len = 0;
      if (peek(ps) != '"' || !string(ps, &key)) return "event is not JSON";
      ws(ps);
      if (peek(ps) != ':') return "event is not JSON";
      ps->p++;
      ws(ps);
      if (key.len == 4 && memcmp(key.data, "name", 4) == 0) {
        ev->name.len = 0;
        if (peek(ps) == '"') {
          if (!string(ps, &ev->name)) return "event is not JSON";
          ev->name_state = GOOD;
        } else {
          if (!value(ps)) return "event is not JSON";
          ev->name_state = BAD;
        }
      } else if (key.len == 5 && memcmp(key.data, "items", 5) == 0) {
        if (!items(ps, ev)) return "event is not JSON";
      } else if (!value(ps)) return "event is not JSON";
      ws(ps);
      c = peek(ps);
      ps->p++;
      if (c == '}') break;
      if (c != ',') return "event is not JSON";
    }
  free(key.data);
  ws(ps);
  if (ps->p != ps->n) return "event is not JSON";
  if (ev->name_state == BAD) return "name is not a string";
  if (ev->items_state == BAD) return "items is not an array of safe integers";
  return NULL;
}

/* Appends s as a JSON string, escaped as JSON.stringify does (s is UTF-8, or WTF-8 from name). */
static void put_json_string(Buf *b, const unsigned char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  putc_(b, '"');
  for (size_t i = 0; i < n; i++) {
    unsigned char c = s[i];
    if (c == '"') puts_(b, "\\\"");
    else if (c == '\\') puts_(b, "\\\\");
    else if (c == '\b') puts_(b, "\\b");
    else if (c == '\f') puts_(b, "\\f");
    else if (c == '\n') puts_(b, "\\n");
    else if (c == '\r') puts_(b, "\\r");
    else if (c == '\t') puts_(b, "\\t");
    else if (c < 0x20) {
      char u[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0};
      puts_(b, u);
    } else if (c == 0xed && i + 2 < n && s[i + 1] >= 0xa0) {
      /* A lone surrogate (only from a \u escape): written as an escape. */
      unsigned cp = 0xd000 | ((s[i + 1] & 0x3f) << 6) | (s[i + 2] & 0x3f);
      char u[7] = {'\\', 'u', 'd', hex[(cp >> 8) & 15], hex[(cp >> 4) & 15], hex[cp & 15], 0};
      puts_(b, u);
      i += 2;
    } else putc_(b, c);
  }
  putc_(b, '"');
}

static void put_int128(Buf *b, __int128 v) {
  char digits[48];
  size_t k = sizeof digits;
  unsigned __int128 u = v < 0 ? -(unsigned __int128)v : (unsigned __int128)v;
  do {
    digits[--k] = '0' + (char)(u % 10);
    u /= 10;
  } while (u);
  if (v < 0) digits[--k] = '-';
  put(b, digits + k, sizeof digits - k);
}

int main(void) {
  Buf in = {0};
  for (;;) {
    reserve(&in, 65536);
    ssize_t got = read(0, in.data + in.len, in.cap - in.len - 1);
    if (got < 0) {
      fputs("echo: cannot read stdin\n", stderr);
      return 2;
    }
    if (got == 0) break;
    in.len += (size_t)got;
  }
  reserve(&in, 1);
  in.data[in.len] = 0;

  Parser ps = {in.data, in.len, 0};
  Event ev = {ABSENT, ABSENT, {0}, 0, 0};
  const char *error = utf8_valid(in.data, in.len) ? event(&ps, &ev) : "event is not UTF-8";
  if (error) {
    fprintf(stderr, "echo: %zu bytes, error: %s\n", in.len, error);
    return 1;
  }

  Buf out = {0}, greeting = {0};
  puts_(&greeting, "Hello, ");
  if (ev.name_state == GOOD) put(&greeting, ev.name.data, ev.name.len);
  else puts_(&greeting, "world");
  putc_(&greeting, '!');
  puts_(&out, "{\"greeting\":");
  put_json_string(&out, greeting.data, greeting.len);
  char count[32];
  snprintf(count, sizeof count, ",\"count\":%zu,\"sum\":", ev.count);
  puts_(&out, count);
  put_int128(&out, ev.sum);
  puts_(&out, ",\"env\":");
  const char *env = getenv("GREETING");
  if (env && utf8_valid((const unsigned char *)env, strlen(env)))
    put_json_string(&out, (const unsigned char *)env, strlen(env));
  else puts_(&out, "null");
  putc_(&out, '}');

  if (fwrite(out.data, 1, out.len, stdout) != out.len || fflush(stdout) != 0) return 2;
  fprintf(stderr, "echo: %zu bytes\n", in.len);
  return 0;
}
