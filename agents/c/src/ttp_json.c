/*
 * ttp_json.c - strict JSON tokenizer and bounded writer for the TTP agent (see ttp_json.h).
 * The tokenizer checks the whole grammar, so a payload the LRC let through damaged is NAKed
 * (section 3 item 3) instead of being half-understood.
 */
#include "ttp_json.h"
#include <string.h>

#define TJ_MAX_DEPTH 8

int tj_utf8_valid(const uint8_t *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint8_t c = s[i];
        uint32_t cp;
        unsigned n, k;
        if (c < 0x80) { i++; continue; }
        if (c >= 0xC2 && c <= 0xDF) { n = 1; cp = c & 0x1Fu; }
        else if (c >= 0xE0 && c <= 0xEF) { n = 2; cp = c & 0x0Fu; }
        else if (c >= 0xF0 && c <= 0xF4) { n = 3; cp = c & 0x07u; }
        else return 0;
        if (len - i < n + 1) return 0;
        for (k = 1; k <= n; k++) {
            uint8_t d = s[i + k];
            if ((d & 0xC0u) != 0x80u) return 0;
            cp = (cp << 6) | (d & 0x3Fu);
        }
        if ((n == 2 && cp < 0x800u) || (n == 3 && cp < 0x10000u)) return 0; /* overlong */
        if (cp >= 0xD800u && cp <= 0xDFFFu) return 0;                      /* surrogate */
        if (cp > 0x10FFFFu) return 0;
        i += n + 1;
    }
    return 1;
}

typedef struct {
    const uint8_t *js;
    size_t len, pos;
    ttp_tok_t *tok;
    unsigned max, n;
} tj_parser_t;

static void skip_ws(tj_parser_t *p)
{
    while (p->pos < p->len) {
        uint8_t c = p->js[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        p->pos++;
    }
}

static int hexval(uint8_t c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int new_tok(tj_parser_t *p, uint8_t type, size_t start)
{
    if (p->n >= p->max) return -1;
    p->tok[p->n].type = type;
    p->tok[p->n].escaped = 0;
    p->tok[p->n].start = (uint16_t)start;
    p->tok[p->n].end = (uint16_t)start;
    p->tok[p->n].next = 0;
    return (int)p->n++;
}

static int parse_string(tj_parser_t *p)
{
    int t;
    p->pos++; /* opening quote */
    t = new_tok(p, TJ_STR, p->pos);
    if (t < 0) return -1;
    while (p->pos < p->len) {
        uint8_t c = p->js[p->pos];
        if (c == '"') {
            p->tok[t].end = (uint16_t)p->pos;
            p->pos++;
            p->tok[t].next = (uint16_t)p->n;
            return 0;
        }
        if (c < 0x20) return -1;
        if (c == '\\') {
            uint8_t e;
            p->tok[t].escaped = 1;
            if (++p->pos >= p->len) return -1;
            e = p->js[p->pos];
            if (e == 'u') {
                int k;
                for (k = 1; k <= 4; k++) {
                    if (p->pos + (size_t)k >= p->len || hexval(p->js[p->pos + (size_t)k]) < 0) return -1;
                }
                p->pos += 4;
            } else if (!strchr("\"\\/bfnrt", e) || e == 0) {
                return -1;
            }
        }
        p->pos++;
    }
    return -1;
}

static int parse_value(tj_parser_t *p, unsigned depth);

static int parse_container(tj_parser_t *p, unsigned depth, int object)
{
    int t = new_tok(p, object ? TJ_OBJ : TJ_ARR, p->pos);
    if (t < 0 || depth >= TJ_MAX_DEPTH) return -1;
    p->pos++;
    skip_ws(p);
    if (p->pos < p->len && p->js[p->pos] == (object ? '}' : ']')) {
        p->pos++;
    } else {
        for (;;) {
            skip_ws(p);
            if (object) {
                if (p->pos >= p->len || p->js[p->pos] != '"') return -1;
                if (parse_string(p) < 0) return -1;
                skip_ws(p);
                if (p->pos >= p->len || p->js[p->pos] != ':') return -1;
                p->pos++;
                skip_ws(p);
            }
            if (parse_value(p, depth + 1) < 0) return -1;
            skip_ws(p);
            if (p->pos >= p->len) return -1;
            if (p->js[p->pos] == ',') { p->pos++; continue; }
            if (p->js[p->pos] == (object ? '}' : ']')) { p->pos++; break; }
            return -1;
        }
    }
    p->tok[t].end = (uint16_t)p->pos;
    p->tok[t].next = (uint16_t)p->n;
    return 0;
}

static int parse_number(tj_parser_t *p)
{
    size_t s = p->pos;
    int t;
    if (p->pos < p->len && p->js[p->pos] == '-') p->pos++;
    if (p->pos >= p->len) return -1;
    if (p->js[p->pos] == '0') p->pos++;
    else if (p->js[p->pos] >= '1' && p->js[p->pos] <= '9') {
        while (p->pos < p->len && p->js[p->pos] >= '0' && p->js[p->pos] <= '9') p->pos++;
    } else return -1;
    if (p->pos < p->len && p->js[p->pos] == '.') {
        size_t d = ++p->pos;
        while (p->pos < p->len && p->js[p->pos] >= '0' && p->js[p->pos] <= '9') p->pos++;
        if (p->pos == d) return -1;
    }
    if (p->pos < p->len && (p->js[p->pos] == 'e' || p->js[p->pos] == 'E')) {
        size_t d;
        p->pos++;
        if (p->pos < p->len && (p->js[p->pos] == '+' || p->js[p->pos] == '-')) p->pos++;
        d = p->pos;
        while (p->pos < p->len && p->js[p->pos] >= '0' && p->js[p->pos] <= '9') p->pos++;
        if (p->pos == d) return -1;
    }
    t = new_tok(p, TJ_NUM, s);
    if (t < 0) return -1;
    p->tok[t].end = (uint16_t)p->pos;
    p->tok[t].next = (uint16_t)p->n;
    return 0;
}

static int parse_literal(tj_parser_t *p, const char *word)
{
    size_t n = strlen(word);
    int t;
    if (p->len - p->pos < n || memcmp(p->js + p->pos, word, n) != 0) return -1;
    t = new_tok(p, TJ_LIT, p->pos);
    if (t < 0) return -1;
    p->pos += n;
    p->tok[t].end = (uint16_t)p->pos;
    p->tok[t].next = (uint16_t)p->n;
    return 0;
}

static int parse_value(tj_parser_t *p, unsigned depth)
{
    uint8_t c;
    if (p->pos >= p->len) return -1;
    c = p->js[p->pos];
    if (c == '{') return parse_container(p, depth, 1);
    if (c == '[') return parse_container(p, depth, 0);
    if (c == '"') return parse_string(p);
    if (c == 't') return parse_literal(p, "true");
    if (c == 'f') return parse_literal(p, "false");
    if (c == 'n') return parse_literal(p, "null");
    return parse_number(p);
}

int tj_parse(const uint8_t *js, size_t len, ttp_tok_t *tok, unsigned maxtok, unsigned *ntok)
{
    tj_parser_t p;
    p.js = js; p.len = len; p.pos = 0; p.tok = tok; p.max = maxtok; p.n = 0;
    if (len > 0xFFFEu) return -1;
    skip_ws(&p);
    if (p.pos >= len || js[p.pos] != '{') return -1;
    if (parse_value(&p, 0) < 0) return -1;
    skip_ws(&p);
    if (p.pos != len) return -1;
    *ntok = p.n;
    return 0;
}

int tj_str(const uint8_t *js, const ttp_tok_t *t, char *out, size_t cap)
{
    size_t i, o = 0;
    if (t->type != TJ_STR || cap == 0) return -1;
    for (i = t->start; i < t->end; i++) {
        uint8_t c = js[i];
        if (c != '\\') {
            if (o + 1 >= cap) return -1;
            out[o++] = (char)c;
            continue;
        }
        c = js[++i];
        if (c == 'u') {
            uint32_t cp = 0;
            int k;
            for (k = 1; k <= 4; k++) cp = (cp << 4) | (uint32_t)hexval(js[i + (size_t)k]);
            i += 4;
            if (cp >= 0xD800u && cp <= 0xDBFFu) { /* high surrogate: a low one must follow */
                uint32_t lo = 0;
                if (i + 6 >= t->end || js[i + 1] != '\\' || js[i + 2] != 'u') return -1;
                for (k = 3; k <= 6; k++) lo = (lo << 4) | (uint32_t)hexval(js[i + (size_t)k]);
                if (lo < 0xDC00u || lo > 0xDFFFu) return -1;
                cp = 0x10000u + ((cp - 0xD800u) << 10) + (lo - 0xDC00u);
                i += 6;
            } else if (cp >= 0xDC00u && cp <= 0xDFFFu) {
                return -1;
            }
            if (cp == 0) return -1; /* an embedded NUL would cut a C string short */
            if (cp < 0x80u) { if (o + 1 >= cap) return -1; out[o++] = (char)cp; }
            else if (cp < 0x800u) { if (o + 2 >= cap) return -1; out[o++] = (char)(0xC0u | (cp >> 6)); out[o++] = (char)(0x80u | (cp & 0x3Fu)); }
            else if (cp < 0x10000u) { if (o + 3 >= cap) return -1; out[o++] = (char)(0xE0u | (cp >> 12)); out[o++] = (char)(0x80u | ((cp >> 6) & 0x3Fu)); out[o++] = (char)(0x80u | (cp & 0x3Fu)); }
            else { if (o + 4 >= cap) return -1; out[o++] = (char)(0xF0u | (cp >> 18)); out[o++] = (char)(0x80u | ((cp >> 12) & 0x3Fu)); out[o++] = (char)(0x80u | ((cp >> 6) & 0x3Fu)); out[o++] = (char)(0x80u | (cp & 0x3Fu)); }
            continue;
        }
        if (o + 1 >= cap) return -1;
        switch (c) {
        case 'b': out[o++] = '\b'; break;
        case 'f': out[o++] = '\f'; break;
        case 'n': out[o++] = '\n'; break;
        case 'r': out[o++] = '\r'; break;
        case 't': out[o++] = '\t'; break;
        default: out[o++] = (char)c; break; /* " \ / */
        }
    }
    out[o] = '\0';
    return (int)o;
}

int tj_find(const uint8_t *js, const ttp_tok_t *tok, int obj, const char *key)
{
    unsigned i;
    size_t klen = strlen(key);
    if (obj < 0 || tok[obj].type != TJ_OBJ) return -1;
    i = (unsigned)obj + 1;
    while (i < tok[obj].next) {
        const ttp_tok_t *k = &tok[i];
        int match;
        if (k->escaped) {
            char buf[64];
            int n = tj_str(js, k, buf, sizeof buf);
            match = n >= 0 && (size_t)n == klen && memcmp(buf, key, klen) == 0;
        } else {
            match = (size_t)(k->end - k->start) == klen && memcmp(js + k->start, key, klen) == 0;
        }
        if (match) return (int)i + 1;
        i = tok[i + 1].next;
    }
    return -1;
}

int tj_int(const uint8_t *js, const ttp_tok_t *t, long *out)
{
    size_t i = t->start;
    int neg = 0;
    long v = 0;
    if (t->type != TJ_NUM) return -1;
    if (js[i] == '-') { neg = 1; i++; }
    for (; i < t->end; i++) {
        if (js[i] < '0' || js[i] > '9') return -1; /* fraction or exponent: not an integer */
        v = v * 10 + (js[i] - '0');
        if (v > 2147483648L) return -1;
    }
    if (!neg && v > 2147483647L) return -1;
    *out = neg ? -v : v;
    return 0;
}

int tj_bool(const uint8_t *js, const ttp_tok_t *t, int *out)
{
    if (t->type != TJ_LIT) return -1;
    if (js[t->start] == 't') { *out = 1; return 0; }
    if (js[t->start] == 'f') { *out = 0; return 0; }
    return -1;
}

/* ---------------------------------------------------------------------------------------- */

void jw_init(ttp_jw_t *w, uint8_t *buf, size_t cap)
{
    w->buf = buf; w->cap = cap; w->len = 0; w->err = 0; w->depth = 0; w->after_key = 0;
    memset(w->first, 1, sizeof w->first);
}

static void put(ttp_jw_t *w, const char *s, size_t n)
{
    if (w->err || w->cap - w->len < n) { w->err = 1; return; }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
}

/* Comma before an array element or a member (not before a value that follows its key). */
static void sep(ttp_jw_t *w)
{
    if (w->after_key) { w->after_key = 0; return; }
    if (w->depth == 0) return;
    if (!w->first[w->depth - 1]) put(w, ",", 1);
    w->first[w->depth - 1] = 0;
}

static void jw_open(ttp_jw_t *w, const char *c)
{
    sep(w);
    put(w, c, 1);
    if (w->depth >= sizeof w->first) { w->err = 1; return; }
    w->first[w->depth++] = 1;
}

void jw_obj(ttp_jw_t *w) { jw_open(w, "{"); }
void jw_arr(ttp_jw_t *w) { jw_open(w, "["); }
void jw_end_obj(ttp_jw_t *w) { if (w->depth) w->depth--; put(w, "}", 1); }
void jw_end_arr(ttp_jw_t *w) { if (w->depth) w->depth--; put(w, "]", 1); }

static void raw_str(ttp_jw_t *w, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    put(w, "\"", 1);
    for (; *s; s++) {
        uint8_t c = (uint8_t)*s;
        if (c == '"') put(w, "\\\"", 2);
        else if (c == '\\') put(w, "\\\\", 2);
        else if (c == '\n') put(w, "\\n", 2);
        else if (c == '\r') put(w, "\\r", 2);
        else if (c == '\t') put(w, "\\t", 2);
        else if (c < 0x20) {
            char e[6];
            e[0] = '\\'; e[1] = 'u'; e[2] = '0'; e[3] = '0'; e[4] = hex[c >> 4]; e[5] = hex[c & 15];
            put(w, e, 6);
        } else put(w, (const char *)&c, 1); /* UTF-8 bytes go raw */
    }
    put(w, "\"", 1);
}

void jw_key(ttp_jw_t *w, const char *key)
{
    sep(w);
    raw_str(w, key);
    put(w, ":", 1);
    w->after_key = 1;
}

void jw_str(ttp_jw_t *w, const char *s) { sep(w); raw_str(w, s); }

void jw_int(ttp_jw_t *w, long v)
{
    char tmp[24];
    size_t n = 0;
    unsigned long u = v < 0 ? (unsigned long)(-(v + 1)) + 1u : (unsigned long)v;
    sep(w);
    do { tmp[n++] = (char)('0' + (u % 10u)); u /= 10u; } while (u);
    if (v < 0) tmp[n++] = '-';
    while (n) put(w, &tmp[--n], 1);
}

void jw_bool(ttp_jw_t *w, int v) { sep(w); if (v) put(w, "true", 4); else put(w, "false", 5); }
