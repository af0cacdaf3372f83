/*
 * What the policy gives one VM.  For each VM the supervisor, in order:
 *
 *   1. asks the reference monitor about every image the VM attaches
 *      (disks: read-write or read-only; media: with label floating), and
 *      stops at the first denial -- the VM then does not start at all;
 *   2. opens the kernel, the initrd, the console log and the images
 *      itself, checks each is what it should be, and locks the images;
 *   3. unlocks LUKS images here, so the monitor gets only the volume key;
 *   4. writes floated media labels back to their records, before the
 *      monitor can write anything to the media.
 *
 * The monitor receives exactly these descriptors (super_spawn.c).
 */
#include "super/super_internal.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "host/host.h"
#include "host/secret.h"
#include "sec/media.h"
#include "sec/safe_open.h"

/* media.c's messages land in our buffers. */
_Static_assert(SUPER_ERRLEN >= MEDIA_ERRLEN, "a media error must fit a supervisor error");

/* --- small helpers ------------------------------------------------------------ */

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void grant_release(struct grant *g)
{
	close_fd(&g->kernel_fd);
	close_fd(&g->initrd_fd);
	close_fd(&g->serial_fd);
	close_fd(&g->transfer_fd);
	for (unsigned i = 0; i < g->ndisks; i++) {
		close_fd(&g->disks[i].fd);
		secret_wipe(&g->disks[i].keymem);
		g->disks[i].key = NULL;
	}
	g->ndisks = 0;
	for (unsigned i = 0; i < g->nnics; i++)
		close_fd(&g->nics[i].fd);
	g->nnics = 0;
	close_fd(&g->console_fd);
}

void grant_label_dir_name(const char *label, char *out, size_t len)
{
	size_t o = 0;
	for (const char *p = label; *p && o + 1 < len; p++) {
		char c = *p;
		out[o++] = c == ':' ? '.' : c == ',' ? '+' : c == '/' ? '@' : c;
	}
	out[o] = '\0';
}

/* --- the kernel and initrd -------------------------------------------------- */

/* Opened through safe_open and audited like an image: the record names
 * the file each VM booted. */
static int open_input(struct super *s, struct vmrec *v, const char *what, const char *path,
		      int *fd, char *err)
{
	char why[SAFE_ERRLEN];
	const struct safe_open_opts o = { .flags = O_RDONLY };
	*fd = safe_open(path, &o, why);
	if (*fd < 0) {
		super_err(err, "%s %s", what, why);
		return -1;
	}
	super_audit(s, v->def->name, v->label, what, "", "read", "allow", path);
	return s->audit_broken ? -1 : 0;
}

/* --- the console log ---------------------------------------------------------- */

int grant_private_dir(const char *path, char *err)
{
	struct stat st;
	if (mkdir(path, 0700) < 0 && errno != EEXIST) {
		super_err(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077)) {
		super_err(err, "%s: must be a directory of ours with mode 0700", path);
		return -1;
	}
	return 0;
}

int grant_dir_label(const char *dir, const char *label, char *err)
{
	char path[PATH_MAX], have[LABEL_TEXT_MAX + 2] = "";
	if (super_path(path, sizeof(path), "%s/label", dir) < 0) {
		super_err(err, "%s: path too long", dir);
		return -1;
	}
	const struct safe_open_opts o = { .flags = O_RDWR | O_CREAT, .mode = 0600, .private_file = true };
	char why[SAFE_ERRLEN];
	int fd = safe_open(path, &o, why);
	if (fd < 0) {
		super_err(err, "%s", why);
		return -1;
	}
	ssize_t n = read(fd, have, sizeof(have) - 1);
	int rc = 0;
	if (n == 0) {
		size_t len = strlen(label);
		if (host_write_all(fd, label, len) < 0 || host_write_all(fd, "\n", 1) < 0 || fsync(fd) < 0)
			rc = -1;
	} else if (n < 0 || strncmp(have, label, strlen(label)) != 0 ||
		   have[strlen(label)] != '\n') {
		rc = -1;
	}
	if (rc < 0)
		super_err(err, "%s: does not name label %s", path, label);
	close(fd);
	return rc;
}

/*
 * Opens the console log for appending; a log already at its quota is
 * first moved to PATH.1 (replacing an older one), so each VM keeps at
 * most twice its quota and a new run always has room to say something.
 */
static int open_log_file(const char *path, uint64_t quota, int *fd, bool *rotated, char *err)
{
	const struct safe_open_opts o = { .flags = O_WRONLY | O_CREAT | O_APPEND, .mode = 0600,
					  .private_file = true };
	char old[PATH_MAX + 8], why[SAFE_ERRLEN];
	*rotated = false;
	*fd = safe_open(path, &o, why);
	if (*fd >= 0 && host_fd_size(*fd) >= quota) {
		close_fd(fd);
		if (super_path(old, sizeof(old), "%s.1", path) < 0 || rename(path, old) < 0) {
			super_err(err, "console log %s: full, and cannot be moved aside: %s", path,
				  strerror(errno));
			return -1;
		}
		*rotated = true;
		*fd = safe_open(path, &o, why);
	}
	if (*fd < 0) {
		super_err(err, "console log %s", why);
		return -1;
	}
	return 0;
}

/*
 * Each log may grow to its quota: refuse the VM when the logs' file
 * system has no room for that on top of what the VMs before it were
 * promised, so a guest filling its log cannot fill the disk under the
 * audit log or another VM's log.
 */
static int promise_log_space(struct super *s, int fd, uint64_t quota, char *err)
{
	struct statvfs fs;
	uint64_t have = host_fd_size(fd), need = quota > have ? quota - have : 0;
	if (fstatvfs(fd, &fs) < 0)
		return 0; /* cannot tell: the quota still bounds the log */
	uint64_t avail = (uint64_t)fs.f_bavail * fs.f_frsize;
	if (avail < s->log_space_promised + need) {
		super_err(err, "console log: %llu KiB free on its file system, %llu KiB needed for "
			  "this VM's quota and the VMs before it (serial log SIZE)",
			  (unsigned long long)(avail >> 10),
			  (unsigned long long)((s->log_space_promised + need) >> 10));
		return -1;
	}
	s->log_space_promised += need;
	return 0;
}

/*
 * DIR/logs/LABELDIR/VM.console, appended to across runs up to the VM's
 * quota.  The serial output of a VM is data at the VM's label (the
 * paper's printer and serial-file channel, §4.4.6), so only the
 * supervisor can read it.
 */
static int open_console_log(struct super *s, struct vmrec *v, int *fd, char *err)
{
	char logs[PATH_MAX], dir[PATH_MAX], path[PATH_MAX], slug[LABEL_TEXT_MAX];
	uint64_t quota = v->def->serial_quota;
	bool rotated;
	grant_label_dir_name(v->label, slug, sizeof(slug));
	if (super_path(logs, sizeof(logs), "%s/%s", s->state_dir, SUPER_LOGS_DIR) < 0 ||
	    super_path(dir, sizeof(dir), "%s/%s", logs, slug) < 0 ||
	    super_path(path, sizeof(path), "%s/%s.console", dir, v->def->name) < 0) {
		super_err(err, "--state-dir %s: path too long for the console log", s->state_dir);
		return -1;
	}
	if (grant_private_dir(logs, err) < 0 || grant_private_dir(dir, err) < 0 ||
	    grant_dir_label(dir, v->label, err) < 0 ||
	    open_log_file(path, quota, fd, &rotated, err) < 0)
		return -1;
	if (promise_log_space(s, *fd, quota, err) < 0) {
		close_fd(fd);
		return -1;
	}
	char reason[4700];
	snprintf(reason, sizeof(reason), "console log %s (mode 0600, in a directory only the "
		 "supervisor reads; quota %llu bytes%s)", path, (unsigned long long)quota,
		 rotated ? "; the full log before it is now .1" : "");
	char object[SYSDEF_NAME_MAX + 16];
	snprintf(object, sizeof(object), "console:%s", v->def->name);
	super_audit(s, v->def->name, v->label, object, v->label, "write", "allow", reason);
	return 0;
}

/* --- decisions about images ----------------------------------------------------- */

static const char *kind_name(const struct sysdef_image *im)
{
	return im->kind == SYSDEF_DISK ? "disk" : "media";
}

static void object_name(const struct sysdef_image *im, char *out, size_t len)
{
	snprintf(out, len, "%s:%s", kind_name(im), im->name);
}

static int decide_disk(struct super *s, struct vmrec *v, const struct sysdef_attach *a, char *err)
{
	char object[SYSDEF_NAME_MAX + 16], why[AUDIT_ERRLEN] = "";
	object_name(a->image, object, sizeof(object));
	enum access_mode mode = a->readonly ? ACCESS_READ : ACCESS_READ_WRITE;
	struct decision d = refmon_check(s->audit, s->lat, &s->pol, v->def->name, &v->def->label,
					 object, &a->image->label, mode, why);
	if (d.allow)
		return 0;
	super_err(err, "%s %s (%s) %s: denied: %s%s%s", kind_name(a->image),
		 a->image->name, a->image->label_text, access_mode_name(mode), d.reason,
		 why[0] ? ": " : "", why);
	return -1;
}

/*
 * Media: the reference monitor decides from the media's current label
 * (its record, or the declared one), and a read-write attach to a higher
 * VM floats the label up.  One audit record when the labels differ or
 * the attach is denied, as refmon_check does for disks.
 */
static int decide_media(struct super *s, struct vmrec *v, const struct sysdef_attach *a,
			struct label *floated, bool *floats, char *err)
{
	const struct sysdef_image *im = a->image;
	struct label current;
	bool had_record;
	char why[SUPER_ERRLEN], object[SYSDEF_NAME_MAX + 16], cur_text[LABEL_TEXT_MAX];
	if (media_label_load(s->lat, im->file, &im->label, &current, &had_record, why) < 0) {
		super_err(err, "media %s: %s", im->name, why);
		return -1;
	}
	struct decision d = refmon_decide_media(s->lat, &s->pol, &v->def->label, &current,
						a->readonly, floated, floats);
	if (label_format(s->lat, &current, cur_text, sizeof(cur_text)) < 0)
		snprintf(cur_text, sizeof(cur_text), "?");
	object_name(im, object, sizeof(object));
	if (!d.allow || !label_equal(&current, &v->def->label)) {
		char reason[LABEL_TEXT_MAX * 2 + 128];
		if (*floats)
			snprintf(reason, sizeof(reason), "%s: %s -> %s", d.reason, cur_text, v->label);
		else
			snprintf(reason, sizeof(reason), "%s", d.reason);
		super_audit(s, v->def->name, v->label, object, cur_text,
			    a->readonly ? "read" : "attach", d.allow ? "allow" : "deny", reason);
	}
	if (d.allow && !s->audit_broken)
		return 0;
	super_err(err, "media %s (%s) %s: denied: %s", im->name, cur_text,
		 a->readonly ? "read" : "read-write", d.allow ? REFMON_R_AUDIT_FAILED : d.reason);
	return -1;
}

/* --- opening images ----------------------------------------------------------------- */

/* Read-write attaches hold an exclusive lock, read-only ones a shared lock,
 * on the open file description the monitor inherits: no two VMs write one
 * image, and `cordon media sanitize` cannot wipe an image in use. */
static int lock_image(const struct sysdef_image *im, int fd, bool read_only, char *err)
{
	if (flock(fd, (read_only ? LOCK_SH : LOCK_EX) | LOCK_NB) == 0)
		return 0;
	super_err(err, "%s %s: %s: %s", kind_name(im), im->name, im->file,
		 errno == EWOULDBLOCK ? "in use by another VM" : strerror(errno));
	return -1;
}

/* Unlocks through /proc/self/fd so libcryptsetup reads the very file we
 * opened and locked, not whatever the path names a moment later. */
static int read_key_file(const struct sysdef_image *im, struct secret *pass, char *err)
{
	char why[SAFE_ERRLEN], herr[HOST_ERRLEN];
	const struct safe_open_opts o = { .flags = O_RDONLY };
	int fd = safe_open(im->luks_key_file, &o, why);
	if (fd < 0) {
		super_err(err, "disk %s: key file %s", im->name, why);
		return -1;
	}
	int rc = secret_from_open_file(pass, fd, im->luks_key_file, herr);
	close(fd);
	if (rc < 0)
		super_err(err, "disk %s: %s", im->name, herr);
	return rc;
}

/* Unlocks through /proc/self/fd so libcryptsetup reads the very file we
 * opened and locked, not whatever the path names a moment later. */
static int unlock_luks(const struct sysdef_image *im, struct granted_disk *gd, char *err)
{
	struct secret pass = { 0 };
	char why[HOST_ERRLEN], path[64];
	if (read_key_file(im, &pass, err) < 0)
		return -1;
	if (secret_reserve(&gd->keymem, why) < 0) {
		secret_wipe(&pass);
		super_err(err, "disk %s: %s", im->name, why);
		return -1;
	}
	gd->key = (struct luks_key *)(void *)gd->keymem.buf;
	gd->keymem.len = sizeof(*gd->key);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", gd->fd);
	int rc = luks_unlock(path, pass.buf, pass.len, &gd->key->info, gd->key->key,
			     sizeof(gd->key->key), &gd->key->key_len, why);
	secret_wipe(&pass);
	if (rc < 0)
		super_err(err, "disk %s: %s: %s", im->name, im->file, why);
	return rc;
}

/*
 * Images must not be readable by other host users: that is the paper's
 * "virtual disk files that host tools can read" channel (§4.4.3).  LUKS
 * closes the same channel for whoever can read the file anyway (root,
 * backups).
 */
static int open_image(const struct sysdef_attach *a, struct granted_disk *gd, uint64_t *largest,
		      char *err)
{
	const struct sysdef_image *im = a->image;
	char why[SAFE_ERRLEN];
	const struct safe_open_opts o = { .flags = a->readonly ? O_RDONLY : O_RDWR,
					  .private_file = true };
	gd->name = im->name;
	gd->read_only = a->readonly;
	gd->luks = im->luks_key_file != NULL;
	gd->fd = safe_open(im->file, &o, why);
	if (gd->fd < 0) {
		super_err(err, "%s %s: %s", kind_name(im), im->name, why);
		return -1;
	}
	if (host_fd_size(gd->fd) > *largest)
		*largest = host_fd_size(gd->fd);
	if (lock_image(im, gd->fd, a->readonly, err) < 0)
		return -1;
	return gd->luks ? unlock_luks(im, gd, err) : 0;
}

/* A SIGINT or SIGTERM that came while this VM was being granted (a LUKS
 * unlock takes a while) stops the grant: nothing more is opened. */
static int stop_pending(struct super *s, char *err)
{
	super_check_signals(s);
	if (!s->shutting_down)
		return 0;
	super_err(err, "the supervisor is shutting down");
	return -1;
}

/* --- one VM ------------------------------------------------------------------------ */

struct pending_float {
	const struct sysdef_image *image;
	struct label label;
};

static int decide_all(struct super *s, struct vmrec *v, struct pending_float *fl, unsigned *nfl,
		      char *err)
{
	const struct sysdef_vm *def = v->def;
	*nfl = 0;
	if (def->nattach > VM_MAX_VIRTIO_DISKS) { /* a supervised VM's disks are virtio-blk */
		super_err(err, "attaches %u images; a VM has at most %d disks",
			 def->nattach, VM_MAX_VIRTIO_DISKS);
		return -1;
	}
	for (unsigned i = 0; i < def->nattach; i++) {
		const struct sysdef_attach *a = &def->attach[i];
		bool floats = false;
		struct label floated;
		int rc = a->image->kind == SYSDEF_DISK ? decide_disk(s, v, a, err)
						       : decide_media(s, v, a, &floated, &floats, err);
		if (rc < 0)
			return -1;
		if (floats)
			fl[(*nfl)++] = (struct pending_float){ a->image, floated };
	}
	return 0;
}

static int open_all(struct super *s, struct vmrec *v, struct grant *g, char *err)
{
	const struct sysdef_vm *def = v->def;
	if (open_input(s, v, "kernel", def->kernel, &g->kernel_fd, err) < 0)
		return -1;
	if (def->initrd && open_input(s, v, "initrd", def->initrd, &g->initrd_fd, err) < 0)
		return -1;
	if (def->serial == SYSDEF_SERIAL_LOG && open_console_log(s, v, &g->serial_fd, err) < 0)
		return -1;
	g->serial_quota = def->serial_quota;
	for (unsigned i = 0; i < def->nattach; i++) {
		struct granted_disk *gd = &g->disks[g->ndisks++];
		gd->fd = -1;
		if (stop_pending(s, err) < 0 || open_image(&def->attach[i], gd, &g->largest_image, err) < 0)
			return -1;
	}
	return 0;
}

static int store_floats(struct super *s, const struct pending_float *fl, unsigned n, char *err)
{
	for (unsigned i = 0; i < n; i++) {
		char why[SUPER_ERRLEN];
		if (media_label_store(s->lat, fl[i].image->file, &fl[i].label, why) < 0) {
			super_err(err, "media %s: %s", fl[i].image->name, why);
			return -1;
		}
	}
	return 0;
}

int grant_for_vm(struct super *s, struct vmrec *v, struct grant *g, char *err)
{
	struct pending_float fl[SYSDEF_MAX_ATTACH];
	unsigned nfl;
	memset(g, 0, sizeof(*g));
	g->kernel_fd = g->initrd_fd = g->serial_fd = g->transfer_fd = g->console_fd = -1;
	if (decide_all(s, v, fl, &nfl, err) < 0 || chans_grant(s, v, g, err) < 0 ||
	    open_all(s, v, g, err) < 0 || store_floats(s, fl, nfl, err) < 0 ||
	    console_grant(s, v, g, err) < 0) {
		grant_release(g);
		return -1;
	}
	return 0;
}
