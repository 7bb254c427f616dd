/*
 * test_main.c - unit tests of the reference TTP agent: the worked examples of section 2.2, the
 * JSON layer, the receiver (NAK cases, resynchronisation, frame timeout), the transmitter
 * (stop-and-wait, retransmission, link broken, late answers), duplicates and sessions, and the
 * commands and events. The agent runs against a fake port: a byte buffer for the UART and a
 * clock the test moves by hand.
 */
#include "runner.h"
#include "ttp_agent.h"
#include "ttp_json.h"
#include <string.h>

/* ------------------------------------------------------------------ fake firmware */

static uint8_t out[1 << 16];
static size_t out_len, out_pos;
static uint32_t clock_ms;
static char keys_seen[512];
static int power_calls[4];
static int last_power = -1;
static int ecr_started;
static ttp_ecr_request_t ecr_req;
static ttp_agent_t agent;

static void fake_write(void *ctx, const uint8_t *d, size_t n) { (void)ctx; memcpy(out + out_len, d, n); out_len += n; }
static uint32_t fake_ms(void *ctx) { (void)ctx; return clock_ms; }
static ttp_status_t fake_key(void *ctx, const char *k)
{
    const char *lines[1];
    (void)ctx;
    if (strcmp(k, "F4") == 0) return TTP_E_NOT_SUPPORTED;
    strcat(keys_seen, k);
    strcat(keys_seen, " ");
    lines[0] = keys_seen;
    ttp_agent_display(&agent, lines, 1, "keys");
    return TTP_OK;
}
static ttp_status_t fake_card(void *ctx, ttp_card_action_t act, ttp_card_method_t m, const ttp_card_t *c) { (void)ctx; (void)act; (void)m; (void)c; return TTP_OK; }
static void fake_power(void *ctx, ttp_power_action_t p)
{
    (void)ctx;
    power_calls[p]++;
    last_power = (int)p;
    if (p == TTP_POWER_ON) { ttp_agent_state(&agent, TTP_ST_BOOTING); ttp_agent_state(&agent, TTP_ST_IDLE); }
}
static ttp_status_t fake_ecr(void *ctx, const ttp_ecr_request_t *r) { (void)ctx; ecr_started++; ecr_req = *r; return TTP_PENDING; }
static ttp_status_t fake_clock_get(void *ctx, char o[20]) { (void)ctx; memcpy(o, "2026-12-03T23:59:00", 20); return TTP_OK; }

static const ttp_port_t port = {
    NULL, NULL, fake_write, fake_ms, 0,
    fake_key, NULL, fake_card, NULL, NULL, fake_clock_get, NULL, NULL, fake_power, fake_ecr, NULL,
};
static const ttp_identity_t ident = {
    "ACME", "T1", "T1-0001", "APP 1.0 / OS 1.0",
    TTP_CAP_MAGSTRIPE | TTP_CAP_CONTACT | TTP_CAP_PRINTER | TTP_CAP_PINPAD, "zh,en",
};

/* Frames the agent sent and the test acknowledged, in order. */
static char got[64][2048];
static unsigned ngot;

/* Next item on the wire: 'A' ACK, 'N' NAK, 'F' frame (payload in p), 'X' bad frame, 0 nothing. */
static int next_item(char *p, size_t cap)
{
    size_t len;
    if (out_pos >= out_len) return 0;
    if (out[out_pos] == TTP_ACK) { out_pos++; return 'A'; }
    if (out[out_pos] == TTP_NAK) { out_pos++; return 'N'; }
    if (out[out_pos] != TTP_STX || out_len - out_pos < 5) { out_pos++; return 'X'; }
    len = ((size_t)out[out_pos + 1] << 8) | out[out_pos + 2];
    if (out_len - out_pos < len + 5 || out[out_pos + 3 + len] != TTP_ETX || ttp_lrc(out + out_pos + 1, len + 3) != out[out_pos + 4 + len]) { out_pos++; return 'X'; }
    if (p && cap > len) { memcpy(p, out + out_pos + 3, len); p[len] = '\0'; }
    out_pos += len + 5;
    return 'F';
}

static void feed(const void *b, size_t n) { ttp_agent_feed(&agent, (const uint8_t *)b, n); }
static void feed_byte(uint8_t b) { feed(&b, 1); }
static void ack(void) { feed_byte(TTP_ACK); }
static void nak(void) { feed_byte(TTP_NAK); }

static size_t frame_of(const char *json, uint8_t *f) { return ttp_frame_encode((const uint8_t *)json, strlen(json), f, 4096); }
static void send_json(const char *json) { uint8_t f[4096]; feed(f, frame_of(json, f)); }

/* Read everything sent, acknowledge each frame (which lets the next one go), keep the frames. Returns ACKs seen. */
static int settle(void)
{
    int acks = 0, k;
    char p[2048];
    while ((k = next_item(p, sizeof p)) != 0) {
        if (k == 'A') acks++;
        if (k == 'F') { if (ngot < 64) strcpy(got[ngot++], p); ack(); }
    }
    return acks;
}

static int count_got(const char *needle)
{
    unsigned i;
    int n = 0;
    for (i = 0; i < ngot; i++) if (strstr(got[i], needle)) n++;
    return n;
}

static void setup(void)
{
    const char *idle[2] = { "TEST MODE", "idle" };
    out_len = out_pos = 0;
    clock_ms = 1000;
    keys_seen[0] = '\0';
    memset(power_calls, 0, sizeof power_calls);
    last_power = -1;
    ecr_started = 0;
    ngot = 0;
    ttp_agent_init(&agent, &port, &ident);
    ttp_agent_state(&agent, TTP_ST_IDLE);
    ttp_agent_display(&agent, idle, 2, "idle");
    settle();
    ngot = 0;
}

/* ------------------------------------------------------------------ framing */

static void test_worked_example_frame(void)
{
    static const uint8_t expect[] = { 0x02, 0x00, 0x17, 0x7b, 0x22, 0x69, 0x64, 0x22, 0x3a, 0x31, 0x2c, 0x22, 0x63, 0x6d, 0x64,
        0x22, 0x3a, 0x22, 0x73, 0x63, 0x72, 0x65, 0x65, 0x6e, 0x22, 0x7d, 0x03, 0x64 };
    uint8_t f[64];
    CHECK_EQ(frame_of("{\"id\":1,\"cmd\":\"screen\"}", f), sizeof expect);
    CHECK(memcmp(f, expect, sizeof expect) == 0);
}

static void test_worked_example_chinese_lrc(void)
{
    uint8_t f[128];
    size_t n = frame_of("{\"id\":1,\"ok\":true,\"result\":{\"lines\":[\"\xe6\xb6\x88\xe8\xb4\xb9\"],\"state\":\"idle\"}}", f);
    CHECK_EQ(n, 63 + 5);
    CHECK_EQ(f[2], 0x3f);
    CHECK_EQ(f[n - 1], 0x38);
}

/* ------------------------------------------------------------------ JSON */

static void test_json_parse_and_strings(void)
{
    static const char js[] = "{\"a\":\"x\\u6d88\\ud83d\\ude00\\n\",\"b\":[1,-2,{\"c\":true}],\"n\":null,\"f\":1.5e3,\"i\":2147483647}";
    ttp_tok_t tok[32];
    unsigned n;
    char s[32];
    long v;
    int b;
    CHECK_EQ(tj_parse((const uint8_t *)js, strlen(js), tok, 32, &n), 0);
    CHECK_EQ(tj_str((const uint8_t *)js, &tok[tj_find((const uint8_t *)js, tok, 0, "a")], s, sizeof s), 9);
    CHECK(strcmp(s, "x\xe6\xb6\x88\xf0\x9f\x98\x80\n") == 0);
    b = tj_find((const uint8_t *)js, tok, 0, "b");
    CHECK(b > 0 && tok[b].type == TJ_ARR);
    CHECK_EQ(tj_int((const uint8_t *)js, &tok[b + 2], &v), 0);
    CHECK_EQ(v, -2);
    CHECK_EQ(tj_bool((const uint8_t *)js, &tok[tj_find((const uint8_t *)js, tok, b + 3, "c")], &b), 0);
    CHECK_EQ(b, 1);
    CHECK_EQ(tj_int((const uint8_t *)js, &tok[tj_find((const uint8_t *)js, tok, 0, "f")], &v), -1); /* not an integer */
    CHECK_EQ(tj_int((const uint8_t *)js, &tok[tj_find((const uint8_t *)js, tok, 0, "i")], &v), 0);
    CHECK_EQ(tj_find((const uint8_t *)js, tok, 0, "missing"), -1);
}

static void test_json_rejects(void)
{
    static const char *const bad[] = { "", "[]", "{", "{\"a\":}", "{\"a\":1,}", "{\"a\":01}", "{\"a\":\"\\x\"}", "{\"a\":tru}",
        "{\"a\":1}x", "{a:1}", "{\"a\":\"\t\"}", "{\"a\":[[[[[[[[[[1]]]]]]]]]]}" };
    unsigned i, n;
    ttp_tok_t tok[32];
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) CHECK(tj_parse((const uint8_t *)bad[i], strlen(bad[i]), tok, 32, &n) != 0);
    CHECK(!tj_utf8_valid((const uint8_t *)"\xc0\xaf", 2));      /* overlong */
    CHECK(!tj_utf8_valid((const uint8_t *)"\xed\xa0\x80", 3));  /* surrogate */
    CHECK(!tj_utf8_valid((const uint8_t *)"\xe6\xb6", 2));      /* cut short */
    CHECK(tj_utf8_valid((const uint8_t *)"\xe6\xb6\x88", 3));
}

static void test_json_writer_escapes(void)
{
    uint8_t buf[128];
    ttp_jw_t w;
    jw_init(&w, buf, sizeof buf);
    jw_obj(&w); jw_key(&w, "s"); jw_str(&w, "a\"b\\c\n\x01\xe6\xb6\x88"); jw_key(&w, "n"); jw_int(&w, -42);
    jw_key(&w, "l"); jw_arr(&w); jw_bool(&w, 1); jw_bool(&w, 0); jw_end_arr(&w); jw_end_obj(&w);
    CHECK(!w.err);
    CHECK_EQ(w.len, strlen("{\"s\":\"a\\\"b\\\\c\\n\\u0001\xe6\xb6\x88\",\"n\":-42,\"l\":[true,false]}"));
    CHECK(memcmp(buf, "{\"s\":\"a\\\"b\\\\c\\n\\u0001\xe6\xb6\x88\",\"n\":-42,\"l\":[true,false]}", w.len) == 0);
    jw_init(&w, buf, 4);
    jw_obj(&w); jw_key(&w, "toolong"); jw_end_obj(&w);
    CHECK(w.err);
}

/* ------------------------------------------------------------------ receiver */

static void test_good_frame_acked_and_answered(void)
{
    setup();
    send_json("{\"id\":1,\"cmd\":\"screen\"}");
    CHECK_EQ(settle(), 1);
    CHECK_EQ(ngot, 1);
    CHECK(strstr(got[0], "\"id\":1,\"ok\":true") != NULL);
    CHECK(strstr(got[0], "\"lines\":[\"TEST MODE\",\"idle\"],\"state\":\"idle\"") != NULL);
}

static void test_bad_lrc_nak_and_ignored(void)
{
    uint8_t f[64];
    size_t n;
    setup();
    n = frame_of("{\"id\":2,\"cmd\":\"screen\"}", f);
    f[n - 1] ^= 0x01;
    feed(f, n);
    CHECK_EQ(next_item(NULL, 0), 'N');
    CHECK_EQ(next_item(NULL, 0), 0);
    CHECK_EQ(agent.stats.damaged_frames, 1);
}

static void test_bad_etx_nak(void)
{
    uint8_t f[64];
    size_t n;
    setup();
    n = frame_of("{\"id\":2,\"cmd\":\"screen\"}", f);
    f[n - 2] = 0x04;
    feed(f, n);
    CHECK_EQ(next_item(NULL, 0), 'N');
    CHECK_EQ(settle(), 0);
    CHECK_EQ(ngot, 0);
}

static void test_oversized_len_nak_at_once(void)
{
    static const uint8_t f[] = { 0x02, 0xFF, 0xF0 };
    setup();
    feed(f, sizeof f);
    CHECK_EQ(next_item(NULL, 0), 'N'); /* without waiting for 65520 bytes */
}

static void test_control_byte_nak_then_next_frame_found(void)
{
    uint8_t f[128], g[64];
    size_t n, m;
    setup();
    /* A LEN enlarged by a bit error: the real ETX arrives where payload is expected. */
    n = frame_of("{\"id\":3,\"cmd\":\"screen\"}", f);
    f[2] = (uint8_t)(f[2] + 0x40);
    m = frame_of("{\"id\":4,\"cmd\":\"screen\"}", g);
    memcpy(f + n, g, m);
    feed(f, n + m);
    CHECK_EQ(next_item(NULL, 0), 'N');
    CHECK_EQ(settle(), 1);
    CHECK_EQ(ngot, 1);
    CHECK(strstr(got[0], "\"id\":4") != NULL);
}

static void test_noise_skipped(void)
{
    static const uint8_t noise[] = { 0x00, 0xFF, 0x41, 0x7b, 0x03 };
    setup();
    feed(noise, sizeof noise);
    send_json("{\"id\":5,\"cmd\":\"screen\"}");
    CHECK_EQ(settle(), 1);
    CHECK_EQ(ngot, 1);
    CHECK_EQ(agent.stats.noise_bytes, sizeof noise);
}

static void test_frame_timeout_nak(void)
{
    uint8_t f[64];
    size_t n;
    setup();
    n = frame_of("{\"id\":6,\"cmd\":\"screen\"}", f);
    feed(f, n - 6);
    ttp_agent_poll(&agent);
    CHECK_EQ(next_item(NULL, 0), 0);
    clock_ms += TTP_FRAME_TIMEOUT_MS - 1;
    ttp_agent_poll(&agent);
    CHECK_EQ(next_item(NULL, 0), 0);
    clock_ms += 1;
    ttp_agent_poll(&agent);
    CHECK_EQ(next_item(NULL, 0), 'N');
    send_json("{\"id\":7,\"cmd\":\"screen\"}");
    CHECK_EQ(settle(), 1);
    CHECK(ngot == 1 && strstr(got[0], "\"id\":7") != NULL);
}

static void test_damaged_len_bytes_not_taken_for_ack(void)
{
    /* An event is outstanding; a damaged frame whose LEN bytes are 06 15 must not acknowledge it. */
    static const uint8_t f[] = { 0x02, 0x15, 0x06 }; /* LEN 0x1506 > max: damaged at once */
    const char *lines[1] = { "x" };
    setup();
    ttp_agent_display(&agent, lines, 1, NULL);
    CHECK_EQ(next_item(NULL, 0), 'F');
    feed(f, sizeof f);
    CHECK_EQ(next_item(NULL, 0), 'N');
    CHECK_EQ(agent.tx_active, 1);
    CHECK_EQ(agent.stats.stray_answers, 0);
    ack();
    CHECK_EQ(agent.tx_active, 0);
}

static void test_intact_invalid_payload_nak(void)
{
    setup();
    send_json("{\"id\":8,\"cmd\":\"screen\""); /* not JSON */
    CHECK_EQ(next_item(NULL, 0), 'N');
    send_json("{\"foo\":1}");                   /* JSON, not a message */
    CHECK_EQ(next_item(NULL, 0), 'N');
    send_json("{\"id\":9,\"cmd\":\"\xff\"}");   /* not UTF-8 */
    CHECK_EQ(next_item(NULL, 0), 'N');
    CHECK_EQ(agent.stats.invalid_payloads, 3);
    CHECK_EQ(settle(), 0);
}

/* ------------------------------------------------------------------ duplicates and sessions */

static void test_duplicate_acked_not_executed(void)
{
    setup();
    send_json("{\"id\":10,\"cmd\":\"key\",\"keys\":[\"1\"]}");
    send_json("{\"id\":10,\"cmd\":\"key\",\"keys\":[\"1\"]}");
    CHECK_EQ(settle(), 2);
    CHECK(strcmp(keys_seen, "1 ") == 0);
    CHECK_EQ(count_got("\"id\":10,\"ok\":true"), 1);
    CHECK_EQ(agent.stats.duplicates_dropped, 1);
}

static void test_identical_frame_after_window_is_new(void)
{
    setup();
    send_json("{\"id\":11,\"cmd\":\"key\",\"keys\":[\"2\"]}");
    settle();
    clock_ms += 2u * 4u * TTP_ACK_TIMEOUT_MS + 1u;
    send_json("{\"id\":11,\"cmd\":\"key\",\"keys\":[\"2\"]}");
    settle();
    CHECK(strcmp(keys_seen, "2 2 ") == 0);
}

static void test_hello_sessions(void)
{
    setup();
    /* A 1.0 harness reconnecting: the same hello bytes, executed both times. */
    send_json("{\"id\":1,\"cmd\":\"hello\",\"ttp\":\"1.0\"}");
    send_json("{\"id\":1,\"cmd\":\"hello\",\"ttp\":\"1.0\"}");
    settle();
    CHECK_EQ(count_got("\"id\":1,\"ok\":true"), 2);
    /* With a session: a retransmitted copy is a duplicate, a new session is not. */
    ngot = 0;
    send_json("{\"id\":1,\"cmd\":\"hello\",\"ttp\":\"1.0\",\"session\":77}");
    send_json("{\"id\":1,\"cmd\":\"hello\",\"ttp\":\"1.0\",\"session\":77}");
    send_json("{\"id\":1,\"cmd\":\"hello\",\"ttp\":\"1.0\",\"session\":78}");
    settle();
    CHECK_EQ(count_got("\"id\":1,\"ok\":true"), 2);
    CHECK_EQ(agent.session, 78);
}

static void test_session_worked_example(void)
{
    /* Section 3.2: run 2's first hello, its frame, and a retransmitted copy answered once. */
    static const uint8_t expect[] = {
        0x02, 0x00, 0x3a, 0x7b, 0x22, 0x63, 0x6d, 0x64, 0x22, 0x3a, 0x22, 0x68, 0x65, 0x6c, 0x6c, 0x6f,
        0x22, 0x2c, 0x22, 0x74, 0x74, 0x70, 0x22, 0x3a, 0x22, 0x31, 0x2e, 0x30, 0x22, 0x2c, 0x22, 0x73,
        0x65, 0x73, 0x73, 0x69, 0x6f, 0x6e, 0x22, 0x3a, 0x39, 0x38, 0x37, 0x36, 0x35, 0x34, 0x33, 0x32,
        0x31, 0x2c, 0x22, 0x69, 0x64, 0x22, 0x3a, 0x35, 0x32, 0x31, 0x31, 0x33, 0x7d, 0x03, 0x32 };
    uint8_t f[128];
    setup();
    CHECK_EQ(frame_of("{\"cmd\":\"hello\",\"ttp\":\"1.0\",\"session\":987654321,\"id\":52113}", f), sizeof expect);
    CHECK(memcmp(f, expect, sizeof expect) == 0);
    feed(expect, sizeof expect);
    clock_ms += TTP_ACK_TIMEOUT_MS;
    feed(expect, sizeof expect);
    CHECK_EQ(settle(), 2);
    CHECK_EQ(count_got("\"id\":52113,\"ok\":true"), 1);
    CHECK_EQ(agent.session, 987654321);
}

static void test_link_reset_forgets_last_frame(void)
{
    const char *l[1] = { "old link" };
    setup();
    ttp_agent_display(&agent, l, 1, NULL);
    CHECK_EQ(next_item(NULL, 0), 'F'); /* outstanding on the old link */
    ttp_agent_link_reset(&agent);
    CHECK_EQ(agent.tx_active, 0);
    CHECK_EQ(agent.txq_len, 0);
    ngot = 0;
    send_json("{\"id\":12,\"cmd\":\"key\",\"keys\":[\"3\"]}");
    settle();
    ttp_agent_link_reset(&agent);
    send_json("{\"id\":12,\"cmd\":\"key\",\"keys\":[\"3\"]}");
    settle();
    CHECK(strcmp(keys_seen, "3 3 ") == 0);
}

/* ------------------------------------------------------------------ transmitter */

static void test_stop_and_wait(void)
{
    const char *l1[1] = { "one" }, *l2[1] = { "two" };
    char p[256];
    setup();
    ttp_agent_display(&agent, l1, 1, NULL);
    ttp_agent_display(&agent, l2, 1, NULL);
    CHECK_EQ(next_item(p, sizeof p), 'F');
    CHECK(strstr(p, "one") != NULL);
    CHECK_EQ(next_item(p, sizeof p), 0); /* the second waits for the ACK */
    ack();
    CHECK_EQ(next_item(p, sizeof p), 'F');
    CHECK(strstr(p, "two") != NULL);
    CHECK(strstr(p, "\"seq\":4") != NULL); /* state, display at setup, then one, two */
    ack();
}

static void test_retransmit_on_nak_identical(void)
{
    const char *l[1] = { "nak me" };
    size_t a0, a1, b0;
    setup();
    ttp_agent_display(&agent, l, 1, NULL);
    a0 = out_pos;
    CHECK_EQ(next_item(NULL, 0), 'F');
    a1 = out_pos;
    nak();
    b0 = out_pos;
    CHECK_EQ(next_item(NULL, 0), 'F');
    CHECK_EQ(out_pos - b0, a1 - a0);
    CHECK(memcmp(out + a0, out + b0, a1 - a0) == 0);
    ack();
    CHECK_EQ(agent.stats.retransmissions, 1);
}

static void test_retransmit_after_timeout_then_link_broken(void)
{
    const char *l[1] = { "lost" };
    int i;
    setup();
    send_json("{\"id\":13,\"cmd\":\"ecr\",\"request\":\"sale\",\"amount\":\"100\"}");
    CHECK_EQ(next_item(NULL, 0), 'A');
    ttp_agent_display(&agent, l, 1, NULL);
    CHECK_EQ(next_item(NULL, 0), 'F');
    for (i = 0; i < 3; i++) {
        clock_ms += TTP_ACK_TIMEOUT_MS;
        ttp_agent_poll(&agent);
        CHECK_EQ(next_item(NULL, 0), 'F');
    }
    clock_ms += TTP_ACK_TIMEOUT_MS;
    ttp_agent_poll(&agent);
    CHECK_EQ(next_item(NULL, 0), 0); /* 4 transmissions, then broken: nothing more */
    CHECK_EQ(agent.stats.links_broken, 1);
    /* The ecr result is kept and goes out after the next intact frame. */
    {
        ttp_ecr_result_t r;
        memset(&r, 0, sizeof r);
        r.approved = 1;
        strcpy(r.response_code, "00");
        ttp_agent_ecr_done(&agent, &ecr_req, &r);
    }
    CHECK_EQ(next_item(NULL, 0), 0);
    send_json("{\"id\":14,\"cmd\":\"screen\"}");
    settle();
    CHECK_EQ(count_got("\"id\":13,\"ok\":true,\"result\":{\"request\":\"sale\",\"approved\":true,\"responseCode\":\"00\""), 1);
    CHECK_EQ(count_got("\"id\":14,\"ok\":true"), 1);
    CHECK_EQ(count_got("\"evt\":\"display\""), 0); /* the event was dropped with the broken link */
}

static void test_late_ack_not_credited_to_next_frame(void)
{
    const char *l1[1] = { "first" }, *l2[1] = { "second" };
    setup();
    ttp_agent_display(&agent, l1, 1, NULL);
    ttp_agent_display(&agent, l2, 1, NULL);
    CHECK_EQ(next_item(NULL, 0), 'F');
    clock_ms += TTP_ACK_TIMEOUT_MS;
    ttp_agent_poll(&agent);
    CHECK_EQ(next_item(NULL, 0), 'F'); /* copy 2 */
    ack();                              /* answers copy 1 */
    CHECK_EQ(next_item(NULL, 0), 0);    /* the answer to copy 2 is still owed */
    ack();                              /* ... and is absorbed */
    CHECK_EQ(agent.stats.stray_answers, 1);
    CHECK_EQ(next_item(NULL, 0), 'F');  /* only now "second" */
    CHECK_EQ(agent.tx_active, 1);
    ack();
    CHECK_EQ(agent.tx_active, 0);
}

/* ------------------------------------------------------------------ commands */

static void test_hello_result(void)
{
    setup();
    send_json("{\"id\":20,\"cmd\":\"hello\",\"ttp\":\"1.0\",\"client\":\"unit\"}");
    settle();
    CHECK_EQ(ngot, 1);
    CHECK(strstr(got[0], "\"ttp\":\"1.0\",\"vendor\":\"ACME\",\"model\":\"T1\",\"serialNumber\":\"T1-0001\",\"firmwareVersion\":\"APP 1.0 / OS 1.0\"") != NULL);
    CHECK(strstr(got[0], "\"capabilities\":{\"magstripe\":true,\"contact\":true,\"contactless\":false,\"printer\":true,\"pinpad\":true,\"sm4\":false}") != NULL);
    CHECK(strstr(got[0], "\"maxPayload\":2048,\"languages\":[\"zh\",\"en\"]") != NULL);
    ngot = 0;
    send_json("{\"id\":21,\"cmd\":\"hello\",\"ttp\":\"2.0\"}");
    settle();
    CHECK(strstr(got[0], "\"code\":\"unsupported-version\"") && strstr(got[0], "\"supported\":[\"1.0\"]"));
}

static void test_errors_by_code(void)
{
    setup();
    send_json("{\"id\":22,\"cmd\":\"dance\"}");
    send_json("{\"id\":23,\"cmd\":\"key\"}");
    send_json("{\"id\":24,\"cmd\":\"key\",\"keys\":[\"ENTER\",\"BANANA\"]}");
    send_json("{\"id\":25,\"cmd\":\"key\",\"keys\":[\"F4\"]}");
    send_json("{\"id\":26,\"cmd\":\"card\",\"action\":\"present\",\"method\":\"tap\",\"card\":{\"pan\":\"6222020000000000015\",\"expiry\":\"3012\",\"serviceCode\":\"201\"}}");
    send_json("{\"id\":27,\"cmd\":\"card\",\"action\":\"present\",\"method\":\"swipe\",\"card\":{\"pan\":\"62220\",\"expiry\":\"3012\",\"serviceCode\":\"201\"}}");
    send_json("{\"id\":28,\"cmd\":\"card\",\"action\":\"remove\"}");
    send_json("{\"id\":29,\"cmd\":\"config\",\"set\":{\"x-unknown\":1}}");
    send_json("{\"id\":30,\"cmd\":\"clock\",\"set\":\"2026-13-01T00:00:00\"}");
    send_json("{\"id\":31,\"cmd\":\"x-vendor-thing\"}");
    settle();
    CHECK_EQ(count_got("\"id\":22,\"ok\":false,\"error\":{\"code\":\"unknown-command\""), 1);
    CHECK_EQ(count_got("\"id\":23,\"ok\":false,\"error\":{\"code\":\"bad-request\""), 1);
    CHECK_EQ(count_got("\"detail\":{\"field\":\"keys\"}"), 2);
    CHECK_EQ(count_got("\"id\":25,\"ok\":false,\"error\":{\"code\":\"not-supported\""), 1);
    CHECK_EQ(count_got("\"detail\":{\"key\":\"F4\"}"), 1);
    CHECK_EQ(count_got("\"detail\":{\"method\":\"tap\"}"), 1);
    CHECK_EQ(count_got("\"detail\":{\"field\":\"card.pan\"}"), 1);
    CHECK_EQ(count_got("\"id\":28,\"ok\":false,\"error\":{\"code\":\"invalid-state\""), 1);
    CHECK_EQ(count_got("\"detail\":{\"field\":\"x-unknown\"}"), 1);
    CHECK_EQ(count_got("\"id\":30,\"ok\":false,\"error\":{\"code\":\"bad-request\""), 1);
    CHECK_EQ(count_got("\"id\":31,\"ok\":false,\"error\":{\"code\":\"unknown-command\""), 1);
    CHECK(strcmp(keys_seen, "") == 0); /* ENTER of id 24 was not pressed: the whole command was refused */
}

static void test_key_reply_after_display(void)
{
    setup();
    send_json("{\"id\":32,\"cmd\":\"key\",\"keys\":[\"4\",\"5\"]}");
    settle();
    CHECK_EQ(ngot, 3);
    CHECK(strstr(got[0], "\"evt\":\"display\"") && strstr(got[0], "\"4 \""));
    CHECK(strstr(got[1], "\"evt\":\"display\"") && strstr(got[1], "\"4 5 \""));
    CHECK(strstr(got[2], "\"id\":32,\"ok\":true") != NULL);
}

static void test_key_interval(void)
{
    setup();
    send_json("{\"id\":33,\"cmd\":\"key\",\"keys\":[\"7\",\"8\"],\"intervalMs\":200}");
    settle();
    CHECK(strcmp(keys_seen, "7 ") == 0);
    clock_ms += 199;
    ttp_agent_poll(&agent);
    CHECK(strcmp(keys_seen, "7 ") == 0);
    clock_ms += 1;
    ttp_agent_poll(&agent);
    settle();
    CHECK(strcmp(keys_seen, "7 8 ") == 0);
    CHECK_EQ(count_got("\"id\":33,\"ok\":true"), 1);
}

static void test_power_cycle_reply_first_then_seq_restarts(void)
{
    char p[512];
    setup();
    send_json("{\"id\":40,\"cmd\":\"power\",\"action\":\"cycle\"}");
    CHECK_EQ(next_item(NULL, 0), 'A');
    CHECK_EQ(next_item(p, sizeof p), 'F');
    CHECK(strstr(p, "\"id\":40,\"ok\":true,\"result\":{\"state\":\"booting\"}") != NULL);
    CHECK_EQ(last_power, -1); /* nothing happens before the reply is acknowledged */
    ack();
    CHECK_EQ(power_calls[TTP_POWER_CUT], 1);
    CHECK_EQ(power_calls[TTP_POWER_ON], 1);
    settle();
    CHECK(strstr(got[0], "\"state\":\"off\"") != NULL);
    CHECK(strstr(got[1], "\"state\":\"booting\"") && strstr(got[1], "\"seq\":1}"));
    CHECK(strstr(got[2], "\"state\":\"idle\"") && strstr(got[2], "\"seq\":2}"));
}

static void test_power_off_rules(void)
{
    setup();
    send_json("{\"id\":41,\"cmd\":\"ecr\",\"request\":\"sale\",\"amount\":\"1\"}");
    send_json("{\"id\":42,\"cmd\":\"power\",\"action\":\"cut\"}");
    settle();
    CHECK_EQ(count_got("\"id\":41,\"ok\":false,\"error\":{\"code\":\"cancelled\""), 1);
    ngot = 0;
    send_json("{\"id\":43,\"cmd\":\"key\",\"keys\":[\"1\"]}");
    send_json("{\"id\":44,\"cmd\":\"screen\"}");
    send_json("{\"id\":45,\"cmd\":\"power\",\"action\":\"cut\"}");
    send_json("{\"id\":46,\"cmd\":\"hello\",\"ttp\":\"1.0\"}");
    send_json("{\"id\":47,\"cmd\":\"power\",\"action\":\"on\"}");
    settle();
    CHECK_EQ(count_got("\"id\":43,\"ok\":false,\"error\":{\"code\":\"powered-off\""), 1);
    CHECK_EQ(count_got("\"id\":44,\"ok\":true,\"result\":{\"lines\":[],\"state\":\"off\"}"), 1);
    CHECK_EQ(count_got("\"id\":45,\"ok\":false,\"error\":{\"code\":\"invalid-state\""), 1);
    CHECK_EQ(count_got("\"id\":46,\"ok\":true"), 1);
    CHECK_EQ(count_got("\"id\":47,\"ok\":true,\"result\":{\"state\":\"booting\"}"), 1);
    CHECK_EQ(count_got("\"state\":\"booting\",\"from\":\"off\",\"seq\":1}"), 1);
    ngot = 0;
    send_json("{\"id\":48,\"cmd\":\"power\",\"action\":\"on\"}");
    settle();
    CHECK_EQ(count_got("\"id\":48,\"ok\":false,\"error\":{\"code\":\"invalid-state\""), 1);
}

static void test_ecr_busy_and_result(void)
{
    ttp_ecr_result_t r;
    setup();
    send_json("{\"id\":50,\"cmd\":\"ecr\",\"request\":\"bill-payment\",\"amount\":\"5000\",\"payee\":{\"name\":\"\xe5\x9b\xbd\xe7\xbd\x91\",\"account\":\"4400123456\"},\"ecrReference\":\"R1\"}");
    send_json("{\"id\":51,\"cmd\":\"ecr\",\"request\":\"sale\",\"amount\":\"1\"}");
    send_json("{\"id\":52,\"cmd\":\"ecr\",\"request\":\"sale\"}");
    settle();
    CHECK_EQ(ecr_started, 1);
    CHECK(strcmp(ecr_req.payee_name, "\xe5\x9b\xbd\xe7\xbd\x91") == 0);
    CHECK_EQ(count_got("\"id\":51,\"ok\":false,\"error\":{\"code\":\"busy\""), 1);
    CHECK_EQ(count_got("\"id\":52,\"ok\":false,\"error\":{\"code\":\"bad-request\""), 1);
    memset(&r, 0, sizeof r);
    r.approved = 1;
    strcpy(r.trace, "000123");
    strcpy(r.masked_pan, "622202*********0123");
    ttp_agent_ecr_done(&agent, &ecr_req, &r);
    settle();
    CHECK_EQ(count_got("\"id\":50,\"ok\":true,\"result\":{\"request\":\"bill-payment\",\"approved\":true,\"trace\":\"000123\",\"maskedPan\":\"622202*********0123\",\"ecrReference\":\"R1\"}"), 1);
}

static void test_print_and_clock(void)
{
    const char *v[2] = { "\xe9\x93\xb6\xe8\x81\x94POS", "TEST" };
    setup();
    CHECK_EQ(ttp_agent_print(&agent, TTP_COPY_CARDHOLDER, v, 2, 1, "000001"), 0);
    send_json("{\"id\":53,\"cmd\":\"clock\"}");
    settle();
    CHECK_EQ(count_got("\"evt\":\"print\",\"copy\":\"cardholder\",\"lines\":[\"\xe9\x93\xb6\xe8\x81\x94POS\",\"TEST\"],\"reprint\":true,\"trace\":\"000001\""), 1);
    CHECK_EQ(count_got("\"id\":53,\"ok\":true,\"result\":{\"now\":\"2026-12-03T23:59:00\"}"), 1);
}

/* A small deterministic PRNG (xorshift32): the same bytes on every run. */
static uint32_t rng_state = 0x12345678u;
static uint32_t rng(void) { rng_state ^= rng_state << 13; rng_state ^= rng_state >> 17; rng_state ^= rng_state << 5; return rng_state; }

static void test_random_line_damage(void)
{
    /* Noise, truncated and bit-flipped frames, stray ACK/NAK, time jumps; after each round a
     * clean frame must still be answered. Run under -fsanitize=address,undefined by `make test-asan`. */
    unsigned round_, answered = 0;
    setup();
    for (round_ = 0; round_ < 400; round_++) {
        uint8_t buf[600], f[256];
        size_t n = 0, k, m;
        char json[96];
        unsigned parts = 1 + rng() % 4, i;
        for (i = 0; i < parts; i++) {
            switch (rng() % 5) {
            case 0: for (k = rng() % 40; k > 0; k--) buf[n++] = (uint8_t)rng(); break;
            case 1:
                sprintf(json, "{\"id\":%u,\"cmd\":\"key\",\"keys\":[\"%u\"]}", 1000u + round_, rng() % 10u);
                m = frame_of(json, f);
                f[rng() % m] ^= (uint8_t)(1u << (rng() % 8));
                memcpy(buf + n, f, m); n += m; break;
            case 2:
                m = frame_of("{\"id\":5,\"cmd\":\"screen\"}", f);
                k = rng() % m;
                memcpy(buf + n, f, k); n += k; break;
            case 3: buf[n++] = (rng() & 1) ? TTP_ACK : TTP_NAK; break;
            default: buf[n++] = TTP_STX; buf[n++] = (uint8_t)rng(); buf[n++] = (uint8_t)rng(); break;
            }
        }
        feed(buf, n);
        clock_ms += 1 + rng() % 700;
        ttp_agent_poll(&agent);
        clock_ms += TTP_FRAME_TIMEOUT_MS;
        ttp_agent_poll(&agent);
        settle();
        clock_ms += 2u * 4u * TTP_ACK_TIMEOUT_MS + 1u; /* past the duplicate window */
        ttp_agent_poll(&agent);
        settle();
        ngot = 0;
        sprintf(json, "{\"id\":%u,\"cmd\":\"screen\"}", 100000u + round_);
        send_json(json);
        settle();
        sprintf(json, "\"id\":%u,\"ok\":true", 100000u + round_);
        if (count_got(json) == 1) answered++;
    }
    CHECK_EQ(answered, 400);
}

int main(void)
{
    static const runner_test_t tests[] = {
        { "worked example frame (section 2.2)", test_worked_example_frame },
        { "worked example with Chinese text: LEN 0x3f, LRC 0x38", test_worked_example_chinese_lrc },
        { "JSON: members, escapes, surrogate pairs, integers", test_json_parse_and_strings },
        { "JSON: malformed texts and bad UTF-8 rejected", test_json_rejects },
        { "JSON writer escapes and bounds", test_json_writer_escapes },
        { "good frame: ACK, then the reply", test_good_frame_acked_and_answered },
        { "bad LRC: NAK, nothing executed", test_bad_lrc_nak_and_ignored },
        { "bad ETX: NAK", test_bad_etx_nak },
        { "LEN above maximum: NAK at once", test_oversized_len_nak_at_once },
        { "control byte in payload: NAK at once, next frame found by rescanning", test_control_byte_nak_then_next_frame_found },
        { "noise before STX skipped and counted", test_noise_skipped },
        { "frame timeout: NAK after 300 ms of silence", test_frame_timeout_nak },
        { "LEN bytes of a damaged frame are not ACK/NAK", test_damaged_len_bytes_not_taken_for_ack },
        { "intact frame with invalid payload: NAK", test_intact_invalid_payload_nak },
        { "duplicate: ACKed, executed once", test_duplicate_acked_not_executed },
        { "identical frame after the retransmission window: executed", test_identical_frame_after_window_is_new },
        { "hello: sessions reset duplicate detection", test_hello_sessions },
        { "sessions: worked example of section 3.2, retransmitted hello answered once", test_session_worked_example },
        { "link reset: last accepted frame, outstanding and queued frames forgotten", test_link_reset_forgets_last_frame },
        { "stop-and-wait: one frame outstanding", test_stop_and_wait },
        { "NAK: identical retransmission", test_retransmit_on_nak_identical },
        { "ACK timeout: 3 retransmissions, link broken, replies kept", test_retransmit_after_timeout_then_link_broken },
        { "late ACK of a copy not credited to the next frame", test_late_ack_not_credited_to_next_frame },
        { "hello result and unsupported-version", test_hello_result },
        { "error codes and detail members", test_errors_by_code },
        { "key: reply after the display events it caused", test_key_reply_after_display },
        { "key: intervalMs", test_key_interval },
        { "power cycle: reply first, act after ACK, seq restarts", test_power_cycle_reply_first_then_seq_restarts },
        { "power: off rules", test_power_off_rules },
        { "ecr: busy, bad-request, result", test_ecr_busy_and_result },
        { "print event and clock", test_print_and_clock },
        { "random line damage: never stuck, next clean frame answered (400 rounds)", test_random_line_damage },
    };
    printf("sizeof(ttp_agent_t) = %lu bytes (TTP_MAX_PAYLOAD %d, TTP_TXQ_BYTES %d)\n", (unsigned long)sizeof(ttp_agent_t), TTP_MAX_PAYLOAD, TTP_TXQ_BYTES);
    return runner_main(tests, sizeof tests / sizeof tests[0]);
}
