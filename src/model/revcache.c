/* revcache.c: see revcache.h. */
#include "model/revcache.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/wrote.h"
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* FNV-1a over the key's text and its numbers; never 0 (0 marks an unused slot). */
static uint64_t key_hash(const char *prefix, int64_t epoch, int64_t rev, int64_t day)
{
	uint64_t h = 1469598103934665603ull;
	for (const unsigned char *p = (const unsigned char *)prefix; *p; p++)
		h = (h ^ *p) * 1099511628211ull;
	const int64_t k[3] = {epoch, rev, day};
	const unsigned char *b = (const unsigned char *)k;
	for (size_t i = 0; i < sizeof k; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h ? h : 1;
}

/* The slot holding the key, or -1 (under c->mu). */
static long find_slot(const struct revcache *c, const char *prefix, int64_t epoch, int64_t rev, int64_t day,
		      uint64_t h)
{
	for (unsigned i = 0; i < c->n; i++) {
		if (c->hash[i] != h)
			continue;
		const struct revcache_slot *s = &c->slots[i];
		if (s->used && s->rev == rev && s->epoch == epoch && s->day == day && strcmp(s->prefix, prefix) == 0)
			return (long)i;
	}
	return -1;
}

bool revcache_get(struct revcache *c, const char *prefix, int64_t epoch, int64_t rev, int64_t day, void *out)
{
	uint64_t h = key_hash(prefix, epoch, rev, day);
	pthread_mutex_lock(&c->mu);
	long i = find_slot(c, prefix, epoch, rev, day, h);
	if (i >= 0)
		memcpy(out, c->values + (size_t)i * c->size, c->size);
	pthread_mutex_unlock(&c->mu);
	return i >= 0;
}

/* The next slot in turn, named by the key (under c->mu). */
static unsigned claim(struct revcache *c, const char *prefix, int64_t epoch, int64_t rev, int64_t day)
{
	unsigned i = c->next++ % c->n;
	struct revcache_slot *s = &c->slots[i];
	snprintf(s->prefix, sizeof s->prefix, "%s", prefix);
	s->epoch = epoch;
	s->rev = rev;
	s->day = day;
	s->used = true;
	c->hash[i] = key_hash(prefix, epoch, rev, day);
	return i;
}

void revcache_put(struct revcache *c, const char *prefix, int64_t epoch, int64_t rev, int64_t day, const void *value)
{
	if (strlen(prefix) >= sizeof c->slots[0].prefix)
		return;
	pthread_mutex_lock(&c->mu);
	unsigned i = claim(c, prefix, epoch, rev, day);
	memcpy(c->values + (size_t)i * c->size, value, c->size);
	pthread_mutex_unlock(&c->mu);
}

bool revcache_get_blob(struct revcache *c, const char *prefix, int64_t epoch, int64_t rev, int64_t day,
		       struct arena *a, char **out, size_t *len)
{
	uint64_t h = key_hash(prefix, epoch, rev, day);
	pthread_mutex_lock(&c->mu);
	long i = find_slot(c, prefix, epoch, rev, day, h);
	if (i >= 0) {
		const struct revcache_blob *v = (const struct revcache_blob *)(c->values + (size_t)i * c->size);
		*out = arena_alloc_raw(a, v->len + 1);
		memcpy(*out, v->p, v->len);
		(*out)[v->len] = '\0';
		*len = v->len;
	}
	pthread_mutex_unlock(&c->mu);
	return i >= 0;
}

bool revcache_put_blob(struct revcache *c, const char *prefix, int64_t epoch, int64_t rev, int64_t day,
		       const char *p, size_t len)
{
	if (strlen(prefix) >= sizeof c->slots[0].prefix)
		return false;
	char *copy = malloc(len ? len : 1);
	if (!copy)
		return false;
	memcpy(copy, p, len);
	pthread_mutex_lock(&c->mu);
	unsigned i = claim(c, prefix, epoch, rev, day);
	struct revcache_blob *v = (struct revcache_blob *)(c->values + (size_t)i * c->size);
	char *old = v->p;
	*v = (struct revcache_blob){copy, len};
	pthread_mutex_unlock(&c->mu);
	free(old);
	return true;
}

/* ---- computed texts ------------------------------------------------------------------ */

static struct revtext_entry *text_find(struct revtext *c, const char *key)
{
	for (unsigned i = 0; i < c->n; i++)
		if (c->e[i].key[0] && strcmp(c->e[i].key, key) == 0)
			return &c->e[i];
	return NULL;
}

/* A slot for key: an unused one, else the next in turn that nobody is rebuilding. */
static struct revtext_entry *text_claim(struct revtext *c, const char *key)
{
	struct revtext_entry *e = NULL;
	for (unsigned i = 0; i < c->n && !e; i++)
		if (!c->e[i].key[0])
			e = &c->e[i];
	for (unsigned k = 0; k < c->n && !e; k++) {
		struct revtext_entry *x = &c->e[c->next++ % c->n];
		if (!x->rebuilding)
			e = x;
	}
	if (!e)
		e = &c->e[c->next++ % c->n];
	free(e->text);
	memset(e, 0, sizeof *e);
	snprintf(e->key, sizeof e->key, "%s", key);
	return e;
}

static void text_copy(const struct revtext_entry *e, struct arena *a, char **out, size_t *len)
{
	*out = arena_alloc_raw(a, e->len + 1);
	memcpy(*out, e->text, e->len);
	(*out)[e->len] = '\0';
	*len = e->len;
}

enum revtext_got revtext_get(struct revtext *c, const struct revtext_ask *q, struct arena *a, char **out,
			     size_t *len)
{
	if (strlen(q->key) >= sizeof c->e[0].key)
		return REVTEXT_BUILD;
	double wrote = wrote_last(q->user_id);
	pthread_mutex_lock(&c->mu);
	for (;;) {
		double now = clock_mono_ms();
		struct revtext_entry *e = text_find(c, q->key);
		if (!e) {
			e = text_claim(c, q->key);
			e->rebuilding = now;
			break;
		}
		/* the caller's own last write is in the text's snapshot */
		bool theirs = e->text && wrote < e->began;
		if (theirs && now - e->began < q->ttl_ms && memcmp(e->rev, q->rev, sizeof e->rev) == 0) {
			text_copy(e, a, out, len);
			pthread_mutex_unlock(&c->mu);
			return REVTEXT_HIT;
		}
		if (!e->rebuilding || now - e->rebuilding >= REVTEXT_REBUILD_MS) {
			e->rebuilding = now;
			if (theirs) {
				text_copy(e, a, out, len);
				pthread_mutex_unlock(&c->mu);
				return REVTEXT_REFRESH;
			}
			break;
		}
		if (theirs) {
			text_copy(e, a, out, len);
			pthread_mutex_unlock(&c->mu);
			return REVTEXT_STALE;
		}
		/* nothing this caller may have yet: wait for the rebuild in flight */
		double until_ms = e->rebuilding + REVTEXT_REBUILD_MS - now;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		int64_t ns = ts.tv_nsec + (int64_t)(until_ms * 1e6);
		ts.tv_sec += (time_t)(ns / 1000000000);
		ts.tv_nsec = (long)(ns % 1000000000);
		pthread_cond_timedwait(&c->cv, &c->mu, &ts);
	}
	pthread_mutex_unlock(&c->mu);
	return REVTEXT_BUILD;
}

void revtext_put(struct revtext *c, const struct revtext_ask *q, const char *p, size_t len)
{
	if (strlen(q->key) >= sizeof c->e[0].key)
		return;
	char *copy = malloc(len ? len : 1);
	if (copy)
		memcpy(copy, p, len);
	pthread_mutex_lock(&c->mu);
	struct revtext_entry *e = text_find(c, q->key);
	if (!e)
		e = text_claim(c, q->key);
	e->rebuilding = 0;
	/* a computation taken over (REVTEXT_REBUILD_MS) may end after a later one: the
	 * later snapshot stays */
	if (copy && (!e->text || e->began <= q->began)) {
		free(e->text);
		e->text = copy;
		e->len = len;
		memcpy(e->rev, q->rev, sizeof e->rev);
		e->began = q->began;
		e->built = clock_mono_ms();
		copy = NULL;
	}
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
	free(copy);
}

void revtext_abandon(struct revtext *c, const struct revtext_ask *q)
{
	pthread_mutex_lock(&c->mu);
	struct revtext_entry *e = strlen(q->key) < sizeof c->e[0].key ? text_find(c, q->key) : NULL;
	if (e)
		e->rebuilding = 0;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
}
