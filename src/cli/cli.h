/*
 * The command-line front end.  main.c dispatches subcommands; run.c
 * implements `cordon run` on top of args.c (pure parsing) and src/vm.
 */
#ifndef CORDON_CLI_CLI_H
#define CORDON_CLI_CLI_H

#include <stdio.h>

#include "engine/engine.h"
#include "sec/sandbox.h"
#include "vm/vm.h"

#define CORDON_VERSION "0.1.0"

/* `cordon run ...`: argv[0] is "run".  Returns the process exit status. */
int cli_run(int argc, char **argv);

/*
 * Exit status for a stopped VM:
 *   reset, power-off, Ctrl-A x        0
 *   debug exit (port 0xf4) value v    ((v << 1) | 1) & 0xff, as QEMU's isa-debug-exit
 *   triple fault                      3
 *   internal error (or no reason)     1
 */
int cli_exit_status(enum stop_reason why, int exit_code);

/* Says on stderr why the VM stopped, when that needs saying (a triple
 * fault, an error); returns cli_exit_status for it. */
int cli_report_stop(struct vm *vm, enum stop_reason why);
/* Enters the monitor sandbox (sec/sandbox.h) and lists on stderr what
 * could not be applied.  0, or -1 after saying why. */
int cli_enter_sandbox(const struct sandbox_opts *opts);

/* `cordon monitor` (super/monitor_proto.h): started only by the
 * supervisor, with its socket on descriptor 3. */
int cli_monitor(int argc, char **argv);
/* `cordon switch` and `cordon relay` (super/chan_proto.h; argv[0] names
 * which): started only by the supervisor, like a monitor. */
int cli_chan(int argc, char **argv);
/* `cordon guard` (guard/guard.h): a VM's transfer guard, started only by
 * the supervisor, with its link on descriptor 3. */
int cli_guard(int argc, char **argv);
/* `cordon transfer list|show|approve|deny` (transfer.c). */
int cli_transfer(int argc, char **argv);

/* `cordon console VM --state-dir DIR` (console.c). */
int cli_console(int argc, char **argv);

/* The security kernel's commands (up.c): `cordon up`, the control
 * requests `ps`, `stop`, `down` (argv[0] names which), `cordon media`. */
int cli_up(int argc, char **argv);
int cli_ctl(int argc, char **argv);
int cli_media(int argc, char **argv);

/* The --audit-sensitive table: one row per enum sens_insn, SENS_COUNT entries. */
void cli_print_audit(FILE *f, const struct sens_count *counts);

#endif
