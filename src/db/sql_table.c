/* sql_table.c: checks of the statement tables that do not depend on the engine: every
 * entry of a registered table is filled (db.h). The engine's own checks (the text
 * prepares, its parameters are $n, its column count) are in db_sqlite.c. */
#include "db/db.h"
#include <stdio.h>

bool db_misuse_asserts = true;

int db_sql_table_check(const struct db_sql_table *t, db_report_fn report)
{
	int holes = 0;
	for (size_t i = 0; i < t->n; i++) {
		if (t->sql[i].name && t->sql[i].text)
			continue;
		holes++;
		if (report) {
			char at[32];
			snprintf(at, sizeof at, "#%zu", i);
			report(t->name, t->sql[i].name ? t->sql[i].name : at, "no statement (an entry of the table is missing)");
		}
	}
	return holes;
}

int db_sql_tables_check(db_report_fn report)
{
	int holes = 0;
	for (const struct db_sql_table *const *t = db_sql_tables; *t; t++)
		holes += db_sql_table_check(*t, report);
	return holes;
}
