/* report.h: the district's yearly report on grassroots Party building (issue 19 #3):
 * a template of sentences with named figures, checked, stored, and rendered to DOCX
 * with every figure computed from the platform's data (model/indicators.h).
 *
 * Template text, one line at a time:
 *   % 标题            the document's title (the first such line)
 *   # 一、标题         a part's heading
 *   ## （一）标题       a sub-heading
 *   其他文字           a paragraph (first line indented two characters)
 *   空行              ignored
 * `{key}` anywhere is the figure key (an indicator, or one of the context keys
 * org.name, period.year, period.from, period.to). `{` and `}` are only for figures:
 * an unbalanced one is an error, as is an unknown key or a figure no landed capability
 * computes yet (it is named as missing, never filled with a guess). */
#ifndef DJ_REPORT_H
#define DJ_REPORT_H
#include "core/arena.h"
#include "core/docx.h"
#include "db/db.h"
#include <stddef.h>
#include <stdint.h>

#define REPORT_MAX_BYTES (64 * 1024)

struct report_problem {
	int line, col;  /* 1-based; col counts characters (code points) */
	const char *code; /* unbalanced_brace, bad_key, unknown_key, missing_figure, too_long */
	char key[64];
	char message[200];
};

/* Checks tpl: the number of problems (0: fine), the first max of them in out. */
int report_check(const char *tpl, struct report_problem *out, int max);

/* A figure the report's structure names but no landed capability computes yet. */
struct report_planned {
	const char *key, *name, *capability;
};
const struct report_planned *report_planned_find(const char *key);
const struct report_planned *report_planned_all(size_t *n);
bool report_context_key(const char *key);

/* The built-in template (the district's own replaces it once saved). */
const char *report_default_template(void);

/* Writes tpl (already checked) into d, each {key} replaced by value(ctx, key) (never
 * NULL for a checked template's keys). */
typedef const char *(*report_value_fn)(void *ctx, const char *key);
void report_render(struct docx *d, const char *tpl, report_value_fn value, void *ctx);

/* The stored template, or the default (*updated_at 0, *updated_by NULL). */
enum db_rc report_template_get(struct db *db, struct arena *a, const char **body, int64_t *updated_at,
			       const char **updated_by);
enum db_rc report_template_put(struct db *db, const char *body, int64_t now, const char *by);

/* Snapshots (issue 19 #5): the frozen figures of (org, year). */
struct report_snapshot {
	int64_t id, taken_at;
	const char *taken_by;
};
/* DB_DONE when (org, year) has none; DB_OK with *s filled (arena strings). */
enum db_rc report_snapshot_get(struct db *db, struct arena *a, int64_t org_id, int year, struct report_snapshot *s);
/* The frozen value of key in snapshot id: DB_OK, or DB_DONE when it holds none. */
enum db_rc report_snapshot_value(struct db *db, int64_t snapshot_id, const char *key, int64_t *num, int64_t *den);
/* Creates the snapshot header; DB_CONSTRAINT when (org, year) already has one. */
enum db_rc report_snapshot_create(struct db *db, int64_t org_id, int year, int64_t now, const char *by, int64_t *id);
enum db_rc report_snapshot_put(struct db *db, int64_t snapshot_id, const char *key, int64_t num, int64_t den);
#endif
