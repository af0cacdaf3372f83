/*
 * The system definition parser: a full file read into every field, the
 * example in examples/, one test per error class with its exact message,
 * and a fuzz run over mutations of the full file.
 */
#include "t.h"

#include "sec/sysdef.h"
#include "sysdef_test.h"

#include <stdlib.h>

/* Lines 1-3 of every small case below. */
#define LATTICE                                                   \
	"levels UNCLASSIFIED < CONFIDENTIAL < SECRET < TOP_SECRET\n" \
	"categories NATO CRYPTO\n"                                    \
	"integrity LOW < HIGH\n"

/* The example of docs/sysdef.md, plus the disk 'other' its VM attaches. */
static const char full_example[] =
	"# comments\n"                                                       /* 1 */
	"levels UNCLASSIFIED < CONFIDENTIAL < SECRET < TOP_SECRET\n"
	"categories NATO CRYPTO\n"
	"integrity LOW < HIGH\n"
	"\n"                                                                 /* 5 */
	"policy blp on            # Bell-LaPadula\n"
	"policy biba off\n"
	"policy read-down on      # read-only shares of lower disks may be attached\n"
	"\n"
	"disk shared {\n"                                                    /* 10 */
	"\tfile \"images/shared.img\"          # relative to the file's dir\n"
	"\tlabel UNCLASSIFIED/LOW\n"
	"\t# luks key-file \"keys/shared.key\"  (optional)\n"
	"}\n"
	"\n"                                                                 /* 15 */
	"media floppy0 {\n"
	"\tfile \"images/floppy0.img\"\n"
	"\tlabel UNCLASSIFIED\n"
	"}\n"
	"\n"                                                                 /* 20 */
	"disk other {\n"
	"\tfile \"/srv/images/other \\\"1\\\" \\\\.img\"\n"
	"\tlabel SECRET:NATO,CRYPTO/HIGH\n"
	"\tluks key-file \"keys/other.key\"\n"
	"}\n"                                                                /* 25 */
	"\n"
	"vm public {\n"
	"\tlabel UNCLASSIFIED/LOW\n"
	"\tmemory 256M\n"
	"\tkernel \"build/guest/vmlinuz\"\n"                                 /* 30 */
	"\tinitrd \"build/guest/initrd.img\"\n"
	"\tappend \"console=ttyS0 noapic nolapic acpi=off\"\n"
	"\tdisk shared                     # read-write\n"
	"\tdisk other readonly             # a read-only attach\n"
	"\tmedia floppy0\n"                                                  /* 35 */
	"\tserial log                      # console log kept by the supervisor\n"
	"}\n"
	"\n"
	"vm quiet {\n"
	"\tlabel SECRET:CRYPTO\n"                                            /* 40 */
	"\tkernel \"/boot/vmlinuz\"\n"
	"\tserial none\n"
	"}\n";

TEST(sysdef_full_example_lattice_and_policy)
{
	char err[SYSDEF_ERRLEN] = "";
	struct sysdef *s = sysdef_parse(full_example, strlen(full_example), "sys.conf",
					"/etc/cordon", err);
	const struct lattice *lat;
	struct sysdef_policy pol;

	CHECK_STR(err, "");
	CHECK(s != NULL);
	if (!s)
		return;
	lat = sysdef_lattice(s);
	CHECK_EQ(lat->nlevels, 4);
	CHECK_STR(lat->levels[0], "UNCLASSIFIED");
	CHECK_STR(lat->levels[3], "TOP_SECRET");
	CHECK_EQ(lat->ncats, 2);
	CHECK_STR(lat->cats[0], "NATO");
	CHECK_STR(lat->cats[1], "CRYPTO");
	CHECK_EQ(lat->nintegrity, 2);
	CHECK_STR(lat->integrity[1], "HIGH");
	pol = sysdef_policy(s);
	CHECK(pol.blp);
	CHECK(!pol.biba);
	CHECK(pol.read_down);
	sysdef_free(s);
}

TEST(sysdef_full_example_images)
{
	char err[SYSDEF_ERRLEN] = "";
	struct sysdef *s = sysdef_parse(full_example, strlen(full_example), "sys.conf",
					"/etc/cordon", err);
	const struct sysdef_image *shared, *floppy, *other;

	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_EQ(sysdef_image_count(s), 3);
	shared = sysdef_image(s, 0);
	floppy = sysdef_image(s, 1);
	other = sysdef_image(s, 2);
	CHECK(sysdef_image(s, 3) == NULL);
	CHECK(sysdef_image_by_name(s, "floppy0") == floppy);
	CHECK(sysdef_image_by_name(s, "nosuch") == NULL);

	CHECK_EQ(shared->kind, SYSDEF_DISK);
	CHECK_STR(shared->name, "shared");
	CHECK_STR(shared->file, "/etc/cordon/images/shared.img");
	CHECK_EQ(shared->label.level, 0);
	CHECK_EQ(shared->label.cats, 0);
	CHECK_EQ(shared->label.integrity, 0);
	CHECK_STR(shared->label_text, "UNCLASSIFIED/LOW");
	CHECK(shared->luks_key_file == NULL);
	CHECK_EQ(shared->line, 10);

	CHECK_EQ(floppy->kind, SYSDEF_MEDIA);
	CHECK_STR(floppy->name, "floppy0");
	CHECK_STR(floppy->file, "/etc/cordon/images/floppy0.img");
	CHECK_EQ(floppy->label.level, 0);
	CHECK_STR(floppy->label_text, "UNCLASSIFIED");
	CHECK(floppy->luks_key_file == NULL);
	CHECK_EQ(floppy->line, 16);

	CHECK_EQ(other->kind, SYSDEF_DISK);
	CHECK_STR(other->file, "/srv/images/other \"1\" \\.img"); /* absolute: kept */
	CHECK_EQ(other->label.level, 2);
	CHECK_EQ(other->label.cats, 3);
	CHECK_EQ(other->label.integrity, 1);
	CHECK_STR(other->luks_key_file, "/etc/cordon/keys/other.key");
	CHECK_EQ(other->line, 21);
	sysdef_free(s);
}

TEST(sysdef_full_example_vms)
{
	char err[SYSDEF_ERRLEN] = "";
	struct sysdef *s = sysdef_parse(full_example, strlen(full_example), "sys.conf",
					"/etc/cordon", err);
	const struct sysdef_vm *pub, *quiet;

	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_EQ(sysdef_vm_count(s), 2);
	pub = sysdef_vm(s, 0);
	quiet = sysdef_vm(s, 1);
	CHECK(sysdef_vm(s, 2) == NULL);
	CHECK(sysdef_vm_by_name(s, "quiet") == quiet);
	CHECK(sysdef_vm_by_name(s, "shared") == NULL);

	CHECK_STR(pub->name, "public");
	CHECK_EQ(pub->line, 27);
	CHECK_EQ(pub->label.level, 0);
	CHECK_EQ(pub->label.cats, 0);
	CHECK_EQ(pub->label.integrity, 0);
	CHECK_STR(pub->label_text, "UNCLASSIFIED/LOW");
	CHECK_EQ(pub->memory, 256ull << 20);
	CHECK_STR(pub->kernel, "/etc/cordon/build/guest/vmlinuz");
	CHECK_STR(pub->initrd, "/etc/cordon/build/guest/initrd.img");
	CHECK_STR(pub->append, "console=ttyS0 noapic nolapic acpi=off");
	CHECK_EQ(pub->serial, SYSDEF_SERIAL_LOG);
	CHECK_EQ(pub->nattach, 3);
	CHECK(pub->attach[0].image == sysdef_image_by_name(s, "shared"));
	CHECK(!pub->attach[0].readonly);
	CHECK_EQ(pub->attach[0].line, 33);
	CHECK(pub->attach[1].image == sysdef_image_by_name(s, "other"));
	CHECK(pub->attach[1].readonly);
	CHECK_EQ(pub->attach[1].line, 34);
	CHECK(pub->attach[2].image == sysdef_image_by_name(s, "floppy0"));
	CHECK(!pub->attach[2].readonly);

	/* Defaults: memory, no initrd, empty command line. */
	CHECK_STR(quiet->name, "quiet");
	CHECK_EQ(quiet->label.level, 2);
	CHECK_EQ(quiet->label.cats, 2);
	CHECK_EQ(quiet->label.integrity, 0); /* lowest declared */
	CHECK_EQ(quiet->memory, SYSDEF_MEM_DEFAULT);
	CHECK_STR(quiet->kernel, "/boot/vmlinuz");
	CHECK(quiet->initrd == NULL);
	CHECK_STR(quiet->append, "");
	CHECK_EQ(quiet->serial, SYSDEF_SERIAL_NONE);
	CHECK_EQ(quiet->nattach, 0);
	sysdef_free(s);
}

TEST(sysdef_relative_paths_without_base_dir)
{
	char err[SYSDEF_ERRLEN] = "";
	struct sysdef *s = parse(LATTICE "vm a {\nlabel SECRET\nkernel \"k/vmlinuz\"\n}\n", err);

	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_STR(sysdef_vm(s, 0)->kernel, "k/vmlinuz");
	CHECK(sysdef_policy(s).blp);        /* default on */
	CHECK(!sysdef_policy(s).read_down); /* default off */
	sysdef_free(s);
}

TEST(sysdef_loads_examples_two_labels)
{
	char err[SYSDEF_ERRLEN] = "";
	struct sysdef *s = sysdef_load("examples/two-labels.sys", err);
	const struct sysdef_vm *pub, *sec;

	CHECK_STR(err, "");
	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_EQ(sysdef_vm_count(s), 2);
	pub = sysdef_vm_by_name(s, "public");
	sec = sysdef_vm_by_name(s, "secret");
	CHECK(pub && sec);
	if (pub && sec) {
		CHECK_STR(pub->label_text, "UNCLASSIFIED/LOW");
		CHECK_EQ(pub->label.level, 0);
		CHECK_EQ(sec->label.level, 2);
		CHECK_STR(pub->kernel, "examples/../build/guest/vmlinuz");
		CHECK_STR(sec->initrd, "examples/../build/guest/initrd.img");
		CHECK_EQ(pub->nattach, 1);
		CHECK_EQ(sec->nattach, 3);
		/* The SECRET VM reads the bulletin read-only and has the floppy. */
		CHECK(sec->nattach == 3 && sec->attach[1].readonly &&
		      sec->attach[1].image->kind == SYSDEF_DISK && !sec->attach[2].readonly &&
		      sec->attach[2].image->kind == SYSDEF_MEDIA);
		/* Each VM has its own disk, at its own label. */
		CHECK(pub->nattach && sec->nattach && pub->attach[0].image != sec->attach[0].image);
		CHECK(pub->nattach && !memcmp(&pub->attach[0].image->label, &pub->label, sizeof(pub->label)));
		CHECK(sec->nattach && !memcmp(&sec->attach[0].image->label, &sec->label, sizeof(sec->label)));
	}
	sysdef_free(s);
}

/* The first ``` block of docs/sysdef.md is the documented example. */
TEST(sysdef_docs_example_parses)
{
	char err[SYSDEF_ERRLEN] = "";
	FILE *f = fopen("docs/sysdef.md", "r");
	static char doc[65536];
	size_t n = f ? fread(doc, 1, sizeof(doc) - 1, f) : 0;
	char *start, *end;
	struct sysdef *s = NULL;

	if (f)
		fclose(f);
	doc[n] = '\0';
	start = strstr(doc, "```\n");
	end = start ? strstr(start + 4, "```\n") : NULL;
	CHECK(start && end);
	if (start && end)
		s = sysdef_parse(start + 4, (size_t)(end - start - 4), "docs/sysdef.md", "/x", err);
	CHECK_STR(err, "");
	if (s) {
		CHECK_EQ(sysdef_vm_count(s), 2);
		CHECK_EQ(sysdef_image_count(s), 3);
		CHECK(sysdef_vm_by_name(s, "analyst") && sysdef_vm_by_name(s, "analyst")->attach[1].readonly);
	}
	sysdef_free(s);
}

TEST(sysdef_load_missing_file_names_path)
{
	char err[SYSDEF_ERRLEN] = "";
	CHECK(sysdef_load("examples/no-such-file.sys", err) == NULL);
	CHECK_STR(err, "examples/no-such-file.sys: no such file");
}

/* Errors: one per class, with the exact message ----------------------------- */

TEST(sysdef_err_unknown_level)
{
	expect_error(LATTICE "vm a {\nlabel SECRT\n",
		     "sys.conf:5: unknown level 'SECRT' (declared: UNCLASSIFIED, CONFIDENTIAL, SECRET, TOP_SECRET)");
	expect_error(LATTICE "vm a {\nlabel SECRET/MEDIUM\n",
		     "sys.conf:5: unknown integrity level 'MEDIUM' (declared: LOW, HIGH)");
}

TEST(sysdef_err_undeclared_category)
{
	expect_error(LATTICE "disk d {\nlabel SECRET:NATO,COSMIC/HIGH\n",
		     "sys.conf:5: category 'COSMIC' is not declared");
	/* Syntax problems inside a label come from the lattice module. */
	expect_error(LATTICE "disk d {\nlabel SECRET:NATO,NATO\n",
		     "sys.conf:5: label 'SECRET:NATO,NATO': category 'NATO' given twice");
}

TEST(sysdef_err_duplicate_vm)
{
	expect_error(LATTICE "vm public {\nlabel SECRET\nkernel \"k\"\n}\nvm public {\n",
		     "sys.conf:8: duplicate vm 'public' (first at line 4)");
}

TEST(sysdef_err_disk_declared_twice)
{
	expect_error(LATTICE "disk shared {\nfile \"a\"\nlabel UNCLASSIFIED/LOW\n}\n"
			     "disk shared {\nfile \"a\"\nlabel SECRET\n}\n",
		     "sys.conf:8: disk 'shared' is declared twice (first at line 4, label UNCLASSIFIED/LOW)");
	expect_error(LATTICE "disk shared {\nfile \"a\"\nlabel SECRET\n}\nmedia shared {\n",
		     "sys.conf:8: media 'shared' is already declared as disk (line 4)");
}

TEST(sysdef_err_undeclared_attach)
{
	expect_error(LATTICE "vm x {\nlabel SECRET\nkernel \"k\"\ndisk y\n}\n",
		     "sys.conf:7: vm 'x' attaches undeclared disk 'y'");
	expect_error(LATTICE "media y {\nfile \"f\"\nlabel SECRET\n}\n"
			     "vm x {\nlabel SECRET\nkernel \"k\"\ndisk y readonly\n}\n",
		     "sys.conf:11: vm 'x' attaches 'y' as disk, but it is declared as media (line 4)");
	expect_error(LATTICE "vm x {\nlabel SECRET\nkernel \"k\"\ndisk y rw\n}\n",
		     "sys.conf:7: expected: disk NAME [readonly]");
}

TEST(sysdef_err_missing_kernel_and_label)
{
	expect_error(LATTICE "vm x {\nlabel SECRET\nmemory 64M\n}\n",
		     "sys.conf:4: missing 'kernel' in vm 'x'");
	expect_error(LATTICE "vm x {\nkernel \"k\"\n}\n", "sys.conf:4: missing 'label' in vm 'x'");
	expect_error(LATTICE "disk d {\nlabel SECRET\n}\n", "sys.conf:4: missing 'file' in disk 'd'");
}

TEST(sysdef_err_memory)
{
	expect_error(LATTICE "vm x {\nmemory 12Q\n",
		     "sys.conf:5: bad memory size '12Q' (a number with an optional K, M or G suffix, e.g. 256M)");
	expect_error(LATTICE "vm x {\nmemory M\n",
		     "sys.conf:5: bad memory size 'M' (a number with an optional K, M or G suffix, e.g. 256M)");
	expect_error(LATTICE "vm x {\nmemory 99999999999999999999\n",
		     "sys.conf:5: bad memory size '99999999999999999999' (a number with an optional K, M or G suffix, e.g. 256M)");
	expect_error(LATTICE "vm x {\nmemory 15M\n",
		     "sys.conf:5: memory size '15M' is out of range (16M .. 3G)");
	expect_error(LATTICE "vm x {\nmemory 3073M\n",
		     "sys.conf:5: memory size '3073M' is out of range (16M .. 3G)");
	expect_error(LATTICE "vm x {\nmemory 16777217\n",
		     "sys.conf:5: memory size '16777217' is not a multiple of 4K");
	expect_error(LATTICE "vm x {\nmemory 16M\nmemory 32M\n",
		     "sys.conf:6: duplicate 'memory' in vm 'x' (first at line 5)");
}

TEST(sysdef_memory_bounds_accepted)
{
	char err[SYSDEF_ERRLEN] = "";
	struct sysdef *s = parse(LATTICE "vm a {\nlabel SECRET\nkernel \"k\"\nmemory 16M\n}\n"
				 "vm b {\nlabel SECRET\nkernel \"k\"\nmemory 3g\n}\n", err);
	CHECK_STR(err, "");
	if (!s)
		return;
	CHECK_EQ(sysdef_vm(s, 0)->memory, 16ull << 20);
	CHECK_EQ(sysdef_vm(s, 1)->memory, 3ull << 30);
	sysdef_free(s);
}

TEST(sysdef_err_strings)
{
	expect_error(LATTICE "vm x {\nkernel \"build/vmlinuz\n\"\n",
		     "sys.conf:5: unterminated string (a string must end on the line it starts)");
	expect_error(LATTICE "vm x {\nkernel \"build/vmlinuz",
		     "sys.conf:5: unterminated string (a string must end on the line it starts)");
	expect_error(LATTICE "vm x {\nkernel \"a\\\n",
		     "sys.conf:5: unterminated string (a string must end on the line it starts)");
	expect_error(LATTICE "vm x {\nkernel \"a\\n\"\n",
		     "sys.conf:5: unknown escape '\\n' in string (only \\\" and \\\\ are allowed)");
	expect_error(LATTICE "vm x {\nappend \"a\tb\"\n",
		     "sys.conf:5: control character \\x09 in string");
	expect_error(LATTICE "vm x {\nkernel \"\"\n", "sys.conf:5: empty path for 'kernel'");
	expect_error(LATTICE "vm x {\nkernel vmlinuz\n", "sys.conf:5: expected: kernel \"PATH\"");
}

/* Strings reach the audit log (kernel and initrd paths are the records'
 * reasons) and the monitor's start-up message, both JSON: a byte sequence
 * that is not UTF-8 must be refused here, naming the line, not later as
 * an audit log that "cannot be written" stopping every VM. */
TEST(sysdef_err_string_not_utf8)
{
	char err[SYSDEF_ERRLEN];
	expect_error(LATTICE "vm x {\nkernel \"/srv/k\xe9rnel\"\n",
		     "sys.conf:5: string is not valid UTF-8 (byte \\xe9 at offset 6)");
	expect_error(LATTICE "vm x {\nappend \"a\xc0\xaf\"\n", /* overlong '/' */
		     "sys.conf:5: string is not valid UTF-8 (byte \\xc0 at offset 1)");
	expect_error(LATTICE "vm x {\ninitrd \"\xed\xa0\x80\"\n", /* a surrogate */
		     "sys.conf:5: string is not valid UTF-8 (byte \\xed at offset 0)");
	expect_error(LATTICE "vm x {\nkernel \"k\xe2\x82\"\n", /* cut short */
		     "sys.conf:5: string is not valid UTF-8 (byte \\xe2 at offset 1)");
	struct sysdef *s = parse(LATTICE "vm x {\nlabel SECRET\nkernel \"/srv/r\xc3\xa9sum\xc3\xa9\"\n"
				 "append \"\xf0\x9f\x94\x92\"\n}\n", err);
	CHECK(s != NULL);
	if (s) {
		CHECK_STR(sysdef_vm(s, 0)->kernel, "/srv/r\xc3\xa9sum\xc3\xa9");
		CHECK_STR(sysdef_vm(s, 0)->append, "\xf0\x9f\x94\x92");
		sysdef_free(s);
	}
}

TEST(sysdef_err_unknown_keyword)
{
	expect_error(LATTICE "level A < B\n",
		     "sys.conf:4: unknown keyword 'level' (expected levels, categories, integrity, policy, disk, media, net, diode, vm, transfer-limit or transfer-expire)");
	expect_error(LATTICE "vm x {\ncpus 2\n",
		     "sys.conf:5: unknown keyword 'cpus' in vm 'x' (expected label, memory, kernel, initrd, append, disk, media, net, diode, mac, serial or transfer)");
	expect_error(LATTICE "media m {\nluks key-file \"k\"\n",
		     "sys.conf:5: unknown keyword 'luks' in media 'm' (expected file, label)");
	expect_error(LATTICE "policy bell-lapadula on\n",
		     "sys.conf:4: unknown policy 'bell-lapadula' (known: blp, biba, read-down, write-up)");
	expect_error(LATTICE "policy blp yes\n", "sys.conf:4: policy 'blp' must be 'on' or 'off', not 'yes'");
	expect_error(LATTICE "policy blp on\npolicy blp off\n",
		     "sys.conf:5: policy 'blp' set twice (first at line 4)");
	expect_error("levels A\n\x01\n", "sys.conf:2: unexpected character '\\x01'");
}

TEST(sysdef_err_blocks)
{
	expect_error(LATTICE "vm x {\nlabel SECRET\nkernel \"k\"\n",
		     "sys.conf:6: '}' missing at end of file (vm 'x' opened at line 4)");
	expect_error(LATTICE "vm x {\nlabel SECRET\nkernel \"k\"\nvm y {\n",
		     "sys.conf:7: blocks do not nest ('}' missing for vm 'x' opened at line 4)");
	expect_error(LATTICE "}\n", "sys.conf:4: '}' without an open block");
	expect_error(LATTICE "vm x\n{\n",
		     "sys.conf:4: expected: vm NAME {  ('{' ends the line; the block's statements follow, one per line)");
	expect_error(LATTICE "vm x {\nlabel SECRET\nkernel \"k\" }\n",
		     "sys.conf:6: expected: kernel \"PATH\"");
	expect_error(LATTICE "vm x.y {\n",
		     "sys.conf:4: unexpected character '.'");
	expect_error(LATTICE "vm a:b {\n",
		     "sys.conf:4: bad vm name 'a:b' (letters, digits, '_' and '-' only)");
	expect_error(LATTICE, "sys.conf:3: no vm declared");
	expect_error("", "sys.conf:1: no vm declared");
}

TEST(sysdef_err_lattice_declarations)
{
	expect_error(LATTICE "levels A < B\n", "sys.conf:4: levels declared twice (first at line 1)");
	expect_error("levels A < B B C\n", "sys.conf:1: expected '<' between level names");
	expect_error("levels A < A\n", "sys.conf:1: level 'A' declared twice");
	expect_error("levels A <\n",
		     "sys.conf:1: 'levels' needs names separated by '<', lowest first (e.g. levels UNCLASSIFIED < SECRET)");
	expect_error("categories\n", "sys.conf:1: 'categories' needs at least one name");
	expect_error("vm x {\nlabel SECRET\n",
		     "sys.conf:2: label 'SECRET' used but no 'levels' are declared");
	expect_error("levels A\nvm x {\nlabel A\nkernel \"k\"\n}\ncategories C\n",
		     "sys.conf:6: 'categories' must come before the first block (line 2)");
}

TEST(sysdef_err_limits)
{
	char text[4096];
	size_t n = (size_t)snprintf(text, sizeof(text), "levels A\n");

	for (int i = 0; i <= SYSDEF_MAX_VMS; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "vm v%d {\nlabel A\nkernel \"k\"\n}\n", i);
	expect_error(text, "sys.conf:66: too many vms (at most 16)");
	expect_error("levels A\nvm abcdefghijabcdefghijabcdefghij12 {\n",
		     "sys.conf:2: vm name 'abcdefghijabcdefghijabcdefghij12...' is too long (at most 31 characters)");
}

TEST(sysdef_error_name_for_errors_is_used)
{
	char err[SYSDEF_ERRLEN] = "";
	CHECK(sysdef_parse("bogus\n", 6, "/etc/cordon/site.sys", NULL, err) == NULL);
	CHECK(strncmp(err, "/etc/cordon/site.sys:1: unknown keyword 'bogus'", 47) == 0);
}

/* Fuzz ---------------------------------------------------------------------- */

TEST(sysdef_fuzz_truncations)
{
	int parsed = 0;

	CHECK_EQ(sysdef_fuzz_each_prefix(full_example, &parsed), 0);
	CHECK(parsed >= 1); /* at least the whole file */
}

TEST(sysdef_fuzz_mutations)
{
	int parsed = 0;

	CHECK_EQ(sysdef_fuzz_mutated(full_example, 4000, 0x5eed5eedcafef00dull, &parsed), 0);
	/* Some mutations (in comments, say) leave a valid file; most do not. */
	CHECK(parsed > 0 && parsed < 4000);
}

/* serial log SIZE: the console log's quota (issue 18). */
TEST(sysdef_serial_log_quota)
{
	char err[SYSDEF_ERRLEN] = "";
	static const char text[] = LATTICE
		"vm a {\n\tlabel SECRET\n\tkernel \"k\"\n\tserial log 1M\n}\n"
		"vm b {\n\tlabel SECRET\n\tkernel \"k\"\n}\n";
	struct sysdef *s = sysdef_parse(text, strlen(text), "q.sys", NULL, err);
	CHECK(s != NULL);
	if (s) {
		CHECK_EQ(sysdef_vm(s, 0)->serial_quota, 1u << 20);
		CHECK_EQ(sysdef_vm(s, 1)->serial_quota, SYSDEF_SERIAL_QUOTA_DEFAULT);
		sysdef_free(s);
	}
	static const char *const bad[] = { "serial log 1K", "serial log 2G", "serial log lots",
					   "serial none 1M", "serial log 1M 2M" };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char buf[512];
		snprintf(buf, sizeof(buf), LATTICE "vm a {\n\tlabel SECRET\n\tkernel \"k\"\n\t%s\n}\n",
			 bad[i]);
		CHECK(sysdef_parse(buf, strlen(buf), "q.sys", NULL, err) == NULL);
		CHECK(strstr(err, "q.sys:") && (strstr(err, "console log size") || strstr(err, "expected: serial")));
	}
}

/* --- the transfer statements (src/sec/sysdef_transfer.c): transfer on|off
 * in a vm, transfer-limit, transfer-expire and policy write-up. */

#define THEAD "levels LOW < HIGH\n"
#define TVM(name, rest) "vm " name " {\nlabel LOW\nkernel \"k\"\n" rest "}\n"

TEST(sysdef_transfer_defaults)
{
	char err[SYSDEF_ERRLEN] = "";
	struct sysdef *s = parse(THEAD TVM("a", ""), err);
	CHECK(s != NULL);
	if (!s)
		return;
	CHECK(!sysdef_vm(s, 0)->transfer);
	CHECK(!sysdef_policy(s).write_up);
	struct sysdef_transfer t = sysdef_transfer(s);
	CHECK_EQ(t.max_bytes, 64ull << 20);
	CHECK_EQ(t.max_files, 1000);
	CHECK_EQ(t.expire_seconds, 7 * 24 * 3600);
	sysdef_free(s);
}

TEST(sysdef_transfer_statements_parsed)
{
	char err[SYSDEF_ERRLEN] = "";
	struct sysdef *s = parse(THEAD "policy write-up on\ntransfer-limit 512K 20\n"
				 TVM("a", "transfer on\n") TVM("b", "transfer off\n")
				 "transfer-expire 90m\n", err);
	CHECK_STR(err, "");
	CHECK(s != NULL);
	if (!s)
		return;
	CHECK(sysdef_vm(s, 0)->transfer);
	CHECK(!sysdef_vm(s, 1)->transfer);
	CHECK(sysdef_policy(s).write_up);
	struct sysdef_transfer t = sysdef_transfer(s);
	CHECK_EQ(t.max_bytes, 512 * 1024);
	CHECK_EQ(t.max_files, 20);
	CHECK_EQ(t.expire_seconds, 90 * 60);
	sysdef_free(s);
	/* The ceilings themselves are accepted; each unit too. */
	const char *ok[] = { "transfer-limit 4G 100000\n", "transfer-limit 1 1\n",
			     "transfer-expire 1s\n", "transfer-expire 366d\n", "transfer-expire 24h\n" };
	for (unsigned i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char text[256];
		snprintf(text, sizeof(text), THEAD "%s" TVM("a", ""), ok[i]);
		s = parse(text, err);
		if (!s)
			t_fail(__FILE__, __LINE__, "%s refused: %s", ok[i], err);
		sysdef_free(s);
	}
}

TEST(sysdef_transfer_errors)
{
	expect_error(THEAD TVM("a", "transfer yes\n"), "sys.conf:5: expected: transfer on|off");
	expect_error(THEAD TVM("a", "transfer\n"), "sys.conf:5: expected: transfer on|off");
	expect_error(THEAD TVM("a", "transfer on\ntransfer off\n"),
		     "sys.conf:6: duplicate 'transfer' in vm 'a' (first at line 5)");
	expect_error(THEAD "transfer-limit 64M\n" TVM("a", ""),
		     "sys.conf:2: expected: transfer-limit SIZE FILES (e.g. transfer-limit 64M 1000)");
	expect_error(THEAD "transfer-limit 64M 10\ntransfer-limit 1M 1\n" TVM("a", ""),
		     "sys.conf:3: transfer-limit set twice (first at line 2)");
	expect_error(THEAD "transfer-limit 5G 10\n" TVM("a", ""),
		     "sys.conf:2: bad transfer size '5G' (1 .. 4G, with an optional K, M or G suffix)");
	expect_error(THEAD "transfer-limit 0 10\n" TVM("a", ""),
		     "sys.conf:2: bad transfer size '0' (1 .. 4G, with an optional K, M or G suffix)");
	expect_error(THEAD "transfer-limit 12Q 10\n" TVM("a", ""),
		     "sys.conf:2: bad transfer size '12Q' (1 .. 4G, with an optional K, M or G suffix)");
	expect_error(THEAD "transfer-limit 1M 0\n" TVM("a", ""), "sys.conf:2: bad file count '0' (1 .. 100000)");
	expect_error(THEAD "transfer-limit 1M 100001\n" TVM("a", ""),
		     "sys.conf:2: bad file count '100001' (1 .. 100000)");
	expect_error(THEAD "transfer-limit 1M 99999999999999999999999\n" TVM("a", ""),
		     "sys.conf:2: bad file count '99999999999999999999999' (1 .. 100000)");
	expect_error(THEAD "transfer-limit 1M 1K\n" TVM("a", ""), "sys.conf:2: bad file count '1K' (1 .. 100000)");
	expect_error(THEAD "transfer-expire 7\n" TVM("a", ""),
		     "sys.conf:2: bad duration '7' (a number and s, m, h or d; 1s .. 366d)");
	expect_error(THEAD "transfer-expire 367d\n" TVM("a", ""),
		     "sys.conf:2: bad duration '367d' (a number and s, m, h or d; 1s .. 366d)");
	expect_error(THEAD "transfer-expire 0s\n" TVM("a", ""),
		     "sys.conf:2: bad duration '0s' (a number and s, m, h or d; 1s .. 366d)");
	expect_error(THEAD "transfer-expire 1w\n" TVM("a", ""),
		     "sys.conf:2: bad duration '1w' (a number and s, m, h or d; 1s .. 366d)");
	expect_error(THEAD "transfer-expire 1d\ntransfer-expire 2d\n" TVM("a", ""),
		     "sys.conf:3: transfer-expire set twice (first at line 2)");
	expect_error(THEAD "transfer-expire\n" TVM("a", ""),
		     "sys.conf:2: expected: transfer-expire DURATION (e.g. transfer-expire 7d)");
	expect_error(THEAD "policy write-up maybe\n" TVM("a", ""),
		     "sys.conf:2: policy 'write-up' must be 'on' or 'off', not 'maybe'");
	expect_error(THEAD "policy write-up on\npolicy write-up off\n" TVM("a", ""),
		     "sys.conf:3: policy 'write-up' set twice (first at line 2)");
	/* transfer belongs in a vm block, the limits at the top level. */
	expect_error(THEAD "transfer on\n" TVM("a", ""),
		     "sys.conf:2: unknown keyword 'transfer' (expected levels, categories, integrity, "
		     "policy, disk, media, net, diode, vm, transfer-limit or transfer-expire)");
	expect_error(THEAD TVM("a", "transfer-limit 1M 1\n"),
		     "sys.conf:5: unknown keyword 'transfer-limit' in vm 'a' (expected label, memory, "
		     "kernel, initrd, append, disk, media, net, diode, mac, serial or transfer)");
}
