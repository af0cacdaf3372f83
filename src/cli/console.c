/*
 * `cordon console VM --state-dir DIR`: the operator's terminal on a
 * running VM's serial console, through its supervisor (super_console.c).
 *
 * Before attaching and after detaching, cordon itself -- never the guest --
 * prints one line naming the VM and its label, and on a terminal sets the
 * window title to "VM (LABEL)".  Guest output passes through a filter that
 * drops the escape sequences that set a terminal's title (OSC), so a guest
 * cannot relabel the window as another VM.
 *
 * Keys as in `cordon run` (vm/console.h): Ctrl-A d detaches, Ctrl-A x
 * stops the VM (as `cordon stop` does) and detaches, Ctrl-A h shows them,
 * Ctrl-A a sends a Ctrl-A.  stdin and stdout need not be a terminal:
 * piped input goes to the guest, and at its end cordon detaches once the
 * guest has been quiet for CONSOLE_IDLE_MS, so a script reads the output
 * of what it typed.  The terminal is restored on every way out
 * (host_term_raw registers the restore for exit and fatal signals).
 */
#include "cli/cli.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/console_out.h"
#include "host/host.h"
#include "super/super.h"
#include "vm/console.h"

#define CONSOLE_IDLE_MS 2000
#define CONSOLE_STOP_TIMEOUT "30" /* Ctrl-A x: seconds before a guest that ignores the power button is killed, as for cordon stop */

static const char console_keys_text[] =
	"\r\ncordon console keys:\r\n"
	"  Ctrl-A d   detach (the VM keeps running)\r\n"
	"  Ctrl-A x   stop the VM (as cordon stop does) and detach\r\n"
	"  Ctrl-A h   show this help\r\n"
	"  Ctrl-A a   send Ctrl-A to the guest\r\n";

static void cli_console_help(FILE *f)
{
	fputs("Usage: cordon console VM --state-dir DIR\n"
	      "\n"
	      "Attaches this terminal to the serial console of VM, running under the\n"
	      "supervisor on DIR: what you type goes to the guest's serial port, and\n"
	      "its output comes here (and to its console log, as always).  One\n"
	      "operator per VM at a time; attach and detach are audited with your uid\n"
	      "and pid.  A VM with 'serial none' has no console to attach to.\n"
	      "\n"
	      "Before attaching and after detaching cordon prints a line naming the\n"
	      "VM and its label, and sets a terminal's title to 'VM (LABEL)'; the\n"
	      "guest's output cannot set the title.\n"
	      "\n"
	      "Keys: Ctrl-A d detaches, Ctrl-A x stops the VM and detaches, Ctrl-A h\n"
	      "shows them, Ctrl-A a sends a Ctrl-A.  stdin and stdout may be pipes:\n"
	      "the input goes to the guest, and when it ends cordon detaches after\n"
	      "the guest has been quiet for 2 seconds.\n"
	      "\n"
	      "Exit status: 0 detached; 1 refused (no such VM, not running, no serial\n"
	      "console, another operator attached, not allowed), or the VM ended or\n"
	      "the supervisor stopped while attached; 2 bad command line.\n",
	      f);
}

struct session {
	const char *vm, *label, *dir;
	int fd;
	bool tty_in, tty_out;
	bool stdin_open;
	struct console keys;
	struct console_out out;
};

/* Terminal title, on stdout if it is a terminal, else on stderr if that is. */
static void set_title(const struct session *ss, const char *title)
{
	int fd = ss->tty_out ? 1 : isatty(2) ? 2 : -1;
	if (fd < 0)
		return;
	char buf[256];
	int n = snprintf(buf, sizeof(buf), "\033]0;%s\007", title);
	if (n > 0 && (size_t)n < sizeof(buf))
		(void)host_write_all(fd, buf, (size_t)n);
}

static void say(const struct session *ss, const char *fmt, const char *what)
{
	/* In raw mode a bare \n does not return the carriage. */
	fprintf(stderr, "%scordon: ", ss->tty_in ? "\r" : "");
	fprintf(stderr, fmt, ss->vm, ss->label, what);
	fputs(ss->tty_in ? "\r\n" : "\n", stderr);
}

static void stop_vm(const struct session *ss)
{
	char err[SUPER_ERRLEN];
	json_t *reply = NULL;
	const char *args[] = { ss->vm, CONSOLE_STOP_TIMEOUT, NULL };
	if (super_request(ss->dir, CONTROL_STOP, args, &reply, err) != 0)
		say(ss, "vm %s (%s): cannot stop it: %s", err);
	json_decref(reply);
}

enum outcome { GOES_ON, DETACHED, GONE };

/* Keys from the operator: filtered, then to the supervisor. */
static enum outcome from_operator(struct session *ss)
{
	uint8_t raw[256], keys[256];
	int n = host_stdin_read(raw, sizeof(raw));
	if (n < 0) {
		ss->stdin_open = false; /* end of input: detach once the guest is quiet */
		return GOES_ON;
	}
	enum console_action act;
	size_t len = console_filter(&ss->keys, raw, (size_t)n, keys, &act);
	if (len && host_write_all(ss->fd, keys, len) < 0)
		return GONE;
	if (act == CONSOLE_HELP)
		host_stdout_write(console_keys_text, strlen(console_keys_text));
	if (act == CONSOLE_QUIT)
		stop_vm(ss);
	return act == CONSOLE_DETACH || act == CONSOLE_QUIT ? DETACHED : GOES_ON;
}

/* Guest output: filtered, then to the operator. */
static enum outcome from_guest(struct session *ss)
{
	uint8_t buf[8192], shown[sizeof(buf) + 1];
	ssize_t n = read(ss->fd, buf, sizeof(buf));
	if (n < 0 && errno == EINTR)
		return GOES_ON;
	if (n <= 0)
		return GONE;
	size_t len = console_out_filter(&ss->out, buf, (size_t)n, shown);
	host_stdout_write(shown, len);
	return GOES_ON;
}

static enum outcome run(struct session *ss)
{
	for (;;) {
		struct pollfd p[2] = { { .fd = ss->fd, .events = POLLIN },
				       { .fd = 0, .events = POLLIN } };
		int r = poll(p, ss->stdin_open ? 2 : 1, ss->stdin_open ? -1 : CONSOLE_IDLE_MS);
		if (r < 0 && errno != EINTR)
			return GONE;
		if (r == 0)
			return DETACHED; /* input over, guest quiet */
		enum outcome o = GOES_ON;
		if (p[0].revents)
			o = from_guest(ss);
		if (o == GOES_ON && ss->stdin_open && p[1].revents)
			o = from_operator(ss);
		if (o != GOES_ON)
			return o;
	}
}

static int attach(const char *vm, const char *dir)
{
	char err[SUPER_ERRLEN], title[160];
	json_t *reply = NULL;
	const char *args[] = { vm, NULL };
	struct session ss = { .vm = vm, .dir = dir, .fd = -1, .stdin_open = true };
	if (super_session(dir, CONTROL_CONSOLE, args, &reply, &ss.fd, err) != 0) {
		fprintf(stderr, "cordon console: %s\n", err);
		return 1;
	}
	const char *label = json_string_value(json_object_get(reply, "label"));
	ss.label = label ? label : "?";
	ss.tty_in = host_stdin_is_tty();
	ss.tty_out = isatty(1);
	say(&ss, "attached to vm %s (%s)%s", ss.tty_in ? "; Ctrl-A d detaches, Ctrl-A h for help" : "");
	snprintf(title, sizeof(title), "%s (%s)", vm, ss.label);
	set_title(&ss, title);
	if (ss.tty_in)
		host_term_raw();
	enum outcome o = run(&ss);
	host_term_restore();
	ss.tty_in = false;
	close(ss.fd);
	if (o == DETACHED)
		say(&ss, "detached from vm %s (%s)%s", "");
	else
		say(&ss, "vm %s (%s): the console is gone (the VM ended or the supervisor stopped)%s", "");
	set_title(&ss, "");
	json_decref(reply);
	return o == DETACHED ? 0 : 1;
}

int cli_console(int argc, char **argv)
{
	const char *vm = NULL, *dir = NULL;
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];
		if (!strcmp(s, "-h") || !strcmp(s, "--help")) {
			cli_console_help(stdout);
			return 0;
		} else if (!strcmp(s, "--state-dir") && i + 1 < argc) {
			dir = argv[++i];
		} else if (!strncmp(s, "--state-dir=", 12)) {
			dir = s + 12;
		} else if (s[0] == '-' || vm) {
			fprintf(stderr, "cordon console: unexpected argument '%s'\n"
					"Try 'cordon console --help'.\n", s);
			return 2;
		} else {
			vm = s;
		}
	}
	if (!vm || !dir || !dir[0]) {
		fprintf(stderr, "cordon console: %s\nTry 'cordon console --help'.\n",
			!vm ? "which VM? (cordon console VM --state-dir DIR)" : "--state-dir DIR is required");
		return 2;
	}
	return attach(vm, dir);
}
