/*
 * ttp_link.c - the byte layer of the TTP agent: receiver state machine with resynchronisation
 * (section 4), ACK/NAK, stop-and-wait transmit queue with retransmission (section 3), duplicate
 * suppression and sessions (sections 3.1, 3.2). Commands are handed to ttp_agent.c.
 *
 * Compile-time defects for the conformance checker's own tests (never in real firmware):
 * BROKEN_LRC (sends a wrong LRC), NO_RETRANSMIT (drops a frame instead of sending it again),
 * NO_DUP_SUPPRESS (acts on retransmitted frames again).
 */
#include "ttp_internal.h"
#include <string.h>

#define TXF_REPLY 0x01u  /* a reply: kept when the link is declared broken */
#define TXF_POWER 0x02u  /* the reply to `power`: the agent acts once it is acknowledged */

uint8_t ttp_lrc(const uint8_t *bytes, size_t len)
{
    uint8_t lrc = 0;
    size_t i;
    for (i = 0; i < len; i++) lrc ^= bytes[i];
    return lrc;
}

size_t ttp_frame_encode(const uint8_t *payload, size_t len, uint8_t *out, size_t cap)
{
    if (len > 0xFFFFu || cap < len + 5) return 0;
    out[0] = TTP_STX;
    out[1] = (uint8_t)(len >> 8);
    out[2] = (uint8_t)(len & 0xFFu);
    if (payload != out + 3) memmove(out + 3, payload, len);
    out[3 + len] = TTP_ETX;
    out[4 + len] = ttp_lrc(out + 1, len + 3);
#ifdef BROKEN_LRC
    out[4 + len] ^= TTP_STX; /* defect: STX taken into the LRC */
#endif
    return len + 5;
}

static uint32_t now(ttp_agent_t *a) { return a->port->millis(a->port->ctx); }
static int due(uint32_t t, uint32_t deadline) { return (int32_t)(t - deadline) >= 0; }
static void put_byte(ttp_agent_t *a, uint8_t b) { a->port->uart_write(a->port->ctx, &b, 1); }

/* ------------------------------------------------------------------ transmit queue */

static size_t rec_len(const uint8_t *rec) { return 1u + 5u + (((size_t)rec[2] << 8) | rec[3]); }

uint8_t *ttp_tx_reserve(ttp_agent_t *a, size_t *cap)
{
    size_t room = TTP_TXQ_BYTES - a->txq_len;
    if (room < 1 + 5 + 2) { *cap = 0; return NULL; }
    *cap = room - 1 - 5;
    return a->txq + a->txq_len + 1 + 3; /* where the payload goes */
}

int ttp_tx_commit(ttp_agent_t *a, size_t payload_len, int reply, int power)
{
    uint8_t *rec = a->txq + a->txq_len;
    if (payload_len > TTP_MAX_PAYLOAD) return -1; /* never send more than the peer must accept */
    rec[0] = (uint8_t)((reply ? TXF_REPLY : 0u) | (power ? TXF_POWER : 0u));
    ttp_frame_encode(rec + 4, payload_len, rec + 1, payload_len + 5);
    a->txq_len += 1 + 5 + payload_len;
    ttp_tx_pump(a);
    return 0;
}

static void pop_head(ttp_agent_t *a, int acknowledged)
{
    size_t n = rec_len(a->txq);
    uint8_t flags = a->txq[0];
    memmove(a->txq, a->txq + n, a->txq_len - n);
    a->txq_len -= n;
    a->tx_active = 0;
    if (flags & TXF_POWER) ttp_agent_power_reply_gone(a);
    (void)acknowledged;
}

static void transmit(ttp_agent_t *a)
{
    size_t n = rec_len(a->txq) - 1;
    uint32_t air = a->port->baud ? (uint32_t)((n * 10u * 1000u) / a->port->baud) + 1u : 0u;
    a->port->uart_write(a->port->ctx, a->txq + 1, n);
    a->stats.frames_sent++;
    /* The ACK timer runs from the last byte on the wire (section 3, TTP 1.1 text on timers). */
    a->tx_deadline = now(a) + air + TTP_ACK_TIMEOUT_MS;
}

void ttp_tx_pump(ttp_agent_t *a)
{
    if (a->tx_active || a->drain_remaining || a->link_broken || a->txq_len == 0) return;
    a->tx_active = 1;
    a->tx_attempt = 0;
    a->tx_answers = 0;
    transmit(a);
}

/* After 1 + 3 unacknowledged transmissions: the link is broken. Events are dropped, replies kept
 * (an ecr result must not be lost) and sent again after the next intact frame (section 3 item 4). */
static void link_broken(ttp_agent_t *a)
{
    size_t r = 0, w = 0;
    a->stats.links_broken++;
    a->tx_active = 0;
    a->link_broken = 1;
    while (r < a->txq_len) {
        size_t n = rec_len(a->txq + r);
        uint8_t flags = a->txq[r];
        if (flags & TXF_POWER) { a->txq[r] &= (uint8_t)~TXF_POWER; ttp_agent_power_reply_gone(a); }
        if (flags & TXF_REPLY) {
            memmove(a->txq + w, a->txq + r, n);
            w += n;
        } else {
            a->stats.events_dropped++;
        }
        r += n;
    }
    a->txq_len = w;
    ttp_log(a, "link broken: frame not acknowledged after 4 transmissions");
}

static void retransmit_or_break(ttp_agent_t *a)
{
#ifdef NO_RETRANSMIT
    (void)link_broken;
    pop_head(a, 0); /* defect: the frame is given up at once */
    ttp_tx_pump(a);
    return;
#else
    if (a->tx_attempt >= TTP_MAX_RETRANSMISSIONS) { link_broken(a); return; }
    a->tx_attempt++;
    a->stats.retransmissions++;
    transmit(a);
#endif
}

static void on_answer(ttp_agent_t *a, int ack)
{
    if (!ack) a->stats.naks_received++;
    if (a->drain_remaining) {
        /* The answer to another copy of a frame already acknowledged (section 3 item 6). */
        a->stats.stray_answers++;
        if (--a->drain_remaining == 0) ttp_tx_pump(a);
        return;
    }
    if (!a->tx_active) { a->stats.stray_answers++; return; } /* section 3 item 5 */
    a->tx_answers++;
    if (!ack) { retransmit_or_break(a); return; }
    {
        unsigned copies = a->tx_attempt + 1;
        unsigned answers = a->tx_answers;
        pop_head(a, 1);
        if (answers < copies) {
            a->drain_remaining = copies - answers;
            a->drain_deadline = now(a) + TTP_ACK_TIMEOUT_MS;
        } else {
            ttp_tx_pump(a);
        }
    }
}

/* ------------------------------------------------------------------ receiver */

static int is_skip(ttp_agent_t *a, size_t pos)
{
    unsigned i;
    for (i = 0; i < a->nskip; i++) if (a->skip[i] == pos) return 1;
    return 0;
}

static void add_skip(ttp_agent_t *a, size_t pos)
{
    if (a->nskip < sizeof a->skip / sizeof a->skip[0]) a->skip[a->nskip++] = pos;
}

/*
 * A damaged frame: NAK, then rescan from the byte after its STX (section 4 item 3), before any
 * bytes still waiting to be rescanned. The frame's bytes are moved to sit just before those, so
 * one buffer of TTP_MAX_PAYLOAD + 5 bytes is enough. Its LEN bytes (and LRC byte when the LRC was
 * wrong) are not taken for ACK/NAK while rescanning.
 */
static void damaged(ttp_agent_t *a, int bad_lrc)
{
    size_t n = a->rx_len - 1;
    size_t start;
    unsigned i, k = 0;
    put_byte(a, TTP_NAK);
    a->stats.naks_sent++;
    a->stats.damaged_frames++;
    if (a->replaying) {
        start = a->rp - n;
        memmove(a->rx + start, a->rx + 1, n);
        for (i = 0; i < a->nskip; i++) if (a->skip[i] >= a->rp) a->skip[k++] = a->skip[i];
        a->nskip = k;
    } else {
        start = 1;
        a->re = a->rx_len;
        a->nskip = 0;
        a->replaying = 1;
    }
    a->rp = start;
    if (n >= 1) add_skip(a, start);
    if (n >= 2) add_skip(a, start + 1);
    if (bad_lrc) add_skip(a, start + n - 1);
    a->rx_len = 0;
}

static void frame_complete(ttp_agent_t *a)
{
    const uint8_t *payload = a->rx + 3;
    size_t len = a->rx_need;
    int hello = 0, has_session = 0;
    long session = 0;
    int identical, duplicate;
    uint32_t t = now(a);
    a->rx_len = 0;
    if (ttp_agent_check_message(a, payload, len, &hello, &has_session, &session) != 0) {
        /* Intact envelope, invalid payload: line damage the LRC missed, or a faulty sender (section 3 item 3). */
        put_byte(a, TTP_NAK);
        a->stats.naks_sent++;
        a->stats.invalid_payloads++;
        ttp_log(a, "NAK: intact frame whose payload is not a TTP message");
        return;
    }
    put_byte(a, TTP_ACK);
    if (a->link_broken) { a->link_broken = 0; } /* an intact frame: the peer is back */
    identical = a->have_last && a->last_len == len && memcmp(a->last, payload, len) == 0
        && (uint32_t)(t - a->last_ms) <= TTP_DUPLICATE_WINDOW_MS;
    /* A hello without a session (TTP 1.0 harness) cannot be told from a new connection's: always executed. */
    duplicate = identical && !(hello && !has_session);
#ifdef NO_DUP_SUPPRESS
    duplicate = 0; /* defect: a retransmitted command is executed again */
#endif
    if (duplicate) {
        a->stats.duplicates_dropped++;
        a->last_ms = t;
        ttp_tx_pump(a);
        return;
    }
    a->stats.frames_received++;
    memcpy(a->last, payload, len);
    a->last_len = len;
    a->have_last = 1;
    a->last_ms = t;
    if (hello) a->session = has_session ? session : 0; /* a new harness session (section 3.2) */
    ttp_agent_dispatch(a, payload, len);
    ttp_tx_pump(a);
}

/* One byte, live or rescanned; `ctl_ok` is 0 for LEN/LRC bytes of a damaged frame. */
static void step(ttp_agent_t *a, uint8_t b, int ctl_ok)
{
    size_t i;
    if (a->rx_len == 0) {
        if (b == TTP_STX) {
            a->rx[0] = b;
            a->rx_len = 1;
            a->rx_lrc = 0;
        } else if ((b == TTP_ACK || b == TTP_NAK) && ctl_ok) {
            on_answer(a, b == TTP_ACK);
        } else {
            a->stats.noise_bytes++;
        }
        return;
    }
    i = a->rx_len;
    a->rx[a->rx_len++] = b;
    if (i == 1) { a->rx_lrc ^= b; return; }
    if (i == 2) {
        a->rx_lrc ^= b;
        a->rx_need = ((unsigned)a->rx[1] << 8) | b;
        if (a->rx_need > TTP_MAX_PAYLOAD) damaged(a, 0); /* at once (section 2.3) */
        return;
    }
    if (i < 3 + a->rx_need) {
        a->rx_lrc ^= b;
        if (b < 0x20 && b != 0x09 && b != 0x0A && b != 0x0D) damaged(a, 0); /* cannot be in JSON (section 4 item 2) */
        return;
    }
    if (i == 3 + a->rx_need) {
        a->rx_lrc ^= b;
        if (b != TTP_ETX) damaged(a, 0);
        return;
    }
    if (b != a->rx_lrc) { damaged(a, 1); return; }
    frame_complete(a);
}

static void drain_replay(ttp_agent_t *a)
{
    while (a->replaying) {
        size_t pos;
        if (a->rp >= a->re) { a->replaying = 0; a->nskip = 0; break; }
        pos = a->rp++;
        step(a, a->rx[pos], !is_skip(a, pos));
    }
}

void ttp_agent_feed(ttp_agent_t *a, const uint8_t *data, size_t len)
{
    size_t i;
    for (i = 0; i < len; i++) {
        a->rx_last_ms = now(a);
        step(a, data[i], 1);
        drain_replay(a);
    }
}

void ttp_link_poll(ttp_agent_t *a)
{
    uint32_t t;
    if (a->port->uart_read) {
        uint8_t buf[64];
        size_t n;
        while ((n = a->port->uart_read(a->port->ctx, buf, sizeof buf)) > 0) ttp_agent_feed(a, buf, n);
    }
    t = now(a);
    if (a->rx_len > 0 && due(t, a->rx_last_ms + TTP_FRAME_TIMEOUT_MS)) {
        /* Silence inside a frame: damaged (section 4 item 4). */
        a->rx_last_ms = t;
        damaged(a, 0);
        drain_replay(a);
    }
    if (a->drain_remaining && due(t, a->drain_deadline)) {
        a->drain_remaining = 0;
        ttp_tx_pump(a);
    }
    if (a->tx_active && due(t, a->tx_deadline)) {
        a->stats.ack_timeouts++;
        retransmit_or_break(a);
    }
}

void ttp_agent_link_reset(ttp_agent_t *a)
{
    /* A new link: the last accepted frame, the frame being retransmitted and the queued frames
     * belong to the old one (section 3.2 item 5). A reply still owed (a running ecr) goes out on
     * the new link when it is ready; a harness ignores replies it cannot place. */
    size_t r = 0;
    while (r < a->txq_len) {
        if (a->txq[r] & TXF_POWER) ttp_agent_power_reply_gone(a);
        r += rec_len(a->txq + r);
    }
    a->txq_len = 0;
    a->tx_active = 0;
    a->rx_len = 0;
    a->replaying = 0;
    a->nskip = 0;
    a->have_last = 0;
    a->drain_remaining = 0;
    a->link_broken = 0;
}
