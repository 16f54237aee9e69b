/* sender.h: the outbox sender (issue 16): claims due SMS/WeChat rows with a lease,
 * sends them through their channel (jobs/channel.h) outside any transaction, and
 * records each outcome. Rules applied here, at send time: quiet hours (no SMS between
 * quiet_start and quiet_end: rows wait), the member's opt-out (cancelled), the daily
 * cap per member (moved to the next morning), a per-channel rate (a token bucket of
 * this process), retries with exponential backoff up to max_attempts (then given_up).
 * A row is sent at most once per dedup key: a send interrupted by a crash leaves the
 * row 'sending' until its lease runs out, and then it is marked failed/interrupted,
 * never sent again by itself; several servers claim different rows (the claim is one
 * statement in a write transaction; PostgreSQL: FOR UPDATE SKIP LOCKED). */
#ifndef DJ_SENDER_H
#define DJ_SENDER_H
#include "db/db.h"
#include <stdbool.h>
#include <stdint.h>

struct sender_stats {
	int64_t claimed, sent, retried, failed, given_up, cancelled, deferred, recovered;
};

/* One pass on db (outside a transaction): recovers expired sends, then claims and
 * sends what is due on each ready channel. DB_OK or the first database failure. */
enum db_rc sender_pass(struct db *db, struct sender_stats *st);
/* Starts / stops the sender thread (serve; stop at shutdown). 0 or -1. */
int sender_start(void);
void sender_stop(void);
/* Wakes the thread (a message was queued). */
void sender_kick(void);
/* This process's lease owner id (host/pid/random). */
const char *sender_owner(void);
#endif
