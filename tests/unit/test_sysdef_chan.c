/*
 * Nets, diodes and NICs in the system file (src/sec/sysdef_chan.c): a
 * file with each read into every field, one test per error with its exact
 * message, and the parser fuzz run over that file.
 */
#include "t.h"

#include "sec/sysdef.h"
#include "sysdef_test.h"

#define LATTICE "levels UNCLASSIFIED < SECRET\n" /* line 1 */

#define VM(name, label, body) \
	"vm " name " {\nlabel " label "\nkernel \"k\"\n" body "}\n"

static const char chan_example[] =
	"levels UNCLASSIFIED < SECRET\n"                 /* 1 */
	"integrity LOW < HIGH\n"
	"net secret-lan {\n"
	"\tlabel SECRET/HIGH\n"
	"\tuplink tap tap-sec0   # a host tap device\n"   /* 5 */
	"}\n"
	"diode up {\n"
	"\tfrom low\n"
	"\tto high1\n"
	"}\n"                                            /* 10 */
	"vm low {\n"
	"\tlabel UNCLASSIFIED\n"
	"\tkernel \"k\"\n"
	"\tdiode up\n"
	"\tnet low-lan\n"                                /* 15 */
	"}\n"
	"vm high1 {\n"
	"\tlabel SECRET/HIGH\n"
	"\tkernel \"k\"\n"
	"\tnet secret-lan\n"                             /* 20 */
	"\tdiode up\n"
	"\tmac secret-lan 02:00:00:00:00:11\n"
	"}\n"
	"vm high2 {\n"
	"\tlabel SECRET/HIGH\n"                          /* 25 */
	"\tkernel \"k\"\n"
	"\tnet secret-lan\n"
	"}\n"
	"net low-lan {\n"                                /* declared after its use */
	"\tlabel UNCLASSIFIED\n"                         /* 30 */
	"}\n";

TEST(sysdef_chan_nets_and_diodes)
{
	char err[SYSDEF_ERRLEN] = "";
	struct sysdef *s = parse(chan_example, err);

	CHECK_STR(err, "");
	if (!s)
		return;
	CHECK_EQ(sysdef_net_count(s), 2);
	CHECK_EQ(sysdef_diode_count(s), 1);
	const struct sysdef_net *lan = sysdef_net(s, 0), *low_lan = sysdef_net(s, 1);
	const struct sysdef_diode *up = sysdef_diode(s, 0);
	CHECK(sysdef_net(s, 2) == NULL && sysdef_diode(s, 1) == NULL);
	CHECK_STR(lan->name, "secret-lan");
	CHECK_STR(lan->label_text, "SECRET/HIGH");
	CHECK_EQ(lan->label.level, 1);
	CHECK_EQ(lan->label.integrity, 1);
	CHECK_STR(lan->uplink, "tap-sec0");
	CHECK_EQ(lan->line, 3);
	CHECK_STR(low_lan->name, "low-lan");
	CHECK_STR(low_lan->uplink, "");
	CHECK_STR(up->name, "up");
	CHECK(up->from == sysdef_vm_by_name(s, "low"));
	CHECK(up->to == sysdef_vm_by_name(s, "high1"));
	CHECK_EQ(up->line, 7);
	sysdef_free(s);
}

TEST(sysdef_chan_nics_in_statement_order)
{
	char err[SYSDEF_ERRLEN] = "";
	struct sysdef *s = parse(chan_example, err);

	if (!s)
		return;
	const struct sysdef_vm *low = sysdef_vm_by_name(s, "low");
	const struct sysdef_vm *high1 = sysdef_vm_by_name(s, "high1");
	const struct sysdef_vm *high2 = sysdef_vm_by_name(s, "high2");
	CHECK_EQ(low->nnics, 2);
	CHECK_EQ(low->nic[0].kind, SYSDEF_NIC_DIODE); /* eth0 */
	CHECK(low->nic[0].diode == sysdef_diode(s, 0) && low->nic[0].net == NULL);
	CHECK_EQ(low->nic[0].line, 14);
	CHECK_EQ(low->nic[1].kind, SYSDEF_NIC_NET);   /* eth1 */
	CHECK(low->nic[1].net == sysdef_net(s, 1) && low->nic[1].diode == NULL);
	CHECK_EQ(high1->nnics, 2);
	CHECK(high1->nic[0].net == sysdef_net(s, 0));
	CHECK(high1->nic[1].diode == sysdef_diode(s, 0));
	CHECK_EQ(high2->nnics, 1);
	static const uint8_t set[6] = { 2, 0, 0, 0, 0, 0x11 };
	CHECK(high1->nic[0].mac_set);
	CHECK(!memcmp(high1->nic[0].mac, set, 6));
	/* Without a mac statement: derived from the names, the same each time. */
	uint8_t want[6];
	CHECK(!high2->nic[0].mac_set);
	sysdef_derive_mac("high2", "secret-lan", want);
	CHECK(!memcmp(high2->nic[0].mac, want, 6));
	sysdef_derive_mac("low", "up", want);
	CHECK(!memcmp(low->nic[0].mac, want, 6));
	sysdef_free(s);
}

TEST(sysdef_chan_derived_macs)
{
	uint8_t a[6], b[6], c[6], d[6];

	sysdef_derive_mac("high1", "secret-lan", a);
	sysdef_derive_mac("high1", "secret-lan", b);
	sysdef_derive_mac("high2", "secret-lan", c);
	sysdef_derive_mac("high", "1secret-lan", d); /* the same bytes, split elsewhere */
	CHECK(!memcmp(a, b, 6));
	CHECK(memcmp(a, c, 6) != 0);
	CHECK(memcmp(a, d, 6) != 0);
	CHECK_EQ(a[0] & 3, 2); /* locally administered, unicast */
	CHECK_EQ(c[0] & 3, 2);
	CHECK_EQ(d[0] & 3, 2);
}

TEST(sysdef_chan_net_names_are_their_own)
{
	char err[SYSDEF_ERRLEN] = "";
	/* A net may be called like a VM or a disk. */
	struct sysdef *s = parse(LATTICE "net a {\nlabel SECRET\n}\ndisk a {\nfile \"f\"\nlabel SECRET\n}\n"
				 VM("a", "SECRET", "net a\n"), err);

	CHECK_STR(err, "");
	CHECK(s != NULL);
	sysdef_free(s);
}

TEST(sysdef_chan_err_blocks)
{
	expect_error(LATTICE "net n {\nuplink tap t0\n}\n" VM("a", "SECRET", ""),
		     "sys.conf:2: missing 'label' in net 'n'");
	expect_error(LATTICE "net n {\nlabel SECRT\n}\n" VM("a", "SECRET", ""),
		     "sys.conf:3: unknown level 'SECRT' (declared: UNCLASSIFIED, SECRET)");
	expect_error(LATTICE "net n {\nlabel SECRET\nlabel SECRET\n}\n" VM("a", "SECRET", ""),
		     "sys.conf:4: duplicate 'label' in net 'n' (first at line 3)");
	expect_error(LATTICE "net n {\nlabel SECRET\nspeed 10\n}\n" VM("a", "SECRET", ""),
		     "sys.conf:4: unknown keyword 'speed' in net 'n' (expected label or uplink)");
	expect_error(LATTICE "net n {\nlabel SECRET\n}\nnet n {\nlabel SECRET\n}\n" VM("a", "SECRET", ""),
		     "sys.conf:5: net 'n' is declared twice (first at line 2)");
	expect_error(LATTICE "net n {\nlabel SECRET\n}\ndiode n {\nfrom a\nto b\n}\n" VM("a", "SECRET", ""),
		     "sys.conf:5: diode 'n' is already declared as net (line 2)");
	expect_error(LATTICE "diode d {\nfrom a\n}\n" VM("a", "SECRET", ""),
		     "sys.conf:2: missing 'to' in diode 'd'");
	expect_error(LATTICE "diode d {\nto a\n}\n" VM("a", "SECRET", ""),
		     "sys.conf:2: missing 'from' in diode 'd'");
	expect_error(LATTICE "diode d {\nfrom a\nto b\nlabel SECRET\n}\n" VM("a", "SECRET", ""),
		     "sys.conf:5: unknown keyword 'label' in diode 'd' (expected from or to)");
	expect_error(LATTICE "diode d {\nfrom a\nfrom b\n}\n" VM("a", "SECRET", ""),
		     "sys.conf:4: duplicate 'from' in diode 'd' (first at line 3)");
	expect_error(LATTICE "diode d {\nfrom a b\n}\n" VM("a", "SECRET", ""),
		     "sys.conf:3: expected: from VM");
	expect_error(LATTICE "vm a {\nlabel SECRET\nkernel \"k\"\nnet n {\n",
		     "sys.conf:5: blocks do not nest ('}' missing for vm 'a' opened at line 2)");
	expect_error(LATTICE "net n {\nlabel SECRET\n",
		     "sys.conf:3: '}' missing at end of file (net 'n' opened at line 2)");
}

TEST(sysdef_chan_err_uplink)
{
	expect_error(LATTICE "net n {\nlabel SECRET\nuplink eth0\n}\n" VM("a", "SECRET", ""),
		     "sys.conf:4: expected: uplink tap IFNAME");
	expect_error(LATTICE "net n {\nlabel SECRET\nuplink tap a/b\n}\n" VM("a", "SECRET", ""),
		     "sys.conf:4: bad interface name 'a/b' (letters, digits, '_' and '-' only)");
	expect_error(LATTICE "net n {\nlabel SECRET\nuplink tap abcdefghijklmnop\n}\n" VM("a", "SECRET", ""),
		     "sys.conf:4: interface name 'abcdefghijklmnop' is too long (at most 15 characters)");
	expect_error(LATTICE "net n {\nlabel SECRET\nuplink tap t0\nuplink tap t1\n}\n" VM("a", "SECRET", ""),
		     "sys.conf:5: duplicate 'uplink' in net 'n' (first at line 4)");
}

TEST(sysdef_chan_err_unknown_names)
{
	expect_error(LATTICE VM("a", "SECRET", "net nosuch\n"),
		     "sys.conf:5: vm 'a' names undeclared net 'nosuch'");
	expect_error(LATTICE VM("a", "SECRET", "diode nosuch\n"),
		     "sys.conf:5: vm 'a' names undeclared diode 'nosuch'");
	expect_error(LATTICE "diode d {\nfrom a\nto ghost\n}\n" VM("a", "SECRET", "diode d\n"),
		     "sys.conf:4: diode 'd' names undeclared vm 'ghost'");
	expect_error(LATTICE "diode d {\nfrom a\nto b\n}\n" VM("a", "SECRET", "net d\n") VM("b", "SECRET", "diode d\n"),
		     "sys.conf:9: vm 'a' names 'd' as a net, but it is declared as a diode (line 2)");
	expect_error(LATTICE "net n {\nlabel SECRET\n}\n" VM("a", "SECRET", "diode n\n"),
		     "sys.conf:8: vm 'a' names 'n' as a diode, but it is declared as a net (line 2)");
}

TEST(sysdef_chan_err_diode_ends)
{
	expect_error(LATTICE "diode d {\nfrom a\nto a\n}\n" VM("a", "SECRET", "diode d\n"),
		     "sys.conf:4: diode 'd' has vm 'a' at both ends (a diode links two vms)");
	expect_error(LATTICE "diode d {\nfrom a\nto b\n}\n" VM("a", "UNCLASSIFIED", "diode d\n")
		     VM("b", "SECRET", "diode d\n") VM("c", "SECRET", "diode d\n"),
		     "sys.conf:19: vm 'c' names diode 'd', which runs from 'a' to 'b' (only its ends may)");
	expect_error(LATTICE "diode d {\nfrom a\nto b\n}\n" VM("a", "UNCLASSIFIED", "diode d\n")
		     VM("b", "SECRET", ""),
		     "sys.conf:2: diode 'd': vm 'b', its to end, has no 'diode d' statement");
	expect_error(LATTICE "diode d {\nfrom a\nto b\n}\n" VM("a", "UNCLASSIFIED", "")
		     VM("b", "SECRET", "diode d\n"),
		     "sys.conf:2: diode 'd': vm 'a', its from end, has no 'diode d' statement");
}

TEST(sysdef_chan_err_nic_statements)
{
	expect_error(LATTICE "net n {\nlabel SECRET\n}\n" VM("a", "SECRET", "net n\nnet n\n"),
		     "sys.conf:9: vm 'a' names 'n' twice (first at line 8)");
	expect_error(LATTICE VM("a", "SECRET", "net\n"), "sys.conf:5: expected: net NAME");
	expect_error(LATTICE VM("a", "SECRET", "diode d readonly\n"), "sys.conf:5: expected: diode NAME");
	expect_error(LATTICE VM("a", "SECRET", "net n0\nnet n1\nnet n2\nnet n3\nnet n4\nnet n5\nnet n6\ndiode n7\nnet n8\n"),
		     "sys.conf:13: vm 'a' has too many NICs (at most 8 net and diode statements)");
}

TEST(sysdef_chan_err_mac)
{
	const char *net = LATTICE "net n {\nlabel SECRET\n}\n";
	char text[512];

#define MAC_CASE(stmt, want)                                                   \
	do {                                                                   \
		snprintf(text, sizeof(text), "%s" VM("a", "SECRET", "net n\n%s\n"), net, stmt); \
		expect_error(text, want);                                      \
	} while (0)
	MAC_CASE("mac n", "sys.conf:9: expected: mac NET-OR-DIODE XX:XX:XX:XX:XX:XX");
	MAC_CASE("mac n 02:00:00:00:00", "sys.conf:9: bad MAC address '02:00:00:00:00' (six hex bytes, e.g. 02:00:00:00:00:01)");
	MAC_CASE("mac n 02:00:00:00:00:0g", "sys.conf:9: bad MAC address '02:00:00:00:00:0g' (six hex bytes, e.g. 02:00:00:00:00:01)");
	MAC_CASE("mac n 02:00:00:00:00:011", "sys.conf:9: bad MAC address '02:00:00:00:00:011' (six hex bytes, e.g. 02:00:00:00:00:01)");
	MAC_CASE("mac n 2:0:0:0:0:1", "sys.conf:9: bad MAC address '2:0:0:0:0:1' (six hex bytes, e.g. 02:00:00:00:00:01)");
	MAC_CASE("mac n 01:00:5e:00:00:01", "sys.conf:9: MAC address 01:00:5e:00:00:01 is multicast (a NIC needs a unicast address: the first byte even)");
	MAC_CASE("mac n ff:ff:ff:ff:ff:ff", "sys.conf:9: MAC address ff:ff:ff:ff:ff:ff is multicast (a NIC needs a unicast address: the first byte even)");
	MAC_CASE("mac n 00:00:00:00:00:00", "sys.conf:9: MAC address 00:00:00:00:00:00 is all zeros");
	MAC_CASE("mac n 02:00:00:00:00:01\nmac n 02:00:00:00:00:02", "sys.conf:10: duplicate 'mac' for 'n' in vm 'a' (first at line 9)");
	MAC_CASE("mac m 02:00:00:00:00:01", "sys.conf:9: vm 'a' sets a mac for 'm', but has no 'net m' or 'diode m'");
#undef MAC_CASE
	/* Two NICs on one net with one address: the switch could not tell them apart. */
	expect_error(LATTICE "net n {\nlabel SECRET\n}\n"
		     VM("a", "SECRET", "net n\nmac n 02:00:00:00:00:01\n")
		     VM("b", "SECRET", "mac n 02:00:00:00:00:01\nnet n\n"),
		     "sys.conf:15: vm 'a' and vm 'b' have the same MAC 02:00:00:00:00:01 on net 'n' (set another with a mac statement)");
	/* The same address on two different nets is fine. */
	char err[SYSDEF_ERRLEN] = "";
	struct sysdef *s = parse(LATTICE "net n {\nlabel SECRET\n}\nnet m {\nlabel SECRET\n}\n"
				 VM("a", "SECRET", "net n\nmac n 02:00:00:00:00:01\n")
				 VM("b", "SECRET", "net m\nmac m 02:00:00:00:00:01\n"), err);
	CHECK_STR(err, "");
	sysdef_free(s);
}

TEST(sysdef_chan_err_limits)
{
	char text[8192];
	size_t n = (size_t)snprintf(text, sizeof(text), "%s", LATTICE);

	for (int i = 0; i <= SYSDEF_MAX_NETS; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "net n%d {\nlabel SECRET\n}\n", i);
	snprintf(text + n, sizeof(text) - n, VM("a", "SECRET", ""));
	expect_error(text, "sys.conf:50: too many nets (at most 16)");
	n = (size_t)snprintf(text, sizeof(text), "%s", LATTICE);
	for (int i = 0; i <= SYSDEF_MAX_DIODES; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "diode d%d {\nfrom a\nto b\n}\n", i);
	expect_error(text, "sys.conf:66: too many diodes (at most 16)");
}

TEST(sysdef_chan_fuzz_truncations)
{
	int parsed = 0;

	CHECK_EQ(sysdef_fuzz_each_prefix(chan_example, &parsed), 0);
	CHECK(parsed >= 1);
}

TEST(sysdef_chan_fuzz_mutations)
{
	int parsed = 0;

	CHECK_EQ(sysdef_fuzz_mutated(chan_example, 4000, 0xd10de5eedull, &parsed), 0);
	CHECK(parsed > 0 && parsed < 4000);
}
