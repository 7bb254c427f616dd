/*
 * ttp_agent.h - reference Terminal Test Protocol (TTP) agent for terminal test firmware.
 *
 * Portable C99, no dynamic allocation, no OS calls: the firmware hands the agent a port
 * (UART read/write, a millisecond clock, application callbacks) and calls ttp_agent_poll()
 * from its main loop (or ttp_agent_feed() from its UART receive interrupt / DMA task).
 * The normative text is docs/terminal-test-protocol.md; section numbers below refer to it.
 *
 * All memory lives in one ttp_agent_t, which the firmware declares statically. Its size is set
 * by the TTP_* macros below (override them with -D at compile time).
 */
#ifndef TTP_AGENT_H
#define TTP_AGENT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TTP_VERSION "1.0"

/* Largest payload received (declared as maxPayload in hello, at least 2048 per section 2.3). */
#ifndef TTP_MAX_PAYLOAD
#define TTP_MAX_PAYLOAD 2048
#endif
/* Bytes of the transmit queue (encoded frames waiting for their turn, the outstanding one first). */
#ifndef TTP_TXQ_BYTES
#define TTP_TXQ_BYTES 8192
#endif
/* JSON tokens per received payload (a full card image is about 70). */
#ifndef TTP_MAX_TOKENS
#define TTP_MAX_TOKENS 160
#endif
/* The copy of the screen answered to `screen` without asking the application. */
#ifndef TTP_SCREEN_LINES
#define TTP_SCREEN_LINES 12
#endif
#ifndef TTP_LINE_BYTES
#define TTP_LINE_BYTES 96
#endif
/* Keys per `key` command. */
#ifndef TTP_MAX_KEYS
#define TTP_MAX_KEYS 32
#endif

/* Section 8 defaults. */
#define TTP_ACK_TIMEOUT_MS 500u
#define TTP_FRAME_TIMEOUT_MS 300u
#define TTP_MAX_RETRANSMISSIONS 3u

#define TTP_STX 0x02u
#define TTP_ETX 0x03u
#define TTP_ACK 0x06u
#define TTP_NAK 0x15u

/* Terminal states of section 7.3; the agent turns them into their names. */
typedef enum {
    TTP_ST_OFF, TTP_ST_BOOTING, TTP_ST_SELF_TEST, TTP_ST_SIGN_ON_REQUIRED, TTP_ST_SIGNING_ON,
    TTP_ST_IDLE, TTP_ST_MENU, TTP_ST_INPUT, TTP_ST_CONFIRM, TTP_ST_CARD_WAIT, TTP_ST_CARD_READ,
    TTP_ST_PIN_ENTRY, TTP_ST_ONLINE, TTP_ST_PRINTING, TTP_ST_RESULT, TTP_ST_SETTLING,
    TTP_ST_REVERSAL, TTP_ST_TAMPERED, TTP_ST_ERROR,
    TTP_ST_COUNT
} ttp_state_t;

/* What a callback returns: done, done later (the application calls ttp_agent_*_done), or an error code of section 7.5. */
typedef enum {
    TTP_OK = 0,
    TTP_PENDING,
    TTP_E_UNKNOWN_COMMAND,
    TTP_E_BAD_REQUEST,
    TTP_E_UNSUPPORTED_VERSION,
    TTP_E_NOT_SUPPORTED,
    TTP_E_INVALID_STATE,
    TTP_E_BUSY,
    TTP_E_POWERED_OFF,
    TTP_E_TAMPERED,
    TTP_E_TIMEOUT,
    TTP_E_CANCELLED,
    TTP_E_PAYLOAD_TOO_LARGE,
    TTP_E_INTERNAL
} ttp_status_t;

/* Capability bits (section 10). */
#define TTP_CAP_MAGSTRIPE   0x01u
#define TTP_CAP_CONTACT     0x02u
#define TTP_CAP_CONTACTLESS 0x04u
#define TTP_CAP_PRINTER     0x08u
#define TTP_CAP_PINPAD      0x10u
#define TTP_CAP_SM4         0x20u

typedef enum { TTP_CARD_PRESENT, TTP_CARD_REMOVE } ttp_card_action_t;
typedef enum { TTP_METHOD_NONE, TTP_METHOD_SWIPE, TTP_METHOD_INSERT, TTP_METHOD_TAP } ttp_card_method_t;
typedef enum { TTP_POWER_CUT, TTP_POWER_ON } ttp_power_action_t;
typedef enum { TTP_COPY_MERCHANT, TTP_COPY_CARDHOLDER, TTP_COPY_BANK, TTP_COPY_SETTLEMENT, TTP_COPY_FAULT } ttp_print_copy_t;

/* Card image (section 6.5.1), the members a simulated reader needs. Strings are NUL-terminated. */
typedef struct {
    char name[32];
    char pan[20];
    char expiry[5];
    char service_code[4];
    char track2[41];
    char psn[4];
    char cardholder_name[27];
    int has_emv;
    char aid[33];
    char application_label[17];
    char imk[33];
    char icc_master_key[33];
    char algorithm[5];
    long atc;
} ttp_card_t;

/* Configuration (section 6.7); `present` has one bit per member (TTP_CFG_*). */
#define TTP_CFG_HOST          0x001u
#define TTP_CFG_TPDU          0x002u
#define TTP_CFG_MERCHANT_ID   0x004u
#define TTP_CFG_TERMINAL_ID   0x008u
#define TTP_CFG_MERCHANT_NAME 0x010u
#define TTP_CFG_LANGUAGE      0x020u
#define TTP_CFG_COPIES        0x040u
#define TTP_CFG_TIMEOUTS      0x080u
typedef struct {
    unsigned present;
    char host[64];
    char tpdu[11];
    char merchant_id[16];
    char terminal_id[9];
    char merchant_name[64];
    char language[3];
    int voucher_copies;
    long host_response_ms, host_connect_ms, card_ms, pin_ms, idle_ms; /* -1 = not given */
} ttp_config_t;

/* ECR request (section 6.9). */
typedef struct {
    char request[16]; /* sale, bill-payment, void, refund, balance, settle, reprint */
    char amount[13];
    char payee_name[64];
    char payee_account[33];
    char payee_reference[33];
    char original_trace[7];
    char original_rrn[13];
    char original_date[5];
    char ecr_reference[33];
} ttp_ecr_request_t;

typedef struct {
    int approved;
    char response_code[3];
    char message[64];
    char amount[13];
    char trace[7];
    char batch[7];
    char rrn[13];
    char auth_code[7];
    char masked_pan[20];
} ttp_ecr_result_t;

/* What the firmware supplies. Callbacks may be NULL where noted. */
typedef struct {
    void *ctx;
    /* Non-blocking UART read: bytes available now (0 when none). NULL when the firmware feeds bytes with ttp_agent_feed(). */
    size_t (*uart_read)(void *ctx, uint8_t *buf, size_t max);
    /* Send all `len` bytes, in order. */
    void (*uart_write)(void *ctx, const uint8_t *data, size_t len);
    /* Milliseconds from any origin, wrapping at 2^32. */
    uint32_t (*millis)(void *ctx);
    /*
     * Line speed in baud, or 0. When uart_write returns before the bytes have left (a FIFO or
     * DMA), the agent adds the frame's air time to the ACK timer, so the timer runs from the
     * frame's last byte on the wire.
     */
    uint32_t baud;

    /* Application. Keys are the names of section 6.4 ("0".."9", "ENTER", ...). */
    ttp_status_t (*key)(void *ctx, const char *key);
    /* Free text into the focused input field (UTF-8); NULL = not supported. */
    ttp_status_t (*text)(void *ctx, const char *utf8);
    ttp_status_t (*card)(void *ctx, ttp_card_action_t action, ttp_card_method_t method, const ttp_card_t *card);
    /* Fill `out` (set `present` bits). */
    ttp_status_t (*config_get)(void *ctx, ttp_config_t *out);
    /* Apply the members present; on an error set *field to the member's name. NULL = read only. */
    ttp_status_t (*config_set)(void *ctx, const ttp_config_t *in, const char **field);
    /* "YYYY-MM-DDTHH:mm:ss" into out[20]. */
    ttp_status_t (*clock_get)(void *ctx, char out[20]);
    ttp_status_t (*clock_set)(void *ctx, const char *local_time);
    /* Back to idle; TTP_PENDING then ttp_agent_reset_done(). factory: also erase persistent data. */
    ttp_status_t (*reset)(void *ctx, int factory);
    /* Power: called after the reply to `power` was acknowledged. A cycle is CUT then ON. */
    void (*power)(void *ctx, ttp_power_action_t action);
    /* Start a cash-register transaction; TTP_PENDING then ttp_agent_ecr_done()/ttp_agent_ecr_failed(). */
    ttp_status_t (*ecr)(void *ctx, const ttp_ecr_request_t *req);
    /* Diagnostics (never card data); may be NULL. */
    void (*log)(void *ctx, const char *message);
} ttp_port_t;

typedef struct {
    const char *vendor;
    const char *model;
    const char *serial_number;
    const char *firmware_version;
    unsigned capabilities; /* TTP_CAP_* */
    const char *languages; /* e.g. "zh,en"; NULL = not reported */
} ttp_identity_t;

/* Counters, for the firmware's diagnostics page and the tests. */
typedef struct {
    uint32_t frames_sent, frames_received, retransmissions, naks_sent, naks_received;
    uint32_t ack_timeouts, duplicates_dropped, noise_bytes, damaged_frames, invalid_payloads;
    uint32_t stray_answers, links_broken, events_dropped;
} ttp_stats_t;

/* ------------------------------------------------------------------------------------------ */
/* Private state: declared here so the firmware can allocate it statically. Do not touch.     */

typedef struct {
    uint8_t *buf;
    size_t cap, len;
    int err;
    unsigned depth;
    uint8_t first[8];
    int after_key;
} ttp_jw_t;

typedef struct {
    uint8_t type;      /* object, array, string, number, literal */
    uint8_t escaped;   /* string holds backslash escapes */
    uint16_t start, end;
    uint16_t next;     /* index of the token after this one's subtree */
} ttp_tok_t;

typedef struct ttp_agent {
    const ttp_port_t *port;
    const ttp_identity_t *id;
    ttp_stats_t stats;

    /* receiver (section 4) */
    uint8_t rx[TTP_MAX_PAYLOAD + 5];
    size_t rx_len;
    unsigned rx_need;
    uint8_t rx_lrc;
    uint32_t rx_last_ms;
    int replaying;
    size_t rp, re;
    size_t skip[6];
    unsigned nskip;

    /* duplicate detection (section 3.1) */
    uint8_t last[TTP_MAX_PAYLOAD];
    size_t last_len;
    int have_last;
    uint32_t last_ms;
    long session;

    /* transmitter (section 3): [flags][frame] records back to back, the first one outstanding */
    uint8_t txq[TTP_TXQ_BYTES];
    size_t txq_len;
    int tx_active;
    unsigned tx_attempt, tx_answers;
    uint32_t tx_deadline;
    unsigned drain_remaining;
    uint32_t drain_deadline;
    int link_broken;

    /* JSON of the request being served */
    ttp_tok_t tok[TTP_MAX_TOKENS];
    unsigned ntok;
    const uint8_t *json;

    /* terminal model */
    int powered;
    ttp_state_t state;
    long seq;
    char lines[TTP_SCREEN_LINES][TTP_LINE_BYTES];
    unsigned nlines;
    char screen_id[32];
    int card_inserted;
    long ecr_id;     /* 0 = none running */
    long reset_id;   /* 0 = none running */
    int power_pending; /* 0 none, 1 cut, 2 cycle, 3 on: acted on once the reply is acknowledged */
    /* key command with intervalMs */
    long key_id;
    uint8_t key_codes[TTP_MAX_KEYS];
    unsigned key_count, key_next;
    uint32_t key_interval, key_due;
} ttp_agent_t;

/* ------------------------------------------------------------------------------------------ */

/* Start the agent: powered on, state booting, no frames. The firmware then reports its boot with ttp_agent_state(). */
void ttp_agent_init(ttp_agent_t *a, const ttp_port_t *port, const ttp_identity_t *id);
/* Bytes received from the UART (interrupt or DMA handler, or the main loop). */
void ttp_agent_feed(ttp_agent_t *a, const uint8_t *data, size_t len);
/* Call often (every few ms): reads the UART when port->uart_read is set, runs timers, sends. */
void ttp_agent_poll(ttp_agent_t *a);
/* The byte link was closed and reopened (USB CDC-ACM enumeration, TCP accept): per-link state is reset (section 3.1). */
void ttp_agent_link_reset(ttp_agent_t *a);

/* Events (section 7). Return 0 when queued, -1 when dropped (queue full, or off). */
int ttp_agent_state(ttp_agent_t *a, ttp_state_t state);
int ttp_agent_display(ttp_agent_t *a, const char *const *lines, unsigned n, const char *screen_id);
int ttp_agent_print(ttp_agent_t *a, ttp_print_copy_t copy, const char *const *lines, unsigned n, int reprint, const char *trace);
int ttp_agent_beep(ttp_agent_t *a, const char *kind, int duration_ms);

/* Completion of TTP_PENDING commands: call them after the callback returned (a later main-loop step), never from inside it. */
void ttp_agent_reset_done(ttp_agent_t *a);
void ttp_agent_ecr_done(ttp_agent_t *a, const ttp_ecr_request_t *req, const ttp_ecr_result_t *result);
void ttp_agent_ecr_failed(ttp_agent_t *a, ttp_status_t code, const char *message);
/* True while an ecr transaction is running. */
int ttp_agent_ecr_running(const ttp_agent_t *a);

/* Current state, and its wire name. */
ttp_state_t ttp_agent_current_state(const ttp_agent_t *a);
const char *ttp_state_name(ttp_state_t s);
const char *ttp_status_code(ttp_status_t s);

/* Framing helpers (also used by the tests): LRC over LEN..ETX, and a frame around a payload. */
uint8_t ttp_lrc(const uint8_t *bytes, size_t len);
/* Writes STX LEN payload ETX LRC into out (cap >= len + 5); returns the frame length, 0 when it does not fit. */
size_t ttp_frame_encode(const uint8_t *payload, size_t len, uint8_t *out, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
