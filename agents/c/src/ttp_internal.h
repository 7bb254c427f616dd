/*
 * ttp_internal.h - what the agent's byte layer (ttp_link.c) and its command layer (ttp_agent.c)
 * share. Not part of the firmware's API.
 */
#ifndef TTP_INTERNAL_H
#define TTP_INTERNAL_H

#include "ttp_agent.h"
#include "ttp_json.h"

/* A copy identical to the last accepted frame is a retransmission only within this window (section 3.1). */
#define TTP_DUPLICATE_WINDOW_MS (2u * (TTP_MAX_RETRANSMISSIONS + 1u) * TTP_ACK_TIMEOUT_MS)

/* Link layer (ttp_link.c). */
void ttp_link_poll(ttp_agent_t *a);
void ttp_tx_pump(ttp_agent_t *a);
/* Space for one payload at the end of the queue (NULL when full). */
uint8_t *ttp_tx_reserve(ttp_agent_t *a, size_t *cap);
/* Frame the payload written at the reserved place and queue it. */
int ttp_tx_commit(ttp_agent_t *a, size_t payload_len, int reply, int power);

/* Command layer (ttp_agent.c). */
/* 0 when the payload is a UTF-8 JSON object shaped as a request, reply or event (section 5.4). */
int ttp_agent_check_message(ttp_agent_t *a, const uint8_t *payload, size_t len, int *hello, int *has_session, long *session);
void ttp_agent_dispatch(ttp_agent_t *a, const uint8_t *payload, size_t len);
/* The reply to `power` was acknowledged (or given up): act now. */
void ttp_agent_power_reply_gone(ttp_agent_t *a);
void ttp_log(ttp_agent_t *a, const char *message);

#endif
