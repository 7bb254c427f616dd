/*
 * demo.c - a demo "firmware" around the reference TTP agent: a POSIX program that opens the tty
 * named on the command line (one end of a socat PTY pair in the tests, a USB-serial adapter on a
 * bench) and runs a tiny fake payment application on it: boot, idle screen, menu, amount entry,
 * card, PIN, approval without a host, two voucher copies as print events, reprint, settlement,
 * ECR sale, reset and power cut/cycle (RAM state lost, "NVRAM" kept).
 *
 * It shows what a vendor's port of the agent looks like: the port callbacks at the bottom, the
 * main loop calling ttp_agent_poll(). It is not a payment application: nothing is sent to a host.
 *
 * usage: ttp-demo TTY [--verbose]
 */
#include "ttp_agent.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

typedef enum { APP_OFF, APP_BOOTING, APP_IDLE, APP_MENU, APP_AMOUNT, APP_CARD, APP_PIN, APP_RESULT } app_screen_t;

/* What survives a power cut (the terminal's flash). */
typedef struct {
    unsigned long trace;
    char last_amount[13];
    unsigned long last_trace;
    int have_last;
    unsigned sales;
    ttp_config_t config;
    long clock_offset;
} nvram_t;

/* What a power cut loses. */
typedef struct {
    app_screen_t screen;
    uint32_t boot_started;
    int boot_phase;
    char amount[13];
    unsigned pin_digits;
    int via_ecr;
    int reprint_pending;
    ttp_ecr_request_t ecr;
} ram_t;

static ttp_agent_t agent;
static nvram_t nv;
static ram_t ram;
static int fd = -1;
static int verbose;
static volatile sig_atomic_t stopping;

static uint32_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)((unsigned long long)ts.tv_sec * 1000ull + (unsigned long long)ts.tv_nsec / 1000000ull);
}

static void show(const char *id, const char *l0, const char *l1, const char *l2, const char *l3)
{
    const char *lines[4];
    unsigned n = 0;
    if (l0) lines[n++] = l0;
    if (l1) lines[n++] = l1;
    if (l2) lines[n++] = l2;
    if (l3) lines[n++] = l3;
    ttp_agent_display(&agent, lines, n, id);
}

static void format_amount(const char *fen, char out[24])
{
    unsigned long v = strtoul(fen[0] ? fen : "0", NULL, 10);
    snprintf(out, 24, "%lu.%02lu", v / 100ul, v % 100ul);
}

static void go_idle(void)
{
    ram.screen = APP_IDLE;
    ram.amount[0] = '\0';
    ram.pin_digits = 0;
    ttp_agent_state(&agent, TTP_ST_IDLE);
    show("idle", "DEMO POS", "TEST MODE", "ENTER: menu", NULL);
}

static void show_amount(void)
{
    char a[24], line[40];
    format_amount(ram.amount, a);
    snprintf(line, sizeof line, "AMOUNT: %s", a);
    show("amount", "SALE", "ENTER AMOUNT", line, NULL);
}

static void show_card(void)
{
    char a[24], line[40];
    format_amount(ram.amount, a);
    snprintf(line, sizeof line, "AMOUNT: %s", a);
    ttp_agent_state(&agent, TTP_ST_CARD_WAIT);
    show("card", "SALE", line, "SWIPE OR INSERT CARD", NULL);
}

static void show_pin(void)
{
    char stars[16];
    unsigned i;
    for (i = 0; i < ram.pin_digits && i < sizeof stars - 1; i++) stars[i] = '*';
    stars[i] = '\0';
    show("pin", "SALE", "ENTER PIN", stars, "ENTER: no PIN");
}

static void print_voucher(ttp_print_copy_t copy, const char *amount, unsigned long trace, int reprint)
{
    char a[24], amt[40], tr[40], tr6[8];
    const char *lines[8];
    unsigned n = 0;
    format_amount(amount, a);
    snprintf(amt, sizeof amt, "AMOUNT: CNY %s", a);
    snprintf(tr, sizeof tr, "TRACE: %06lu", trace);
    snprintf(tr6, sizeof tr6, "%06lu", trace);
    lines[n++] = "DEMO POS SALES SLIP";
    lines[n++] = "**TEST** NOT A REAL TRANSACTION";
    lines[n++] = copy == TTP_COPY_MERCHANT ? "MERCHANT COPY" : "CARDHOLDER COPY";
    lines[n++] = "CARD: 622202******0123";
    lines[n++] = amt;
    lines[n++] = tr;
    if (reprint) lines[n++] = "DUPLICATE";
    ttp_agent_print(&agent, copy, lines, n, reprint, tr6);
}

/* Approval without a host: the demo has none. */
static void approve(void)
{
    char a[24], line[40];
    ttp_ecr_result_t r;
    unsigned long trace = ++nv.trace;
    ttp_agent_state(&agent, TTP_ST_ONLINE);
    show("online", "SALE", "PROCESSING", NULL, NULL);
    ttp_agent_state(&agent, TTP_ST_PRINTING);
    print_voucher(TTP_COPY_MERCHANT, ram.amount, trace, 0);
    if (nv.config.voucher_copies >= 2) print_voucher(TTP_COPY_CARDHOLDER, ram.amount, trace, 0);
    strcpy(nv.last_amount, ram.amount);
    nv.last_trace = trace;
    nv.have_last = 1;
    nv.sales++;
    format_amount(ram.amount, a);
    snprintf(line, sizeof line, "AMOUNT: %s", a);
    ram.screen = APP_RESULT;
    ttp_agent_state(&agent, TTP_ST_RESULT);
    show("approved", "SALE", "APPROVED", line, NULL);
    if (ram.via_ecr) {
        memset(&r, 0, sizeof r);
        r.approved = 1;
        strcpy(r.response_code, "00");
        strcpy(r.message, "APPROVED");
        strcpy(r.amount, ram.amount);
        snprintf(r.trace, sizeof r.trace, "%06lu", trace);
        strcpy(r.batch, "000001");
        snprintf(r.rrn, sizeof r.rrn, "%012lu", trace);
        strcpy(r.auth_code, "DEMO01");
        strcpy(r.masked_pan, "622202*********0123");
        ram.via_ecr = 0;
        ttp_agent_ecr_done(&agent, &ram.ecr, &r);
    }
}

static void cancel_flow(const char *why)
{
    if (ram.via_ecr) { ram.via_ecr = 0; ttp_agent_ecr_failed(&agent, TTP_E_CANCELLED, why); }
    go_idle();
}

static void reprint_last(void)
{
    if (!nv.have_last) {
        ram.screen = APP_RESULT;
        ttp_agent_state(&agent, TTP_ST_RESULT);
        show("no-transaction", "REPRINT", "NO TRANSACTION", NULL, NULL);
        return;
    }
    ttp_agent_state(&agent, TTP_ST_PRINTING);
    print_voucher(TTP_COPY_MERCHANT, nv.last_amount, nv.last_trace, 1);
    go_idle();
}

static void settle(void)
{
    char line[40];
    const char *lines[3];
    snprintf(line, sizeof line, "SALES: %u", nv.sales);
    lines[0] = "DEMO POS SETTLEMENT";
    lines[1] = "**TEST**";
    lines[2] = line;
    ttp_agent_state(&agent, TTP_ST_SETTLING);
    show("settling", "SETTLEMENT", "PLEASE WAIT", NULL, NULL);
    ttp_agent_print(&agent, TTP_COPY_SETTLEMENT, lines, 3, 0, NULL);
    nv.sales = 0;
    ram.screen = APP_RESULT;
    ttp_agent_state(&agent, TTP_ST_RESULT);
    show("settled", "SETTLEMENT", "SETTLED", NULL, NULL);
}

/* ------------------------------------------------------------------ port callbacks */

static ttp_status_t on_key(void *ctx, const char *key)
{
    (void)ctx;
    switch (ram.screen) {
    case APP_IDLE:
        if (!strcmp(key, "ENTER") || !strcmp(key, "MENU")) {
            ram.screen = APP_MENU;
            ttp_agent_state(&agent, TTP_ST_MENU);
            show("main-menu", "MENU", "1.SALE", "2.REPRINT", "3.SETTLE");
        }
        break;
    case APP_MENU:
        if (!strcmp(key, "1")) {
            ram.screen = APP_AMOUNT;
            ram.amount[0] = '\0';
            ttp_agent_state(&agent, TTP_ST_INPUT);
            show_amount();
        } else if (!strcmp(key, "2")) reprint_last();
        else if (!strcmp(key, "3")) settle();
        else if (!strcmp(key, "CANCEL")) go_idle();
        break;
    case APP_AMOUNT:
        if (key[0] >= '0' && key[0] <= '9') {
            size_t n = strlen(ram.amount);
            if (n + strlen(key) < 10 && !(n == 0 && key[0] == '0')) strcat(ram.amount, key);
            show_amount();
        } else if (!strcmp(key, "CLEAR")) {
            size_t n = strlen(ram.amount);
            if (n) ram.amount[n - 1] = '\0';
            show_amount();
        } else if (!strcmp(key, "ENTER") && ram.amount[0]) {
            ram.screen = APP_CARD;
            show_card();
        } else if (!strcmp(key, "CANCEL")) cancel_flow("cancelled at the amount screen");
        break;
    case APP_CARD:
        if (!strcmp(key, "CANCEL")) cancel_flow("cancelled at the card prompt");
        break;
    case APP_PIN:
        if (key[0] >= '0' && key[0] <= '9' && key[1] == '\0') { if (ram.pin_digits < 12) ram.pin_digits++; show_pin(); }
        else if (!strcmp(key, "CLEAR")) { if (ram.pin_digits) ram.pin_digits--; show_pin(); }
        else if (!strcmp(key, "ENTER")) approve();
        else if (!strcmp(key, "CANCEL")) cancel_flow("cancelled at PIN entry");
        break;
    case APP_RESULT:
        go_idle();
        break;
    case APP_OFF:
    case APP_BOOTING:
        break;
    }
    return TTP_OK;
}

static ttp_status_t on_card(void *ctx, ttp_card_action_t action, ttp_card_method_t method, const ttp_card_t *card)
{
    (void)ctx;
    (void)card; /* a real reader would read it; the demo only needs to know a card came */
    if (action == TTP_CARD_PRESENT && ram.screen == APP_CARD && method != TTP_METHOD_TAP) {
        ttp_agent_state(&agent, TTP_ST_CARD_READ);
        ram.screen = APP_PIN;
        ram.pin_digits = 0;
        ttp_agent_state(&agent, TTP_ST_PIN_ENTRY);
        show_pin();
    }
    return TTP_OK;
}

static ttp_status_t on_config_get(void *ctx, ttp_config_t *out)
{
    (void)ctx;
    *out = nv.config;
    return TTP_OK;
}

static ttp_status_t on_config_set(void *ctx, const ttp_config_t *in, const char **field)
{
    (void)ctx;
    (void)field;
    if (ram.screen != APP_IDLE && ram.screen != APP_RESULT) return TTP_E_INVALID_STATE;
    if (in->present & TTP_CFG_HOST) strcpy(nv.config.host, in->host);
    if (in->present & TTP_CFG_TPDU) strcpy(nv.config.tpdu, in->tpdu);
    if (in->present & TTP_CFG_MERCHANT_ID) strcpy(nv.config.merchant_id, in->merchant_id);
    if (in->present & TTP_CFG_TERMINAL_ID) strcpy(nv.config.terminal_id, in->terminal_id);
    if (in->present & TTP_CFG_MERCHANT_NAME) strcpy(nv.config.merchant_name, in->merchant_name);
    if (in->present & TTP_CFG_LANGUAGE) strcpy(nv.config.language, in->language);
    if (in->present & TTP_CFG_COPIES) nv.config.voucher_copies = in->voucher_copies;
    if (in->present & TTP_CFG_TIMEOUTS) {
        if (in->host_response_ms >= 0) nv.config.host_response_ms = in->host_response_ms;
        if (in->host_connect_ms >= 0) nv.config.host_connect_ms = in->host_connect_ms;
        if (in->card_ms >= 0) nv.config.card_ms = in->card_ms;
        if (in->pin_ms >= 0) nv.config.pin_ms = in->pin_ms;
        if (in->idle_ms >= 0) nv.config.idle_ms = in->idle_ms;
    }
    return TTP_OK;
}

static ttp_status_t on_clock_get(void *ctx, char out[20])
{
    time_t t = time(NULL) + nv.clock_offset;
    struct tm tm;
    (void)ctx;
    localtime_r(&t, &tm);
    strftime(out, 20, "%Y-%m-%dT%H:%M:%S", &tm);
    return TTP_OK;
}

static ttp_status_t on_clock_set(void *ctx, const char *s)
{
    struct tm tm;
    (void)ctx;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = atoi(s) - 1900;
    tm.tm_mon = atoi(s + 5) - 1;
    tm.tm_mday = atoi(s + 8);
    tm.tm_hour = atoi(s + 11);
    tm.tm_min = atoi(s + 14);
    tm.tm_sec = atoi(s + 17);
    tm.tm_isdst = -1;
    nv.clock_offset = (long)(mktime(&tm) - time(NULL));
    return TTP_OK;
}

static ttp_status_t on_reset(void *ctx, int factory)
{
    (void)ctx;
    if (ram.screen == APP_OFF || ram.screen == APP_BOOTING) return TTP_E_INVALID_STATE;
    if (factory) { nv.have_last = 0; nv.sales = 0; nv.trace = 0; }
    cancel_flow("reset");
    return TTP_OK;
}

static void boot(void)
{
    memset(&ram, 0, sizeof ram);
    ram.screen = APP_BOOTING;
    ram.boot_started = now_ms();
    ram.boot_phase = 0;
    ttp_agent_state(&agent, TTP_ST_BOOTING);
}

static void on_power(void *ctx, ttp_power_action_t action)
{
    (void)ctx;
    if (action == TTP_POWER_CUT) { memset(&ram, 0, sizeof ram); ram.screen = APP_OFF; }
    else boot();
}

static ttp_status_t on_ecr(void *ctx, const ttp_ecr_request_t *req)
{
    (void)ctx;
    if (ram.screen != APP_IDLE && ram.screen != APP_RESULT) return TTP_E_INVALID_STATE;
    if (!strcmp(req->request, "sale")) {
        ram.ecr = *req;
        ram.via_ecr = 1;
        strcpy(ram.amount, req->amount);
        ram.screen = APP_CARD;
        show_card();
        return TTP_PENDING;
    }
    if (!strcmp(req->request, "reprint")) {
        if (!nv.have_last) return TTP_E_INVALID_STATE;
        ram.ecr = *req;
        ram.reprint_pending = 1; /* printed from the main loop, after the agent took the request */
        return TTP_PENDING;
    }
    return TTP_E_NOT_SUPPORTED;
}

static size_t uart_read(void *ctx, uint8_t *buf, size_t max)
{
    ssize_t n;
    (void)ctx;
    n = read(fd, buf, max);
    if (n > 0) return (size_t)n;
    return 0;
}

static void uart_write(void *ctx, const uint8_t *data, size_t len)
{
    (void)ctx;
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) { struct pollfd p; p.fd = fd; p.events = POLLOUT; poll(&p, 1, 10); continue; }
            return; /* the other end is gone: the bytes are lost like on a pulled cable */
        }
        data += n;
        len -= (size_t)n;
    }
}

static uint32_t millis(void *ctx) { (void)ctx; return now_ms(); }
static void log_line(void *ctx, const char *m) { (void)ctx; if (verbose) fprintf(stderr, "ttp-demo: %s\n", m); }
static void on_signal(int sig) { (void)sig; stopping = 1; }

static const ttp_port_t port = {
    NULL, uart_read, uart_write, millis, 0,
    on_key, NULL, on_card, on_config_get, on_config_set, on_clock_get, on_clock_set, on_reset, on_power, on_ecr, log_line,
};

static const ttp_identity_t identity = {
    "poscert", "DEMO-C", "DEMO-000001", "ttp-agent-c demo 1.0",
    TTP_CAP_MAGSTRIPE | TTP_CAP_CONTACT | TTP_CAP_PRINTER | TTP_CAP_PINPAD, "en",
};

static int open_tty(const char *path)
{
    struct termios t;
    int f = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK);
    if (f < 0) return -1;
    if (tcgetattr(f, &t) == 0) {
        t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON | IXOFF);
        t.c_oflag &= ~(tcflag_t)OPOST;
        t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
        t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB | CSTOPB);
        t.c_cflag |= CS8 | CREAD | CLOCAL;
        t.c_cc[VMIN] = 0;
        t.c_cc[VTIME] = 0;
        cfsetispeed(&t, B115200);
        cfsetospeed(&t, B115200);
        tcsetattr(f, TCSANOW, &t);
    }
    return f;
}

int main(int argc, char **argv)
{
    struct sigaction sa;
    int i;
    const char *path = NULL;
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--verbose")) verbose = 1;
        else path = argv[i];
    }
    if (!path) { fprintf(stderr, "usage: %s TTY [--verbose]\n", argv[0]); return 2; }
    fd = open_tty(path);
    if (fd < 0) { fprintf(stderr, "ttp-demo: cannot open %s: %s\n", path, strerror(errno)); return 1; }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    memset(&nv, 0, sizeof nv);
    nv.config.present = TTP_CFG_HOST | TTP_CFG_TPDU | TTP_CFG_MERCHANT_ID | TTP_CFG_TERMINAL_ID | TTP_CFG_MERCHANT_NAME | TTP_CFG_LANGUAGE | TTP_CFG_COPIES;
    strcpy(nv.config.host, "127.0.0.1:5000");
    strcpy(nv.config.tpdu, "6000030000");
    strcpy(nv.config.merchant_id, "898110048990001");
    strcpy(nv.config.terminal_id, "00000001");
    strcpy(nv.config.merchant_name, "DEMO SHOP");
    strcpy(nv.config.language, "en");
    nv.config.voucher_copies = 2;
    nv.config.host_response_ms = nv.config.host_connect_ms = nv.config.card_ms = nv.config.pin_ms = nv.config.idle_ms = -1;

    ttp_agent_init(&agent, &port, &identity);
    boot();
    printf("ttp-demo: serving TTP on %s\n", path);
    fflush(stdout);
    while (!stopping) {
        struct pollfd p;
        p.fd = fd;
        p.events = POLLIN;
        poll(&p, 1, 5);
        ttp_agent_poll(&agent);
        if (ram.reprint_pending) {
            ttp_ecr_result_t r;
            ram.reprint_pending = 0;
            reprint_last();
            memset(&r, 0, sizeof r);
            r.approved = 1;
            snprintf(r.trace, sizeof r.trace, "%06lu", nv.last_trace);
            ttp_agent_ecr_done(&agent, &ram.ecr, &r);
        }
        if (ram.screen == APP_BOOTING) {
            uint32_t t = now_ms() - ram.boot_started;
            if (ram.boot_phase == 0 && t >= 100) { ram.boot_phase = 1; ttp_agent_state(&agent, TTP_ST_SELF_TEST); }
            if (ram.boot_phase == 1 && t >= 200) go_idle();
        }
    }
    close(fd);
    return 0;
}
