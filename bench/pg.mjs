// bench/pg.mjs: the throwaway PostgreSQL 15 cluster of `make bench DB=pg`. initdb into a
// temporary directory, the postmaster on a Unix socket there (no TCP listener), run as
// the postgres system user when we are root (PostgreSQL refuses root). Unlike the test
// tier's cluster this one keeps the durability a production server has (fsync,
// synchronous_commit, full_page_writes on) and sizes its memory for the box: the
// figures are meant to compare with SQLite's synchronous=FULL.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const PG_BIN = process.env.DJ_PG_BIN || '/usr/lib/postgresql/15/bin';
const root = process.getuid && process.getuid() === 0;

// The settings the bench cluster runs with (results.md prints them). Everything not
// named keeps PostgreSQL 15's default. For a 2-core, 24 GiB box that also runs the
// servers and wrk.
export const SETTINGS = {
  listen_addresses: "''", // Unix socket only
  fsync: 'on', synchronous_commit: 'on', full_page_writes: 'on', // production durability
  shared_buffers: '512MB', // the 1M-member database (~1 GB with indexes) mostly in the OS cache beside it
  effective_cache_size: '8GB', work_mem: '16MB', maintenance_work_mem: '512MB',
  max_wal_size: '4GB', // the bulk load of migrate-data without a checkpoint every 1 GB
  random_page_cost: '1.1', // SSD
  max_connections: '100',
};

function asPg(cmd, args, opts = {}) {
  const [c, a] = root ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
  return spawnSync(c, a, { encoding: 'utf8', maxBuffer: 1 << 26, ...opts });
}

export function pgAvailable() {
  return existsSync(join(PG_BIN, 'initdb')) && existsSync(join(PG_BIN, 'pg_ctl')) &&
    spawnSync('psql', ['--version']).status === 0;
}

// Starts a cluster; returns { dir, url(db), psql(db, sql), stop() }.
export function startCluster(settings = SETTINGS) {
  const dir = mkdtempSync('/tmp/dj-bench-pg.');
  if (root) spawnSync('chown', ['postgres', dir]);
  let r = asPg(join(PG_BIN, 'initdb'), ['-D', join(dir, 'data'), '--auth-local=trust', '--auth-host=reject',
    '--locale=C', '-E', 'UTF8', '-U', 'postgres']);
  if (r.status !== 0) { rmSync(dir, { recursive: true, force: true }); throw new Error(`initdb: ${r.stderr}${r.stdout}`); }
  const opts = [`-k ${dir}`, ...Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`)].join(' ');
  r = asPg(join(PG_BIN, 'pg_ctl'), ['-D', join(dir, 'data'), '-l', join(dir, 'log'), '-w', '-t', '60', '-o', opts, 'start']);
  if (r.status !== 0) {
    const log = existsSync(join(dir, 'log')) ? readFileSync(join(dir, 'log'), 'utf8').slice(-2000) : '';
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`pg_ctl start: ${r.stderr}${r.stdout}${log}`);
  }
  const c = {
    dir,
    url: (db) => `postgresql:///${db}?host=${dir}&user=postgres`,
    psql(db, sql) {
      const p = spawnSync('psql', ['-h', dir, '-U', 'postgres', '-d', db, '-v', 'ON_ERROR_STOP=1', '-AtX', '-c', sql],
        { encoding: 'utf8', maxBuffer: 1 << 26 });
      if (p.status !== 0) throw new Error(`psql ${sql.slice(0, 80)}: ${p.stderr}`);
      return p.stdout.trim();
    },
    // the database as the binary requires it (db_pg.c refuses another collation)
    createDb(db) { c.psql('postgres', `CREATE DATABASE ${db} ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`); },
    postmasterPid() {
      const f = join(dir, 'data', 'postmaster.pid');
      return existsSync(f) ? Number(readFileSync(f, 'utf8').split('\n')[0]) : 0;
    },
    stopped: false,
    stop() {
      if (c.stopped) return;
      c.stopped = true;
      asPg(join(PG_BIN, 'pg_ctl'), ['-D', join(dir, 'data'), '-m', 'fast', '-w', 'stop']);
      if (process.env.BENCH_PG_KEEP === '1') console.log(`[bench] PostgreSQL cluster left in ${dir}`);
      else rmSync(dir, { recursive: true, force: true });
    },
  };
  return c;
}

// CPU seconds (user + system) used so far by the postmaster's children: the backends
// serving our connections, the checkpointer, the WAL writer, autovacuum.
export function clusterCpu(postmaster) {
  const hz = 100; // USER_HZ on Linux
  let t = 0;
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    let s;
    try { s = readFileSync(`/proc/${p}/stat`, 'utf8'); } catch { continue; }
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    // f[1] is the parent pid; utime, stime, cutime, cstime are fields 14–17 (f[11]–f[14]):
    // the postmaster's cutime/cstime hold the backends that have exited
    if (Number(p) === postmaster) t += (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / hz;
    else if (Number(f[1]) === postmaster) t += (Number(f[11]) + Number(f[12])) / hz;
  }
  return t;
}

// CPU seconds of one process (and its threads).
export function procCpu(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch { return 0; }
}

// The box's busy and total CPU seconds so far (all cores, /proc/stat).
export function boxCpu() {
  const l = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = l[3] + l[4];
  const total = l.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: (total - idle) / 100, total: total / 100 };
}
