/* authcache.c: see authcache.h. A kept session is one malloc'd block: the struct, its
 * assignments, then its strings, with the pointers stored as offsets into the block
 * (0 for NULL: no string starts at 0, the struct does); a copy out is one memcpy and a
 * fix-up of those pointers. */
#include "auth/authcache.h"
#include "auth/session.h"
#include "core/arena.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 1024

struct slot {
	unsigned char h[32];
	struct authcache_facts f;
	char *blob; /* NULL: empty */
	size_t len;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct slot slots[SLOTS];

static unsigned slot_of(const unsigned char h[32])
{
	return ((unsigned)h[0] | (unsigned)h[1] << 8) % SLOTS;
}

static size_t str_size(const char *p)
{
	return p ? strlen(p) + 1 : 0;
}

/* Copies p to blob + *at and returns its offset as a pointer (NULL stays NULL). */
static const char *put_str(char *blob, size_t *at, const char *p)
{
	if (!p)
		return NULL;
	size_t n = strlen(p) + 1, off = *at;
	memcpy(blob + off, p, n);
	*at += n;
	return (const char *)(uintptr_t)off;
}

static const char *fix(char *base, const char *p)
{
	return p ? base + (uintptr_t)p : NULL;
}

void authcache_put(const unsigned char h[32], const struct auth_session *s, const struct authcache_facts *f)
{
	size_t head = sizeof *s + s->n_as * sizeof *s->as, len = head + str_size(s->username) + str_size(s->name);
	for (size_t i = 0; i < s->n_as; i++)
		len += str_size(s->as[i].org_path) + str_size(s->as[i].org_name);
	char *blob = malloc(len);
	if (!blob)
		return;
	struct auth_session *c = (struct auth_session *)blob;
	*c = *s;
	struct auth_assignment *as = (struct auth_assignment *)(blob + sizeof *s);
	size_t at = head;
	c->username = put_str(blob, &at, s->username);
	c->name = put_str(blob, &at, s->name);
	for (size_t i = 0; i < s->n_as; i++) {
		as[i] = s->as[i];
		as[i].org_path = put_str(blob, &at, s->as[i].org_path);
		as[i].org_name = put_str(blob, &at, s->as[i].org_name);
	}
	c->as = NULL;
	pthread_mutex_lock(&mu);
	struct slot *sl = &slots[slot_of(h)];
	char *old = sl->blob;
	memcpy(sl->h, h, sizeof sl->h);
	sl->f = *f;
	sl->blob = blob;
	sl->len = len;
	pthread_mutex_unlock(&mu);
	free(old);
}

bool authcache_get(const unsigned char h[32], int64_t rev, struct arena *a, struct auth_session **s,
		   struct authcache_facts *f)
{
	char *copy = NULL;
	pthread_mutex_lock(&mu);
	const struct slot *sl = &slots[slot_of(h)];
	if (sl->blob && sl->f.rev == rev && memcmp(sl->h, h, sizeof sl->h) == 0) {
		copy = arena_alloc_raw(a, sl->len);
		memcpy(copy, sl->blob, sl->len);
		*f = sl->f;
	}
	pthread_mutex_unlock(&mu);
	if (!copy)
		return false;
	struct auth_session *c = (struct auth_session *)copy;
	c->username = fix(copy, c->username);
	c->name = fix(copy, c->name);
	c->as = (struct auth_assignment *)(copy + sizeof *c);
	for (size_t i = 0; i < c->n_as; i++) {
		c->as[i].org_path = fix(copy, c->as[i].org_path);
		c->as[i].org_name = fix(copy, c->as[i].org_name);
	}
	*s = c;
	return true;
}

void authcache_clear(void)
{
	pthread_mutex_lock(&mu);
	for (unsigned i = 0; i < SLOTS; i++) {
		free(slots[i].blob);
		slots[i].blob = NULL;
	}
	pthread_mutex_unlock(&mu);
}
