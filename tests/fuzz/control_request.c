/*
 * Fuzz target: the supervisor's handling of one control-socket request
 * (control_dispatch, src/super/super_control.c, with the protocol module
 * src/super/control_proto.c), against a supervisor state built from a
 * small system file: one VM running (its "monitor" is a child of this
 * process that ignores SIGTERM), one exited, one refused, and a media
 * image in a scratch directory, with a real audit log.
 *
 * Every request line gets exactly one reply line of at most
 * CONTROL_REPLY_MAX bytes that the client's decoder accepts (ok or a
 * refusal, never "malformed"); a ps reply decodes into as many VMs as
 * the system file has; and a request that decodes re-encodes, through
 * the client's encoder, into one that decodes the same.
 *
 * fuzz-plant: src/super/control_proto.c
 * fuzz-plant-from: } else if (c == '"' || c == '\\') {
 * fuzz-plant-to: } else if (c == '"') {
 */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "sec/audit.h"
#include "super/control_proto.h"
#include "super/super_internal.h"

static struct super sup;
static struct control_conn conn;
static char dir[64], log_path[128];
static char *reply;
static pid_t monitor;

static pid_t start_fake_monitor(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		signal(SIGTERM, SIG_IGN);
		for (;;)
			pause();
	}
	FUZZ_CHECK(pid > 0, "fork");
	return pid;
}

static struct sysdef *system_file(void)
{
	char text[1024], err[SYSDEF_ERRLEN];
	snprintf(text, sizeof(text),
		 "levels LOW < HIGH\n"
		 "media stick {\n file \"%s/stick.img\"\n label LOW\n}\n"
		 "vm alpha {\n label LOW\n kernel \"k\"\n}\n"
		 "vm beta {\n label HIGH\n kernel \"k\"\n}\n"
		 "vm gamma {\n label HIGH\n kernel \"k\"\n media stick\n}\n", dir);
	struct sysdef *s = sysdef_parse(text, strlen(text), "fuzz.sys", NULL, err);
	FUZZ_CHECK(s, "system file: %s", err);
	return s;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	remove(path);
	return 0;
}

/* The scratch directory goes when libFuzzer exits (a crash leaves it). */
static void remove_scratch(void)
{
	nftw(dir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* A crash ends libFuzzer without atexit: the next run removes what a
 * run whose process is gone left behind. */
static void remove_stale(const char *base)
{
	DIR *d = opendir(base);
	struct dirent *e;
	static const char prefix[] = "cordon-fuzz-control.";
	while (d && (e = readdir(d))) {
		if (strncmp(e->d_name, prefix, sizeof(prefix) - 1) != 0)
			continue;
		long pid = strtol(e->d_name + sizeof(prefix) - 1, NULL, 10);
		if (pid <= 0 || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", base, e->d_name);
		remove_scratch();
	}
	if (d)
		closedir(d);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	/* On tmpfs when there is one: the audit log is created, written with
	 * fdatasync and unlinked for every input, which on a disk file system
	 * cost most of the target's time. */
	const char *base = access("/dev/shm", W_OK | X_OK) == 0 ? "/dev/shm" : "/tmp";
	remove_stale(base);
	snprintf(dir, sizeof(dir), "%s/cordon-fuzz-control.%d.XXXXXX", base, (int)getpid());
	FUZZ_CHECK(mkdtemp(dir), "mkdtemp");
	atexit(remove_scratch);
	char img[128];
	snprintf(img, sizeof(img), "%s/stick.img", dir);
	FILE *f = fopen(img, "w");
	FUZZ_CHECK(f && fwrite(dir, 1, 16, f) == 16 && fclose(f) == 0, "stick.img");
	snprintf(log_path, sizeof(log_path), "%s/audit.log", dir);
	reply = malloc(CONTROL_REPLY_MAX);
	sup.sys = system_file();
	sup.lat = sysdef_lattice(sup.sys);
	monitor = start_fake_monitor();
	return 0;
}

/* A fresh supervisor state and audit log per input. */
static void reset(void)
{
	struct sysdef *sys = sup.sys;
	memset(&sup, 0, sizeof(sup));
	sup.sys = sys;
	sup.lat = sysdef_lattice(sys);
	sup.state_dir = dir;
	sup.listen_fd = sup.signal_fd = sup.devnull = -1;
	sup.nvms = sysdef_vm_count(sys);
	static const enum vm_state states[] = { VMS_RUNNING, VMS_EXITED, VMS_REFUSED };
	for (unsigned i = 0; i < sup.nvms; i++) {
		struct vmrec *v = &sup.vms[i];
		v->def = sysdef_vm(sys, i);
		v->state = states[i % 3];
		v->pid = v->state == VMS_RUNNING ? monitor : 0;
		v->ctl_fd = v->err.fd = -1;
		FUZZ_CHECK(label_format(sup.lat, &v->def->label, v->label, sizeof(v->label)) > 0,
			   "label");
		snprintf(v->outcome, sizeof(v->outcome), "%s", i == 1 ? "powered off" : "");
	}
	char err[AUDIT_ERRLEN];
	unlink(log_path);
	sup.audit = audit_open(log_path, err);
	FUZZ_CHECK(sup.audit, "audit log: %s", err);
	memset(&conn, 0, sizeof(conn));
	conn.fd = -1;
	snprintf(conn.who, sizeof(conn.who), "operator uid 0");
}

static void check_reply(size_t n, const struct control_request *req, bool decoded)
{
	FUZZ_CHECK(n > 1 && n <= CONTROL_REPLY_MAX && reply[n - 1] == '\n' &&
		   !memchr(reply, '\n', n - 1), "reply of %zu bytes", n);
	json_t *obj = NULL;
	char err[CONTROL_ERRLEN];
	int rc = control_reply_decode(reply, n - 1, &obj, err);
	FUZZ_CHECK(rc == 0 || rc == 1, "the client cannot read the reply (%s): %.200s", err, reply);
	if (rc == 0 && decoded && req->cmd == CONTROL_PS) {
		static struct control_ps ps;
		FUZZ_CHECK(control_ps_decode(obj, &ps, err) == 0 && ps.nvms == sup.nvms,
			   "ps reply: %s", err);
	}
	json_decref(obj);
}

/* decode -> encode -> decode gives the same request. */
static void check_round_trip(const struct control_request *req)
{
	const char *args[CONTROL_MAX_ARGS + 1] = { NULL };
	const struct control_cmd_spec *spec = control_cmd_spec(req->cmd);
	for (unsigned i = 0; i < CONTROL_MAX_ARGS && spec->args[i]; i++)
		args[i] = req->args[i];
	char line[CONTROL_REQUEST_MAX + 1], err[CONTROL_ERRLEN];
	long n = control_request_encode(req->cmd, args, line, sizeof(line), err);
	FUZZ_CHECK(n > 0, "a decoded request does not encode: %s", err);
	struct control_request again;
	FUZZ_CHECK(control_request_decode(line, (size_t)n - 1, &again, err) == 0 &&
		   again.cmd == req->cmd && memcmp(again.args, req->args, sizeof(again.args)) == 0,
		   "round trip changed the request: %s", err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size >= CONTROL_REQUEST_MAX)
		return 0; /* the connection layer never passes a longer line */
	reset();
	char *line = malloc(size ? size : 1); /* exact size, no NUL */
	memcpy(line, data, size);
	struct control_request req;
	char err[CONTROL_ERRLEN];
	memset(&req, 0, sizeof(req));
	bool decoded = control_request_decode(line, size, &req, err) == 0;
	if (decoded)
		check_round_trip(&req);
	size_t n = control_dispatch(&sup, &conn, line, size, reply);
	check_reply(n, &req, decoded);
	free(line);
	audit_close(sup.audit);
	return 0;
}
