/*
 * Pure command-line parsing for `cordon run`: no I/O, no globals, so the
 * unit tests can drive every error path.  Each error is one line naming
 * the option and the value at fault, written into err (CLI_ERRLEN bytes).
 */
#ifndef CORDON_CLI_ARGS_H
#define CORDON_CLI_ARGS_H

#include <stdbool.h>
#include <stdint.h>

#include "vm/vm.h"

#define CLI_ERRLEN 256

#define CLI_MEM_MIN (16ull << 20)  /* 16 MiB: below this Linux will not boot */
#define CLI_MEM_MAX (3ull << 30)   /* 3 GiB: leaves the top GiB for MMIO */
#define CLI_MEM_DEFAULT (256ull << 20)
#define CLI_MEM_ALIGN 4096ull     /* guest RAM is a whole number of pages */

struct run_opts {
	const char *kernel, *initrd, *append; /* NULL unless given */
	const char *firmware;                 /* --firmware; NULL unless given */
	const char *cdrom;                    /* --cdrom */
	enum boot_device boot;                /* --boot */
	uint64_t mem_bytes;
	enum serial_mode serial;
	const char *serial_path; /* for SERIAL_FILE */
	const char *engine;
	bool audit_sensitive;
	bool stats;           /* --stats: instructions executed and rate at exit */
	bool no_jit;          /* --no-jit: the soft engine interprets every block */
	bool sandbox;         /* --sandbox: sec/sandbox.h before the first guest instruction */
	bool help; /* -h/--help seen: print help, ignore everything else */
	struct vm_disk disks[VM_MAX_DISKS]; /* --disk, repeatable, in order */
	unsigned ndisks;
	char disk_paths[VM_MAX_DISKS][4096]; /* copies of the --disk values, cut into words */
	bool hvc;                 /* --hvc given: a virtio-console */
	enum serial_mode hvc_mode;
	const char *hvc_path;
	unsigned nnets;           /* --net, repeatable: eth0, eth1, ... */
	struct {
		char path[108];   /* a unix socket path (sun_path holds 108) */
		bool mac_set;
		uint8_t mac[VM_MAC_LEN];
	} nets[VM_MAX_NICS];
};

/*
 * Parses "4096", "64K", "256M", "1G" (suffixes are binary, either case).
 * Returns 0 and sets *out, or -1 if s is not a size or overflows 64 bits.
 */
int cli_parse_size(const char *s, uint64_t *out);

/* cli_parse_size plus the 16 MiB .. 3 GiB range and 4 KiB alignment. */
int cli_parse_memory(const char *s, uint64_t *out, char *err);

/* "stdio", "none" or "file:PATH" (PATH points into s). */
int cli_parse_serial(const char *s, enum serial_mode *mode, const char **path, char *err);

/* --hvc MODE: as --serial; sets o->hvc. */
int cli_parse_hvc(const char *s, struct run_opts *o, char *err);

/* --net "socket:PATH[,mac=XX:XX:XX:XX:XX:XX]": one more NIC (up to 8). */
int cli_parse_net(const char *s, struct run_opts *o, char *err);

/* "FILE[,ro][,luks][,key-file=PATH|,key-fd=N][,if=virtio|ide][,index=N]",
 * appended to o->disks (its strings point into o->disk_paths). */
int cli_parse_disk(const char *s, struct run_opts *o, char *err);

/* --boot cdrom|disk. */
int cli_parse_boot(const char *s, enum boot_device *out, char *err);

/*
 * Parses the arguments after "run" (argv[0] is "run" and is skipped).
 * Options take "--opt VALUE" or "--opt=VALUE"; a repeated option keeps the
 * last value, except --disk and --net, which add a disk or a NIC each time.  Returns 0 (check o->help) or -1 with err set.
 */
int cli_parse_run_args(int argc, char **argv, struct run_opts *o, char *err);

#endif
