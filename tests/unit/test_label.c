/*
 * The label lattice, checked exhaustively on a small site: 4 levels,
 * 3 categories and 2 integrity levels give 64 labels, and every pair (and
 * triple, for transitivity and the bounds) is tried against the
 * definitions, so lub/glb are compared with a brute-force search rather
 * than with the formulas they are written with.
 */
#include "t.h"

#include "sec/label.h"

#define NLABELS (4 * 8 * 2)

static void make_site(struct lattice *lat)
{
	char err[LABEL_ERRLEN];
	const char *levels[] = { "UNCLASSIFIED", "CONFIDENTIAL", "SECRET", "TOP_SECRET" };
	const char *cats[] = { "NATO", "CRYPTO", "NUCLEAR" };

	lattice_init(lat);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(lattice_add_level(lat, levels[i], err), 0);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(lattice_add_category(lat, cats[i], err), 0);
	CHECK_EQ(lattice_add_integrity(lat, "LOW", err), 0);
	CHECK_EQ(lattice_add_integrity(lat, "HIGH", err), 0);
}

/* Label number i of the 64, every combination once. */
static struct label nth(int i)
{
	return (struct label){ .level = (uint8_t)(i & 3), .cats = (uint64_t)((i >> 2) & 7),
			       .integrity = (uint8_t)(i >> 5) };
}

static struct label parse_ok(const struct lattice *lat, const char *s)
{
	struct label l = { 0xff, 0, 0xff };
	char err[LABEL_ERRLEN] = "";
	if (label_parse(lat, s, &l, err) != 0)
		t_fail(__FILE__, __LINE__, "label_parse(\"%s\") failed: %s", s, err);
	return l;
}

TEST(label_declarations_checked)
{
	struct lattice lat;
	char err[LABEL_ERRLEN], name[40];

	lattice_init(&lat);
	CHECK_EQ(lattice_add_level(&lat, "LOW-1_a", err), 0);
	CHECK_EQ(lattice_add_level(&lat, "LOW-1_a", err), -1);
	CHECK(strstr(err, "declared twice") && strstr(err, "LOW-1_a"));
	CHECK_EQ(lattice_add_level(&lat, "", err), -1);
	CHECK(strstr(err, "empty"));
	CHECK_EQ(lattice_add_category(&lat, "NA TO", err), -1);
	CHECK(strstr(err, "NA TO") && strstr(err, "only letters"));
	CHECK_EQ(lattice_add_category(&lat, "A:B", err), -1);
	CHECK_EQ(lattice_add_integrity(&lat, "X/Y", err), -1);
	memset(name, 'A', 32);
	name[32] = '\0';
	CHECK_EQ(lattice_add_level(&lat, name, err), -1);
	CHECK(strstr(err, "longer than 31"));
	name[31] = '\0';
	CHECK_EQ(lattice_add_level(&lat, name, err), 0);
	/* One name in two lists is fine: the text form tells them apart. */
	CHECK_EQ(lattice_add_category(&lat, "LOW-1_a", err), 0);
	CHECK_EQ(lattice_add_integrity(&lat, "LOW-1_a", err), 0);
	CHECK_EQ(lattice_find_level(&lat, "LOW-1_a"), 0);
	CHECK_EQ(lattice_find_level(&lat, name), 1);
	CHECK_EQ(lattice_find_level(&lat, "low-1_a"), -1); /* case-sensitive */
	CHECK_EQ(lattice_find_category(&lat, "LOW-1_a"), 0);
	CHECK_EQ(lattice_find_integrity(&lat, "nope"), -1);
	CHECK_EQ(lat.nlevels, 2);
	CHECK_EQ(lat.ncats, 1);
	CHECK_EQ(lat.nintegrity, 1);
}

TEST(label_list_limits)
{
	struct lattice lat;
	char err[LABEL_ERRLEN], name[16];

	lattice_init(&lat);
	for (int i = 0; i < LATTICE_MAX_CATEGORIES; i++) {
		snprintf(name, sizeof(name), "C%d", i);
		CHECK_EQ(lattice_add_category(&lat, name, err), 0);
	}
	CHECK_EQ(lattice_add_category(&lat, "ONE_MORE", err), -1);
	CHECK(strstr(err, "too many categories") && strstr(err, "ONE_MORE"));
	for (int i = 0; i < LATTICE_MAX_LEVELS; i++) {
		snprintf(name, sizeof(name), "L%d", i);
		CHECK_EQ(lattice_add_level(&lat, name, err), 0);
	}
	CHECK_EQ(lattice_add_level(&lat, "L99", err), -1);
	for (int i = 0; i < LATTICE_MAX_INTEGRITY; i++) {
		snprintf(name, sizeof(name), "I%d", i);
		CHECK_EQ(lattice_add_integrity(&lat, name, err), 0);
	}
	CHECK_EQ(lattice_add_integrity(&lat, "I99", err), -1);
	/* The 64th category is bit 63 and formats like any other. */
	struct label l = { .level = 0, .cats = 1ull << 63, .integrity = 0 };
	char buf[LABEL_TEXT_MAX];
	CHECK(label_valid(&lat, &l));
	CHECK(label_format(&lat, &l, buf, sizeof(buf)) > 0);
	CHECK_STR(buf, "L0:C63/I0");
}

TEST(label_longest_text_fits)
{
	struct lattice lat;
	char err[LABEL_ERRLEN], name[LATTICE_NAME_MAX + 1], buf[LABEL_TEXT_MAX];
	struct label l = { 0, ~0ull, 0 }, back;

	lattice_init(&lat);
	memset(name, 'x', LATTICE_NAME_MAX);
	name[LATTICE_NAME_MAX] = '\0';
	CHECK_EQ(lattice_add_level(&lat, name, err), 0);
	CHECK_EQ(lattice_add_integrity(&lat, name, err), 0);
	for (int i = 0; i < 64; i++) {
		snprintf(name, sizeof(name), "C%030u", (unsigned)i);
		CHECK_EQ(lattice_add_category(&lat, name, err), 0);
	}
	CHECK_EQ(label_format(&lat, &l, buf, sizeof(buf)), LABEL_TEXT_MAX - 1);
	CHECK_EQ(label_format(&lat, &l, buf, sizeof(buf) - 1), -1);
	CHECK_STR(buf, "");
	CHECK_EQ(label_format(&lat, &l, buf, sizeof(buf)), LABEL_TEXT_MAX - 1);
	CHECK_EQ(label_parse(&lat, buf, &back, err), 0);
	CHECK(label_equal(&back, &l));
}

TEST(label_secrecy_dominance_is_partial_order)
{
	for (int i = 0; i < NLABELS; i++) {
		struct label a = nth(i);
		CHECK(label_secrecy_dominates(&a, &a));
		for (int j = 0; j < NLABELS; j++) {
			struct label b = nth(j);
			bool ab = label_secrecy_dominates(&a, &b), ba = label_secrecy_dominates(&b, &a);
			if (ab && ba)
				CHECK(label_secrecy_equal(&a, &b));
			/* the definition, spelled out bit by bit */
			bool want = a.level >= b.level;
			for (int c = 0; c < 3; c++)
				if ((b.cats >> c & 1) && !(a.cats >> c & 1))
					want = false;
			CHECK_EQ(ab, want);
			for (int k = 0; k < NLABELS; k++) {
				struct label c = nth(k);
				if (ab && label_secrecy_dominates(&b, &c))
					CHECK(label_secrecy_dominates(&a, &c));
			}
		}
	}
}

TEST(label_integrity_and_flow_orders_are_partial_orders)
{
	for (int i = 0; i < NLABELS; i++) {
		struct label a = nth(i);
		CHECK(label_flows_to(&a, &a));
		CHECK(label_integrity_dominates(&a, &a));
		for (int j = 0; j < NLABELS; j++) {
			struct label b = nth(j);
			CHECK_EQ(label_integrity_dominates(&a, &b), a.integrity >= b.integrity);
			bool ab = label_flows_to(&a, &b), ba = label_flows_to(&b, &a);
			CHECK_EQ(ab, label_secrecy_dominates(&b, &a) && a.integrity >= b.integrity);
			if (ab && ba)
				CHECK(label_equal(&a, &b));
			CHECK_EQ(label_equal(&a, &b), i == j);
			CHECK_EQ(label_comparable(&a, &b), ab || ba);
			for (int k = 0; k < NLABELS; k++) {
				struct label c = nth(k);
				if (ab && label_flows_to(&b, &c))
					CHECK(label_flows_to(&a, &c));
			}
		}
	}
}

/* Brute force: the unique upper bound (of a and b, in the flow order) that flows to every other. */
static int brute_lub(int ia, int ib)
{
	struct label a = nth(ia), b = nth(ib);
	int found = -1, count = 0;

	for (int u = 0; u < NLABELS; u++) {
		struct label lu = nth(u);
		if (!label_flows_to(&a, &lu) || !label_flows_to(&b, &lu))
			continue;
		bool least = true;
		for (int v = 0; v < NLABELS; v++) {
			struct label lv = nth(v);
			if (label_flows_to(&a, &lv) && label_flows_to(&b, &lv) &&
			    !label_flows_to(&lu, &lv))
				least = false;
		}
		if (least) {
			found = u;
			count++;
		}
	}
	return count == 1 ? found : -1;
}

static int brute_glb(int ia, int ib)
{
	struct label a = nth(ia), b = nth(ib);
	int found = -1, count = 0;

	for (int g = 0; g < NLABELS; g++) {
		struct label lg = nth(g);
		if (!label_flows_to(&lg, &a) || !label_flows_to(&lg, &b))
			continue;
		bool greatest = true;
		for (int v = 0; v < NLABELS; v++) {
			struct label lv = nth(v);
			if (label_flows_to(&lv, &a) && label_flows_to(&lv, &b) &&
			    !label_flows_to(&lv, &lg))
				greatest = false;
		}
		if (greatest) {
			found = g;
			count++;
		}
	}
	return count == 1 ? found : -1;
}

TEST(label_lub_glb_match_brute_force)
{
	for (int i = 0; i < NLABELS; i++) {
		for (int j = 0; j < NLABELS; j++) {
			struct label a = nth(i), b = nth(j);
			struct label lub = label_lub(&a, &b), glb = label_glb(&a, &b);
			int bl = brute_lub(i, j), bg = brute_glb(i, j);
			CHECK(bl >= 0 && bg >= 0);
			if (bl < 0 || bg < 0)
				continue;
			struct label want_lub = nth(bl), want_glb = nth(bg);
			CHECK(label_equal(&lub, &want_lub));
			CHECK(label_equal(&glb, &want_glb));
		}
	}
}

TEST(label_incomparable_pairs)
{
	struct lattice lat;
	make_site(&lat);
	struct label nato = parse_ok(&lat, "SECRET:NATO/HIGH");
	struct label crypto = parse_ok(&lat, "SECRET:CRYPTO/HIGH");
	struct label both = parse_ok(&lat, "SECRET:NATO,CRYPTO/HIGH");
	struct label plain = parse_ok(&lat, "SECRET/HIGH");

	CHECK(!label_secrecy_dominates(&nato, &crypto));
	CHECK(!label_secrecy_dominates(&crypto, &nato));
	CHECK(!label_comparable(&nato, &crypto));
	struct label lub = label_lub(&nato, &crypto), glb = label_glb(&nato, &crypto);
	CHECK(label_equal(&lub, &both));
	CHECK(label_equal(&glb, &plain));

	/* A higher level does not dominate without the categories. */
	struct label ts = parse_ok(&lat, "TOP_SECRET/HIGH");
	CHECK(!label_secrecy_dominates(&ts, &nato));
	CHECK(label_secrecy_dominates(&ts, &plain));

	/* Up in secrecy but down in integrity: neither may flow to the other. */
	struct label s_high = parse_ok(&lat, "SECRET/HIGH"), u_low = parse_ok(&lat, "UNCLASSIFIED/LOW");
	struct label s_low = parse_ok(&lat, "SECRET/LOW"), u_high = parse_ok(&lat, "UNCLASSIFIED/HIGH");
	CHECK(label_secrecy_dominates(&s_high, &u_low));
	CHECK(!label_comparable(&s_high, &u_low));
	struct label up = label_lub(&s_high, &u_low), down = label_glb(&s_high, &u_low);
	CHECK(label_equal(&up, &s_low)); /* SECRET, and only as trustworthy as LOW */
	CHECK(label_equal(&down, &u_high));
	CHECK(label_flows_to(&u_high, &s_low));

	int incomparable = 0;
	for (int i = 0; i < NLABELS; i++)
		for (int j = 0; j < NLABELS; j++) {
			struct label a = nth(i), b = nth(j);
			incomparable += !label_comparable(&a, &b);
		}
	CHECK(incomparable > 0);
}

TEST(label_parse_format_round_trip)
{
	struct lattice lat;
	char buf[LABEL_TEXT_MAX], err[LABEL_ERRLEN];
	make_site(&lat);

	for (int i = 0; i < NLABELS; i++) {
		struct label l = nth(i), back;
		CHECK(label_format(&lat, &l, buf, sizeof(buf)) > 0);
		CHECK_EQ(label_parse(&lat, buf, &back, err), 0);
		CHECK(label_equal(&l, &back));
	}
	struct label l = parse_ok(&lat, "UNCLASSIFIED");
	CHECK_EQ(l.level, 0);
	CHECK_EQ(l.cats, 0);
	CHECK_EQ(l.integrity, 0); /* the lowest declared */
	CHECK_EQ(label_format(&lat, &l, buf, sizeof(buf)), strlen("UNCLASSIFIED/LOW"));
	CHECK_STR(buf, "UNCLASSIFIED/LOW");

	l = parse_ok(&lat, "SECRET:NUCLEAR,NATO");
	CHECK_EQ(l.level, 2);
	CHECK_EQ(l.cats, 5);
	label_format(&lat, &l, buf, sizeof(buf));
	CHECK_STR(buf, "SECRET:NATO,NUCLEAR/LOW"); /* declaration order */

	l = parse_ok(&lat, "TOP_SECRET:CRYPTO/HIGH");
	CHECK_EQ(l.level, 3);
	CHECK_EQ(l.cats, 2);
	CHECK_EQ(l.integrity, 1);
	l = parse_ok(&lat, "CONFIDENTIAL/HIGH");
	CHECK_EQ(l.cats, 0);
	CHECK_EQ(l.integrity, 1);
}

TEST(label_format_refuses)
{
	struct lattice lat;
	char buf[LABEL_TEXT_MAX] = "junk";
	make_site(&lat);
	struct label bad_level = { 4, 0, 0 }, bad_cat = { 0, 8, 0 }, bad_int = { 0, 0, 2 };
	struct label ok = { 2, 3, 1 };

	CHECK(!label_valid(&lat, &bad_level));
	CHECK(!label_valid(&lat, &bad_cat));
	CHECK(!label_valid(&lat, &bad_int));
	CHECK(label_valid(&lat, &ok));
	CHECK_EQ(label_format(&lat, &bad_level, buf, sizeof(buf)), -1);
	CHECK_STR(buf, "");
	CHECK_EQ(label_format(&lat, &bad_cat, buf, sizeof(buf)), -1);
	CHECK_EQ(label_format(&lat, &bad_int, buf, sizeof(buf)), -1);
	/* "SECRET:NATO,CRYPTO/HIGH" is 23 characters: 24 bytes fit, 23 do not. */
	CHECK_EQ(label_format(&lat, &ok, buf, 24), 23);
	CHECK_STR(buf, "SECRET:NATO,CRYPTO/HIGH");
	CHECK_EQ(label_format(&lat, &ok, buf, 23), -1);
	CHECK_STR(buf, "");
	CHECK_EQ(label_format(&lat, &ok, buf, 0), -1);
}

/* label_parse(s) fails and the error mentions want. */
static void parse_fails(const struct lattice *lat, const char *s, const char *want)
{
	struct label l = { 1, 1, 1 };
	char err[LABEL_ERRLEN] = "";
	if (label_parse(lat, s, &l, err) != -1)
		t_fail(__FILE__, __LINE__, "label_parse(\"%s\") succeeded", s);
	else if (!strstr(err, want))
		t_fail(__FILE__, __LINE__, "label_parse(\"%s\"): \"%s\" lacks \"%s\"", s, err, want);
}

TEST(label_parse_errors)
{
	struct lattice lat;
	make_site(&lat);

	parse_fails(&lat, "", "missing the secrecy level");
	parse_fails(&lat, "SECRT", "unknown level 'SECRT'");
	parse_fails(&lat, "secret", "unknown level 'secret'");
	parse_fails(&lat, "SECRET:NATOO", "unknown category 'NATOO'");
	parse_fails(&lat, "SECRET:NATO,EYES_ONLY/HIGH", "unknown category 'EYES_ONLY'");
	parse_fails(&lat, "SECRET:", "empty category");
	parse_fails(&lat, "SECRET:NATO,", "empty category");
	parse_fails(&lat, "SECRET:NATO,,CRYPTO", "empty category");
	parse_fails(&lat, "SECRET:NATO,NATO", "category 'NATO' given twice");
	parse_fails(&lat, "SECRET/MEDIUM", "unknown integrity level 'MEDIUM'");
	parse_fails(&lat, "SECRET/", "unknown integrity level ''");
	parse_fails(&lat, "SECRET/HIGH/HIGH", "unexpected '/'");
	parse_fails(&lat, "SECRET/HIGH:NATO", "unexpected ':'");
	parse_fails(&lat, "SECRET NATO", "unknown level 'SECRET NATO'");
	parse_fails(&lat, ":NATO", "missing the secrecy level");
	parse_fails(&lat, "SECRET,NATO", "unexpected ','");

	struct lattice bare;
	char err[LABEL_ERRLEN];
	lattice_init(&bare);
	parse_fails(&bare, "SECRET", "unknown level 'SECRET'");
	CHECK_EQ(lattice_add_level(&bare, "ONLY", err), 0);
	parse_fails(&bare, "ONLY/LOW", "unknown integrity level 'LOW'");
	struct label l = parse_ok(&bare, "ONLY");
	char buf[64];
	CHECK_EQ(label_format(&bare, &l, buf, sizeof(buf)), 4); /* no integrity declared */
	CHECK_STR(buf, "ONLY");
}
