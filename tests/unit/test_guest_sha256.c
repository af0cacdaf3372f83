/* The guest tools' own SHA-256 (guest/sha256.c) against OpenSSL's, for
 * every length around the block and padding boundaries and in pieces. */
#include "t.h"

#include "guest/sha256.h"
#include "xfer_util.h"

TEST(guest_sha256_matches_openssl)
{
	static uint8_t data[4096];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 131 + (i >> 7));
	for (size_t len = 0; len < 300; len++) {
		uint8_t a[32], b[32];
		struct sha256 s;
		sha256_init(&s);
		sha256_update(&s, data, len);
		sha256_final(&s, a);
		xu_sha256(data, len, b);
		if (memcmp(a, b, 32) != 0)
			t_fail(__FILE__, __LINE__, "length %zu differs", len);
	}
	/* The same 4096 bytes fed in uneven pieces. */
	uint8_t a[32], b[32];
	struct sha256 s;
	sha256_init(&s);
	for (size_t pos = 0, step = 1; pos < sizeof(data); pos += step, step = step * 3 % 97 + 1)
		sha256_update(&s, data + pos, pos + step > sizeof(data) ? sizeof(data) - pos : step);
	sha256_final(&s, a);
	xu_sha256(data, sizeof(data), b);
	CHECK(memcmp(a, b, 32) == 0);
	/* FIPS 180-4's "abc". */
	sha256_init(&s);
	sha256_update(&s, "abc", 3);
	sha256_final(&s, a);
	static const uint8_t abc[32] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
		0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
	};
	CHECK(memcmp(a, abc, 32) == 0);
}
