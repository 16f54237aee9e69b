/* test_R1_power_loss.c: SECURITY.md R1 as a power-loss test. A kill -9 loses nothing
 * the kernel already has, so it cannot tell synchronous=FULL from weaker settings; a
 * power cut can. The database is opened through the project's db layer (db_open_vfs:
 * the same pragmas as the server, WAL + synchronous=FULL) on a VFS that keeps what was
 * written since each file's last sync in memory (tests/unit/crashvfs.h), runs a mixed
 * write load through the models (organizations inserted, members inserted, state
 * changes, deletes; one transaction each) and records every acknowledged (committed)
 * change; the power goes at a random write, truncate or sync; the files are left as a
 * disk may leave them (the synced image plus a random, possibly torn, subset of what was
 * not synced); the database is opened again on the plain VFS and every acknowledged
 * change must be there and PRAGMA integrity_check must say ok. Many rounds, seeded
 * (DJ_R1_SEED overrides), each from the same clean database.
 *
 * The test proves its own power: the same harness with synchronous=NORMAL (in WAL mode
 * a commit is not synced, only checkpoints are) and with synchronous=OFF must lose an
 * acknowledged change in some round, else the test fails: a harness that cannot tell
 * the settings apart proves nothing about FULL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/idcard.h"
#include "core/log.h"
#include "crashvfs.h"
#include "db/db_impl.h"
#include "dbtest.h"
#include "model/member.h"
#include "model/org.h"

#define BASE_ORGS 4
#define BASE_MEMBERS 24
#define OPS_PER_ROUND 40
#define MAX_FACTS 4096

/* one acknowledged fact: an org or member that must exist (with its state), or a
 * member that must not */
enum fact_kind { F_ORG, F_MEMBER, F_GONE };
struct fact {
	enum fact_kind kind;
	int64_t id;
	const char *state; /* F_MEMBER: the acknowledged state */
	const char *maybe; /* an unacknowledged change in flight: this state, or "" gone, may also be found */
};

struct world {
	struct fact f[MAX_FACTS];
	int n;
	int64_t orgs[MAX_FACTS];
	int norgs;
	int64_t root;
	int id_seq; /* for unique ID numbers */
	bool group; /* commits as the HTTP dispatcher's: grouped, acknowledged once durable */
	long tickets; /* grouped commits that waited for the sync thread */
	bool writer; /* on a connection made the server's writer (db_writer): its settings kept
		      * between transactions, its turn taken around each (a fifth not grouped) */
	int64_t base_orgs[BASE_ORGS], base_members[BASE_MEMBERS];
	char tmpl[300], work[300];
};

static struct world w;
static struct date today = {2026, 11, 29};

static struct fact *fact_of(int64_t id, enum fact_kind k)
{
	for (int i = 0; i < w.n; i++)
		if (w.f[i].id == id && (w.f[i].kind == k || (k == F_MEMBER && w.f[i].kind == F_GONE)))
			return &w.f[i];
	return NULL;
}

static void add_fact(enum fact_kind k, int64_t id, const char *state)
{
	assert_true(w.n < MAX_FACTS);
	w.f[w.n++] = (struct fact){k, id, state, NULL};
}

static void no_err(void *ctx, const char *field, const char *code, const char *message)
{
	fail_msg("generated member fails %s (%s): %s", field, code, message);
}

static enum db_rc insert_member(struct db *db, struct arena *a, int64_t org, int64_t *id)
{
	struct member_rec r;
	memset(&r, 0, sizeof r);
	char idbuf[19];
	int k = w.id_seq++;
	struct date birth = date_from_days(date_to_days((struct date){1960, 1, 1}) + k / 400);
	idcard_make("110105", birth, (k % 400) * 2 + 1, idbuf);
	r.org_id = org;
	r.name = arena_printf(a, "成员%d", k);
	r.id_number = idbuf;
	r.mobile = k % 3 ? arena_printf(a, "139%08d", k) : NULL;
	r.party_status = "formal";
	r.joined_on = "1990-07-01";
	r.confirmed_on = "1991-07-01";
	r.state = "normal";
	r.education = "21";
	r.ethnicity = "01";
	r.dues_base = -1;
	r.created_at = 1700000000;
	if (member_validate(&r, today, a, no_err, NULL) != 0)
		return DB_ERROR;
	enum db_rc rc = member_insert(db, a, &r);
	*id = r.id;
	return rc;
}

static enum db_rc insert_org(struct db *db, struct arena *a, int64_t *id)
{
	struct org_rec o;
	memset(&o, 0, sizeof o);
	o.parent_id = w.root;
	o.name = arena_printf(a, "第%d党支部", w.id_seq++);
	o.type = "党支部";
	o.domain = "社区";
	o.created_at = 1700000000;
	enum db_rc rc = org_insert(db, a, &o);
	*id = o.id;
	return rc;
}

/* The template: migrated, a root and BASE_ORGS branches with BASE_MEMBERS members,
 * closed cleanly (checkpointed, no WAL). */
static void build_template(void)
{
	struct db *db = dbtest_open();
	assert_non_null(db);
	struct arena *a = arena_new();
	memset(&w, 0, sizeof w);
	snprintf(w.tmpl, sizeof w.tmpl, "%s/dj.db", dbtest_dir);
	snprintf(w.work, sizeof w.work, "%s/r1.db", dbtest_dir);
	assert_int_equal(db_tx_begin(db, true), DB_OK);
	struct org_rec root;
	memset(&root, 0, sizeof root);
	root.name = "测试街道党工委";
	root.type = "党工委";
	root.domain = "社区";
	assert_int_equal(org_insert(db, a, &root), DB_OK);
	w.root = root.id;
	for (int i = 0; i < BASE_ORGS; i++) {
		int64_t id;
		assert_int_equal(insert_org(db, a, &id), DB_OK);
		w.base_orgs[i] = id;
	}
	for (int i = 0; i < BASE_MEMBERS; i++)
		assert_int_equal(insert_member(db, a, w.base_orgs[i % BASE_ORGS], &w.base_members[i]), DB_OK);
	assert_int_equal(db_tx_commit(db), DB_OK);
	arena_free(a);
	db_close(db);
}

static void copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	assert_non_null(in);
	assert_non_null(out);
	char buf[65536];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	assert_int_equal(fclose(out), 0);
}

/* The facts every round starts from: the template's rows. */
static void reset_facts(void)
{
	w.n = 0;
	w.norgs = 0;
	add_fact(F_ORG, w.root, NULL);
	for (int i = 0; i < BASE_ORGS; i++) {
		add_fact(F_ORG, w.base_orgs[i], NULL);
		w.orgs[w.norgs++] = w.base_orgs[i];
	}
	for (int i = 0; i < BASE_MEMBERS; i++)
		add_fact(F_MEMBER, w.base_members[i], "normal");
}

static int64_t pick_member(uint64_t *rng)
{
	int alive = 0;
	for (int i = 0; i < w.n; i++)
		alive += w.f[i].kind == F_MEMBER;
	if (!alive)
		return 0;
	int k = (int)(cv_rand(rng) % (uint64_t)alive);
	for (int i = 0; i < w.n; i++)
		if (w.f[i].kind == F_MEMBER && k-- == 0)
			return w.f[i].id;
	return 0;
}

/* One transaction of the load; on commit its change is acknowledged. Returns false once
 * the power is gone (the transaction's outcome then is unknown, and recorded as such). */
static bool one_op(struct db *db, struct arena *a, uint64_t *rng)
{
	int kind = (int)(cv_rand(rng) % 100);
	int64_t target = 0, ids[3] = {0};
	int nids = 0;
	const char *to = NULL;
	bool grouped = w.group && !(w.writer && cv_rand(rng) % 5 == 0);
	if (w.writer && db_sqlite_lease(db, true) != DB_OK)
		fail_msg("the writer's turn was not given");
	enum db_rc rc = grouped ? db_tx_begin_group(db) : db_tx_begin(db, true);
	if (rc == DB_OK) {
		if (kind < 20) { /* a new organization */
			rc = insert_org(db, a, &ids[0]);
			nids = 1;
		} else if (kind < 60) { /* 1–3 members into an acknowledged organization */
			int64_t org = w.orgs[cv_rand(rng) % (uint64_t)w.norgs];
			int n = 1 + (int)(cv_rand(rng) % 3);
			for (int i = 0; i < n && rc == DB_OK; i++, nids++)
				rc = insert_member(db, a, org, &ids[i]);
		} else if (kind < 85) { /* a state change */
			target = pick_member(rng);
			struct member_rec r;
			const char *org_name;
			rc = target ? member_load(db, a, target, false, &r, &org_name) : DB_DONE;
			if (rc == DB_OK) {
				to = strcmp(r.state, "normal") == 0 ? "floating" : "normal";
				rc = member_change_state(db, &r, to, "测试", "2026-11-29", 0, NULL, 1700000000);
			}
		} else { /* a delete */
			target = pick_member(rng);
			to = "";
			rc = target ? member_delete(db, target) : DB_DONE;
		}
	}
	struct fact *t = target ? fact_of(target, F_MEMBER) : NULL;
	if (rc == DB_OK && t)
		t->maybe = to; /* in flight: either outcome may be found */
	/* a new member may take the id of a deleted one (rowids are reused) */
	struct fact *reused[3] = {NULL};
	for (int i = 0; kind >= 20 && kind < 60 && i < nids; i++)
		if (ids[i] && (reused[i] = fact_of(ids[i], F_GONE)) != NULL && reused[i]->kind == F_GONE)
			reused[i]->maybe = "normal";
	if (rc == DB_OK && grouped) {
		uint64_t ticket = 0;
		rc = db_tx_commit_group(db, &ticket);
		w.tickets += rc == DB_OK && ticket > 0;
		if (rc == DB_OK)
			rc = db_durable_wait(ticket); /* the sync thread's fsync */
	} else if (rc == DB_OK) {
		rc = db_tx_commit(db);
	}
	if (rc != DB_OK && db_in_tx(db))
		db_tx_rollback(db);
	if (w.writer)
		(void)db_sqlite_lease(db, false);
	if (rc != DB_OK) {
		/* only a power cut may fail a transaction here */
		assert_true(crashvfs_is_off());
		return false;
	}
	/* acknowledged */
	if (t) {
		t->maybe = NULL;
		if (*to) {
			t->state = to;
		} else {
			t->kind = F_GONE;
			t->state = NULL;
		}
	} else if (kind < 20) {
		add_fact(F_ORG, ids[0], NULL);
		w.orgs[w.norgs++] = ids[0];
	} else {
		for (int i = 0; i < nids; i++)
			if (reused[i])
				*reused[i] = (struct fact){F_MEMBER, ids[i], "normal", NULL};
			else
				add_fact(F_MEMBER, ids[i], "normal");
	}
	return true;
}

static const struct db_sql q_org = {"r1.org", "SELECT count(*) FROM orgs WHERE id = $1"};
static const struct db_sql q_member = {"r1.member", "SELECT state FROM members WHERE id = $1"};

/* Acknowledged facts missing after the power cut (a damaged database counts as one and
 * is reported through *corrupt). */
static int check_round(bool *corrupt)
{
	*corrupt = false;
	struct db *db = db_open(w.work, 0);
	if (!db) {
		*corrupt = true;
		return 1;
	}
	char why[256];
	if (db_integrity_check(db, why, sizeof why) != 0) {
		*corrupt = true;
		db_close(db);
		return 1;
	}
	int lost = 0;
	for (int i = 0; i < w.n; i++) {
		struct fact *f = &w.f[i];
		struct db_stmt *st = db_prepare(db, f->kind == F_ORG ? &q_org : &q_member);
		if (!st) {
			*corrupt = true;
			lost++;
			break;
		}
		db_bind_int(st, 1, f->id);
		enum db_rc rc = db_step(st);
		if (f->kind == F_ORG) {
			if (rc != DB_ROW || db_col_int(st, 0) != 1) {
				lost++;
				if (getenv("DJ_R1_VERBOSE"))
					printf("  lost: organization %lld\n", (long long)f->id);
			}
		} else {
			const char *got = rc == DB_ROW ? db_col_text(st, 0) : "";
			const char *want = f->kind == F_GONE ? "" : f->state;
			if ((rc != DB_ROW && rc != DB_DONE) ||
			    (strcmp(got ? got : "", want) != 0 && !(f->maybe && strcmp(got ? got : "", f->maybe) == 0))) {
				lost++;
				if (getenv("DJ_R1_VERBOSE"))
					printf("  lost: member %lld: want \"%s\" (or \"%s\"), found \"%s\"\n", (long long)f->id,
					       want, f->maybe ? f->maybe : "-", got ? got : "");
			}
		}
		db_reset(st);
	}
	db_close(db);
	return lost;
}

struct outcome {
	int rounds, lossy_rounds, corrupt_rounds;
	long acked, lost, ops_dropped, checkpoint_syncs;
};

/* rounds of: clean copy → load through the crash VFS at synchronous=sync → power cut at
 * a random operation → check. */
static struct outcome run(const char *sync, int rounds, uint64_t seed)
{
	struct outcome out = {0};
	uint64_t rng = seed;
	long syncs0 = cv.syncs, main0 = cv.main_syncs;
	char side[320];
	for (int r = 0; r < rounds; r++) {
		copy_file(w.tmpl, w.work);
		snprintf(side, sizeof side, "%s-wal", w.work);
		unlink(side);
		snprintf(side, sizeof side, "%s-shm", w.work);
		unlink(side);
		reset_facts();
		struct db *db = db_open_vfs(w.work, 0, "crash");
		assert_non_null(db);
		if (w.writer)
			assert_true(db_sqlite_writer(db));
		if (strcmp(sync, "FULL") != 0) {
			char pragma[64];
			snprintf(pragma, sizeof pragma, "PRAGMA synchronous=%s", sync);
			assert_int_equal(db_exec_script(db, pragma), DB_OK);
		}
		/* half the rounds checkpoint often, so that cuts also fall inside checkpoints */
		if (cv_rand(&rng) % 2)
			assert_int_equal(db_exec_script(db, "PRAGMA wal_autocheckpoint=16"), DB_OK);
		/* a cut at one of the first ~4 operations per transaction, or after the load */
		long arm = 1 + (long)(cv_rand(&rng) % (OPS_PER_ROUND * 4));
		crashvfs_arm(arm);
		struct arena *a = arena_new();
		long before = w.n;
		for (int i = 0; i < OPS_PER_ROUND && one_op(db, a, &rng); i++)
			;
		arena_free(a);
		crashvfs_cut();
		db_close(db);
		int keep = (int)(cv_rand(&rng) % 101);
		out.ops_dropped += crashvfs_power_loss(&rng, keep);
		bool corrupt;
		int lost = check_round(&corrupt);
		if (getenv("DJ_R1_VERBOSE") && lost)
			printf("  round %d: cut armed at %ld, keep %d%%, %d lost\n", r, arm, keep, lost);
		out.rounds++;
		out.acked += w.n - before;
		out.lost += lost;
		out.lossy_rounds += lost > 0;
		out.corrupt_rounds += corrupt;
	}
	out.checkpoint_syncs = cv.main_syncs - main0;
	printf("R1 synchronous=%-6s%s seed %#" PRIx64 ": %d rounds, %ld changes acknowledged beyond the template, "
	       "%ld syncs (%ld of the database file: checkpoints), %ld unsynced writes dropped or torn; "
	       "%ld acknowledged changes lost in %d rounds, %d rounds damaged\n",
	       sync, w.group ? " grouped" : "", seed, out.rounds, out.acked, cv.syncs - syncs0, cv.main_syncs - main0, out.ops_dropped, out.lost,
	       out.lossy_rounds, out.corrupt_rounds);
	return out;
}

static uint64_t seed_of(uint64_t dflt)
{
	const char *s = getenv("DJ_R1_SEED");
	return s && *s ? strtoull(s, NULL, 0) : dflt;
}

static int setup(void **state)
{
	crashvfs_register();
	build_template();
	/* the commits the power cut fails would log an error each */
	log_open(NULL, getenv("DJ_R1_VERBOSE") ? LOG_DEBUG : LOG_LEVEL__MAX);
	return 0;
}

static int teardown(void **state)
{
	dbtest_close(NULL); /* removes the directory */
	return 0;
}

/* A setting that keeps R1: all rounds ran, changes were acknowledged, the cuts dropped
 * unsynced writes (else nothing was put to the test), and no acknowledged change was
 * lost nor a database damaged. */
static void assert_nothing_lost(const struct outcome *o, int rounds)
{
	assert_int_equal(o->rounds, rounds);
	assert_true(o->acked > 0);
	assert_true(o->ops_dropped > 0);
	assert_int_equal(o->corrupt_rounds, 0);
	assert_int_equal(o->lost, 0);
}

/* The opposite, on the same outcome: a setting that does not keep R1 lost an
 * acknowledged change in some round, which the harness saw. */
static void assert_loss_seen(const struct outcome *o, int rounds)
{
	assert_int_equal(o->rounds, rounds);
	assert_true(o->acked > 0);
	assert_true(o->lost > 0);
}

static void test_R1_power_loss_full_loses_nothing(void **state)
{
	struct outcome o = run("FULL", 120, seed_of(0x5EED0001));
	assert_true(o.checkpoint_syncs > 0); /* cuts also fell around checkpoints */
	assert_nothing_lost(&o, 120);
}

/* The HTTP dispatcher's group commit (db_tx_begin_group, db_tx_commit_group, then
 * db_durable_wait before the answer): the commit itself is not synced, the sync thread's
 * fsync is, and nothing acknowledged after it may be lost. */
static void test_R1_power_loss_grouped_loses_nothing(void **state)
{
	w.group = true;
	w.tickets = 0;
	struct outcome o = run("FULL", 120, seed_of(0x5EED0002));
	w.group = false;
	/* the commits were grouped (not synced by themselves: at NORMAL, which the test
	 * below shows loses what only a commit wrote) */
	assert_true(w.tickets > 0);
	assert_nothing_lost(&o, 120);
}

/* The same on the server's writer connection (db_writer): synchronous=NORMAL and
 * temp_store=MEMORY stay set from one grouped transaction to the next, a transaction
 * that is not grouped sets FULL for its commit and the next grouped one NORMAL again. */
static void test_R1_power_loss_writer_loses_nothing(void **state)
{
	w.group = w.writer = true;
	w.tickets = 0;
	struct outcome o = run("FULL", 120, seed_of(0x5EED0003));
	w.group = w.writer = false;
	assert_true(w.tickets > 0);
	assert_nothing_lost(&o, 120);
}

/* The harness's power: at NORMAL (WAL commits not synced) it must see a loss. */
static void test_R1_harness_detects_loss_at_normal(void **state)
{
	struct outcome o = run("NORMAL", 40, seed_of(0x5EED0001));
	assert_loss_seen(&o, 40);
}

static void test_R1_harness_detects_loss_at_off(void **state)
{
	struct outcome o = run("OFF", 40, seed_of(0x5EED0001));
	assert_loss_seen(&o, 40);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_R1_power_loss_full_loses_nothing),
		cmocka_unit_test(test_R1_power_loss_grouped_loses_nothing),
		cmocka_unit_test(test_R1_power_loss_writer_loses_nothing),
		cmocka_unit_test(test_R1_harness_detects_loss_at_normal),
		cmocka_unit_test(test_R1_harness_detects_loss_at_off),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
