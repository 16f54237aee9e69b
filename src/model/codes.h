/* codes.h: the code tables of DOMAIN.md §8.1–8.4 and the platform's own enumerations
 * (organization types and domains, membership states, person categories, unit types,
 * lost-contact reasons). Static data: no database, no allocation. Served by
 * GET /api/v1/codes/{table} and used by validation, import, export and the demo. */
#ifndef DJ_CODES_H
#define DJ_CODES_H
#include <stdbool.h>
#include <stddef.h>

struct code_entry {
	const char *code;
	const char *name;
};

struct code_table {
	const char *table; /* "sex", "ethnicity", … */
	const char *title; /* Chinese title */
	const struct code_entry *items;
	size_t n;
};

/* The table by name, or NULL. */
const struct code_table *codes_table(const char *table);
/* All tables, NULL-terminated. */
extern const struct code_table *const codes_tables[];
/* The Chinese name of code in table, or NULL when it is not a code of the table. */
const char *codes_name(const char *table, const char *code);
/* The code whose name (or code) equals text, for imports where people type names
 * ("汉族", "男", "大学本科"); NULL when none. */
const char *codes_lookup(const char *table, const char *text);
bool codes_valid(const char *table, const char *code);

/* Education code 10–39: 大专及以上 (DOMAIN.md §8.3). */
bool codes_edu_college_plus(const char *code);
/* An organization domain or a work-unit type that makes a 两新 organization
 * (非公企业, 社会组织). */
bool codes_two_new_domain(const char *domain);
bool codes_two_new_unit(const char *unit_type);
#endif
