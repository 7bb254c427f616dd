/*
 * ttp_json.h - the agent's JSON: a strict in-place tokenizer over the received payload (no
 * copies, no allocation) and a bounded writer that escapes what RFC 8259 requires. Internal.
 */
#ifndef TTP_JSON_H
#define TTP_JSON_H

#include "ttp_agent.h"

enum { TJ_OBJ = 1, TJ_ARR, TJ_STR, TJ_NUM, TJ_LIT };

/* 1 when the bytes are well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
int tj_utf8_valid(const uint8_t *s, size_t len);
/* Tokenize one JSON value (an object at the top); 0 on success, -1 on a syntax error or too many tokens / too deep. */
int tj_parse(const uint8_t *js, size_t len, ttp_tok_t *tok, unsigned maxtok, unsigned *ntok);
/* Index of the value of member `key` in object token `obj`, or -1. */
int tj_find(const uint8_t *js, const ttp_tok_t *tok, int obj, const char *key);
/* Unescaped string (UTF-8) into out; its length, or -1 when not a string or longer than cap-1. */
int tj_str(const uint8_t *js, const ttp_tok_t *t, char *out, size_t cap);
/* 0 and *out when the token is an integer within +-2^31; -1 otherwise. */
int tj_int(const uint8_t *js, const ttp_tok_t *t, long *out);
/* 0 and *out for true/false; -1 otherwise. */
int tj_bool(const uint8_t *js, const ttp_tok_t *t, int *out);

void jw_init(ttp_jw_t *w, uint8_t *buf, size_t cap);
void jw_obj(ttp_jw_t *w);
void jw_end_obj(ttp_jw_t *w);
void jw_arr(ttp_jw_t *w);
void jw_end_arr(ttp_jw_t *w);
void jw_key(ttp_jw_t *w, const char *key);
void jw_str(ttp_jw_t *w, const char *s);
void jw_int(ttp_jw_t *w, long v);
void jw_bool(ttp_jw_t *w, int v);

#endif
