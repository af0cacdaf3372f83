/*
 * The system definition and policy file: one human-readable file that
 * declares the label lattice (levels, categories, integrity levels), the
 * sharing rules that are switched on, each disk and removable-media image
 * with its label, each labeled network and one-way diode, and each VM
 * (label, memory, kernel, initrd, command line, attached images, NICs,
 * serial mode).  The grammar is in docs/sysdef.md.
 *
 * The parser is pure: it never opens the files the definition names (the
 * supervisor does that later, under the reference monitor's control); it
 * only resolves relative paths against the definition's directory.  Every
 * error is one line, "NAME:LINE: problem".
 */
#ifndef CORDON_SEC_SYSDEF_H
#define CORDON_SEC_SYSDEF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sec/label.h"

#define SYSDEF_ERRLEN 512
#define SYSDEF_NAME_MAX (LATTICE_NAME_MAX + 1) /* VM and image names, with the NUL */
#define SYSDEF_MAX_VMS 16
#define SYSDEF_MAX_IMAGES 64        /* disks and media together */
#define SYSDEF_MAX_ATTACH 8         /* images attached to one VM */
#define SYSDEF_MAX_FILE (1u << 20)  /* sysdef_load refuses larger files */
#define SYSDEF_MEM_MIN (16ull << 20)
#define SYSDEF_MEM_MAX (3ull << 30)
#define SYSDEF_MEM_DEFAULT (256ull << 20)
#define SYSDEF_SERIAL_QUOTA_DEFAULT (16ull << 20) /* bytes of console log: serial log SIZE */
#define SYSDEF_SERIAL_QUOTA_MIN (64ull << 10)
#define SYSDEF_SERIAL_QUOTA_MAX (1ull << 30)
#define SYSDEF_MAX_NETS 16
#define SYSDEF_MAX_DIODES 16
#define SYSDEF_MAX_NICS 8           /* net and diode statements in one VM: eth0..eth7 */
#define SYSDEF_MAC_LEN 6
#define SYSDEF_IFNAME_MAX 16        /* a host interface name, with the NUL (IFNAMSIZ) */

/* Which sharing rules the site enabled ("policy NAME on|off"). */
struct sysdef_policy {
	bool blp;       /* Bell-LaPadula: no read up, no write down (default on) */
	bool biba;      /* Biba: no read down, no write up (default off) */
	bool read_down; /* read-only attach of lower images (default off) */
	bool write_up;  /* file transfers to a VM whose label dominates (default off) */
};

/* File transfer between VMs (docs/transfer.md), parsed in sysdef_transfer.c:
 * "transfer-limit SIZE FILES" and "transfer-expire DURATION". */
#define SYSDEF_XFER_EXPIRE_DEFAULT (7ull * 24 * 3600)
struct sysdef_transfer {
	uint64_t max_bytes;      /* one transfer's file sizes together (default 64M) */
	uint32_t max_files;      /* files in one transfer (default 1000) */
	uint64_t expire_seconds; /* an undelivered transfer is dropped after (default 7d) */
};

enum sysdef_image_kind { SYSDEF_DISK, SYSDEF_MEDIA };
enum sysdef_serial { SYSDEF_SERIAL_LOG, SYSDEF_SERIAL_NONE };

struct sysdef_image {
	enum sysdef_image_kind kind;
	char name[SYSDEF_NAME_MAX];
	const char *file;          /* resolved against the file's directory */
	struct label label;
	const char *label_text;    /* the label as written, for messages */
	const char *luks_key_file; /* resolved, or NULL (disks only) */
	int line;                  /* where "disk NAME {" / "media NAME {" is */
};

struct sysdef_attach {
	const struct sysdef_image *image;
	bool readonly;
	int line;
};

/* A labeled network: one switch, joined by VMs at exactly its label. */
struct sysdef_net {
	char name[SYSDEF_NAME_MAX];
	struct label label;
	const char *label_text;
	char uplink[SYSDEF_IFNAME_MAX]; /* "uplink tap IFNAME": a host tap device, or "" */
	int line;                       /* where "net NAME {" is */
};

/* A one-way link from one VM to another (docs/sysdef.md, "Diodes"). */
struct sysdef_diode {
	char name[SYSDEF_NAME_MAX];
	const struct sysdef_vm *from, *to; /* resolved after the whole file is read */
	int line;                          /* where "diode NAME {" is */
};

enum sysdef_nic_kind { SYSDEF_NIC_NET, SYSDEF_NIC_DIODE };

/* One NIC of a VM (eth0, eth1, ... in statement order). */
struct sysdef_nic {
	enum sysdef_nic_kind kind;
	const struct sysdef_net *net;     /* SYSDEF_NIC_NET */
	const struct sysdef_diode *diode; /* SYSDEF_NIC_DIODE */
	uint8_t mac[SYSDEF_MAC_LEN];      /* "mac NAME ADDRESS", or derived from the names */
	bool mac_set;                     /* given by a mac statement */
	int line;                         /* the net or diode statement */
};

struct sysdef_vm {
	char name[SYSDEF_NAME_MAX];
	struct label label;
	const char *label_text;
	uint64_t memory;           /* bytes, SYSDEF_MEM_MIN .. SYSDEF_MEM_MAX, 4K multiple */
	const char *kernel;        /* resolved path, always present */
	const char *initrd;        /* resolved path, or NULL */
	const char *append;        /* kernel command line, "" if none */
	enum sysdef_serial serial;
	uint64_t serial_quota;     /* serial log: the console log's size limit, bytes */
	bool transfer;             /* "transfer on": an outbox and an inbox */
	unsigned nattach;
	struct sysdef_attach attach[SYSDEF_MAX_ATTACH];
	unsigned nnics;
	struct sysdef_nic nic[SYSDEF_MAX_NICS];
	int line;                  /* where "vm NAME {" is */
};

struct sysdef;

/* Parses the file at path (its relative paths are resolved against the
 * file's directory).  NULL with err on failure. */
struct sysdef *sysdef_load(const char *path, char *err);
/* Parses text[0..len) (need not be NUL-terminated).  name_for_errors
 * prefixes every message; base_dir (NULL or "" = leave relative paths as
 * they are) is prepended to relative paths. */
struct sysdef *sysdef_parse(const char *text, size_t len, const char *name_for_errors,
			    const char *base_dir, char *err);
void sysdef_free(struct sysdef *s);

/* Read-only views; valid until sysdef_free. */
const struct lattice *sysdef_lattice(const struct sysdef *s);
struct sysdef_policy sysdef_policy(const struct sysdef *s);
struct sysdef_transfer sysdef_transfer(const struct sysdef *s);
unsigned sysdef_vm_count(const struct sysdef *s);
const struct sysdef_vm *sysdef_vm(const struct sysdef *s, unsigned i);
const struct sysdef_vm *sysdef_vm_by_name(const struct sysdef *s, const char *name);
/* Disks and media in declaration order; ->kind tells them apart. */
unsigned sysdef_image_count(const struct sysdef *s);
const struct sysdef_image *sysdef_image(const struct sysdef *s, unsigned i);
const struct sysdef_image *sysdef_image_by_name(const struct sysdef *s, const char *name);
/* Nets and diodes in declaration order. */
unsigned sysdef_net_count(const struct sysdef *s);
const struct sysdef_net *sysdef_net(const struct sysdef *s, unsigned i);
unsigned sysdef_diode_count(const struct sysdef *s);
const struct sysdef_diode *sysdef_diode(const struct sysdef *s, unsigned i);
/* A name as the system file allows it (of a VM, an image, a net, ...):
 * 1 .. SYSDEF_NAME_MAX - 1 characters of [A-Za-z0-9_-]. */
bool sysdef_is_name(const char *s);
/* The MAC a NIC gets without a mac statement: a locally administered
 * unicast address taken from SHA-256 of the VM's and the net's (or
 * diode's) names, so it is the same on every start. */
void sysdef_derive_mac(const char *vm, const char *channel, uint8_t mac[SYSDEF_MAC_LEN]);

#endif
