/* router.h: routes and their policy. Every route is a line in the table at the bottom
 * of its src/api/<resource>.c, declaring its method, path pattern, handler, the
 * permission it needs and its flags (redis-style: policy is data, checked centrally
 * before the handler runs). A route without a permission is refused at start-up;
 * public routes say PERM_PUBLIC. */
#ifndef DJ_ROUTER_H
#define DJ_ROUTER_H
#include <stdbool.h>
#include <stddef.h>

struct request;
struct params;
typedef void (*route_handler)(struct request *req);

/* Permission pseudo-codes: no session needed / any signed-in user. */
#define PERM_PUBLIC "public"
#define PERM_SESSION "session"

enum route_flag {
	RF_TX_READ = 1 << 0,  /* handler runs inside a read transaction (consistent snapshot) */
	RF_TX_WRITE = 1 << 1, /* handler runs inside BEGIN IMMEDIATE; committed unless it failed */
	RF_NO_CSRF = 1 << 2,  /* state-changing but without a session yet (login): Origin is still checked */
	RF_RAW_BODY = 1 << 3, /* the body is not JSON (file uploads): handler reads req->body */
	RF_ANY_STATE = 1 << 4,/* allowed while a password change or TOTP enrolment is pending */
	RF_TEST = 1 << 5,     /* exists only with test_mode */
	RF_REPLICA = 1 << 6,  /* a read whose answer may be replica_max_lag_ms old (statistics, exports): its
			       * transaction runs on the replica (db_replica) when one is fresh */
	RF__MAX = 1 << 7
};

#define ROUTE_MAX_PARAMS 6

struct route {
	const char *method;  /* GET, POST, PUT, PATCH, DELETE */
	const char *pattern; /* /api/v1/orgs/{id}/tree: {name} matches one non-empty segment */
	route_handler handler;
	const char *perm;    /* a permission code, PERM_PUBLIC or PERM_SESSION; never NULL */
	unsigned flags;      /* enum route_flag */
	size_t body_cap;     /* bytes; 0 = cfg.body_cap */
	const char *summary; /* one line, for `dangjian routes` */
	const struct params *in; /* its declared query/body fields (http/params.h), or NULL:
				    parsed into req->in before the handler runs */
};

struct route_table {
	const char *name;
	const struct route *routes;
	size_t n;
};

/* At file scope after `static const struct route NAME_routes[] = {...};` write
 * ROUTE_TABLE(NAME); tools/gen_registry collects it. */
#define ROUTE_TABLE(name) \
	const struct route_table route_table_##name = {#name, name##_routes, sizeof(name##_routes) / sizeof(name##_routes[0])}

/* All tables, NULL-terminated (generated). */
extern const struct route_table *const route_tables[];

struct route_param {
	const char *name; /* the pattern's {name}, without braces: points into a static buffer */
	const char *value;/* arena-owned */
};

struct route_match {
	const struct route *route; /* NULL when none */
	int index;                 /* index in router_all(), for metrics */
	int status;                /* 0, or 404 / 405 when route is NULL */
	char allow[64];            /* for 405: the methods the path does allow */
	int nparams;
	struct route_param params[ROUTE_MAX_PARAMS];
	char param_names[ROUTE_MAX_PARAMS][24];
};

/* Builds the merged route list from route_tables; checks every route declares a
 * permission and a known method. Returns 0, or -1 after printing why. */
int router_init(bool test_mode);
/* The same over the given NULL-terminated tables (unit tests and fuzzing). */
int router_init_tables(const struct route_table *const *tables, bool test_mode);
/* The merged routes and their count. */
const struct route *router_all(size_t *n);
/* Matches method and path (already percent-decoded). On a match, parameter values
 * are copied with the copier (arena). When several patterns match, the one with the
 * most literal segments, earliest, wins (/orgs/alerts over /orgs/{id}). */
void router_match(const char *method, const char *path, struct route_match *m,
		  char *(*copy)(void *ctx, const char *s, size_t n), void *ctx);
/* "GET", "POST"… in a flags-independent printable form, for `dangjian routes`. */
void router_print(void);
/* True for methods that change state. */
bool router_unsafe_method(const char *method);
#endif
