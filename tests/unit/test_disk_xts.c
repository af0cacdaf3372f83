/*
 * disk/xts.c: published IEEE P1619 XTS-AES vectors (the data unit
 * sequence number is the plain64 sector number), round trips at both
 * sector sizes, in-place use, and the inputs it must refuse.
 */
#include "t.h"

#include <stdbool.h>
#include <stdlib.h>

#include "disk/xts.h"

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;
	for (; hex[0] && hex[1] && n < cap; hex += 2) {
		unsigned v;
		if (sscanf(hex, "%2x", &v) != 1)
			break;
		out[n++] = (uint8_t)v;
	}
	return n;
}

/* The plaintext of vectors 4 and 10: bytes 00..ff, twice. */
static void counting_pattern(uint8_t *p)
{
	for (int i = 0; i < 512; i++)
		p[i] = (uint8_t)i;
}

/* IEEE P1619/D16 (IEEE 1619-2007) vector 4: AES-128 keys, data unit 0. */
static const char v4_key[] =
	"2718281828459045235360287471352631415926535897932384626433832795";
static const char v4_ct[] =
	"27a7479befa1d476489f308cd4cfa6e2a96e4bbe3208ff25287dd3819616e89c"
	"c78cf7f5e543445f8333d8fa7f56000005279fa5d8b5e4ad40e736ddb4d35412"
	"328063fd2aab53e5ea1e0a9f332500a5df9487d07a5c92cc512c8866c7e860ce"
	"93fdf166a24912b422976146ae20ce846bb7dc9ba94a767aaef20c0d61ad0265"
	"5ea92dc4c4e41a8952c651d33174be51a10c421110e6d81588ede82103a252d8"
	"a750e8768defffed9122810aaeb99f9172af82b604dc4b8e51bcb08235a6f434"
	"1332e4ca60482a4ba1a03b3e65008fc5da76b70bf1690db4eae29c5f1badd03c"
	"5ccf2a55d705ddcd86d449511ceb7ec30bf12b1fa35b913f9f747a8afd1b130e"
	"94bff94effd01a91735ca1726acd0b197c4e5b03393697e126826fb6bbde8ecc"
	"1e08298516e2c9ed03ff3c1b7860f6de76d4cecd94c8119855ef5297ca67e9f3"
	"e7ff72b1e99785ca0a7e7720c5b36dc6d72cac9574c8cbbc2f801e23e56fd344"
	"b07f22154beba0f08ce8891e643ed995c94d9a69c9f1b5f499027a78572aeebd"
	"74d20cc39881c213ee770b1010e4bea718846977ae119f7a023ab58cca0ad752"
	"afe656bb3c17256a9f6e9bf19fdd5a38fc82bbe872c5539edb609ef4f79c203e"
	"bb140f2e583cb2ad15b4aa5b655016a8449277dbd477ef2c8d6c017db738b18d"
	"eb4a427d1923ce3ff262735779a418f20a282df920147beabe421ee5319d0568";

/* Vector 10: AES-256 keys, data unit 0xff. */
static const char v10_key[] =
	"2718281828459045235360287471352662497757247093699959574966967627"
	"3141592653589793238462643383279502884197169399375105820974944592";
static const char v10_ct[] =
	"1c3b3a102f770386e4836c99e370cf9bea00803f5e482357a4ae12d414a3e63b"
	"5d31e276f8fe4a8d66b317f9ac683f44680a86ac35adfc3345befecb4bb188fd"
	"5776926c49a3095eb108fd1098baec70aaa66999a72a82f27d848b21d4a741b0"
	"c5cd4d5fff9dac89aeba122961d03a757123e9870f8acf1000020887891429ca"
	"2a3e7a7d7df7b10355165c8b9a6d0a7de8b062c4500dc4cd120c0f7418dae3d0"
	"b5781c34803fa75421c790dfe1de1834f280d7667b327f6c8cd7557e12ac3a0f"
	"93ec05c52e0493ef31a12d3d9260f79a289d6a379bc70c50841473d1a8cc81ec"
	"583e9645e07b8d9670655ba5bbcfecc6dc3966380ad8fecb17b6ba02469a020a"
	"84e18e8f84252070c13e9f1f289be54fbc481457778f616015e1327a02b140f1"
	"505eb309326d68378f8374595c849d84f4c333ec4423885143cb47bd71c5edae"
	"9be69a2ffeceb1bec9de244fbe15992b11b77c040f12bd8f6a975a44a0f90c29"
	"a9abc3d4d893927284c58754cce294529f8614dcd2aba991925fedc4ae74ffac"
	"6e333b93eb4aff0479da9a410e4450e0dd7ae4c6e2910900575da401fc07059f"
	"645e8b7e9bfdef33943054ff84011493c27b3429eaedb4ed5376441a77ed4385"
	"1ad77f16f541dfd269d50d6a5f14fb0aab1cbb4c1550be97f7ab4066193c4caa"
	"773dad38014bd2092fa755c824bb5e54c4f36ffda9fcea70b9c6e693e148c151";

static void check_vector(const char *key_hex, size_t key_len, uint64_t unit, const char *ct_hex)
{
	uint8_t key[64], pt[512], want[512], out[512];
	char err[XTS_ERRLEN] = "";
	CHECK_EQ(unhex(key_hex, key, sizeof(key)), key_len);
	CHECK_EQ(unhex(ct_hex, want, sizeof(want)), 512);
	counting_pattern(pt);
	struct xts *x = xts_new(key, key_len, 512, err);
	CHECK(x != NULL);
	if (!x)
		return;
	CHECK_EQ(xts_encrypt(x, unit, pt, out, 512), 0);
	CHECK(memcmp(out, want, 512) == 0);
	CHECK_EQ(xts_decrypt(x, unit, want, out, 512), 0);
	CHECK(memcmp(out, pt, 512) == 0);
	xts_free(x);
}

TEST(xts_ieee1619_vector4_aes128)
{
	check_vector(v4_key, 32, 0, v4_ct);
}

TEST(xts_ieee1619_vector10_aes256)
{
	check_vector(v10_key, 64, 0xff, v10_ct);
}

/* Sector i of a multi-sector call uses IV first + i: the second sector
 * of a call starting at 0xfe is vector 10's data unit 0xff. */
TEST(xts_consecutive_sectors_count_up)
{
	uint8_t key[64], pt[1024], out[1024], want[512];
	char err[XTS_ERRLEN];
	unhex(v10_key, key, sizeof(key));
	unhex(v10_ct, want, sizeof(want));
	counting_pattern(pt);
	counting_pattern(pt + 512);
	struct xts *x = xts_new(key, 64, 512, err);
	CHECK(x != NULL);
	if (!x)
		return;
	CHECK_EQ(xts_encrypt(x, 0xfe, pt, out, 1024), 0);
	CHECK(memcmp(out + 512, want, 512) == 0);
	CHECK(memcmp(out, want, 512) != 0);
	xts_free(x);
}

static void fill(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7 + seed + (i >> 9));
}

/* IVs count 512-byte units at every sector size (LUKS never uses
 * iv_large_sectors): the second 4096-byte sector of a call at 16 is the
 * sector whose IV is 24. */
TEST(xts_4096_sectors_step_the_iv_by_8)
{
	uint8_t key[64], pt[8192], both[8192], one[4096];
	char err[XTS_ERRLEN];
	fill(key, sizeof(key), 4);
	fill(pt, sizeof(pt), 5);
	struct xts *x = xts_new(key, 64, 4096, err);
	CHECK(x != NULL);
	if (!x)
		return;
	CHECK_EQ(xts_encrypt(x, 16, pt, both, sizeof(both)), 0);
	CHECK_EQ(xts_encrypt(x, 24, pt + 4096, one, sizeof(one)), 0);
	CHECK(memcmp(both + 4096, one, 4096) == 0);
	CHECK_EQ(xts_encrypt(x, 17, pt + 4096, one, sizeof(one)), 0);
	CHECK(memcmp(both + 4096, one, 4096) != 0);
	xts_free(x);
}

static void round_trip(size_t key_len, unsigned sector)
{
	enum { LEN = 3 * 4096 };
	uint8_t key[64], *pt = malloc(LEN), *ct = malloc(LEN), *back = malloc(LEN);
	char err[XTS_ERRLEN] = "";
	fill(key, sizeof(key), 1);
	fill(pt, LEN, 2);
	struct xts *x = xts_new(key, key_len, sector, err);
	CHECK(x != NULL);
	if (x && pt && ct && back) {
		CHECK_EQ(xts_encrypt(x, 1000, pt, ct, LEN), 0);
		CHECK(memcmp(pt, ct, LEN) != 0);
		CHECK_EQ(xts_decrypt(x, 1000, ct, back, LEN), 0);
		CHECK(memcmp(pt, back, LEN) == 0);
		/* The wrong IV does not give the plaintext back. */
		CHECK_EQ(xts_decrypt(x, 1001, ct, back, LEN), 0);
		CHECK(memcmp(pt, back, sector) != 0);
		/* In place, both directions. */
		memcpy(back, pt, LEN);
		CHECK_EQ(xts_encrypt(x, 1000, back, back, LEN), 0);
		CHECK(memcmp(back, ct, LEN) == 0);
		CHECK_EQ(xts_decrypt(x, 1000, back, back, LEN), 0);
		CHECK(memcmp(back, pt, LEN) == 0);
	}
	xts_free(x);
	free(pt), free(ct), free(back);
}

TEST(xts_round_trip_512_and_4096_sectors)
{
	round_trip(32, 512);
	round_trip(64, 512);
	round_trip(32, 4096);
	round_trip(64, 4096);
}

/* The same plaintext in two sectors encrypts differently (the IV is the
 * sector number), and a 4096-byte data unit is not eight 512-byte ones. */
TEST(xts_same_plaintext_differs_per_sector)
{
	uint8_t key[64], pt[8192], ct[8192], ct512[4096];
	char err[XTS_ERRLEN];
	fill(key, sizeof(key), 9);
	memset(pt, 0x5a, sizeof(pt));
	struct xts *big = xts_new(key, 64, 4096, err), *small = xts_new(key, 64, 512, err);
	CHECK(big && small);
	if (big && small) {
		CHECK_EQ(xts_encrypt(big, 7, pt, ct, sizeof(ct)), 0);
		CHECK(memcmp(ct, ct + 4096, 4096) != 0);
		CHECK_EQ(xts_encrypt(small, 7, pt, ct512, sizeof(ct512)), 0);
		CHECK(memcmp(ct512, ct512 + 512, 512) != 0);
		CHECK(memcmp(ct, ct512, 512) == 0); /* first block: same key, same IV */
		CHECK(memcmp(ct + 512, ct512 + 512, 512) != 0);
	}
	xts_free(big);
	xts_free(small);
}

TEST(xts_refuses_bad_keys_sizes_and_lengths)
{
	uint8_t key[64], buf[4096];
	char err[XTS_ERRLEN] = "";
	fill(key, sizeof(key), 3);
	CHECK(xts_new(key, 16, 512, err) == NULL);
	CHECK_STR(err, "aes-xts key of 16 bytes (only 32 or 64)");
	CHECK(xts_new(key, 48, 512, err) == NULL);
	CHECK(xts_new(key, 32, 1024, err) == NULL);
	CHECK_STR(err, "aes-xts sector size 1024 (only 512 or 4096)");
	CHECK(xts_new(key, 32, 0, err) == NULL);
	uint8_t twin[64];
	memcpy(twin, key, 32);
	memcpy(twin + 32, key, 32);
	CHECK(xts_new(twin, 64, 512, err) == NULL);
	CHECK_STR(err, "aes-xts key halves are identical");

	struct xts *x = xts_new(key, 32, 4096, err);
	CHECK(x != NULL);
	if (!x)
		return;
	memset(buf, 1, sizeof(buf));
	CHECK_EQ(xts_encrypt(x, 0, buf, buf, 512), -1);  /* less than a sector */
	CHECK_EQ(xts_decrypt(x, 0, buf, buf, 4000), -1);
	CHECK_EQ(xts_encrypt(x, 0, buf, buf, 0), -1);
	CHECK_EQ(xts_encrypt(x, 0, buf, buf, 4096), 0);
	xts_free(x);
	xts_free(NULL);
}
