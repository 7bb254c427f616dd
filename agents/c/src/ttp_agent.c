/*
 * ttp_agent.c - the command layer of the TTP agent: message validation (section 5), the commands
 * of section 6, the events of section 7 and the terminal model the agent answers for itself
 * (screen copy, state, power, running ecr), so that hello and screen work whatever the payment
 * application is doing.
 *
 * Compile-time defect for the conformance checker's own tests: WRONG_STATE_NAMES (reports states
 * under names of its own instead of those of section 7.3).
 */
#include "ttp_internal.h"
#include <string.h>

#ifdef WRONG_STATE_NAMES
static const char *const STATE_NAMES[TTP_ST_COUNT] = {
    "OFF", "BOOT", "SELFTEST", "LOGON", "LOGGING-ON", "READY", "MAIN-MENU", "AMOUNT", "CONFIRMATION",
    "WAIT-CARD", "READING", "PIN", "HOST", "PRINT", "DONE", "SETTLEMENT", "REVERSE", "TAMPER", "FAULT",
};
#else
static const char *const STATE_NAMES[TTP_ST_COUNT] = {
    "off", "booting", "self-test", "sign-on-required", "signing-on", "idle", "menu", "input", "confirm",
    "card-wait", "card-read", "pin-entry", "online", "printing", "result", "settling", "reversal",
    "tampered", "error",
};
#endif

static const char *const KEY_NAMES[] = {
    "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "00", ".", "*", "#",
    "ENTER", "CANCEL", "CLEAR", "MENU", "FUNC", "UP", "DOWN", "F1", "F2", "F3", "F4", "FEED",
};
#define NKEYS (sizeof KEY_NAMES / sizeof KEY_NAMES[0])

static const char *const COPY_NAMES[] = { "merchant", "cardholder", "bank", "settlement", "fault" };

const char *ttp_state_name(ttp_state_t s) { return (unsigned)s < TTP_ST_COUNT ? STATE_NAMES[s] : "error"; }

const char *ttp_status_code(ttp_status_t s)
{
    switch (s) {
    case TTP_E_UNKNOWN_COMMAND: return "unknown-command";
    case TTP_E_BAD_REQUEST: return "bad-request";
    case TTP_E_UNSUPPORTED_VERSION: return "unsupported-version";
    case TTP_E_NOT_SUPPORTED: return "not-supported";
    case TTP_E_INVALID_STATE: return "invalid-state";
    case TTP_E_BUSY: return "busy";
    case TTP_E_POWERED_OFF: return "powered-off";
    case TTP_E_TAMPERED: return "tampered";
    case TTP_E_TIMEOUT: return "timeout";
    case TTP_E_CANCELLED: return "cancelled";
    case TTP_E_PAYLOAD_TOO_LARGE: return "payload-too-large";
    case TTP_OK: case TTP_PENDING: case TTP_E_INTERNAL: default: return "internal";
    }
}

void ttp_log(ttp_agent_t *a, const char *message)
{
    if (a->port->log) a->port->log(a->port->ctx, message);
}

void ttp_agent_init(ttp_agent_t *a, const ttp_port_t *port, const ttp_identity_t *id)
{
    memset(a, 0, sizeof *a);
    a->port = port;
    a->id = id;
    a->powered = 1;
    a->state = TTP_ST_BOOTING;
}

void ttp_agent_poll(ttp_agent_t *a);
ttp_state_t ttp_agent_current_state(const ttp_agent_t *a) { return a->state; }
int ttp_agent_ecr_running(const ttp_agent_t *a) { return a->ecr_id != 0; }

/* ------------------------------------------------------------------ writing messages */

static int begin(ttp_agent_t *a, ttp_jw_t *w)
{
    size_t cap;
    uint8_t *p = ttp_tx_reserve(a, &cap);
    if (!p) return -1;
    jw_init(w, p, cap > TTP_MAX_PAYLOAD ? TTP_MAX_PAYLOAD : cap);
    return 0;
}

static int finish(ttp_agent_t *a, ttp_jw_t *w, int reply, int power)
{
    if (w->err) {
        if (!reply) a->stats.events_dropped++;
        ttp_log(a, reply ? "reply does not fit the transmit queue" : "event dropped: transmit queue full");
        return -1;
    }
    return ttp_tx_commit(a, w->len, reply, power);
}

static void reply_head(ttp_jw_t *w, long id, int ok)
{
    jw_obj(w);
    jw_key(w, "id"); jw_int(w, id);
    jw_key(w, "ok"); jw_bool(w, ok);
}

static void reply_ok(ttp_agent_t *a, long id)
{
    ttp_jw_t w;
    if (begin(a, &w)) return;
    reply_head(&w, id, 1);
    jw_end_obj(&w);
    finish(a, &w, 1, 0);
}

/* ok:false with `detail` {dkey: dval} when dkey is given. */
static void reply_error(ttp_agent_t *a, long id, ttp_status_t code, const char *message, const char *dkey, const char *dval)
{
    ttp_jw_t w;
    if (begin(a, &w)) return;
    reply_head(&w, id, 0);
    jw_key(&w, "error"); jw_obj(&w);
    jw_key(&w, "code"); jw_str(&w, ttp_status_code(code));
    jw_key(&w, "message"); jw_str(&w, message);
    if (dkey) {
        jw_key(&w, "detail"); jw_obj(&w);
        jw_key(&w, dkey);
        if (strcmp(dkey, "supported") == 0) { jw_arr(&w); jw_str(&w, dval); jw_end_arr(&w); }
        else jw_str(&w, dval);
        jw_end_obj(&w);
    }
    jw_end_obj(&w);
    jw_end_obj(&w);
    finish(a, &w, 1, 0);
}

static void bad_request(ttp_agent_t *a, long id, const char *field, const char *message)
{
    reply_error(a, id, TTP_E_BAD_REQUEST, message, "field", field);
}

/* The status a callback returned, as the reply. */
static void reply_status(ttp_agent_t *a, long id, ttp_status_t st, const char *what)
{
    if (st == TTP_OK) { reply_ok(a, id); return; }
    reply_error(a, id, st, what, st == TTP_E_INVALID_STATE ? "state" : NULL, ttp_state_name(a->state));
}

static int event_head(ttp_agent_t *a, ttp_jw_t *w, const char *evt)
{
    if (begin(a, w)) { a->stats.events_dropped++; return -1; }
    jw_obj(w);
    jw_key(w, "evt"); jw_str(w, evt);
    return 0;
}

static int event_finish(ttp_agent_t *a, ttp_jw_t *w)
{
    /* seq starts at 1 after power-on and counts events sent (section 5.3); consecutive frames differ by it (section 3.1). */
    jw_key(w, "seq"); jw_int(w, a->seq + 1);
    jw_end_obj(w);
    if (finish(a, w, 0, 0)) return -1;
    a->seq++;
    return 0;
}

/* ------------------------------------------------------------------ events */

int ttp_agent_state(ttp_agent_t *a, ttp_state_t state)
{
    ttp_jw_t w;
    ttp_state_t from = a->state;
    if ((unsigned)state >= TTP_ST_COUNT) return -1;
    a->state = state;
    if (from == state) return 0;
    if (event_head(a, &w, "state")) return -1;
    jw_key(&w, "state"); jw_str(&w, ttp_state_name(state));
    jw_key(&w, "from"); jw_str(&w, ttp_state_name(from));
    return event_finish(a, &w);
}

static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = src ? strlen(src) : 0;
    if (n >= cap) {
        n = cap - 1;
        while (n > 0 && ((uint8_t)src[n] & 0xC0u) == 0x80u) n--; /* never cut a UTF-8 character */
    }
    if (n) memcpy(dst, src, n);
    dst[n] = '\0';
}

int ttp_agent_display(ttp_agent_t *a, const char *const *lines, unsigned n, const char *screen_id)
{
    ttp_jw_t w;
    unsigned i;
    int same;
    if (n > TTP_SCREEN_LINES) n = TTP_SCREEN_LINES; /* lines beyond the copy are not reported */
    same = n == a->nlines && strcmp(screen_id ? screen_id : "", a->screen_id) == 0;
    for (i = 0; same && i < n; i++) {
        char tmp[TTP_LINE_BYTES];
        copy_str(tmp, sizeof tmp, lines[i]);
        same = strcmp(tmp, a->lines[i]) == 0;
    }
    for (i = 0; i < n; i++) copy_str(a->lines[i], TTP_LINE_BYTES, lines[i]);
    a->nlines = n;
    copy_str(a->screen_id, sizeof a->screen_id, screen_id);
    if (same || !a->powered) return 0; /* one display per distinct screen; none while off (section 6.3) */
    if (event_head(a, &w, "display")) return -1;
    jw_key(&w, "lines"); jw_arr(&w);
    for (i = 0; i < n; i++) jw_str(&w, a->lines[i]);
    jw_end_arr(&w);
    if (a->screen_id[0]) { jw_key(&w, "screen"); jw_str(&w, a->screen_id); }
    return event_finish(a, &w);
}

int ttp_agent_print(ttp_agent_t *a, ttp_print_copy_t copy, const char *const *lines, unsigned n, int reprint, const char *trace)
{
    ttp_jw_t w;
    unsigned i;
    if (!a->powered || !(a->id->capabilities & TTP_CAP_PRINTER) || (unsigned)copy > TTP_COPY_FAULT) return -1;
    if (event_head(a, &w, "print")) return -1;
    jw_key(&w, "copy"); jw_str(&w, COPY_NAMES[copy]);
    jw_key(&w, "lines"); jw_arr(&w);
    for (i = 0; i < n; i++) jw_str(&w, lines[i]);
    jw_end_arr(&w);
    jw_key(&w, "reprint"); jw_bool(&w, reprint);
    if (trace && trace[0]) { jw_key(&w, "trace"); jw_str(&w, trace); }
    return event_finish(a, &w);
}

int ttp_agent_beep(ttp_agent_t *a, const char *kind, int duration_ms)
{
    ttp_jw_t w;
    if (!a->powered) return -1;
    if (event_head(a, &w, "beep")) return -1;
    if (kind) { jw_key(&w, "kind"); jw_str(&w, kind); }
    if (duration_ms > 0) { jw_key(&w, "durationMs"); jw_int(&w, duration_ms); }
    return event_finish(a, &w);
}

/* ------------------------------------------------------------------ message validation */

int ttp_agent_check_message(ttp_agent_t *a, const uint8_t *payload, size_t len, int *hello, int *has_session, long *session)
{
    int t;
    long v;
    *hello = 0;
    *has_session = 0;
    if (!tj_utf8_valid(payload, len)) return -1;
    if (tj_parse(payload, len, a->tok, TTP_MAX_TOKENS, &a->ntok) != 0) return -1;
    a->json = payload;
    t = tj_find(payload, a->tok, 0, "cmd");
    if (t >= 0 && a->tok[t].type == TJ_STR) {
        int id = tj_find(payload, a->tok, 0, "id");
        if (id < 0 || a->tok[id].type != TJ_NUM) return -1;
        if ((size_t)(a->tok[t].end - a->tok[t].start) == 5 && memcmp(payload + a->tok[t].start, "hello", 5) == 0) {
            int s = tj_find(payload, a->tok, 0, "session");
            *hello = 1;
            if (s >= 0 && tj_int(payload, &a->tok[s], &v) == 0) { *has_session = 1; *session = v; }
        }
        return 0;
    }
    t = tj_find(payload, a->tok, 0, "ok");
    if (t >= 0 && a->tok[t].type == TJ_LIT && payload[a->tok[t].start] != 'n') {
        int id = tj_find(payload, a->tok, 0, "id");
        return id >= 0 && a->tok[id].type == TJ_NUM ? 0 : -1;
    }
    t = tj_find(payload, a->tok, 0, "evt");
    return t >= 0 && a->tok[t].type == TJ_STR ? 0 : -1;
}

/* ------------------------------------------------------------------ parameter helpers */

static const ttp_tok_t *member(ttp_agent_t *a, int obj, const char *key)
{
    int i = tj_find(a->json, a->tok, obj, key);
    return i < 0 ? NULL : &a->tok[i];
}

/* 1 = copied, 0 = absent, -1 = present but not a string that fits (bad-request). */
static int opt_str(ttp_agent_t *a, int obj, const char *key, char *out, size_t cap)
{
    const ttp_tok_t *t = member(a, obj, key);
    out[0] = '\0';
    if (!t) return 0;
    return tj_str(a->json, t, out, cap) < 0 ? -1 : 1;
}

static int all_digits(const char *s, size_t min, size_t max)
{
    size_t n = strlen(s), i;
    if (n < min || n > max) return 0;
    for (i = 0; i < n; i++) if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

static int all_hex(const char *s, size_t n)
{
    size_t i;
    if (strlen(s) != n) return 0;
    for (i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return 0;
    }
    return 1;
}

static int key_code(const char *name)
{
    unsigned i;
    for (i = 0; i < NKEYS; i++) if (strcmp(KEY_NAMES[i], name) == 0) return (int)i;
    return -1;
}

/* ------------------------------------------------------------------ commands */

static void cmd_hello(ttp_agent_t *a, long id)
{
    char ver[16];
    ttp_jw_t w;
    const ttp_tok_t *s = member(a, 0, "session");
    long session;
    if (opt_str(a, 0, "ttp", ver, sizeof ver) != 1) { bad_request(a, id, "ttp", "hello needs ttp, the protocol version the harness speaks, e.g. \"1.0\""); return; }
    if (s && tj_int(a->json, s, &session) != 0) { bad_request(a, id, "session", "session must be an integer"); return; }
    if (!(ver[0] == '1' && (ver[1] == '\0' || ver[1] == '.'))) {
        reply_error(a, id, TTP_E_UNSUPPORTED_VERSION, "this terminal speaks TTP 1.x", "supported", TTP_VERSION);
        return;
    }
    if (begin(a, &w)) return;
    reply_head(&w, id, 1);
    jw_key(&w, "result"); jw_obj(&w);
    jw_key(&w, "ttp"); jw_str(&w, TTP_VERSION);
    jw_key(&w, "vendor"); jw_str(&w, a->id->vendor);
    jw_key(&w, "model"); jw_str(&w, a->id->model);
    jw_key(&w, "serialNumber"); jw_str(&w, a->id->serial_number);
    jw_key(&w, "firmwareVersion"); jw_str(&w, a->id->firmware_version);
    jw_key(&w, "capabilities"); jw_obj(&w);
    jw_key(&w, "magstripe"); jw_bool(&w, (a->id->capabilities & TTP_CAP_MAGSTRIPE) != 0);
    jw_key(&w, "contact"); jw_bool(&w, (a->id->capabilities & TTP_CAP_CONTACT) != 0);
    jw_key(&w, "contactless"); jw_bool(&w, (a->id->capabilities & TTP_CAP_CONTACTLESS) != 0);
    jw_key(&w, "printer"); jw_bool(&w, (a->id->capabilities & TTP_CAP_PRINTER) != 0);
    jw_key(&w, "pinpad"); jw_bool(&w, (a->id->capabilities & TTP_CAP_PINPAD) != 0);
    jw_key(&w, "sm4"); jw_bool(&w, (a->id->capabilities & TTP_CAP_SM4) != 0);
    jw_end_obj(&w);
    jw_key(&w, "maxPayload"); jw_int(&w, TTP_MAX_PAYLOAD);
    if (a->id->languages) {
        const char *p = a->id->languages;
        jw_key(&w, "languages"); jw_arr(&w);
        while (*p) {
            char lang[8];
            size_t n = 0;
            while (p[n] && p[n] != ',' && n < sizeof lang - 1) { lang[n] = p[n]; n++; }
            lang[n] = '\0';
            jw_str(&w, lang);
            p += n;
            if (*p == ',') p++;
        }
        jw_end_arr(&w);
    }
    jw_end_obj(&w);
    jw_end_obj(&w);
    finish(a, &w, 1, 0);
}

static void cmd_screen(ttp_agent_t *a, long id)
{
    ttp_jw_t w;
    unsigned i;
    if (begin(a, &w)) return;
    reply_head(&w, id, 1);
    jw_key(&w, "result"); jw_obj(&w);
    jw_key(&w, "lines"); jw_arr(&w);
    if (a->powered) for (i = 0; i < a->nlines; i++) jw_str(&w, a->lines[i]);
    jw_end_arr(&w);
    jw_key(&w, "state"); jw_str(&w, ttp_state_name(a->powered ? a->state : TTP_ST_OFF));
    if (a->powered && a->screen_id[0]) { jw_key(&w, "screen"); jw_str(&w, a->screen_id); }
    jw_end_obj(&w);
    jw_end_obj(&w);
    finish(a, &w, 1, 0);
}

static void cmd_power(ttp_agent_t *a, long id)
{
    char action[8];
    ttp_jw_t w;
    int p;
    if (opt_str(a, 0, "action", action, sizeof action) != 1) { bad_request(a, id, "action", "power needs action: cycle, cut or on"); return; }
    if (strcmp(action, "cut") == 0) p = 1;
    else if (strcmp(action, "cycle") == 0) p = 2;
    else if (strcmp(action, "on") == 0) p = 3;
    else { bad_request(a, id, "action", "power action must be cycle, cut or on"); return; }
    if (a->power_pending) { reply_error(a, id, TTP_E_BUSY, "a power command is still being carried out", NULL, NULL); return; }
    if ((p == 1 && !a->powered) || (p == 3 && a->powered)) {
        reply_error(a, id, TTP_E_INVALID_STATE, p == 1 ? "the terminal is already off" : "the terminal is already on", "state", a->powered ? ttp_state_name(a->state) : "off");
        return;
    }
    if (begin(a, &w)) return;
    reply_head(&w, id, 1);
    jw_key(&w, "result"); jw_obj(&w);
    jw_key(&w, "state"); jw_str(&w, p == 1 ? ttp_state_name(TTP_ST_OFF) : ttp_state_name(TTP_ST_BOOTING));
    jw_end_obj(&w);
    jw_end_obj(&w);
    /* The reply goes first; the agent acts once it is acknowledged (section 6.3). */
    if (finish(a, &w, 1, 1) == 0) a->power_pending = p;
}

void ttp_agent_power_reply_gone(ttp_agent_t *a)
{
    int p = a->power_pending;
    a->power_pending = 0;
    if (p == 1 || p == 2) {
        if (a->ecr_id) ttp_agent_ecr_failed(a, TTP_E_CANCELLED, "power was cut during the transaction");
        if (a->reset_id) { reply_error(a, a->reset_id, TTP_E_CANCELLED, "power was cut before the terminal was back at idle", NULL, NULL); a->reset_id = 0; }
        if (a->key_id) { reply_error(a, a->key_id, TTP_E_CANCELLED, "power was cut while keys were being pressed", NULL, NULL); a->key_id = 0; }
        ttp_agent_state(a, TTP_ST_OFF);
        a->powered = 0;
        a->nlines = 0;
        a->screen_id[0] = '\0';
        if (a->port->power) a->port->power(a->port->ctx, TTP_POWER_CUT);
    }
    if (p == 2 || p == 3) {
        a->powered = 1;
        a->seq = 0; /* events count from 1 again after power-on (section 6.3) */
        if (a->port->power) a->port->power(a->port->ctx, TTP_POWER_ON);
    }
}

static void key_press(ttp_agent_t *a)
{
    ttp_status_t st = a->port->key ? a->port->key(a->port->ctx, KEY_NAMES[a->key_codes[a->key_next]]) : TTP_E_NOT_SUPPORTED;
    long id = a->key_id;
    if (st != TTP_OK) {
        a->key_id = 0;
        if (st == TTP_E_NOT_SUPPORTED) reply_error(a, id, st, "this terminal has no such key", "key", KEY_NAMES[a->key_codes[a->key_next]]);
        else reply_status(a, id, st, "the key was refused");
        return;
    }
    if (++a->key_next >= a->key_count) {
        a->key_id = 0;
        reply_ok(a, id); /* after the display events the keys caused (section 5.3) */
    } else {
        a->key_due = a->port->millis(a->port->ctx) + a->key_interval;
    }
}

static void cmd_key(ttp_agent_t *a, long id)
{
    const ttp_tok_t *keys = member(a, 0, "keys");
    const ttp_tok_t *interval = member(a, 0, "intervalMs");
    const ttp_tok_t *text = member(a, 0, "text");
    long ms = 0;
    unsigned n = 0, i;
    char name[8];
    if (!text) text = member(a, 0, "x-text");
    if (a->key_id) { reply_error(a, id, TTP_E_BUSY, "keys of an earlier key command are still being pressed", NULL, NULL); return; }
    if (!keys && !text) { bad_request(a, id, "keys", "key needs keys, an array of key names"); return; }
    if (keys) {
        if (keys->type != TJ_ARR) { bad_request(a, id, "keys", "keys must be an array of key names"); return; }
        for (i = (unsigned)(keys - a->tok) + 1; i < keys->next; i = a->tok[i].next) {
            int code;
            if (n >= TTP_MAX_KEYS) { bad_request(a, id, "keys", "too many keys in one command"); return; }
            if (tj_str(a->json, &a->tok[i], name, sizeof name) < 0 || (code = key_code(name)) < 0) {
                bad_request(a, id, "keys", "unknown key name (section 6.4 lists them)");
                return;
            }
            a->key_codes[n++] = (uint8_t)code;
        }
    }
    if (!text && n == 0) { bad_request(a, id, "keys", "keys is empty"); return; }
    if (interval && (tj_int(a->json, interval, &ms) != 0 || ms < 0 || ms > 10000)) { bad_request(a, id, "intervalMs", "intervalMs must be an integer 0..10000"); return; }
    if (text) {
        char buf[256];
        ttp_status_t st;
        if (tj_str(a->json, text, buf, sizeof buf) < 0) { bad_request(a, id, "text", "text must be a string of at most 255 bytes"); return; }
        if (!a->port->text) { reply_error(a, id, TTP_E_NOT_SUPPORTED, "this terminal takes no free text over TTP", "field", "text"); return; }
        st = a->port->text(a->port->ctx, buf);
        if (st != TTP_OK) { reply_status(a, id, st, "the text was refused"); return; }
        if (n == 0) { reply_ok(a, id); return; }
    }
    a->key_id = id;
    a->key_count = n;
    a->key_next = 0;
    a->key_interval = (uint32_t)ms;
    if (ms == 0) {
        while (a->key_id) key_press(a);
    } else {
        key_press(a);
    }
}

static int parse_card(ttp_agent_t *a, int obj, ttp_card_t *c, const char **field)
{
    int e;
    memset(c, 0, sizeof *c);
    if (opt_str(a, obj, "pan", c->pan, sizeof c->pan) != 1 || !all_digits(c->pan, 13, 19)) { *field = "card.pan"; return -1; }
    if (opt_str(a, obj, "expiry", c->expiry, sizeof c->expiry) != 1 || !all_digits(c->expiry, 4, 4)) { *field = "card.expiry"; return -1; }
    if (opt_str(a, obj, "serviceCode", c->service_code, sizeof c->service_code) != 1 || !all_digits(c->service_code, 3, 3)) { *field = "card.serviceCode"; return -1; }
    if (opt_str(a, obj, "name", c->name, sizeof c->name) < 0) { *field = "card.name"; return -1; }
    if (opt_str(a, obj, "track2", c->track2, sizeof c->track2) < 0) { *field = "card.track2"; return -1; }
    if (opt_str(a, obj, "psn", c->psn, sizeof c->psn) < 0) { *field = "card.psn"; return -1; }
    if (opt_str(a, obj, "cardholderName", c->cardholder_name, sizeof c->cardholder_name) < 0) { *field = "card.cardholderName"; return -1; }
    e = tj_find(a->json, a->tok, obj, "emv");
    if (e >= 0) {
        long atc;
        const ttp_tok_t *t;
        if (a->tok[e].type != TJ_OBJ) { *field = "card.emv"; return -1; }
        c->has_emv = 1;
        if (opt_str(a, e, "aid", c->aid, sizeof c->aid) != 1) { *field = "card.emv.aid"; return -1; }
        if (opt_str(a, e, "applicationLabel", c->application_label, sizeof c->application_label) < 0) { *field = "card.emv.applicationLabel"; return -1; }
        if (opt_str(a, e, "imk", c->imk, sizeof c->imk) < 0) { *field = "card.emv.imk"; return -1; }
        if (opt_str(a, e, "iccMasterKey", c->icc_master_key, sizeof c->icc_master_key) < 0) { *field = "card.emv.iccMasterKey"; return -1; }
        if (opt_str(a, e, "algorithm", c->algorithm, sizeof c->algorithm) < 0) { *field = "card.emv.algorithm"; return -1; }
        t = member(a, e, "atc");
        if (!t || tj_int(a->json, t, &atc) != 0 || atc < 0 || atc > 65535) { *field = "card.emv.atc"; return -1; }
        c->atc = atc;
    }
    return 0;
}

static void cmd_card(ttp_agent_t *a, long id)
{
    char action[8], method[8];
    ttp_card_method_t m;
    ttp_card_t card;
    const char *field = NULL;
    unsigned cap;
    int obj;
    ttp_status_t st;
    if (opt_str(a, 0, "action", action, sizeof action) != 1) { bad_request(a, id, "action", "card needs action: present or remove"); return; }
    if (a->key_id) { reply_error(a, id, TTP_E_BUSY, "keys of an earlier key command are still being pressed", NULL, NULL); return; }
    if (strcmp(action, "remove") == 0) {
        if (!a->card_inserted) { reply_error(a, id, TTP_E_INVALID_STATE, "no card is in the reader", "state", ttp_state_name(a->state)); return; }
        st = a->port->card ? a->port->card(a->port->ctx, TTP_CARD_REMOVE, TTP_METHOD_NONE, NULL) : TTP_E_NOT_SUPPORTED;
        if (st == TTP_OK) a->card_inserted = 0;
        reply_status(a, id, st, "the card could not be removed");
        return;
    }
    if (strcmp(action, "present") != 0) { bad_request(a, id, "action", "card action must be present or remove"); return; }
    if (opt_str(a, 0, "method", method, sizeof method) != 1) { bad_request(a, id, "method", "card present needs method: swipe, insert or tap"); return; }
    if (strcmp(method, "swipe") == 0) { m = TTP_METHOD_SWIPE; cap = TTP_CAP_MAGSTRIPE; }
    else if (strcmp(method, "insert") == 0) { m = TTP_METHOD_INSERT; cap = TTP_CAP_CONTACT; }
    else if (strcmp(method, "tap") == 0) { m = TTP_METHOD_TAP; cap = TTP_CAP_CONTACTLESS; }
    else { bad_request(a, id, "method", "card method must be swipe, insert or tap"); return; }
    obj = tj_find(a->json, a->tok, 0, "card");
    if (obj < 0 || a->tok[obj].type != TJ_OBJ) { bad_request(a, id, "card", "card present needs the card image (section 6.5.1)"); return; }
    if (parse_card(a, obj, &card, &field) != 0) { bad_request(a, id, field, "card image member missing or malformed (section 6.5.1)"); return; }
    if (!(a->id->capabilities & cap)) { reply_error(a, id, TTP_E_NOT_SUPPORTED, "this terminal has no such card reader", "method", method); return; }
    if (m == TTP_METHOD_INSERT && a->card_inserted) { reply_error(a, id, TTP_E_INVALID_STATE, "a card is already inserted", "state", ttp_state_name(a->state)); return; }
    st = a->port->card ? a->port->card(a->port->ctx, TTP_CARD_PRESENT, m, &card) : TTP_E_NOT_SUPPORTED;
    if (st == TTP_OK && m == TTP_METHOD_INSERT) a->card_inserted = 1;
    memset(&card, 0, sizeof card); /* test keys and PAN do not linger on the stack */
    reply_status(a, id, st, "the card was refused");
}

static void write_config(ttp_jw_t *w, const ttp_config_t *c)
{
    jw_obj(w);
    if (c->present & TTP_CFG_HOST) { jw_key(w, "host"); jw_str(w, c->host); }
    if (c->present & TTP_CFG_TPDU) { jw_key(w, "tpdu"); jw_str(w, c->tpdu); }
    if (c->present & TTP_CFG_MERCHANT_ID) { jw_key(w, "merchantId"); jw_str(w, c->merchant_id); }
    if (c->present & TTP_CFG_TERMINAL_ID) { jw_key(w, "terminalId"); jw_str(w, c->terminal_id); }
    if (c->present & TTP_CFG_MERCHANT_NAME) { jw_key(w, "merchantName"); jw_str(w, c->merchant_name); }
    if (c->present & TTP_CFG_LANGUAGE) { jw_key(w, "language"); jw_str(w, c->language); }
    if (c->present & TTP_CFG_COPIES) { jw_key(w, "voucherCopies"); jw_int(w, c->voucher_copies); }
    if (c->present & TTP_CFG_TIMEOUTS) {
        jw_key(w, "timeouts"); jw_obj(w);
        if (c->host_response_ms >= 0) { jw_key(w, "hostResponseMs"); jw_int(w, c->host_response_ms); }
        if (c->host_connect_ms >= 0) { jw_key(w, "hostConnectMs"); jw_int(w, c->host_connect_ms); }
        if (c->card_ms >= 0) { jw_key(w, "cardMs"); jw_int(w, c->card_ms); }
        if (c->pin_ms >= 0) { jw_key(w, "pinMs"); jw_int(w, c->pin_ms); }
        if (c->idle_ms >= 0) { jw_key(w, "idleMs"); jw_int(w, c->idle_ms); }
        jw_end_obj(w);
    }
    jw_end_obj(w);
}

/* Parse `set`; 0, or -1 with *field naming the offending member (*unsupported when it is a vendor member). */
static int parse_config(ttp_agent_t *a, int set, ttp_config_t *c, const char **field, int *unsupported)
{
    static char vendor_field[40];
    unsigned i;
    int r;
    long v;
    memset(c, 0, sizeof *c);
    c->host_response_ms = c->host_connect_ms = c->card_ms = c->pin_ms = c->idle_ms = -1;
    *unsupported = 0;
    for (i = (unsigned)set + 1; i < a->tok[set].next; i = a->tok[i + 1].next) {
        char key[40];
        if (tj_str(a->json, &a->tok[i], key, sizeof key) < 0) continue;
        if (key[0] == 'x' && key[1] == '-') { copy_str(vendor_field, sizeof vendor_field, key); *field = vendor_field; *unsupported = 1; return -1; }
    }
#define STR_MEMBER(name, buf, bit, ok) \
    r = opt_str(a, set, name, buf, sizeof buf); \
    if (r < 0 || (r == 1 && !(ok))) { *field = name; return -1; } \
    if (r == 1) c->present |= bit;
    STR_MEMBER("host", c->host, TTP_CFG_HOST, strchr(c->host, ':') != NULL)
    STR_MEMBER("tpdu", c->tpdu, TTP_CFG_TPDU, all_hex(c->tpdu, 10))
    STR_MEMBER("merchantId", c->merchant_id, TTP_CFG_MERCHANT_ID, strlen(c->merchant_id) == 15)
    STR_MEMBER("terminalId", c->terminal_id, TTP_CFG_TERMINAL_ID, strlen(c->terminal_id) == 8)
    STR_MEMBER("merchantName", c->merchant_name, TTP_CFG_MERCHANT_NAME, 1)
    STR_MEMBER("language", c->language, TTP_CFG_LANGUAGE, strcmp(c->language, "zh") == 0 || strcmp(c->language, "en") == 0)
#undef STR_MEMBER
    {
        const ttp_tok_t *t = member(a, set, "voucherCopies");
        if (t) {
            if (tj_int(a->json, t, &v) != 0 || v < 1 || v > 3) { *field = "voucherCopies"; return -1; }
            c->voucher_copies = (int)v;
            c->present |= TTP_CFG_COPIES;
        }
    }
    {
        int to = tj_find(a->json, a->tok, set, "timeouts");
        if (to >= 0) {
            static const char *const names[5] = { "hostResponseMs", "hostConnectMs", "cardMs", "pinMs", "idleMs" };
            long *dst[5];
            unsigned k;
            dst[0] = &c->host_response_ms; dst[1] = &c->host_connect_ms; dst[2] = &c->card_ms; dst[3] = &c->pin_ms; dst[4] = &c->idle_ms;
            if (a->tok[to].type != TJ_OBJ) { *field = "timeouts"; return -1; }
            for (k = 0; k < 5; k++) {
                const ttp_tok_t *t = member(a, to, names[k]);
                if (!t) continue;
                if (tj_int(a->json, t, &v) != 0 || v <= 0) { *field = "timeouts"; return -1; }
                *dst[k] = v;
            }
            c->present |= TTP_CFG_TIMEOUTS;
        }
    }
    return 0;
}

static void cmd_config(ttp_agent_t *a, long id)
{
    ttp_config_t c;
    ttp_jw_t w;
    int set = tj_find(a->json, a->tok, 0, "set");
    ttp_status_t st;
    if (set >= 0) {
        const char *field = NULL;
        int unsupported;
        if (a->tok[set].type != TJ_OBJ) { bad_request(a, id, "set", "set must be an object"); return; }
        if (parse_config(a, set, &c, &field, &unsupported) != 0) {
            if (unsupported) reply_error(a, id, TTP_E_NOT_SUPPORTED, "this terminal cannot set that member; nothing was changed", "field", field);
            else bad_request(a, id, field, "configuration member malformed (section 6.7); nothing was changed");
            return;
        }
        if (c.present) {
            if (!a->port->config_set) { reply_error(a, id, TTP_E_NOT_SUPPORTED, "this terminal's configuration is read-only over TTP", "field", "set"); return; }
            field = NULL;
            st = a->port->config_set(a->port->ctx, &c, &field);
            if (st != TTP_OK) {
                if (st == TTP_E_NOT_SUPPORTED || st == TTP_E_BAD_REQUEST) reply_error(a, id, st, "configuration member refused; nothing was changed", "field", field ? field : "set");
                else reply_status(a, id, st, "the configuration cannot be changed now");
                return;
            }
        }
    }
    memset(&c, 0, sizeof c);
    c.host_response_ms = c.host_connect_ms = c.card_ms = c.pin_ms = c.idle_ms = -1;
    st = a->port->config_get ? a->port->config_get(a->port->ctx, &c) : TTP_OK;
    if (st != TTP_OK) { reply_status(a, id, st, "the configuration cannot be read"); return; }
    if (begin(a, &w)) return;
    reply_head(&w, id, 1);
    jw_key(&w, "result");
    write_config(&w, &c);
    jw_end_obj(&w);
    finish(a, &w, 1, 0);
}

static int valid_time(const char *s)
{
    static const char pattern[] = "dddd-dd-ddTdd:dd:dd";
    size_t i;
    int mo, d, h, mi, se;
    if (strlen(s) != sizeof pattern - 1) return 0;
    for (i = 0; i < sizeof pattern - 1; i++) {
        if (pattern[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != pattern[i]) return 0;
    }
    mo = (s[5] - '0') * 10 + (s[6] - '0');
    d = (s[8] - '0') * 10 + (s[9] - '0');
    h = (s[11] - '0') * 10 + (s[12] - '0');
    mi = (s[14] - '0') * 10 + (s[15] - '0');
    se = (s[17] - '0') * 10 + (s[18] - '0');
    return mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h <= 23 && mi <= 59 && se <= 59;
}

static void cmd_clock(ttp_agent_t *a, long id)
{
    char set[24], out[20];
    ttp_jw_t w;
    ttp_status_t st;
    int r = opt_str(a, 0, "set", set, sizeof set);
    if (r < 0 || (r == 1 && !valid_time(set))) { bad_request(a, id, "set", "set must be local time YYYY-MM-DDTHH:mm:ss"); return; }
    if (!a->port->clock_get) { reply_error(a, id, TTP_E_NOT_SUPPORTED, "this terminal has no clock over TTP", NULL, NULL); return; }
    if (r == 1) {
        st = a->port->clock_set ? a->port->clock_set(a->port->ctx, set) : TTP_E_NOT_SUPPORTED;
        if (st != TTP_OK) { reply_status(a, id, st, "the clock cannot be set now"); return; }
    }
    st = a->port->clock_get(a->port->ctx, out);
    if (st != TTP_OK) { reply_status(a, id, st, "the clock cannot be read"); return; }
    out[19] = '\0';
    if (begin(a, &w)) return;
    reply_head(&w, id, 1);
    jw_key(&w, "result"); jw_obj(&w);
    jw_key(&w, "now"); jw_str(&w, out);
    jw_end_obj(&w);
    jw_end_obj(&w);
    finish(a, &w, 1, 0);
}

static void cmd_reset(ttp_agent_t *a, long id)
{
    const ttp_tok_t *f = member(a, 0, "factory");
    int factory = 0;
    ttp_status_t st;
    if (f && tj_bool(a->json, f, &factory) != 0) { bad_request(a, id, "factory", "factory must be true or false"); return; }
    if (a->reset_id) { reply_error(a, id, TTP_E_BUSY, "a reset is already running", NULL, NULL); return; }
    if (a->key_id) { a->key_id = 0; } /* the keys still to press are abandoned with the flow */
    st = a->port->reset ? a->port->reset(a->port->ctx, factory) : TTP_E_NOT_SUPPORTED;
    if (st == TTP_PENDING) { a->reset_id = id; return; }
    reply_status(a, id, st, factory ? "factory reset is not possible on this terminal" : "reset failed");
}

void ttp_agent_reset_done(ttp_agent_t *a)
{
    long id = a->reset_id;
    if (!id) return;
    a->reset_id = 0;
    reply_ok(a, id);
}

static void cmd_ecr(ttp_agent_t *a, long id)
{
    static const char *const kinds[] = { "sale", "bill-payment", "void", "refund", "balance", "settle", "reprint" };
    ttp_ecr_request_t r;
    unsigned k;
    int payee;
    ttp_status_t st;
    memset(&r, 0, sizeof r);
    if (opt_str(a, 0, "request", r.request, sizeof r.request) != 1) { bad_request(a, id, "request", "ecr needs request (section 6.9)"); return; }
    for (k = 0; k < sizeof kinds / sizeof kinds[0]; k++) if (strcmp(kinds[k], r.request) == 0) break;
    if (k == sizeof kinds / sizeof kinds[0]) { bad_request(a, id, "request", "unknown ecr request (section 6.9 lists them)"); return; }
    if (opt_str(a, 0, "amount", r.amount, sizeof r.amount) < 0 || (r.amount[0] && !all_digits(r.amount, 1, 12))
        || ((k == 0 || k == 1 || k == 3) && !r.amount[0])) { bad_request(a, id, "amount", "amount: 1 to 12 digits of fen"); return; }
    payee = tj_find(a->json, a->tok, 0, "payee");
    if (k == 1) {
        if (payee < 0 || a->tok[payee].type != TJ_OBJ) { bad_request(a, id, "payee", "bill-payment needs payee {name, account}"); return; }
        if (opt_str(a, payee, "name", r.payee_name, sizeof r.payee_name) != 1 || !r.payee_name[0]) { bad_request(a, id, "payee.name", "payee name missing or too long"); return; }
        if (opt_str(a, payee, "account", r.payee_account, sizeof r.payee_account) != 1 || !all_digits(r.payee_account, 1, 32)) { bad_request(a, id, "payee.account", "payee account: digits"); return; }
        if (opt_str(a, payee, "reference", r.payee_reference, sizeof r.payee_reference) < 0) { bad_request(a, id, "payee.reference", "payee reference too long"); return; }
    }
    if (opt_str(a, 0, "originalTrace", r.original_trace, sizeof r.original_trace) < 0 || (r.original_trace[0] && !all_digits(r.original_trace, 6, 6))
        || (k == 2 && !r.original_trace[0])) { bad_request(a, id, "originalTrace", "originalTrace: 6 digits"); return; }
    if (opt_str(a, 0, "originalRrn", r.original_rrn, sizeof r.original_rrn) < 0 || (k == 3 && strlen(r.original_rrn) != 12)) { bad_request(a, id, "originalRrn", "originalRrn: 12 characters"); return; }
    if (opt_str(a, 0, "originalDate", r.original_date, sizeof r.original_date) < 0 || (r.original_date[0] && !all_digits(r.original_date, 4, 4))
        || (k == 3 && !r.original_date[0])) { bad_request(a, id, "originalDate", "originalDate: MMDD"); return; }
    if (opt_str(a, 0, "ecrReference", r.ecr_reference, sizeof r.ecr_reference) < 0) { bad_request(a, id, "ecrReference", "ecrReference: at most 32 characters"); return; }
    if (a->ecr_id) { reply_error(a, id, TTP_E_BUSY, "a cash-register transaction is already running", NULL, NULL); return; }
    st = a->port->ecr ? a->port->ecr(a->port->ctx, &r) : TTP_E_NOT_SUPPORTED;
    if (st == TTP_PENDING) { a->ecr_id = id; return; }
    reply_status(a, id, st, "the cash-register request was refused");
}

void ttp_agent_ecr_done(ttp_agent_t *a, const ttp_ecr_request_t *req, const ttp_ecr_result_t *res)
{
    ttp_jw_t w;
    long id = a->ecr_id;
    if (!id) return;
    a->ecr_id = 0;
    if (begin(a, &w)) return;
    reply_head(&w, id, 1);
    jw_key(&w, "result"); jw_obj(&w);
    jw_key(&w, "request"); jw_str(&w, req->request);
    jw_key(&w, "approved"); jw_bool(&w, res->approved);
#define OPT(name, v) if ((v)[0]) { jw_key(&w, name); jw_str(&w, v); }
    OPT("responseCode", res->response_code)
    OPT("message", res->message)
    OPT("amount", res->amount)
    OPT("trace", res->trace)
    OPT("batch", res->batch)
    OPT("rrn", res->rrn)
    OPT("authCode", res->auth_code)
    OPT("maskedPan", res->masked_pan)
    OPT("ecrReference", req->ecr_reference)
#undef OPT
    jw_end_obj(&w);
    jw_end_obj(&w);
    finish(a, &w, 1, 0);
}

void ttp_agent_ecr_failed(ttp_agent_t *a, ttp_status_t code, const char *message)
{
    long id = a->ecr_id;
    if (!id) return;
    a->ecr_id = 0;
    reply_error(a, id, code, message, NULL, NULL);
}

/* ------------------------------------------------------------------ dispatch */

void ttp_agent_dispatch(ttp_agent_t *a, const uint8_t *payload, size_t len)
{
    char cmd[24];
    long id;
    const ttp_tok_t *t;
    (void)len;
    a->json = payload;
    t = member(a, 0, "cmd");
    if (!t) return; /* a reply or an event from the harness: nothing to do after the ACK */
    if (!member(a, 0, "id") || tj_int(payload, member(a, 0, "id"), &id) != 0 || id < 1) return; /* no id to answer to */
    if (tj_str(payload, t, cmd, sizeof cmd) < 0) { reply_error(a, id, TTP_E_UNKNOWN_COMMAND, "unknown command", NULL, NULL); return; }
    if (strcmp(cmd, "hello") == 0) { cmd_hello(a, id); return; }
    if (strcmp(cmd, "screen") == 0) { cmd_screen(a, id); return; }
    if (strcmp(cmd, "power") == 0) { cmd_power(a, id); return; }
    if (strcmp(cmd, "key") && strcmp(cmd, "card") && strcmp(cmd, "config") && strcmp(cmd, "clock")
        && strcmp(cmd, "reset") && strcmp(cmd, "ecr")) {
        reply_error(a, id, TTP_E_UNKNOWN_COMMAND, "unknown command; this terminal speaks hello, reset, power, key, card, screen, config, clock, ecr", NULL, NULL);
        return;
    }
    if (!a->powered) { reply_error(a, id, TTP_E_POWERED_OFF, "the terminal is off: only hello, screen and power work", NULL, NULL); return; }
    if (strcmp(cmd, "key") == 0) cmd_key(a, id);
    else if (strcmp(cmd, "card") == 0) cmd_card(a, id);
    else if (strcmp(cmd, "config") == 0) cmd_config(a, id);
    else if (strcmp(cmd, "clock") == 0) cmd_clock(a, id);
    else if (strcmp(cmd, "reset") == 0) cmd_reset(a, id);
    else cmd_ecr(a, id);
}

void ttp_agent_poll(ttp_agent_t *a)
{
    ttp_link_poll(a);
    if (a->key_id && a->key_interval && (int32_t)(a->port->millis(a->port->ctx) - a->key_due) >= 0) key_press(a);
}
