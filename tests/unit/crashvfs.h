/* crashvfs.h: a test VFS that simulates power loss (header-only, like dbtest.h; tests
 * only, never product code). It wraps the default unix VFS the way SQLite's own crash
 * tests do (src/test6.c "crash" VFS, test_vfs.c): every write and truncate goes to the
 * real file, so SQLite reads what it wrote, and is also kept in memory as pending until
 * the file's next xSync; an xSync applies the pending operations to the file's synced
 * image, which is all a disk is sure to hold after a power cut.
 *
 *   crashvfs_register()        registers the VFS as "crash" (not the default)
 *   crashvfs_arm(n, rng)       the n-th write, truncate or sync from now fails and the
 *                              machine is "off": every later write, truncate, sync and
 *                              delete fails with SQLITE_IOERR_* and changes nothing
 *   crashvfs_power_loss(keep)  after the connections are closed: rewrites every file
 *                              opened through the VFS as its synced image plus, for each
 *                              operation not synced, with probability keep % that
 *                              operation (a write possibly torn to a prefix of 512-byte
 *                              sectors: the disk may reorder and tear what it was not
 *                              told to sync), and removes the -shm files (shared memory
 *                              does not survive a power cut); then forgets every file
 *
 * Only what the unix VFS promises is modelled: its device characteristics
 * (SQLITE_IOCAP_POWERSAFE_OVERWRITE: a write never damages bytes outside its range) are
 * passed through, and nothing is assumed about the order of unsynced writes. Files are
 * recorded by path when first opened after crashvfs_power_loss (or ever): their content
 * at that moment counts as synced, so a round must start from files closed cleanly.
 * Memory-mapped I/O is off on this VFS (io_methods version 2), as writes never go through
 * the map anyway. Single-threaded use only. */
#ifndef DJ_CRASHVFS_H
#define DJ_CRASHVFS_H
#include <fcntl.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct cv_op {
	sqlite3_int64 off; /* write: offset; truncate: the new size */
	int len;           /* write: bytes; truncate: -1 */
	unsigned char *data;
};

struct cv_rec { /* one path */
	char *path;
	unsigned char *img; /* the synced image */
	size_t img_len, img_cap;
	struct cv_op *ops; /* not synced yet, in order */
	size_t nops, capops;
	struct cv_rec *next;
};

struct cv_file {
	sqlite3_file base;
	struct cv_rec *rec; /* NULL for temporary files (not recorded) */
	sqlite3_file *real; /* the unix VFS's file, right after this struct */
};

static struct {
	sqlite3_vfs vfs;
	sqlite3_vfs *parent;
	struct cv_rec *recs;
	long countdown; /* 0: not armed */
	bool off;       /* the power is gone */
	uint64_t rng;
	long writes, syncs, main_syncs; /* since crashvfs_register; main_syncs: of database files (checkpoints) */
} cv;

static uint64_t cv_rand(uint64_t *s)
{
	/* splitmix64: small, seeded, reproducible */
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static void cv_img_reserve(struct cv_rec *r, size_t n)
{
	if (n <= r->img_cap)
		return;
	size_t cap = r->img_cap ? r->img_cap : 65536;
	while (cap < n)
		cap *= 2;
	r->img = realloc(r->img, cap);
	if (!r->img)
		abort();
	r->img_cap = cap;
}

static void cv_apply(struct cv_rec *r, const struct cv_op *o, int len)
{
	if (o->len < 0) {
		if ((size_t)o->off < r->img_len)
			r->img_len = (size_t)o->off;
		else { /* growing by truncate: zeros */
			cv_img_reserve(r, (size_t)o->off);
			memset(r->img + r->img_len, 0, (size_t)o->off - r->img_len);
			r->img_len = (size_t)o->off;
		}
		return;
	}
	size_t end = (size_t)o->off + (size_t)len;
	cv_img_reserve(r, end);
	if ((size_t)o->off > r->img_len)
		memset(r->img + r->img_len, 0, (size_t)o->off - r->img_len);
	memcpy(r->img + o->off, o->data, (size_t)len);
	if (end > r->img_len)
		r->img_len = end;
}

static void cv_ops_clear(struct cv_rec *r)
{
	for (size_t i = 0; i < r->nops; i++)
		free(r->ops[i].data);
	r->nops = 0;
}

static void cv_op_add(struct cv_rec *r, sqlite3_int64 off, int len, const void *data)
{
	if (r->nops == r->capops) {
		r->capops = r->capops ? r->capops * 2 : 64;
		r->ops = realloc(r->ops, r->capops * sizeof *r->ops);
		if (!r->ops)
			abort();
	}
	struct cv_op *o = &r->ops[r->nops++];
	o->off = off;
	o->len = len;
	o->data = NULL;
	if (len > 0) {
		o->data = malloc((size_t)len);
		if (!o->data)
			abort();
		memcpy(o->data, data, (size_t)len);
	}
}

/* The record of path, created with the file's current bytes as its synced image. */
static struct cv_rec *cv_rec_get(const char *path)
{
	for (struct cv_rec *r = cv.recs; r; r = r->next)
		if (strcmp(r->path, path) == 0)
			return r;
	struct cv_rec *r = calloc(1, sizeof *r);
	if (!r)
		abort();
	r->path = strdup(path);
	FILE *f = fopen(path, "rb");
	if (f) {
		unsigned char buf[65536];
		size_t n;
		while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
			cv_img_reserve(r, r->img_len + n);
			memcpy(r->img + r->img_len, buf, n);
			r->img_len += n;
		}
		fclose(f);
	}
	r->next = cv.recs;
	cv.recs = r;
	return r;
}

/* true when this operation is the one at which the power goes (or went) */
static bool cv_tick(void)
{
	if (cv.off)
		return true;
	if (cv.countdown > 0 && --cv.countdown == 0) {
		cv.off = true;
		return true;
	}
	return false;
}

#define CV_REAL(f) (((struct cv_file *)(f))->real)

static int cv_close(sqlite3_file *f)
{
	int rc = CV_REAL(f)->pMethods ? CV_REAL(f)->pMethods->xClose(CV_REAL(f)) : SQLITE_OK;
	return rc;
}

static int cv_read(sqlite3_file *f, void *p, int n, sqlite3_int64 off)
{
	return CV_REAL(f)->pMethods->xRead(CV_REAL(f), p, n, off);
}

static int cv_write(sqlite3_file *f, const void *p, int n, sqlite3_int64 off)
{
	struct cv_file *cf = (struct cv_file *)f;
	if (cf->rec) {
		if (cv_tick())
			return SQLITE_IOERR_WRITE;
		cv.writes++;
	}
	int rc = cf->real->pMethods->xWrite(cf->real, p, n, off);
	if (rc == SQLITE_OK && cf->rec)
		cv_op_add(cf->rec, off, n, p);
	return rc;
}

static int cv_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	struct cv_file *cf = (struct cv_file *)f;
	if (cf->rec && cv_tick())
		return SQLITE_IOERR_TRUNCATE;
	int rc = cf->real->pMethods->xTruncate(cf->real, size);
	if (rc == SQLITE_OK && cf->rec)
		cv_op_add(cf->rec, size, -1, NULL);
	return rc;
}

static int cv_sync(sqlite3_file *f, int flags)
{
	struct cv_file *cf = (struct cv_file *)f;
	if (!cf->rec)
		return SQLITE_OK;
	if (cv_tick())
		return SQLITE_IOERR_FSYNC;
	cv.syncs++;
	size_t pl = strlen(cf->rec->path);
	if (pl < 4 || strcmp(cf->rec->path + pl - 4, "-wal") != 0)
		cv.main_syncs++;
	/* the real fsync is not needed: the synced image is what counts (and it is slow) */
	for (size_t i = 0; i < cf->rec->nops; i++)
		cv_apply(cf->rec, &cf->rec->ops[i], cf->rec->ops[i].len);
	cv_ops_clear(cf->rec);
	return SQLITE_OK;
}

static int cv_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	return CV_REAL(f)->pMethods->xFileSize(CV_REAL(f), size);
}
static int cv_lock(sqlite3_file *f, int l)
{
	return CV_REAL(f)->pMethods->xLock(CV_REAL(f), l);
}
static int cv_unlock(sqlite3_file *f, int l)
{
	return CV_REAL(f)->pMethods->xUnlock(CV_REAL(f), l);
}
static int cv_check_reserved(sqlite3_file *f, int *out)
{
	return CV_REAL(f)->pMethods->xCheckReservedLock(CV_REAL(f), out);
}
static int cv_file_control(sqlite3_file *f, int op, void *arg)
{
	return CV_REAL(f)->pMethods->xFileControl(CV_REAL(f), op, arg);
}
static int cv_sector_size(sqlite3_file *f)
{
	return CV_REAL(f)->pMethods->xSectorSize(CV_REAL(f));
}
static int cv_device_characteristics(sqlite3_file *f)
{
	return CV_REAL(f)->pMethods->xDeviceCharacteristics(CV_REAL(f));
}
static int cv_shm_map(sqlite3_file *f, int pg, int pgsz, int extend, void volatile **pp)
{
	return CV_REAL(f)->pMethods->xShmMap(CV_REAL(f), pg, pgsz, extend, pp);
}
static int cv_shm_lock(sqlite3_file *f, int off, int n, int flags)
{
	return CV_REAL(f)->pMethods->xShmLock(CV_REAL(f), off, n, flags);
}
static void cv_shm_barrier(sqlite3_file *f)
{
	CV_REAL(f)->pMethods->xShmBarrier(CV_REAL(f));
}
static int cv_shm_unmap(sqlite3_file *f, int del)
{
	/* after the power is gone nothing is deleted */
	return CV_REAL(f)->pMethods->xShmUnmap(CV_REAL(f), cv.off ? 0 : del);
}

static const sqlite3_io_methods cv_methods = {
	2, cv_close, cv_read, cv_write, cv_truncate, cv_sync, cv_file_size, cv_lock, cv_unlock,
	cv_check_reserved, cv_file_control, cv_sector_size, cv_device_characteristics, cv_shm_map, cv_shm_lock,
	cv_shm_barrier, cv_shm_unmap, NULL, NULL};

static int cv_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out_flags)
{
	struct cv_file *cf = (struct cv_file *)f;
	memset(cf, 0, sizeof *cf);
	cf->real = (sqlite3_file *)(cf + 1);
	int rc = cv.parent->xOpen(cv.parent, name, cf->real, flags, out_flags);
	if (rc != SQLITE_OK) {
		if (cf->real->pMethods)
			cf->real->pMethods->xClose(cf->real);
		cf->base.pMethods = NULL;
		return rc;
	}
	if (name && !(flags & SQLITE_OPEN_DELETEONCLOSE))
		cf->rec = cv_rec_get(name);
	cf->base.pMethods = &cv_methods;
	return SQLITE_OK;
}

static int cv_delete(sqlite3_vfs *vfs, const char *name, int dirsync)
{
	if (cv.off)
		return SQLITE_IOERR_DELETE;
	int rc = cv.parent->xDelete(cv.parent, name, dirsync);
	for (struct cv_rec *r = cv.recs; r; r = r->next)
		if (rc == SQLITE_OK && strcmp(r->path, name) == 0) {
			/* a delete is taken as durable at once (the WAL is deleted only after
			 * a checkpoint that synced the database) */
			r->img_len = 0;
			cv_ops_clear(r);
		}
	return rc;
}

static void crashvfs_register(void)
{
	if (cv.parent)
		return;
	cv.parent = sqlite3_vfs_find(NULL);
	cv.vfs = *cv.parent;
	cv.vfs.zName = "crash";
	cv.vfs.szOsFile = (int)sizeof(struct cv_file) + cv.parent->szOsFile;
	cv.vfs.pAppData = NULL;
	cv.vfs.pNext = NULL;
	cv.vfs.xOpen = cv_open;
	cv.vfs.xDelete = cv_delete;
	if (sqlite3_vfs_register(&cv.vfs, 0) != SQLITE_OK)
		abort();
}

/* The power goes at the n-th write, truncate or sync of a recorded file from now (n ≥ 1;
 * 0 disarms). */
static void crashvfs_arm(long n)
{
	cv.countdown = n;
	cv.off = false;
}

/* Cuts the power now (if it is still on). */
static void crashvfs_cut(void)
{
	cv.off = true;
}

static bool crashvfs_is_off(void)
{
	return cv.off;
}

/* After every connection through the VFS is closed: each recorded file becomes its
 * synced image plus each unsynced operation with probability keep_pct % (a kept write
 * torn to a random whole number of its 512-byte sectors with probability 1 in 4); the
 * -shm files are removed. Returns the number of unsynced operations dropped or torn.
 * The records are forgotten: the next open starts from the files as they are. */
static long crashvfs_power_loss(uint64_t *rng, int keep_pct)
{
	long lost = 0;
	for (struct cv_rec *r = cv.recs, *next; r; r = next) {
		next = r->next;
		for (size_t i = 0; i < r->nops; i++) {
			struct cv_op *o = &r->ops[i];
			if ((int)(cv_rand(rng) % 100) >= keep_pct) {
				lost++;
				continue;
			}
			int len = o->len;
			if (len > 512 && cv_rand(rng) % 4 == 0) {
				len = (int)(cv_rand(rng) % (uint64_t)(len / 512)) * 512;
				lost++;
			}
			cv_apply(r, o, len);
		}
		int fd = open(r->path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || (r->img_len && write(fd, r->img, r->img_len) != (ssize_t)r->img_len))
			abort();
		close(fd);
		size_t pl = strlen(r->path);
		char *shm = malloc(pl + 5);
		if (!shm)
			abort();
		memcpy(shm, r->path, pl);
		memcpy(shm + pl, "-shm", 5);
		unlink(shm);
		free(shm);
		cv_ops_clear(r);
		free(r->ops);
		free(r->img);
		free(r->path);
		free(r);
	}
	cv.recs = NULL;
	cv.countdown = 0;
	cv.off = false;
	return lost;
}
#endif
