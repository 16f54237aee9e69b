/* revcache.c: see revcache.h. */
#include "model/revcache.h"
#include "core/arena.h"
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

bool revcache_get(struct revcache *c, const char *prefix, int64_t epoch, int64_t rev, int64_t day, void *out)
{
	bool hit = false;
	pthread_mutex_lock(&c->mu);
	for (unsigned i = 0; i < c->n && !hit; i++) {
		const struct revcache_slot *s = &c->slots[i];
		if (s->used && s->rev == rev && s->epoch == epoch && s->day == day && strcmp(s->prefix, prefix) == 0) {
			memcpy(out, c->values + (size_t)i * c->size, c->size);
			hit = true;
		}
	}
	pthread_mutex_unlock(&c->mu);
	return hit;
}

void revcache_put(struct revcache *c, const char *prefix, int64_t epoch, int64_t rev, int64_t day, const void *value)
{
	if (strlen(prefix) >= sizeof c->slots[0].prefix)
		return;
	pthread_mutex_lock(&c->mu);
	unsigned i = c->next++ % c->n;
	struct revcache_slot *s = &c->slots[i];
	snprintf(s->prefix, sizeof s->prefix, "%s", prefix);
	s->epoch = epoch;
	s->rev = rev;
	s->day = day;
	s->used = true;
	memcpy(c->values + (size_t)i * c->size, value, c->size);
	pthread_mutex_unlock(&c->mu);
}

bool revcache_get_blob(struct revcache *c, const char *prefix, int64_t epoch, int64_t rev, int64_t day,
		       struct arena *a, char **out, size_t *len)
{
	bool hit = false;
	pthread_mutex_lock(&c->mu);
	for (unsigned i = 0; i < c->n && !hit; i++) {
		const struct revcache_slot *s = &c->slots[i];
		if (s->used && s->rev == rev && s->epoch == epoch && s->day == day && strcmp(s->prefix, prefix) == 0) {
			const struct revcache_blob *v = (const struct revcache_blob *)(c->values + (size_t)i * c->size);
			*out = arena_alloc_raw(a, v->len + 1);
			memcpy(*out, v->p, v->len);
			(*out)[v->len] = '\0';
			*len = v->len;
			hit = true;
		}
	}
	pthread_mutex_unlock(&c->mu);
	return hit;
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
	struct revcache_blob v = {copy, len};
	pthread_mutex_lock(&c->mu);
	unsigned i = c->next++ % c->n;
	struct revcache_slot *s = &c->slots[i];
	struct revcache_blob *old = (struct revcache_blob *)(c->values + (size_t)i * c->size);
	free(old->p);
	*old = v;
	snprintf(s->prefix, sizeof s->prefix, "%s", prefix);
	s->epoch = epoch;
	s->rev = rev;
	s->day = day;
	s->used = true;
	pthread_mutex_unlock(&c->mu);
	return true;
}
