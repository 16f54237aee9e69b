// tools.test.mjs: the build checks themselves can fail: tools/codecheck (STYLE.md bans,
// S11 "no SQL built from request data", the statement-table form of DESIGN.md §4) and
// tools/hardening-check (S16).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ROOT } from './lib/server.mjs';

function codecheck(files) {
  const dir = mkdtempSync(join(tmpdir(), 'dj-cc-'));
  mkdirSync(join(dir, 'src/db'), { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, dirname(name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  const r = spawnSync(join(ROOT, 'tools/codecheck'), [dir], { encoding: 'utf8' });
  rmSync(dir, { recursive: true, force: true });
  return r;
}

test('S11 codecheck passes clean code and the real tree', () => {
  const r = codecheck({ 'src/ok.c': 'static const char *q = "SELECT id FROM t WHERE id = $1";\nint f(char *b) { return snprintf(b, 4, "%d", 1); }\n// sprintf( in a comment is fine\n' });
  assert.equal(r.status, 0, r.stdout);
  assert.equal(spawnSync(join(ROOT, 'tools/codecheck'), { encoding: 'utf8' }).status, 0);
});

const BAD = {
  'banned sprintf': 'void f(char *b) { sprintf(b, "%d", 1); }\n',
  'banned strcpy': 'void f(char *a, const char *b) { strcpy(a, b); }\n',
  'banned rand': 'int f(void) { return rand(); }\n',
  'SQL assembled with printf': 'void f(char *b, const char *n) { snprintf(b, 99, "SELECT * FROM t WHERE name = \'%s\'", n); }\n',
  'SQL assembled with arena_printf': 'void f(struct arena *a, const char *n) { arena_printf(a, "DELETE FROM t WHERE id = %s", n); }\n',
  'sqlite outside src/db': 'void f(sqlite3 *h) { sqlite3_exec(h, "x", 0, 0, 0); }\n',
  'strcmp on a secret': 'int f(const char *a, const char *token) { return strcmp(a, token); }\n',
  'JSON built with printf': 'void f(char *b) { snprintf(b, 9, "{\\"a\\":%d}", 1); }\n',
  'hand-numbered statement': '#define SQL_FIND 3\n',
  'statement indexed by a number': 'const struct db_sql *f(void) { return &member_sql[2]; }\n',
  'statement table without its size': 'static const struct db_sql t_sql[] = {[STMT_A] = {"a", "SELECT 1"}};\n',
  'column read by a number': 'int64_t f(struct db_stmt *st) { return db_col_int(st, 3); }\n',
  'column copied by a number': 'const char *f(struct arena *a, struct db_stmt *st) { return db_col_dup(a, st, 0); }\n',
  'request error returned as a value': 'void f(struct request *req) { return req_fail(req, 404, "not_found", "x"); }\n',
};
for (const [name, text] of Object.entries(BAD)) {
  test(`S11 codecheck refuses: ${name}`, () => {
    const r = codecheck({ 'src/bad.c': text });
    assert.equal(r.status, 1, r.stdout);
    assert.match(r.stdout, /src\/bad\.c:1:/);
  });
}

// the new form passes; the old form passes only in the files of the temporary legacy list
const NEW_FORM = 'enum t_stmt { STMT_T_FIND, T_STMT__MAX };\nenum t_col { T_COL_ID, T_COL_NAME };\n' +
  'static const struct db_sql t_sql[T_STMT__MAX] = {\n\t[STMT_T_FIND] = {"t.find", "SELECT id, name FROM t WHERE id = $1"},\n};\n' +
  'const char *f(struct arena *a, struct db_stmt *st) { db_bind_int(st, 1, 7); return db_col_int(st, T_COL_ID) ? db_col_dup(a, st, T_COL_NAME) : NULL; }\n';
const OLD_FORM = 'static const struct db_sql t_sql[] = {\n#define SQL_FIND 0\n\t{"t.find", "SELECT id FROM t"},\n};\n' +
  'int64_t f(struct db *db) { struct db_stmt *st = db_prepare(db, &t_sql[0]); return db_col_int(st, 0); }\n';
test('codecheck: statement tables in the enum form pass, the old form fails in every file', () => {
  let r = codecheck({ 'src/model/t.c': NEW_FORM });
  assert.equal(r.status, 0, r.stdout);
  for (const f of ['src/model/import.c', 'src/model/user.c', 'src/model/audit.c', 'src/model/t.c']) {
    r = codecheck({ [f]: OLD_FORM });
    assert.equal(r.status, 1, f);
    for (const what of [/hand-numbered/, /indexed by a number/, /without its size/, /column read by a number/])
      assert.match(r.stdout, what);
  }
});

test('S16 hardening-check fails a binary built without the flags', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dj-hc-'));
  try {
    writeFileSync(join(dir, 'x.c'), 'int main(void) { return 0; }\n');
    const cc = spawnSync('cc', ['-no-pie', '-fno-stack-protector', '-Wl,-z,norelro', '-o', join(dir, 'x'), join(dir, 'x.c')]);
    assert.equal(cc.status, 0);
    const r = spawnSync(join(ROOT, 'tools/hardening-check'), [join(dir, 'x')], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stdout, /FAIL\s+PIE/);
    assert.match(r.stdout, /FAIL\s+RELRO segment/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

// DESIGN.md §7: calls go api → auth → model → db → core; tools/codecheck fails a file
// that includes a header of a layer above it, and names the file, line and header.
test('codecheck refuses an include that points up a layer, and allows the table\'s', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dj-cc-'));
  try {
    for (const d of ['core', 'db', 'model', 'auth', 'http', 'api', 'cli']) mkdirSync(join(dir, 'src', d), { recursive: true });
    const run = () => spawnSync(join(ROOT, 'tools/codecheck'), [dir], { encoding: 'utf8' });
    writeFileSync(join(dir, 'src/model/m.c'), '#include "db/db.h"\n#include "core/arena.h"\n#include "model/org.h"\n');
    writeFileSync(join(dir, 'src/auth/a.c'), '#include "model/user.h"\n#include "http/request.h"\n');
    writeFileSync(join(dir, 'src/api/h.c'), '#include "auth/scope.h"\n#include "http/router.h"\n#include "model/org.h"\n');
    writeFileSync(join(dir, 'src/cli/c.c'), '#include "auth/password.h"\n#include "http/server.h"\n');
    assert.equal(run().status, 0, run().stdout);
    const bad = { // file: [text, the line named]
      'src/model/m.c': ['#include "db/db.h"\n#include "http/request.h"\n', 2],
      'src/core/k.c': ['#include "db/db.h"\n', 1],
      'src/auth/a.c': ['#include "http/server.h"\n', 1],
      'src/cli/c.c': ['#include "api/roster_util.h"\n', 1],
      'src/http/s.c': ['// #include "api/x.h" in a comment is fine\n#include "model/org.h"\n', 2],
    };
    for (const [name, [text, line]] of Object.entries(bad)) {
      const keep = existsSync(join(dir, name)) ? readFileSync(join(dir, name), 'utf8') : null;
      writeFileSync(join(dir, name), text);
      const r = run();
      assert.equal(r.status, 1, `${name}: ${r.stdout}`);
      assert.match(r.stdout, /include from a layer above/);
      assert.ok(r.stdout.includes(`${name}:${line}: `), r.stdout);
      if (keep === null) rmSync(join(dir, name)); else writeFileSync(join(dir, name), keep);
    }
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

// Transactions belong to the dispatcher (BRIEF contract 1): a handler, model or command
// that begins, commits or rolls back fails the check; db_tx_run and src/db do not.
test('codecheck refuses a transaction begun outside the dispatcher', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dj-cc-'));
  try {
    for (const d of ['db', 'model', 'cli']) mkdirSync(join(dir, 'src', d), { recursive: true });
    writeFileSync(join(dir, 'src/db/d.c'), 'void f(struct db *db) { db_tx_begin(db, true); db_tx_commit(db); }\n');
    writeFileSync(join(dir, 'src/cli/c.c'), 'int f(struct db *db) { return db_tx_run(db, true, g, 0); }\n');
    let r = spawnSync(join(ROOT, 'tools/codecheck'), [dir], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout);
    writeFileSync(join(dir, 'src/model/m.c'), 'int f(struct db *db) {\n\treturn db_tx_begin(db, true);\n}\n');
    r = spawnSync(join(ROOT, 'tools/codecheck'), [dir], { encoding: 'utf8' });
    assert.equal(r.status, 1, r.stdout);
    assert.match(r.stdout, /transaction opened outside the dispatcher/);
    assert.ok(r.stdout.includes('src/model/m.c:2:'), r.stdout);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
